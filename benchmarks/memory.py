"""5. Memory: RSS of a gunicorn worker (production config, one worker, its threads) after
2 000 and after 10 000 requests over HTTP, ours (the five turn kinds in turn, every five
requests a new listener) against the baseline (launches).

Peak RSS is the kernel's high-water mark (VmHWM); growth is VmRSS at the end minus
VmRSS after the first 2 000 requests. A leak shows as growth that keeps coming with
requests; a one-off warm-up (imports, templates, SQLite's page cache) is done by 2 000.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile

from benchmarks.common import (REPO, TURN_KINDS, Figure, Section, envelope, loopback_only,
                               our_app, ratio_figure, temp_dir, turn_envelopes, user_id)
from benchmarks.server import gunicorn, worker_pids

TOTAL_FULL, TOTAL_QUICK = 10_000, 2_500
CHECKPOINT_FULL, CHECKPOINT_QUICK = 2_000, 500
CONCURRENCY = 4
GROWTH_LIMIT_KIB = 2048        # after warm-up, less than this over the remaining requests
KIB_PER_MIB = 1024


def _status_kib(pid: int) -> dict[str, int]:
    out = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                out[name] = int(value.split()[0])
    return out


def _send(port: int, bodies_path: str, n: int) -> None:
    cmd = [sys.executable, "-m", "benchmarks.loadgen", "--port", str(port), "--bodies",
           bodies_path, "--concurrency", str(CONCURRENCY), "--requests", str(n), "--unique-users"]
    out = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=True, timeout=600,
                         env=dict(os.environ, PYTHONPATH=str(REPO)))
    result = json.loads(out.stdout)
    if result["errors"] or result["requests"] != n:
        raise RuntimeError(f"memory load: {result}")


def _series(app: str, bodies: list[str], checkpoint: int, total: int) -> dict:
    data_dir = temp_dir("memory")
    fd, bodies_path = tempfile.mkstemp(suffix=".json", prefix="cc-bench-bodies-")
    with os.fdopen(fd, "w") as f:
        json.dump(bodies, f)
    try:
        with gunicorn(app, data_dir, workers=1) as (port, master):
            (worker,) = worker_pids(master.pid)
            _send(port, bodies_path, checkpoint)
            early = _status_kib(worker)
            half = (total - checkpoint) // 2
            _send(port, bodies_path, half)
            middle = _status_kib(worker)
            _send(port, bodies_path, total - checkpoint - half)
            late = _status_kib(worker)
    finally:
        os.unlink(bodies_path)
        shutil.rmtree(data_dir, ignore_errors=True)
    return {"rss_early_kib": early["VmRSS"], "rss_middle_kib": middle["VmRSS"],
            "rss_late_kib": late["VmRSS"],
            "peak_kib": late["VmHWM"], "growth_kib": late["VmRSS"] - early["VmRSS"]}


def _bodies() -> dict[str, list[str]]:
    loopback_only()
    data_dir = temp_dir("bodies")
    try:
        envs = turn_envelopes(our_app(data_dir).test_client(), user_id(0))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return {"ours": [json.dumps(envs[k]) for k in TURN_KINDS],
            "baseline": [json.dumps(envelope("launch", user_id(0)))]}


def measure(quick: bool) -> Section:
    total = TOTAL_QUICK if quick else TOTAL_FULL
    checkpoint = CHECKPOINT_QUICK if quick else CHECKPOINT_FULL
    res = {app: _series(app, bodies, checkpoint, total) for app, bodies in _bodies().items()}
    ours, base = res["ours"], res["baseline"]
    section = Section(f"5. Memory of one gunicorn worker ({total:,} requests)")
    section.figures.append(ratio_figure(section.title, f"peak RSS after {total:,} requests",
                                        ours["peak_kib"] / KIB_PER_MIB,
                                        base["peak_kib"] / KIB_PER_MIB, "MiB"))
    growth_mib = ours["growth_kib"] / KIB_PER_MIB
    section.figures.append(Figure(
        section.title, f"RSS growth from request {checkpoint:,} to {total:,}", growth_mib,
        base["growth_kib"] / KIB_PER_MIB, "MiB", None,
        f"< {GROWTH_LIMIT_KIB / KIB_PER_MIB:g} MiB (no leak)", ours["growth_kib"] < GROWTH_LIMIT_KIB,
        f"{ours['growth_kib'] * 1024 / (total - checkpoint):.0f} bytes/request (baseline "
        f"{base['growth_kib'] * 1024 / (total - checkpoint):.0f})"))
    middle = checkpoint + (total - checkpoint) // 2

    def rss(r):
        return " / ".join(f"{r[k] / KIB_PER_MIB:.1f}" for k in ("rss_early_kib", "rss_middle_kib",
                                                               "rss_late_kib"))
    section.notes.append(
        f"RSS after {checkpoint:,} / {middle:,} / {total:,} requests: ours {rss(ours)} MiB, "
        f"baseline {rss(base)} MiB (growth that slows between the halves is a cache filling, "
        f"e.g. SQLite's page cache as the file grows; a leak grows evenly); concurrency {CONCURRENCY}; "
        f"{total // len(TURN_KINDS):,} distinct listeners for ours. The growth ratio is not "
        "meaningful (the baseline grows by about nothing), so the target is absolute.")
    if quick:
        section.notes.append(f"--quick: {total:,} requests instead of {TOTAL_FULL:,}.")
    return section
