"""(c) A gunicorn worker is killed with SIGKILL in the middle of the load (as the OOM
killer would), three times, 4 s apart: the master replaces it and the service keeps answering. Clients may see
a few connection errors at the moment of the kill (requests in flight on that worker),
never a 5xx. Afterwards the SQLite file passes integrity_check and holds every practice
whose final answer a client received (a practice whose final request was cut off may
or may not be stored; nothing beyond that).
"""
from __future__ import annotations

import os
import signal
import time

import pytest
from load_client import run_clients
from load_support import check_database_matches, integrity_check, request

pytestmark = pytest.mark.load

KILLS_AT_S = (5.0, 9.0, 13.0)
DURATION_S = 17.0
#: per kill: requests in flight on the killed worker, at most its threads (4), plus one
#: connection accepted but not yet handled per client thread (6).
MAX_CONNECTION_ERRORS = len(KILLS_AT_S) * (4 + 6)


def test_sigkill_of_a_worker_mid_load(gunicorn_server):
    server = gunicorn_server(workers=2, threads=4)
    kills: list[dict] = []

    def during(elapsed_s):
        server.drain_log()
        live = server.live_workers()
        for kill in kills:
            if kill["replaced_after_s"] is None and kill["pid"] not in live and len(live) >= 2:
                kill["replaced_after_s"] = time.monotonic() - kill["at"]
        if len(kills) < len(KILLS_AT_S) and elapsed_s >= KILLS_AT_S[len(kills)] and len(live) >= 2:
            victim = live[len(kills) % len(live)]
            assert server.owns(victim)
            os.kill(victim, signal.SIGKILL)
            kills.append({"pid": victim, "at": time.monotonic(), "replaced_after_s": None})

    report = run_clients(server.port, processes=2, threads=3, duration_s=DURATION_S,
                         pause_s=0.005, during=during)
    print(f"\n{len(kills)} workers killed: {report.summary()}; replaced after "
          f"{[round(k['replaced_after_s'] or -1, 2) for k in kills]} s")
    assert len(kills) == len(KILLS_AT_S), "not every kill happened"
    for kill in kills:
        assert kill["replaced_after_s"] is not None and kill["replaced_after_s"] < 10, \
            f"no replacement for {kill}: {server.server.seen[-20:]}"
        assert any(f"pid:{kill['pid']}" in line for line in server.server.seen), \
            "the master did not notice the dead worker"
    assert report.server_errors == 0, report.samples
    assert report.connection_errors <= MAX_CONNECTION_ERRORS, report.samples
    assert report.apologies == 0, report.samples
    assert sum(report.completed.values()) >= 50, report.summary()

    # Still answering, by both workers, after the run.
    for _ in range(20):
        status, _ = request(server.port, "GET", "/healthz")
        assert status == 200
    server.stop()
    assert integrity_check(server.data_dir) == "ok"
    check_database_matches(server.data_dir, report)
