"""A stand-in for Lambda's python3.11 runtime, for a deployment zip unpacked into a folder.

A fresh interpreter with only the standard library and the unpacked zip on sys.path (-S: no
site-packages, so nothing from this venv can fill a gap in the zip; -I: no PYTHONPATH, no
user site; -B: no bytecode written, as on Lambda's read-only file system). It imports the
handler's module once (Lambda's init phase), then calls the handler once per event and
prints one JSON line per answer, then a line naming every loaded module whose file is
neither in the zip nor in the standard library (there should be none).

It imports first the modules Lambda's bootstrap imports before the handler (standard
library only). What it cannot show: Amazon Linux 2's glibc and OpenSSL, Lambda's memory and
CPU share, the rest of the real Lambda bootstrap and its context object (the handler gets
None).
"""
from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

#: The interpreter this venv was made from: its standard library, none of the venv's packages.
BASE_PYTHON = Path(sys._base_executable)
INVOKE_TIMEOUT_S = 120

_CHILD = r"""
# What Lambda's own bootstrap has imported before it imports the handler (awslambdaric's
# bootstrap.py: importlib, json, logging, os, sys, time, traceback), so neither handler is
# charged for them.
import importlib, json, logging, os, sys, time, traceback
root, stdlib = sys.argv[1], sys.argv[2]
sys.path.insert(0, root)
module_name, _, function_name = sys.argv[3].rpartition(".")
handler = getattr(importlib.import_module(module_name), function_name)
for line in sys.stdin:
    print(json.dumps(handler(json.loads(line), None)), flush=True)
outside = sorted(
    name for name, m in list(sys.modules.items())
    if getattr(m, "__file__", None)
    and not os.path.realpath(m.__file__).startswith((os.path.realpath(root) + os.sep,
                                                      os.path.realpath(stdlib) + os.sep)))
print(json.dumps({"modules_outside": outside}), flush=True)
"""


def unpack(zip_path: Path, dest: Path) -> Path:
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(dest)
    return dest


@dataclass
class Invocation:
    answers: list[dict]
    modules_outside: list[str]
    first_answer_ms: float        # from spawning the process to the first answer line
    stderr: str


def invoke(root: Path, events: list[dict], env: dict[str, str],
           handler: str = "skill.lambda_function.handler") -> Invocation:
    """Start a fresh runtime on the unpacked zip at `root` and send it `events` in turn."""
    stdlib = sysconfig.get_paths()["stdlib"]
    cmd = [str(BASE_PYTHON), "-S", "-I", "-B", "-c", _CHILD, str(root), stdlib, handler]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        proc.stdin.write("".join(json.dumps(e) + "\n" for e in events))
        proc.stdin.close()
        first = proc.stdout.readline()
        first_ms = (time.perf_counter() - t0) * 1000
        rest = proc.stdout.read()
        proc.wait(INVOKE_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        stderr = proc.stderr.read()
        proc.stdout.close()
        proc.stderr.close()
    lines = [json.loads(x) for x in (first + rest).splitlines() if x.strip()]
    if proc.returncode != 0 or not lines or "modules_outside" not in lines[-1]:
        raise AssertionError(f"the handler's process failed (exit {proc.returncode}):\n"
                             f"{stderr[-3000:]}")
    return Invocation(answers=lines[:-1], modules_outside=lines[-1]["modules_outside"],
                      first_answer_ms=first_ms, stderr=stderr)
