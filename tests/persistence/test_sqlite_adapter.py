"""SQLite adapter in one process: round trip, privacy, merge, schema, failures."""
from __future__ import annotations

import logging
import sqlite3

import pytest
from ask_sdk_core.attributes_manager import AttributesManager
from ask_sdk_core.exceptions import PersistenceException

from persistence_helpers import OTHER_USER_ID, USER_ID, append_from_threads, envelope
from skill.listener_key import ListenerKeys
from skill.persistence import health_check, make_persistence_adapter, parse_database_setting
from skill.persistence import sqlite_adapter
from skill.persistence.sqlite_adapter import SCHEMA_VERSION, SqlitePersistenceAdapter

LOGGER = "skill.persistence"


def stored_bytes(db_path) -> bytes:
    """Everything SQLite may have written: the file, its WAL and shared-memory index."""
    return b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*"))


def test_round_trip_through_attributes_manager(config, db_path):
    adapter = make_persistence_adapter(config)
    env = envelope()
    manager = AttributesManager(env, persistence_adapter=adapter)
    assert manager.persistent_attributes == {}
    manager.persistent_attributes["pace"] = "slow"
    manager.persistent_attributes["history"] = [{"id": "p1", "ts": 1.25, "practice": "breath"}]
    manager.save_persistent_attributes()

    fresh = make_persistence_adapter(config)   # nothing cached: read back from the file
    assert fresh.get_attributes(envelope()) == {
        "pace": "slow", "history": [{"id": "p1", "ts": 1.25, "practice": "breath"}]}
    assert fresh.get_attributes(envelope(OTHER_USER_ID)) == {}
    assert db_path.exists()


def test_user_id_never_stored_in_clear(config, db_path):
    adapter = make_persistence_adapter(config)
    for uid in (USER_ID, OTHER_USER_ID):
        adapter.save_attributes(envelope(uid), {"pace": "slow", "history": [{"id": 1, "ts": 1}]})
    data = stored_bytes(db_path)
    assert USER_ID.encode() not in data and OTHER_USER_ID.encode() not in data
    assert b"AETESTLISTENER" not in data
    # The check can fail: the keyed hash and the content are in those very bytes.
    assert adapter.keys.key_for(envelope()).encode() in data
    assert b"slow" in data


def test_delete_forgets_everything(config, db_path):
    adapter = make_persistence_adapter(config)
    adapter.save_attributes(envelope(), {"pace": "slow", "history": [{"id": 1, "ts": 1}]})
    adapter.save_attributes(envelope(OTHER_USER_ID), {"pace": "fast"})
    env = envelope()
    adapter.get_attributes(env)
    adapter.delete_attributes(env)
    assert adapter.get_attributes(envelope()) == {}
    assert make_persistence_adapter(config).get_attributes(envelope()) == {}
    assert adapter.get_attributes(envelope(OTHER_USER_ID)) == {"pace": "fast"}  # others kept
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM listener_attributes").fetchone()[0] == 1


FORGOTTEN_MARKER = "FORGOTTEN-PRACTICE-NOTE-7f3a"


@pytest.mark.parametrize("how", ["delete", "save_empty"])
def test_forgotten_record_is_gone_from_the_wal_while_the_connection_stays_open(
        config, db_path, how):
    # gunicorn threads keep their connections for the life of the process; SQLite's
    # secure_delete scrubs the main file, not the WAL, which holds every earlier version.
    adapter = make_persistence_adapter(config)
    adapter.save_attributes(envelope(OTHER_USER_ID), {"pace": "kept"})
    env = envelope()
    adapter.get_attributes(env)
    adapter.save_attributes(env, {"note": FORGOTTEN_MARKER, "history": [{"id": 1, "ts": 1}]})
    assert FORGOTTEN_MARKER.encode() in stored_bytes(db_path)   # the check can fail
    env = envelope()
    adapter.get_attributes(env)
    if how == "delete":
        adapter.delete_attributes(env)
    else:   # a save that empties the record deletes the row too
        adapter.save_attributes(env, {})
    assert adapter._local.conn is not None   # still open: nothing closed the connection
    assert FORGOTTEN_MARKER.encode() not in stored_bytes(db_path)
    assert adapter.get_attributes(envelope(OTHER_USER_ID)) == {"pace": "kept"}


def test_wal_is_bounded(config):
    adapter = make_persistence_adapter(config)
    adapter.get_attributes(envelope())
    conn = adapter._connection()
    assert conn.execute("PRAGMA journal_size_limit").fetchone()[0] \
        == sqlite_adapter.WAL_SIZE_LIMIT_BYTES
    assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] \
        == sqlite_adapter.WAL_AUTOCHECKPOINT_PAGES


def test_overlapping_requests_both_survive(config):
    """A loads, B loads, A saves, B saves: naive last-write-wins would lose A's work."""
    a_adapter, b_adapter = make_persistence_adapter(config), make_persistence_adapter(config)
    seed = envelope()
    a_adapter.save_attributes(seed, {"pace": "normal", "history": [{"id": "h0", "ts": 0}]})
    env_a, env_b = envelope(), envelope()
    a = a_adapter.get_attributes(env_a)
    b = b_adapter.get_attributes(env_b)
    a["pace"] = "slow"                                   # a preference change
    a_adapter.save_attributes(env_a, a)
    b["history"].append({"id": "h1", "ts": 1})          # a practice finished elsewhere
    b_adapter.save_attributes(env_b, b)
    assert a_adapter.get_attributes(envelope()) == {
        "pace": "slow", "history": [{"id": "h0", "ts": 0}, {"id": "h1", "ts": 1}]}


def test_overlapping_requests_changing_different_preferences_both_land(config):
    a_adapter, b_adapter = make_persistence_adapter(config), make_persistence_adapter(config)
    a_adapter.save_attributes(envelope(), {"prefs": {"rate": "normal"}})
    env_a, env_b = envelope(), envelope()
    a, b = a_adapter.get_attributes(env_a), b_adapter.get_attributes(env_b)
    a["prefs"]["rate"] = "slower"                        # "speak more slowly" on one device
    b["prefs"]["usual"] = "grounding"                    # a new usual practice on another
    a_adapter.save_attributes(env_a, a)
    b_adapter.save_attributes(env_b, b)
    assert make_persistence_adapter(config).get_attributes(envelope()) == {
        "prefs": {"rate": "slower", "usual": "grounding"}}


def test_save_after_concurrent_delete_keeps_only_new_changes(config):
    adapter = make_persistence_adapter(config)
    adapter.save_attributes(envelope(), {"pace": "slow", "history": [{"id": "old", "ts": 0}]})
    env_a = envelope()
    a = adapter.get_attributes(env_a)
    adapter.delete_attributes(envelope())                # "forget me" from another device
    a["history"].append({"id": "new", "ts": 1})
    adapter.save_attributes(env_a, a)
    assert adapter.get_attributes(envelope()) == {"history": [{"id": "new", "ts": 1}]}


def test_handler_mutating_loaded_dict_in_place_is_still_merged(config):
    """The SDK hands handlers the very dict returned by get_attributes."""
    adapter = make_persistence_adapter(config)
    adapter.save_attributes(envelope(), {"streak": 1})
    env_a = envelope()
    a = adapter.get_attributes(env_a)
    other = envelope()
    o = adapter.get_attributes(other)
    o["streak"] = 2
    adapter.save_attributes(other, o)
    a["pace"] = "slow"                                    # in-place edit, streak untouched
    adapter.save_attributes(env_a, a)
    assert adapter.get_attributes(envelope()) == {"streak": 2, "pace": "slow"}


def test_history_cap_applies_on_save(config):
    adapter = SqlitePersistenceAdapter(parse_database_setting("", config["SKILL_DATA_DIR"])["path"],
                                       ListenerKeys("s"), history_max_records=5)
    for i in range(8):
        env = envelope()
        attrs = adapter.get_attributes(env)
        attrs.setdefault("history", []).append({"id": i, "ts": i})
        adapter.save_attributes(env, attrs)
    assert [r["id"] for r in adapter.get_attributes(envelope())["history"]] == [3, 4, 5, 6, 7]


def test_threads_share_one_adapter(config):
    adapter = make_persistence_adapter(config)
    written = append_from_threads(adapter, 4, 15)
    assert {r["id"] for r in adapter.get_attributes(envelope())["history"]} == written
    assert len(adapter.bases) <= adapter.bases.max_requests


def test_unchanged_save_does_not_write(config, db_path):
    adapter = make_persistence_adapter(config)
    adapter.save_attributes(envelope(), {"pace": "slow"})
    with sqlite3.connect(db_path) as conn:
        before = conn.execute("SELECT updated_at_ms FROM listener_attributes").fetchone()[0]
        conn.execute("UPDATE listener_attributes SET updated_at_ms = 1")
    env = envelope()
    adapter.save_attributes(env, adapter.get_attributes(env))
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT updated_at_ms FROM listener_attributes").fetchone()[0] == 1
    assert before > 1


def test_files_are_owner_only(config, db_path):
    import stat
    make_persistence_adapter(config).save_attributes(envelope(), {"pace": "slow"})
    for path in db_path.parent.iterdir():   # the database, its -wal and -shm, the secret
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    assert stat.S_IMODE(db_path.parent.stat().st_mode) == 0o700


def test_sqlite_settings(config, db_path):
    adapter = make_persistence_adapter(config)
    adapter.get_attributes(envelope())
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn = adapter._connection()
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1   # NORMAL
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == sqlite_adapter.BUSY_TIMEOUT_S * 1000


# -- configuration --------------------------------------------------------------------

def test_database_setting_forms(tmp_path):
    assert parse_database_setting("", "d") == {"kind": "sqlite",
                                               "path": "d/compassion-coach.sqlite3"}
    assert parse_database_setting("sqlite:////abs/x.db")["path"] == "/abs/x.db"
    assert parse_database_setting("sqlite:///rel/x.db")["path"] == "rel/x.db"
    assert parse_database_setting("dynamodb://cc-table?region=eu-west-1") == {
        "kind": "dynamodb", "table": "cc-table", "region": "eu-west-1", "endpoint_url": None,
        "create_table": False}
    assert parse_database_setting("dynamodb://cc-table?region=eu-west-1&create_table=1")[
        "create_table"] is True
    assert parse_database_setting(
        "dynamodb://cc.t_1?region=eu-west-1&endpoint_url=http://127.0.0.1:5000")["endpoint_url"] \
        == "http://127.0.0.1:5000"


@pytest.mark.parametrize("bad", [
    "postgres://x", "sqlite://", "sqlite:///", "sqlite:///:memory:", "/just/a/path",
    "dynamodb://", "dynamodb://t", "dynamodb://table", "dynamodb://table?region=",
    "dynamodb://table?region=a&bogus=1", "dynamodb://table?region=a&endpoint_url=ftp://x",
    "dynamodb://table/path?region=a", "dynamodb://table?region=a&region=b",
    "dynamodb://table?region=a&create_table=yes",
])
def test_bad_database_setting_is_one_line_value_error(tmp_path, bad):
    with pytest.raises(ValueError) as info:
        make_persistence_adapter({"SKILL_DATA_DIR": str(tmp_path), "SKILL_DATABASE": bad})
    message = str(info.value)
    assert "\n" not in message and "sqlite:///PATH" in message and "dynamodb://TABLE" in message


def test_explicit_sqlite_path(tmp_path):
    path = tmp_path / "elsewhere" / "cc.db"
    adapter = make_persistence_adapter({"SKILL_DATA_DIR": str(tmp_path / "d"),
                                        "SKILL_DATABASE": f"sqlite:///{path}"})
    adapter.save_attributes(envelope(), {"x": 1})
    assert path.exists() and not (tmp_path / "d" / "compassion-coach.sqlite3").exists()


def test_configured_secret_writes_no_secret_file(tmp_path):
    adapter = make_persistence_adapter({"SKILL_DATA_DIR": str(tmp_path / "d"),
                                        "USER_KEY_SECRET": "operator secret"})
    adapter.save_attributes(envelope(), {"x": 1})
    assert not (tmp_path / "d" / "user-key.secret").exists()
    assert adapter.keys.key_for(envelope()) == ListenerKeys("operator secret").key_for(envelope())


# -- schema ---------------------------------------------------------------------------

def _columns(db_path):
    with sqlite3.connect(db_path) as conn:
        return [r[1] for r in conn.execute("PRAGMA table_info(listener_attributes)")]


def _user_version(db_path):
    with sqlite3.connect(db_path) as conn:
        return conn.execute("PRAGMA user_version").fetchone()[0]


def test_fresh_file_gets_current_schema(config, db_path):
    make_persistence_adapter(config).get_attributes(envelope())
    assert _user_version(db_path) == SCHEMA_VERSION == 2
    assert _columns(db_path) == ["listener_key", "attributes_json", "updated_at_ms"]


def test_version_1_file_is_migrated_and_keeps_data(tmp_path):
    db_path = tmp_path / "old.sqlite3"
    key = ListenerKeys("s").key_for_user_id(USER_ID)
    with sqlite3.connect(db_path) as conn:   # the version-1 layout, written by hand
        conn.execute("CREATE TABLE listener_attributes (listener_key TEXT PRIMARY KEY NOT NULL,"
                     " attributes_json TEXT NOT NULL) WITHOUT ROWID")
        conn.execute("INSERT INTO listener_attributes VALUES (?, ?)", (key, '{"pace": "slow"}'))
        conn.execute("PRAGMA user_version = 1")
    adapter = make_persistence_adapter({"SKILL_DATABASE": f"sqlite:///{db_path}",
                                        "USER_KEY_SECRET": "s"})
    assert adapter.get_attributes(envelope()) == {"pace": "slow"}
    assert _user_version(db_path) == 2
    assert _columns(db_path) == ["listener_key", "attributes_json", "updated_at_ms"]
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT updated_at_ms FROM listener_attributes").fetchone()[0] == 0
        indexes = [r[1] for r in conn.execute("PRAGMA index_list(listener_attributes)")]
    assert "listener_attributes_updated_at" in indexes
    adapter.save_attributes(envelope(), {"pace": "fast"})
    assert adapter.get_attributes(envelope()) == {"pace": "fast"}


def test_newer_schema_is_refused(tmp_path, caplog):
    db_path = tmp_path / "future.sqlite3"
    with sqlite3.connect(db_path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    adapter = make_persistence_adapter({"SKILL_DATABASE": f"sqlite:///{db_path}"})
    with caplog.at_level(logging.ERROR, LOGGER), pytest.raises(PersistenceException):
        adapter.get_attributes(envelope())
    assert "newer" in caplog.text


# -- failures -------------------------------------------------------------------------

def _assert_fails_cleanly(adapter, caplog):
    """Each operation: PersistenceException (not sqlite3/OSError), exactly one error line,
    no user id in the log; health check False; nothing raised when the adapter was made."""
    calls = [lambda: adapter.get_attributes(envelope()),
             lambda: adapter.save_attributes(envelope(), {"pace": "slow"}),
             lambda: adapter.delete_attributes(envelope())]
    for call in calls:
        caplog.clear()
        with caplog.at_level(logging.DEBUG, LOGGER):
            with pytest.raises(PersistenceException) as info:
                call()
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1, caplog.text
        assert "\n" not in errors[0].getMessage()
        assert USER_ID not in caplog.text and "slow" not in caplog.text
        assert not isinstance(info.value, (sqlite3.Error, OSError))
    assert health_check(adapter) is False


def test_corrupt_file(tmp_path, caplog):
    db_path = tmp_path / "data" / "compassion-coach.sqlite3"
    db_path.parent.mkdir()
    garbage = bytes(range(256)) * 64
    db_path.write_bytes(garbage)
    adapter = make_persistence_adapter({"SKILL_DATA_DIR": str(tmp_path / "data")})
    _assert_fails_cleanly(adapter, caplog)
    assert db_path.read_bytes() == garbage   # left alone for the operator to inspect
    # Recovers without a restart once the operator moves the bad file away.
    db_path.rename(tmp_path / "bad.sqlite3")
    adapter.save_attributes(envelope(), {"pace": "slow"})
    assert adapter.get_attributes(envelope()) == {"pace": "slow"}


def test_truncated_database_file(config, db_path, caplog):
    adapter = make_persistence_adapter(config)
    adapter.save_attributes(envelope(), {"pace": "slow", "pad": "x" * 20000})
    adapter.close()
    sqlite3.connect(db_path).execute("PRAGMA wal_checkpoint(TRUNCATE)").close()
    data = db_path.read_bytes()
    db_path.write_bytes(data[:100] + b"\xff" * (len(data) - 100))  # header kept, pages wrecked
    fresh = make_persistence_adapter(config)
    with caplog.at_level(logging.ERROR, LOGGER), pytest.raises(PersistenceException):
        fresh.get_attributes(envelope())
    assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1


@pytest.mark.parametrize("where", ["under_a_file", "is_a_directory", "in_procfs"])
def test_unwritable_location(tmp_path, caplog, where):
    # Tests run as root, so chmod cannot make anything unwritable; these paths are
    # unwritable for root too.
    if where == "under_a_file":
        (tmp_path / "plain-file").write_text("x")
        path = tmp_path / "plain-file" / "cc.sqlite3"
    elif where == "is_a_directory":
        path = tmp_path / "dir.sqlite3"
        path.mkdir()
    else:
        path = "/proc/self/compassion-coach-test.sqlite3"
    adapter = make_persistence_adapter({"SKILL_DATABASE": f"sqlite:///{path}",
                                        "USER_KEY_SECRET": "s"})
    _assert_fails_cleanly(adapter, caplog)


def test_read_only_database_file(tmp_path, caplog):
    """An existing database that even root cannot write: immutable files (chattr +i)."""
    import shutil
    import subprocess
    db_path = tmp_path / "ro.sqlite3"
    config = {"SKILL_DATABASE": f"sqlite:///{db_path}", "USER_KEY_SECRET": "s"}
    writer = make_persistence_adapter(config)
    writer.save_attributes(envelope(), {"pace": "slow"})
    writer.close()   # last connection: SQLite checkpoints and removes -wal/-shm
    files = [str(p) for p in tmp_path.glob("ro.sqlite3*")]
    if not shutil.which("chattr") or subprocess.run(
            ["chattr", "+i", *files], capture_output=True).returncode != 0:
        pytest.skip("chattr +i not available here (needs ext4-like fs and CAP_LINUX_IMMUTABLE)")
    try:
        adapter = make_persistence_adapter(config)
        caplog.clear()
        with caplog.at_level(logging.ERROR, LOGGER), pytest.raises(PersistenceException):
            adapter.save_attributes(envelope(), {"pace": "fast"})
        assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1
    finally:
        subprocess.run(["chattr", "-i", *files], check=True)


def test_health_check(config, tmp_path):
    adapter = make_persistence_adapter(config)
    assert health_check(adapter) is True
    assert health_check(config) is True
    assert health_check({"SKILL_DATABASE": "nonsense"}) is False


def test_making_the_adapter_never_touches_storage(tmp_path):
    (tmp_path / "plain-file").write_text("x")
    adapter = make_persistence_adapter({"SKILL_DATA_DIR": str(tmp_path / "plain-file" / "d")})
    assert adapter is not None   # the failure waits for the first request
    with pytest.raises(PersistenceException):
        adapter.get_attributes(envelope())


# -- the listener-key secret -----------------------------------------------------------

def test_lost_secret_file_with_records_is_refused_not_regenerated(config, db_path, caplog):
    # A new secret would make every stored listener a stranger, and "forget me" would
    # then report success while their old row stayed, unreachable.
    make_persistence_adapter(config).save_attributes(envelope(), {"pace": "slow"})
    secret_file = db_path.parent / "user-key.secret"
    secret_file.unlink()
    adapter = make_persistence_adapter(config)           # a restarted process
    with pytest.raises(PersistenceException, match="secret"):
        adapter.get_attributes(envelope())
    assert not secret_file.exists()
    assert health_check(adapter) is False
    assert "user-key.secret" in caplog.text and "USER_KEY_SECRET" in caplog.text
    with sqlite3.connect(db_path) as conn:             # the records are untouched
        assert conn.execute("SELECT count(*) FROM listener_attributes").fetchone()[0] == 1


def test_secret_is_generated_for_an_empty_database(config, db_path):
    # Control: a first start (or a database emptied by "forget me") mints one.
    adapter = make_persistence_adapter(config)
    adapter.save_attributes(envelope(), {"pace": "slow"})
    adapter.delete_attributes(envelope())
    (db_path.parent / "user-key.secret").unlink()
    fresh = make_persistence_adapter(config)
    assert fresh.get_attributes(envelope()) == {}
    assert (db_path.parent / "user-key.secret").exists()
    assert health_check(fresh) is True
