"""Listener keys: HMAC of the userId, and the generated secret (once, 0600, race-safe)."""
from __future__ import annotations

import hashlib
import hmac
import multiprocessing
import os
import stat

import pytest
from ask_sdk_core.exceptions import PersistenceException

from persistence_helpers import OTHER_USER_ID, USER_ID, envelope
from skill.listener_key import (
    USER_KEY_SECRET_FILENAME, ListenerKeys, load_or_create_secret_file, user_id_from_envelope,
)

SECRET_RACE_PROCESSES = 6


def test_key_is_hmac_sha256_of_user_id_with_configured_secret():
    keys = ListenerKeys("configured secret", "unused-dir")
    expected = hmac.new(b"configured secret", USER_ID.encode(), hashlib.sha256).hexdigest()
    assert keys.key_for(envelope()) == expected
    assert keys.key_for(envelope(OTHER_USER_ID)) != expected
    assert ListenerKeys("another secret").key_for(envelope()) != expected


def test_user_id_falls_back_to_session_and_is_required():
    assert user_id_from_envelope(envelope(where="session")) == USER_ID
    with pytest.raises(PersistenceException):
        user_id_from_envelope(envelope(user_id=None))


def test_secret_generated_once_0600_and_reused(tmp_path):
    data_dir = tmp_path / "data"   # does not exist yet: created on first use
    first = ListenerKeys("", str(data_dir))
    key1 = first.key_for(envelope())
    path = data_dir / USER_KEY_SECRET_FILENAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text().strip()
    assert len(bytes.fromhex(text)) == 32
    mtime_ns = path.stat().st_mtime_ns
    # A new process-like instance reads the same file instead of generating again.
    second = ListenerKeys("", str(data_dir))
    assert second.key_for(envelope()) == key1
    assert path.stat().st_mtime_ns == mtime_ns
    assert [p.name for p in data_dir.iterdir()] == [USER_KEY_SECRET_FILENAME]  # no temp left
    # Copying the file's text into USER_KEY_SECRET yields the same keys (multi-host setups).
    assert ListenerKeys(text).key_for(envelope()) == key1


def test_malformed_secret_file_is_an_error_not_regenerated(tmp_path):
    (tmp_path / USER_KEY_SECRET_FILENAME).write_text("short\n")
    with pytest.raises(PersistenceException):
        ListenerKeys("", str(tmp_path)).key_for(envelope())
    assert (tmp_path / USER_KEY_SECRET_FILENAME).read_text() == "short\n"


def test_binary_garbage_secret_file_is_an_error(tmp_path):
    (tmp_path / USER_KEY_SECRET_FILENAME).write_bytes(bytes(range(256)))
    with pytest.raises(PersistenceException):
        ListenerKeys("", str(tmp_path)).key_for(envelope())


def test_unusable_data_dir_is_persistence_exception(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(PersistenceException):
        ListenerKeys("", str(blocker / "data")).key_for(envelope())


def _create_secret(data_dir, barrier, results):
    barrier.wait()  # all processes hit the empty directory together
    results.put(load_or_create_secret_file(data_dir))


def test_processes_creating_the_secret_at_once_agree(tmp_path):
    ctx = multiprocessing.get_context("fork")
    data_dir = str(tmp_path / "data")
    barrier = ctx.Barrier(SECRET_RACE_PROCESSES)
    results = ctx.Queue()
    procs = [ctx.Process(target=_create_secret, args=(data_dir, barrier, results))
             for _ in range(SECRET_RACE_PROCESSES)]
    for p in procs:
        p.start()
    secrets_seen = [results.get(timeout=20) for _ in procs]
    for p in procs:
        p.join(timeout=20)
        assert p.exitcode == 0
    assert len(set(secrets_seen)) == 1
    assert (tmp_path / "data" / USER_KEY_SECRET_FILENAME).read_text().strip() == secrets_seen[0]
    assert os.listdir(data_dir) == [USER_KEY_SECRET_FILENAME]
