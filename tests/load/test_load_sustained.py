"""(a) Sustained load: a minute of listeners doing whole practices against gunicorn with
the production settings (2 gthread workers x 4 threads), SQLite in a temporary
directory. Zero 5xx, zero dropped connections, zero kind apologies, and afterwards the
database holds exactly the practices the clients completed: per listener, in total, and
(for check-in practices) with the ratings the clients gave.
"""
from __future__ import annotations

import os

import pytest

from load_client import run_clients
from skill.persistence import HISTORY_MAX_RECORDS
from load_support import check_database_matches, integrity_check, total_history_records

pytestmark = pytest.mark.load

DURATION_S = float(os.environ.get("LOAD_DURATION_S", "62"))
CLIENT_PROCESSES = 2
THREADS_PER_PROCESS = 3
#: A short pause before each request keeps the offered load below what 2 shared cores
#: serve, so this measures correctness under steady load, not queueing collapse.
PAUSE_S = 0.01
#: Each simulated listener does this many practices, then a new listener takes over.
PRACTICES_PER_LISTENER = 20
#: Alexa gives up on an answer after about 8 s.
ALEXA_DEADLINE_S = 8.0


@pytest.mark.slow
def test_a_minute_of_whole_practices_loses_nothing(gunicorn_server):
    assert PRACTICES_PER_LISTENER <= HISTORY_MAX_RECORDS   # else the cap drops records
    server = gunicorn_server(workers=2, threads=4)
    report = run_clients(server.port, processes=CLIENT_PROCESSES, threads=THREADS_PER_PROCESS,
                         duration_s=DURATION_S, pause_s=PAUSE_S, per_user=PRACTICES_PER_LISTENER)
    print(f"\nsustained load: {report.summary()}")
    assert report.server_errors == 0, report.samples
    assert report.connection_errors == 0, report.samples
    assert set(report.statuses) == {200}, (report.statuses, report.samples)
    assert report.apologies == 0, report.samples
    assert report.finished_at - report.started_at >= min(DURATION_S, 60.0)
    completed = sum(report.completed.values())
    assert completed >= 50, f"too little load to mean anything: {report.summary()}"
    assert report.percentile(0.99) < ALEXA_DEADLINE_S, report.summary()

    server.stop()
    server.drain_log()
    log = "\n".join(server.server.seen)
    assert "Traceback" not in log and "WORKER TIMEOUT" not in log, log[-3000:]
    assert integrity_check(server.data_dir) == "ok"
    check_database_matches(server.data_dir, report)
    assert report.unknown == {}
    assert total_history_records(server.data_dir) == completed
