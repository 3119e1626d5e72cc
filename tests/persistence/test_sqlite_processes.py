"""SQLite adapter across processes (as gunicorn workers): no lost update, durability
after SIGKILL, and a connection inherited across fork is never reused."""
from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sqlite3
import time

import pytest
from persistence_helpers import envelope
from skill.persistence import make_persistence_adapter

pytestmark = pytest.mark.processes

# fork: like gunicorn workers, and fast (no re-import per child).
CTX = multiprocessing.get_context("fork")
WORKER_PROCESSES = 4
REQUESTS_PER_WORKER = 25
# A short random gap between load and save makes requests from different processes
# overlap (each load sees a record that another process changes before this one saves).
MAX_THINK_S = 0.003
CHILD_TIMEOUT_S = 30


def _worker(config, worker, barrier, preference):
    random.seed(os.getpid())
    adapter = make_persistence_adapter(config)
    barrier.wait()   # all workers start together on a fresh directory (secret, schema too)
    for i in range(REQUESTS_PER_WORKER):
        env = envelope(request_id=f"req-{worker}-{i}")
        attrs = adapter.get_attributes(env)
        time.sleep(random.uniform(0, MAX_THINK_S))
        attrs.setdefault("history", []).append({"id": f"{worker}-{i}", "ts": time.time()})
        if preference and i == REQUESTS_PER_WORKER // 2:
            attrs[preference[0]] = preference[1]
        adapter.save_attributes(env, attrs)


def _run_workers(config, preferences):
    barrier = CTX.Barrier(WORKER_PROCESSES)
    procs = [CTX.Process(target=_worker, args=(config, w, barrier, preferences.get(w)))
             for w in range(WORKER_PROCESSES)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(CHILD_TIMEOUT_S)
        assert p.exitcode == 0


def test_no_lost_update_across_processes(config):
    # Worker 0 changes a preference, worker 1 another, mid-run, while all append history.
    _run_workers(config, {0: ("pace", "slow"), 1: ("voice", "soft")})
    stored = make_persistence_adapter(config).get_attributes(envelope())
    ids = [r["id"] for r in stored["history"]]
    expected_n = WORKER_PROCESSES * REQUESTS_PER_WORKER
    assert len(ids) == expected_n, f"{expected_n - len(ids)} of {expected_n} appends lost"
    assert set(ids) == {f"{w}-{i}" for w in range(WORKER_PROCESSES)
                        for i in range(REQUESTS_PER_WORKER)}
    assert [r["ts"] for r in stored["history"]] == sorted(r["ts"] for r in stored["history"])
    assert stored["pace"] == "slow" and stored["voice"] == "soft"


FRESH_FILE_TRIALS = 20
FRESH_FILE_PROCESSES = 6


def _first_request(config, barrier, result):
    barrier.wait()
    try:
        make_persistence_adapter(config).get_attributes(envelope())
        result.put("ok")
    except Exception as e:  # reported to the parent, which asserts on it
        result.put(f"{type(e).__name__}: {e}")


def test_workers_opening_a_fresh_file_at_once(tmp_path):
    """Secret creation, WAL switch and schema creation all race on the first request of
    freshly started workers; SQLite's lock-upgrade deadlock there used to fail one."""
    outcomes = []
    for trial in range(FRESH_FILE_TRIALS):
        config = {"SKILL_DATA_DIR": str(tmp_path / f"data-{trial}")}
        barrier, result = CTX.Barrier(FRESH_FILE_PROCESSES), CTX.Queue()
        procs = [CTX.Process(target=_first_request, args=(config, barrier, result))
                 for _ in range(FRESH_FILE_PROCESSES)]
        for p in procs:
            p.start()
        outcomes += [result.get(timeout=CHILD_TIMEOUT_S) for _ in procs]
        for p in procs:
            p.join(CHILD_TIMEOUT_S)
    assert [o for o in outcomes if o != "ok"] == []


def _use_inherited(adapter, result):
    env = envelope(request_id=f"child-{os.getpid()}")
    attrs = adapter.get_attributes(env)
    attrs.setdefault("history", []).append({"id": f"child-{os.getpid()}", "ts": 1})
    adapter.save_attributes(env, attrs)
    result.put(id(adapter._connection()) != parent_connection_id)


parent_connection_id = None


def test_adapter_made_before_fork_opens_its_own_connection(config):
    """gunicorn --preload builds the skill (and may touch storage) in the master."""
    global parent_connection_id
    adapter = make_persistence_adapter(config)
    adapter.save_attributes(envelope(), {"history": [{"id": "parent", "ts": 0}]})
    parent_connection_id = id(adapter._connection())
    result = CTX.Queue()
    procs = [CTX.Process(target=_use_inherited, args=(adapter, result)) for _ in range(2)]
    for p in procs:
        p.start()
    assert [result.get(timeout=CHILD_TIMEOUT_S) for _ in procs] == [True, True]
    for p in procs:
        p.join(CHILD_TIMEOUT_S)
        assert p.exitcode == 0
    stored = adapter.get_attributes(envelope())   # the parent's connection still works
    assert len(stored["history"]) == 3


# -- durability ------------------------------------------------------------------------

KILL_AFTER_ACKED_WRITES = (20, 60)  # random, so the kill lands at varying points
KILL_ROUNDS = 3
WRITER_MAX_RECORDS = 400          # below the test config's cap (1000): nothing is capped away
RECORD_PAD_BYTES = 2000           # bigger rows: each commit writes several pages


def _writer(config, write_fd):
    adapter = make_persistence_adapter(config)
    for i in range(WRITER_MAX_RECORDS):
        env = envelope(request_id=f"w-{os.getpid()}-{i}")
        attrs = adapter.get_attributes(env)
        next_id = attrs.get("last", -1) + 1   # ids run on across killed writers
        attrs.setdefault("history", []).append(
            {"id": next_id, "ts": next_id, "pad": "x" * RECORD_PAD_BYTES})
        attrs["last"] = next_id
        adapter.save_attributes(env, attrs)
        os.write(write_fd, f"{next_id}\n".encode())   # acknowledged only after COMMIT returned


def _read_acks(read_fd, buffer: bytes, until: int | None):
    """Ack ids from the pipe: until `until` of them arrived, or (None) until EOF."""
    acked = []
    deadline = time.monotonic() + CHILD_TIMEOUT_S
    while until is None or len(acked) < until:
        assert time.monotonic() < deadline
        chunk = os.read(read_fd, 4096)
        if not chunk:
            assert until is None, "writer exited early"
            break
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        acked += [int(x) for x in lines]
    return acked, buffer


def test_sigkill_mid_write_loses_nothing_committed(config, db_path):
    acked_all = []
    for round_no in range(KILL_ROUNDS):
        read_fd, write_fd = os.pipe()
        child = CTX.Process(target=_writer, args=(config, write_fd))
        child.start()
        os.close(write_fd)
        acked, buffer = _read_acks(read_fd, b"", random.randint(*KILL_AFTER_ACKED_WRITES))
        time.sleep(random.uniform(0, 0.004))   # land somewhere inside a later write
        os.kill(child.pid, signal.SIGKILL)
        child.join(CHILD_TIMEOUT_S)
        assert child.exitcode == -signal.SIGKILL
        late, _ = _read_acks(read_fd, buffer, None)   # acks sent just before the kill
        os.close(read_fd)
        acked_all += acked + late

        with sqlite3.connect(db_path) as conn:   # reopens (recovering the WAL) cleanly
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = make_persistence_adapter(config).get_attributes(envelope())
        stored_ids = [r["id"] for r in stored["history"]]
        # Every acknowledged record is there, in order, none twice; beyond them at most
        # the one write per killed writer that committed but had no time to say so.
        assert set(acked_all) <= set(stored_ids)
        assert stored_ids == list(range(len(stored_ids)))
        assert 0 <= len(stored_ids) - len(acked_all) <= round_no + 1
        assert stored["last"] == stored_ids[-1]
