"""Start gunicorn on 127.0.0.1 with benchmarks/gunicorn_bench.conf.py, wait until it
answers, and stop it (only the process started here) when done."""
from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import APP_ID, LOOPBACK, REPO, envelope, free_port, user_id

CONF = Path(__file__).resolve().parent / "gunicorn_bench.conf.py"
GUNICORN = Path(sys.executable).with_name("gunicorn")
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
TARGETS = {"ours": "benchmarks.wsgi:ours()", "baseline": "benchmarks.wsgi:baseline()",
           "ours-verified": "benchmarks.wsgi:ours_verified()",
           "baseline-verified": "benchmarks.wsgi:baseline_verified()"}


def _answers(port: int, probe: dict | None) -> bool:
    probe = probe or {"body": json.dumps(envelope("launch", user_id(0))), "headers": {}}
    try:
        conn = http.client.HTTPConnection(LOOPBACK, port, timeout=2)
        conn.request("POST", "/alexa", probe["body"],
                     {"Content-Type": "application/json", **probe["headers"]})
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


def worker_pids(master_pid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master_pid:
                pids.append(int(entry.name))
    return sorted(pids)


@contextlib.contextmanager
def gunicorn(app: str, data_dir: str, workers: int | None = None,
             verified_env: dict[str, str] | None = None, probe: dict | None = None):
    """Yields (port, master Popen) for TARGETS[app]. Verification is off (DEVELOPER_MODE)
    unless `verified_env` is given: then production's settings plus those, and, for ours,
    production's start-up check. `probe` is the request that shows it is up (a loadgen
    entry, {"body", "headers"}; default an unsigned launch)."""
    port = free_port()
    env = dict(os.environ, BENCH_BIND=f"{LOOPBACK}:{port}", DEVELOPER_MODE="true",
               ALEXA_SKILL_ID=APP_ID, SKILL_DATA_DIR=data_dir, SKILL_DATABASE="",
               PYTHONPATH=str(REPO))
    if verified_env is not None:
        del env["DEVELOPER_MODE"]
        env.update(verified_env)
        if app == "ours-verified":
            env["BENCH_START_CHECK"] = "production"
    if workers is not None:
        env["SKILL_WORKERS"] = str(workers)
    log = tempfile.TemporaryFile()   # gunicorn's error log; the access log goes nowhere
    proc = subprocess.Popen([str(GUNICORN), "-c", str(CONF), TARGETS[app]], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=log)
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not _answers(port, probe):
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(f"gunicorn ({app}) did not start: "
                                   + log.read().decode(errors="replace")[-2000:])
            time.sleep(0.2)
        yield port, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
