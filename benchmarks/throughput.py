"""2. Throughput and tail latency over HTTP: gunicorn with production's gunicorn.conf.py
(developer mode for both apps: verification off) on 127.0.0.1, load from a separate
process at rising concurrency until errors or p99 > 200 ms; each level three times on new
connections, its median trial counting. 2b (measure_production): the same with request
verification on in both apps and every request signed.

Our skill is loaded with an even mix of the five turn kinds (its real traffic) and, for
comparison, with launches only; the baseline answers launches (all it can do).
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from typing import Callable

from benchmarks.common import (REPO, TURN_KINDS, Section, envelope, loopback_only, our_app,
                               ratio_figure, temp_dir, turn_envelopes, user_id)
from benchmarks.server import gunicorn
from benchmarks.signing import Signer

USERS = 64
CONCURRENCY_FULL = (1, 2, 4, 8, 16, 32, 64)
CONCURRENCY_QUICK = (1, 4, 16)
LEVEL_FULL_S, LEVEL_QUICK_S = 1.5, 1.0      # measured time per trial
WARMUP_FULL_S, WARMUP_QUICK_S = 0.3, 0.3    # not counted
# Each level is run this many times, each time on new connections, and the median trial
# counts: gunicorn's workers take keep-alive connections as they come, and one worker
# often takes most of a burst, halving that trial's rate (for either app) by chance.
TRIALS_FULL, TRIALS_QUICK = 3, 1
P99_CEILING_MS = 200.0
RPS_LIMIT_X = 0.70
PRODUCTION_RPS_LIMIT_X = 0.80      # verification on in both


def _envelopes() -> tuple[list[dict], list[dict]]:
    """(the turn mix, launches only) for USERS listeners."""
    loopback_only()
    data_dir = temp_dir("bodies")
    try:
        client = our_app(data_dir).test_client()
        per_user = [turn_envelopes(client, user_id(i)) for i in range(USERS)]
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    mix = [envs[k] for envs in per_user for k in TURN_KINDS]
    return mix, [envelope("launch", user_id(i)) for i in range(USERS)]


def _bodies() -> dict[str, tuple[str, list[str]]]:
    mix, launches = ([json.dumps(e) for e in envs] for envs in _envelopes())
    return {"ours (turn mix)": ("ours", mix), "ours (launch only)": ("ours", launches),
            "baseline (launch)": ("baseline", launches)}


def _load(port: int, bodies_path: str, concurrency: int, quick: bool) -> dict:
    """One concurrency level, from a separate Python process."""
    cmd = [sys.executable, "-m", "benchmarks.loadgen", "--port", str(port), "--bodies", bodies_path,
           "--concurrency", str(concurrency),
           "--duration-s", str(LEVEL_QUICK_S if quick else LEVEL_FULL_S),
           "--warmup-s", str(WARMUP_QUICK_S if quick else WARMUP_FULL_S)]
    out = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=True,
                         env=dict(os.environ, PYTHONPATH=str(REPO)), timeout=120)
    return json.loads(out.stdout)


def _within_ceiling(level: dict) -> bool:
    return not level["errors"] and level["p99_ms"] is not None and level["p99_ms"] <= P99_CEILING_MS


def _all_series(series: dict[str, tuple[str, list | Callable[[], list]]], quick: bool,
                servers: dict[str, dict] | None = None) -> dict[str, list[dict]]:
    """Both servers run side by side (an idle one costs nothing) and the series take turns
    at each concurrency level, so a slow spell of the machine hits them alike. A series
    stops after its first level with errors or p99 over the ceiling. A series' bodies may
    be a function, called again before each level (signed requests, freshly stamped);
    `servers` holds extra arguments of benchmarks.server.gunicorn per app."""
    work = temp_dir("http")
    paths = {name: os.path.join(work, f"{i}.json") for i, name in enumerate(series)}

    def write_bodies(names):
        for name in names:
            bodies = series[name][1]
            with open(paths[name], "w", encoding="utf-8") as f:
                json.dump(bodies() if callable(bodies) else bodies, f)

    write_bodies(series)
    results: dict[str, list[dict]] = {name: [] for name in series}
    try:
        with contextlib.ExitStack() as stack:
            ports = {}
            for app in sorted({app for app, _ in series.values()}):
                os.makedirs(os.path.join(work, app))
                ports[app] = stack.enter_context(gunicorn(
                    app, os.path.join(work, app), **(servers or {}).get(app, {})))[0]
            for c in CONCURRENCY_QUICK if quick else CONCURRENCY_FULL:
                running = [name for name, levels in results.items()
                           if not levels or _within_ceiling(levels[-1])]
                write_bodies(n for n in running if callable(series[n][1]))
                trials: dict[str, list[dict]] = {name: [] for name in running}
                for _ in range(TRIALS_QUICK if quick else TRIALS_FULL):
                    for name in running:
                        trials[name].append(_load(ports[series[name][0]], paths[name], c, quick))
                for name in running:
                    results[name].append(_median_trial(trials[name]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results


def _median_trial(trials: list[dict]) -> dict:
    """The trial with the median requests/s (its latencies too), and every trial's rate."""
    ranked = sorted(trials, key=lambda t: (t["errors"] == 0, t["rps"]))
    return {**ranked[(len(ranked) - 1) // 2], "trials_rps": [t["rps"] for t in trials],
            "errors": sum(t["errors"] for t in trials)}


def _best(levels: list[dict]) -> dict | None:
    """The level with the most requests/s among those without errors and within the p99 ceiling."""
    ok = [lv for lv in levels if _within_ceiling(lv)]
    return max(ok, key=lambda lv: lv["rps"]) if ok else None


def _figures(section: Section, results: dict[str, list[dict]], baseline: str,
             ours: tuple[str, str], limit_x: float) -> None:
    """Max req/s and its p50/p99 for each of `ours` against `baseline`; the target applies
    to the first (the turn mix), and each level's trials go into the notes."""
    base = _best(results[baseline])
    for name in ours:
        best = _best(results[name])
        limit = limit_x if name == ours[0] else None
        section.figures.append(ratio_figure(
            section.title, f"max requests/s, {name}", best and best["rps"], base and base["rps"],
            "req/s", limit, higher_is_better=True))
        for pct in ("p50", "p99"):
            section.figures.append(ratio_figure(
                section.title, f"{pct} at max req/s, {name} (c={best and best['concurrency']} vs "
                f"{base and base['concurrency']})", best and best[f"{pct}_ms"],
                base and base[f"{pct}_ms"], "ms"))
    for name, levels in results.items():
        steps = ", ".join(f"c={lv['concurrency']}: {lv['rps']:.0f}/s "
                          f"({'/'.join(f'{r:.0f}' for r in lv['trials_rps'])}) p50 {lv['p50_ms'] or 0:.1f} "
                          f"p99 {lv['p99_ms'] or 0:.1f} ms" + (f" {lv['errors']} errors" if lv["errors"] else "")
                          for lv in levels)
        section.notes.append(f"{name}: {steps}")
    section.notes.append(
        "Per level: the median of its trials by requests/s (all trials' rates in brackets), "
        "each trial on new keep-alive connections; a series stops after a level with errors "
        f"or p99 over {P99_CEILING_MS:.0f} ms.")


def measure(quick: bool) -> Section:
    section = Section("2. Throughput over HTTP (gunicorn, production config, developer mode)")
    results = _all_series(_bodies(), quick)
    _figures(section, results, "baseline (launch)", ("ours (turn mix)", "ours (launch only)"),
             RPS_LIMIT_X)
    section.notes.append(
        "Both apps run with request verification OFF (DEVELOPER_MODE for ours; the production "
        "config's start-up check that refuses it is the only setting replaced, see "
        "benchmarks/gunicorn_bench.conf.py). Production also checks the signature (RSA, cached "
        "chain) on every request: section 2b measures that path. The load generator shares the machine's "
        f"{os.cpu_count()} cores with the server.")
    return section


def measure_production(quick: bool) -> Section:
    """The production path: request verification on in both apps, every request signed
    (the tests' CA, benchmarks/signing.py) and its chain already cached."""
    section = Section("2b. Throughput over HTTP, production path (verification on, signed requests)")
    work = temp_dir("signing")
    try:
        signer = Signer(work)
        mix, launches = _envelopes()
        series = {"ours verified (turn mix)": ("ours-verified", lambda: signer.sign(mix)),
                  "ours verified (launch only)": ("ours-verified", lambda: signer.sign(launches)),
                  "baseline verified (launch)": ("baseline-verified", lambda: signer.sign(launches))}
        servers = {app: {"verified_env": signer.env(app.split("-")[0]),
                         "probe": signer.sign([launches[0]])[0]}
                   for app in ("ours-verified", "baseline-verified")}
        results = _all_series(series, quick, servers)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _figures(section, results, "baseline verified (launch)",
             ("ours verified (turn mix)", "ours verified (launch only)"), PRODUCTION_RPS_LIMIT_X)
    section.notes.append(
        "Both apps verify every request as in production: ours with its own verifier "
        "(signature, certificate URL, chain to ALEXA_TRUST_ROOTS, timestamp, skill ID; "
        "production's gunicorn.conf.py start-up check on), the baseline with flask-ask-sdk's "
        "default RequestVerifier and TimestampVerifier (its certvalidator trusting the same "
        "root through SSL_CERT_FILE). Each worker starts with the chain in its cache (as "
        "after its first request; nothing is downloaded); ours keeps the verified chain, "
        "flask-ask-sdk checks the chain again on every request. Bodies are stamped and "
        "signed afresh before each level.")
    return section
