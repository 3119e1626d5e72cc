"""1. Turn cost: server-side time of each kind of turn, in process, against the baseline.

Both apps get the same Flask test client (the whole WSGI stack: Flask, flask-ask-sdk's
adapter, the ASK SDK, our handlers, SQLite in a temp dir). Listeners come from a pool and
have been seen once before timing starts, so a turn reads and writes an existing record.
Kinds are interleaved round-robin so any drift of the machine hits them all alike.
"""
from __future__ import annotations

import shutil
import time

from benchmarks.common import (TURN_KINDS, Section, baseline_app, envelope, loopback_only, median,
                               our_app, percentile, ratio_figure, temp_dir, turn_envelopes, user_id)

USERS = 50
ROUNDS_FULL, ROUNDS_QUICK = 1500, 150       # timed requests per turn kind
MEDIAN_LIMIT_X, P99_LIMIT_X = 3.0, 5.0


def _timed_ms(client, body) -> float:
    t0 = time.perf_counter()
    res = client.post("/alexa", json=body)
    elapsed_ms = (time.perf_counter() - t0) * 1000
    assert res.status_code == 200, res.get_data(as_text=True)[:200]
    return elapsed_ms


def measure(quick: bool) -> Section:
    loopback_only()
    rounds = ROUNDS_QUICK if quick else ROUNDS_FULL
    data_dir = temp_dir("turns")
    try:
        ours = our_app(data_dir).test_client()
        base = baseline_app().test_client()
        per_user = [turn_envelopes(ours, user_id(i)) for i in range(USERS)]
        base_body = envelope("launch", user_id(0))
        for envs in per_user:                       # warm-up: every path once per listener
            for kind in TURN_KINDS:
                _timed_ms(ours, envs[kind])
            _timed_ms(base, base_body)
        times = {kind: [] for kind in TURN_KINDS}
        baseline_ms = []
        for r in range(rounds):
            envs = per_user[r % USERS]
            for kind in TURN_KINDS:
                times[kind].append(_timed_ms(ours, envs[kind]))
            baseline_ms.append(_timed_ms(base, base_body))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)

    section = Section("1. Turn cost (in-process Flask test client, SQLite on)")
    b50, b99 = median(baseline_ms), percentile(baseline_ms, 99)
    for kind in TURN_KINDS:
        section.figures.append(ratio_figure(section.title, f"{kind} median", median(times[kind]),
                                            b50, "ms", MEDIAN_LIMIT_X))
        section.figures.append(ratio_figure(section.title, f"{kind} p99",
                                            percentile(times[kind], 99), b99, "ms", P99_LIMIT_X))
    section.notes.append(f"{rounds} timed requests per kind ({USERS} listeners, each warmed up); "
                         f"baseline: the hello skill's LaunchRequest, {rounds} requests "
                         f"(median {b50:.2f} ms, p99 {b99:.2f} ms).")
    return section
