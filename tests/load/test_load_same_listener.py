"""(b) One listener, many writers at once: several gunicorn worker processes (and their
threads) serve overlapping sessions of the SAME listener, so every save merges with
saves from other processes that landed since its load. No lost update: every practice
the clients completed is in the history, once, with the ratings they gave.

Also here: the oracle itself is checked (a record removed behind the skill's back is
reported as lost), so a green run means something.
"""
from __future__ import annotations

import json
import sqlite3

import pytest

from load_client import Report, run_clients
from skill.persistence import HISTORY_MAX_RECORDS
from load_support import (
    check_database_matches, database_file, integrity_check, stored_attributes,
    total_history_records)

pytestmark = pytest.mark.load

SHARED_USER = "amzn1.ask.account.LOADSHAREDLISTENER0000000000000000000000"


WRITERS = (3, 3)          # client processes x threads, all playing the same listener


def test_one_listener_in_many_workers_at_once_loses_nothing(gunicorn_server):
    server = gunicorn_server(workers=4, threads=2)
    processes, threads = WRITERS
    # All 9 writers play the same listener for per_user practices each, then all move on
    # to the next listener, so each listener's record is written by every writer at once
    # and ends within the history cap (records beyond HISTORY_MAX_RECORDS are dropped,
    # oldest first, by design, which would look like a loss).
    per_user = HISTORY_MAX_RECORDS // (processes * threads)
    assert per_user >= 3, "history cap too small for this test's shape"
    report = run_clients(server.port, processes=processes, threads=threads, duration_s=12,
                         shared_user=SHARED_USER, per_user=per_user, checkin_share=0.5)
    print(f"\nsame listener: {report.summary()}; {len(report.completed)} listeners")
    assert report.server_errors == 0 and report.connection_errors == 0, report.samples
    assert report.apologies == 0, report.samples
    assert sum(report.completed.values()) >= 100, report.summary()
    assert len(report.entries) >= 10
    assert max(report.completed.values()) <= HISTORY_MAX_RECORDS

    server.stop()
    assert integrity_check(server.data_dir) == "ok"
    stored = check_database_matches(server.data_dir, report)
    for user, completed in report.completed.items():
        history = stored[user]["history"]
        assert len(history) == completed, f"{completed - len(history)} of {completed} practices lost"
        assert len({h["id"] for h in history}) == len(history), "a record was stored twice"
    assert total_history_records(server.data_dir) == sum(report.completed.values())


def test_the_oracle_notices_a_lost_record(tmp_path):
    """check_database_matches fails when one completed practice is missing."""
    from types import SimpleNamespace

    from skill.persistence import make_persistence_adapter
    data_dir = tmp_path / "data"
    adapter = make_persistence_adapter({"SKILL_DATA_DIR": str(data_dir)})
    env = SimpleNamespace(context=SimpleNamespace(system=SimpleNamespace(
        user=SimpleNamespace(user_id=SHARED_USER))), session=None,
        request=SimpleNamespace(request_id="r1"))
    adapter.save_attributes(env, {"history": [{"id": "a", "ts": 1, "before": None, "after": None},
                                              {"id": "b", "ts": 2, "before": None, "after": None}]})
    adapter.close()
    report = Report()
    report.completed[SHARED_USER] = 2
    check_database_matches(data_dir, report)            # both there: fine
    conn = sqlite3.connect(database_file(data_dir))
    (text,) = conn.execute("SELECT attributes_json FROM listener_attributes").fetchone()
    attrs = json.loads(text)
    attrs["history"].pop()
    with conn:
        conn.execute("UPDATE listener_attributes SET attributes_json = ?", (json.dumps(attrs),))
    conn.close()
    with pytest.raises(AssertionError, match="LOST RECORDS: 1"):
        check_database_matches(data_dir, report)
    assert len(stored_attributes(data_dir, [SHARED_USER])[SHARED_USER]["history"]) == 1
