"""3. Cold start: a new Python process to its first answered request (imports, create_app,
one launch through the in-process test client), ours against the baseline.

Timed from the parent: from just before the process is spawned to the moment its answer
line arrives. Our skill starts on a SQLite directory that already exists (a restart, not a
first install). The two apps alternate; one untimed run of each comes first.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

from benchmarks.common import (REPO, Section, envelope, median, our_config, ratio_figure,
                               temp_dir, user_id)

REPEATS_FULL, REPEATS_QUICK = 9, 3
RATIO_LIMIT_X = 1.5
CHILD_TIMEOUT_S = 60

CHILD = {
    "ours": "from skill.app import create_app as f; app = f(json.loads(os.environ['BENCH_CONFIG']))",
    "baseline": "from benchmarks.baseline_skill import create_app as f; app = f()",
}
ANSWER = ("res = app.test_client().post('/alexa', data=os.environ['BENCH_BODY'], "
          "content_type='application/json'); print(res.status_code, flush=True)")


def _once(app: str, env: dict) -> float:
    code = f"import json, os\n{CHILD[app]}\n{ANSWER}"
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline()
        elapsed_ms = (time.perf_counter() - t0) * 1000
        proc.wait(CHILD_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    if line.strip() != "200":
        raise RuntimeError(f"cold start of {app} answered {line!r}")
    return elapsed_ms


def measure(quick: bool) -> Section:
    data_dir = temp_dir("cold")
    env = dict(os.environ, PYTHONPATH=str(REPO), BENCH_CONFIG=json.dumps(our_config(data_dir)),
               BENCH_BODY=json.dumps(envelope("launch", user_id(0))))
    times = {"ours": [], "baseline": []}
    try:
        for app in times:                 # untimed: caches, .pyc files, the SQLite schema
            _once(app, env)
        for _ in range(REPEATS_QUICK if quick else REPEATS_FULL):
            for app in times:
                times[app].append(_once(app, env))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    section = Section("3. Cold start (new process to first answered launch, in-process client)")
    section.figures.append(ratio_figure(section.title, "median time to first answer",
                                        median(times["ours"]), median(times["baseline"]), "ms",
                                        RATIO_LIMIT_X))
    section.notes.append(f"{len(times['ours'])} runs each, alternating; ours "
                         + ", ".join(f"{t:.0f}" for t in times["ours"]) + " ms; baseline "
                         + ", ".join(f"{t:.0f}" for t in times["baseline"]) + " ms.")
    return section
