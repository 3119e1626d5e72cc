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

SHARED_USER = "amzn1.ask.account.LOADSHAREDLISTENER0000000000000000000000"


def test_one_listener_in_many_workers_at_once_loses_nothing(gunicorn_server):
    server = gunicorn_server(workers=4, threads=2)
    # 9 writers x 45 practices stays under the history cap (oldest records beyond
    # HISTORY_MAX_RECORDS are dropped by design, which would look like a loss).
    report = run_clients(server.port, processes=3, threads=3, duration_s=30,
                         shared_user=SHARED_USER, checkin_share=0.5, max_practices=45)
    print(f"\nsame listener: {report.summary()}")
    assert report.server_errors == 0 and report.connection_errors == 0, report.samples
    assert report.apologies == 0, report.samples
    completed = report.completed[SHARED_USER]
    assert 30 <= completed <= HISTORY_MAX_RECORDS, report.summary()
    assert len(report.entries) >= 10

    server.stop()
    assert integrity_check(server.data_dir) == "ok"
    stored = check_database_matches(server.data_dir, report)
    history = stored[SHARED_USER]["history"]
    assert len(history) == completed, f"{completed - len(history)} of {completed} practices lost"
    assert len({h["id"] for h in history}) == len(history), "a record was stored twice"
    assert total_history_records(server.data_dir) == completed


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
