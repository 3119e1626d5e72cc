"""Builds the AWS Lambda deployment zip for skill.lambda_function.handler.

    python -m skill.tools.lambda_package [--out build/lambda/compassion-coach-lambda.zip]

What goes in, at the zip's root where Lambda's python3.11 runtime looks:
- the project's own wheel (skill/ with skill/data/, where the wheel carries ssml/ and
  interaction_model/), built here with the pinned build backend;
- requirements/lambda.txt, the production dependencies and the DynamoDB extra, installed for
  CPython 3.11 on x86_64 Amazon Linux 2 (manylinux2014 wheels only, never an sdist, each
  file checked against the lock's hash). No test tools, no server, no build tools.

boto3 is in it although Lambda's runtime has a copy: that copy is whatever AWS last put
there and changes without notice, while this one is the locked version the tests ran
against (AWS's own advice for functions that depend on it). Only its DynamoDB model is
kept (AWS_SERVICES), which keeps the zip small and the cold start short.

Lambda's file system is read-only, so Python could not cache bytecode there and would
compile every module on every cold start: the zip carries .pyc files, compiled by this
Python 3.11 with unchecked-hash invalidation (the sources never change after the build).
Entries are sorted with fixed dates, so the same inputs give the same zip.
"""
from __future__ import annotations

import argparse
import compileall
import os
import py_compile
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LOCK = REPO / "requirements" / "lambda.txt"
DEFAULT_OUT = REPO / "build" / "lambda" / "compassion-coach-lambda.zip"
HANDLER = "skill.lambda_function.handler"
# Lambda's python3.11 runtime: Amazon Linux 2, glibc 2.26, x86_64.
LAMBDA_PYTHON = (3, 11)
LAMBDA_PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_17_x86_64")
# Not needed to run the handler: the offline runner and developer tools, and what pip
# leaves for its own bookkeeping.
LEAVE_OUT_DIRS = ("bin", "skill/tools")
LEAVE_OUT_FILES = ("local_voice.py",)
# boto3 and botocore carry a model of every AWS service (about 25 MB unpacked), and
# botocore lists that whole folder each time it builds a client, on every cold start. The
# handler talks to DynamoDB only (credentials come from Lambda's environment, not STS).
AWS_SERVICES = ("dynamodb",)
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


class BuildError(RuntimeError):
    """A step failed; the message says which."""


def _pip(*args: str) -> None:
    cmd = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise BuildError(f"pip {args[0]} failed:\n{done.stderr.strip()[-3000:]}")


def _platform_args() -> list[str]:
    out = ["--only-binary=:all:", "--implementation", "cp",
           "--python-version", "%d.%d" % LAMBDA_PYTHON, "--abi", "cp%d%d" % LAMBDA_PYTHON]
    for tag in LAMBDA_PLATFORMS:
        out += ["--platform", tag]
    return out


def stage(root: Path, work: Path) -> None:
    """Install the handler and its locked dependencies into `root`, as the zip will hold them."""
    wheels = work / "wheel"
    _pip("wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(REPO))
    _pip("install", "--require-hashes", "--no-deps", "--target", str(root), *_platform_args(),
         "-r", str(LOCK))
    _pip("install", "--no-deps", "--target", str(root), *_platform_args(),
         *map(str, sorted(wheels.glob("*.whl"))))
    for name in LEAVE_OUT_DIRS:
        shutil.rmtree(root / name, ignore_errors=True)
    for name in LEAVE_OUT_FILES:
        (root / name).unlink(missing_ok=True)
    for data in (root / "botocore" / "data", root / "boto3" / "data"):
        for service in data.iterdir():
            if service.is_dir() and service.name not in AWS_SERVICES:
                shutil.rmtree(service)
    for path in root.glob("*.dist-info/direct_url.json"):   # names this machine's build folder
        path.unlink()
    for path in list(root.rglob("__pycache__")):
        shutil.rmtree(path)
    if sys.version_info[:2] == LAMBDA_PYTHON:
        compileall.compile_dir(str(root), quiet=2, workers=1,
                               invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    else:
        print(f"lambda_package: Python {sys.version_info[0]}.{sys.version_info[1]} is not "
              f"Lambda's {LAMBDA_PYTHON[0]}.{LAMBDA_PYTHON[1]}: no .pyc files in the zip "
              "(cold starts compile every module)", file=sys.stderr)


def write_zip(root: Path, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".zip.part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(root).as_posix(), ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            mode = 0o755 if os.access(path, os.X_OK) else 0o644
            info.external_attr = (0o100000 | mode) << 16
            z.writestr(info, path.read_bytes())
    tmp.replace(out)


def build(out: Path = DEFAULT_OUT) -> Path:
    """Build the zip at `out` (replacing it); returns `out`."""
    with tempfile.TemporaryDirectory(prefix="cc-lambda-") as tmp:
        work = Path(tmp)
        root = work / "root"
        stage(root, work)
        if not (root / "skill" / "lambda_function.py").exists():
            raise BuildError("the wheel has no skill/lambda_function.py")
        write_zip(root, out)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m skill.tools.lambda_package",
                                     description="Build the AWS Lambda deployment zip.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"where to write it (default {DEFAULT_OUT.relative_to(REPO)})")
    args = parser.parse_args(argv)
    try:
        out = build(args.out.resolve())
    except BuildError as e:
        print(f"lambda_package: {e}", file=sys.stderr)
        return 1
    with zipfile.ZipFile(out) as z:
        files = len(z.namelist())
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB, {files} files); "
          f"Lambda handler: {HANDLER}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
