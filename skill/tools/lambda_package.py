"""Builds the AWS Lambda deployment zip for skill.lambda_function.handler.

    python -m skill.tools.lambda_package [--out build/lambda/compassion-coach-lambda.zip]

What goes in, at the zip's root where Lambda's python3.11 runtime looks:
- the project's own wheel (skill/ with skill/data/, where the wheel carries ssml/ and
  interaction_model/), built here with the pinned build backend;
- requirements/lambda.txt, the production dependencies, installed for CPython 3.11 on
  x86_64 Amazon Linux 2 (manylinux2014 wheels only, never an sdist, each file checked
  against the lock's hash). No test tools, no server, no build tools, and no boto3 or
  botocore: the handler talks to DynamoDB through skill/persistence/dynamodb_client.py with
  the credentials Lambda puts in the environment.

Lambda's file system is read-only, so Python could not cache bytecode there and would
compile every module on every cold start: the zip carries .pyc files, compiled by this
Python 3.11 with unchecked-hash invalidation (the sources never change after the build),
and the Jinja templates compiled the same way (skill.render.CompiledTemplates).
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
    for path in root.glob("*.dist-info/direct_url.json"):   # names this machine's build folder
        path.unlink()
    for path in list(root.rglob("__pycache__")):
        shutil.rmtree(path)
    if sys.version_info[:2] == LAMBDA_PYTHON:
        compileall.compile_dir(str(root), quiet=2, workers=1,
                               invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        compile_templates(root)
    else:
        print(f"lambda_package: Python {sys.version_info[0]}.{sys.version_info[1]} is not "
              f"Lambda's {LAMBDA_PYTHON[0]}.{LAMBDA_PYTHON[1]}: no .pyc files or compiled "
              "templates in the zip (cold starts compile every module and template)",
              file=sys.stderr)


def compile_templates(root: Path) -> None:
    """The Jinja templates compiled into skill/data/compiled-templates (skill.render reads
    them when present), by the staged copies of the skill and Jinja, in a fresh interpreter
    that sees only those."""
    code = ("import sys; sys.path.insert(0, sys.argv[1]); "
            "from skill import render; render.compile_templates(render.COMPILED_TEMPLATES_DIR)")
    done = subprocess.run([sys.executable, "-S", "-I", "-B", "-c", code, str(root)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise BuildError(f"compiling the templates failed:\n{done.stderr.strip()[-3000:]}")


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
