"""SQLite persistence adapter (standard library sqlite3): one file, WAL, merge-on-save."""
from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import sqlite3
import threading

try:
    import fcntl
except ImportError:   # not on Windows: SQLite's busy handler alone takes turns there
    fcntl = None
import time

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.exceptions import PersistenceException

from skill.listener_key import ListenerKeys
from skill.persistence.merge import (
    BASE_MEMORY_MAX_REQUESTS, HISTORY_MAX_RECORDS, LoadedBases, dumps, merge_attributes,
    request_id_of, same_json,
)

log = logging.getLogger("skill.persistence")

# How long a writer waits for another process's write transaction before giving up.
# Transactions here last well under a millisecond; Alexa itself waits 8 s for an answer.
BUSY_TIMEOUT_S = 5.0
TABLE = "listener_attributes"
WAL_SWITCH_RETRY_MAX_S = 0.01
DATA_DIR_MODE = 0o700
DATABASE_FILE_MODE = 0o600
# The WAL keeps every earlier version of a page until a checkpoint resets it. Bounded so
# old versions of listeners' records do not pile up there: checkpoint every ~1000 pages
# (SQLite's default, said explicitly), and truncate the file back to 1 MiB after one.
WAL_AUTOCHECKPOINT_PAGES = 1000
WAL_SIZE_LIMIT_BYTES = 1024 * 1024

# SCHEMA_VERSION is kept in PRAGMA user_version. MIGRATIONS[v] takes a file from v-1 to v;
# a later version appends a step here, never edits an old one.
SCHEMA_VERSION = 2
MIGRATIONS: dict[int, tuple[str, ...]] = {
    # v1: one row per listener; the attributes as JSON text.
    1: (f"CREATE TABLE {TABLE} ("
        " listener_key TEXT PRIMARY KEY NOT NULL,"   # HMAC-SHA256(secret, userId) hex
        " attributes_json TEXT NOT NULL"
        ") WITHOUT ROWID",),
    # v2: last write time, so an operator can purge listeners idle for a long time.
    2: (f"ALTER TABLE {TABLE} ADD COLUMN updated_at_ms INTEGER NOT NULL DEFAULT 0",
        f"CREATE INDEX {TABLE}_updated_at ON {TABLE}(updated_at_ms)"),
}

# Connections a forked child inherited from its parent. SQLite forbids using them across
# fork(), and closing one in the child can drop the parent's locks, so they are parked
# here and never touched (nor garbage-collected, which would close them).
_INHERITED_ACROSS_FORK: list[sqlite3.Connection] = []


def _now_ms() -> int:
    return int(time.time() * 1000)


def _rollback_quietly(conn: sqlite3.Connection) -> None:
    """Undo an open transaction without masking the error that got us here."""
    try:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    except sqlite3.Error:
        pass


def _enable_wal(conn: sqlite3.Connection) -> str:
    """PRAGMA journal_mode=WAL, retried: on a fresh file several workers switching at once
    deadlock on the lock upgrade, and SQLite then fails one at once ("database is locked")
    without calling the busy handler. Once WAL is set (it is stored in the file) this is
    a no-op read."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            return str(conn.execute("PRAGMA journal_mode=WAL").fetchone()[0])
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(random.uniform(0.001, WAL_SWITCH_RETRY_MAX_S))


def _scrub_wal(conn: sqlite3.Connection) -> None:
    """After a record is deleted: copy the WAL into the main file (where secure_delete
    has zeroed the row) and truncate the WAL to nothing, so no earlier version of the
    record stays readable in it while connections stay open.

    TRUNCATE waits (busy handler) for other connections' reads to finish. If one still
    holds an old snapshot the WAL cannot be reset now; it is at the next checkpoint,
    and the delete has committed either way."""
    busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    if busy:
        log.warning("persistence: SQLite WAL still in use by a reader; a deleted record "
                    "stays in it until the next checkpoint")


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the file to SCHEMA_VERSION; returns the version found. Safe when several
    processes open a fresh file at once: the version is re-read under the write lock."""
    found = conn.execute("PRAGMA user_version").fetchone()[0]
    if found == SCHEMA_VERSION:
        return found
    if found > SCHEMA_VERSION:
        raise PersistenceException(
            f"The database schema (version {found}) is newer than this code ({SCHEMA_VERSION}).")
    conn.execute("BEGIN IMMEDIATE")
    try:
        found = conn.execute("PRAGMA user_version").fetchone()[0]
        for version in range(found + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[version]:
                conn.execute(statement)
        # DDL and user_version are transactional in SQLite: all steps land or none.
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION:d}")
        conn.execute("COMMIT")
    except BaseException:
        _rollback_quietly(conn)
        raise
    return found


class SqlitePersistenceAdapter(AbstractPersistenceAdapter):
    """One SQLite file shared by every worker process; one connection per thread per
    process, opened lazily so start-up never touches (or fails on) the file."""

    def __init__(self, path: str, keys: ListenerKeys,
                 history_max_records: int = HISTORY_MAX_RECORDS,
                 base_memory_max_requests: int = BASE_MEMORY_MAX_REQUESTS):
        self.path = os.path.abspath(path)
        self.keys = keys
        keys.guard_records(self._has_records)
        self.history_max_records = history_max_records
        self.bases = LoadedBases(base_memory_max_requests)
        self._local = threading.local()
        # Threads of one process take turns at the write lock here, where waiting is a
        # wake-up, rather than in SQLite's busy handler, which sleeps and retries.
        self._write_turn = threading.Lock()

    # -- connections -------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        # Practice history and ratings are personal: owner-only directory (when we create
        # it) and file. SQLite gives its -wal/-shm files the database file's mode.
        os.makedirs(os.path.dirname(self.path), mode=DATA_DIR_MODE, exist_ok=True)
        os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, DATABASE_FILE_MODE))
        # isolation_level=None: no implicit transactions; every write below says BEGIN itself.
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            mode = _enable_wal(conn)
            if str(mode).lower() != "wal":
                log.warning("persistence: SQLite journal mode is %s, not WAL", mode)
            # WAL + NORMAL: a committed transaction is in the WAL file (OS cache) before
            # COMMIT returns, so it survives the process being killed (SIGKILL, OOM).
            # Only a power loss/kernel crash can drop the last few commits.
            conn.execute("PRAGMA synchronous=NORMAL")
            # "Forget me": overwrite deleted content instead of leaving it in free pages.
            conn.execute("PRAGMA secure_delete=ON")
            conn.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES:d}")
            conn.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT_BYTES:d}")
            migrate(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            if self._local.pid == os.getpid():
                return conn
            _INHERITED_ACROSS_FORK.append(conn)
            self._local.conn = None
        conn = self._open()
        self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def _drop_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is None:
            return
        if self._local.pid != os.getpid():
            _INHERITED_ACROSS_FORK.append(conn)
            return
        try:
            conn.close()
        except sqlite3.Error:
            pass

    def close(self) -> None:
        """Close this thread's connection (the next call reopens)."""
        self._drop_connection()

    def _run(self, operation: str, work):
        """Run work(conn); any storage failure becomes one logged error line and a
        PersistenceException. Messages name the operation and error type, never a user
        id or attribute content (sqlite/OS messages name files and SQL, not values)."""
        try:
            return work(self._connection())
        except PersistenceException as e:
            self._drop_connection()
            log.error("persistence: SQLite %s failed: %s", operation, e)
            raise
        except (sqlite3.Error, OSError, ValueError, TypeError) as e:
            # ValueError/TypeError: stored text that is not JSON, or unsaveable attributes.
            self._drop_connection()
            log.error("persistence: SQLite %s failed: %s: %s", operation, type(e).__name__, e)
            raise PersistenceException(f"Could not {operation} listener data.") from e

    def _has_records(self) -> bool:
        conn = self._connection()
        return conn.execute(f"SELECT 1 FROM {TABLE} LIMIT 1").fetchone() is not None

    # -- AbstractPersistenceAdapter ------------------------------------------------------

    def get_attributes(self, request_envelope) -> dict:
        def work(conn):
            key = self.keys.key_for(request_envelope)
            row = conn.execute(f"SELECT attributes_json FROM {TABLE} WHERE listener_key = ?",
                               (key,)).fetchone()
            text = row[0] if row else "{}"
            attributes = json.loads(text)
            if not isinstance(attributes, dict):
                raise ValueError("stored attributes are not an object")
            self.bases.remember(request_id_of(request_envelope), key, text)
            return attributes
        return self._run("load", work)

    def save_attributes(self, request_envelope, attributes) -> None:
        def work(conn):
            key = self.keys.key_for(request_envelope)
            mine_text = dumps(attributes if attributes is not None else {})
            request_id = request_id_of(request_envelope)
            base_text = self.bases.recall_text(request_id, key)
            if mine_text == base_text:
                return  # the same text as loaded (the usual turn): nothing to write
            mine = json.loads(mine_text)  # a private deep copy, JSON-normalised
            if not isinstance(mine, dict):
                raise TypeError("attributes must be a dict")
            base = None if base_text is None else json.loads(base_text)
            if base is not None and same_json(mine, base):
                return  # unchanged since load: nothing to merge, skip the write lock
            with self._write_turn, self._writer_file_lock():
                merged_text = self._merge_and_write(conn, key, base, mine)
            # A second save in the same request merges against what is stored now.
            self.bases.remember(request_id, key, merged_text)
        self._run("save", work)

    @contextlib.contextmanager
    def _writer_file_lock(self):
        """Processes (gunicorn workers) take turns through a lock file beside the database:
        a blocked flock wakes the moment it is free, where SQLite's busy handler sleeps
        1, 2, 5, 10... ms between tries. SQLite's own locking still guards correctness."""
        if fcntl is None:
            yield
            return
        fd = getattr(self._local, "lock_fd", None)
        if fd is None or getattr(self._local, "lock_pid", None) != os.getpid():
            fd = os.open(f"{self.path}.writer-lock", os.O_RDWR | os.O_CREAT, 0o600)
            self._local.lock_fd, self._local.lock_pid = fd, os.getpid()
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def _merge_and_write(self, conn, key, base, mine) -> str:
        conn.execute("BEGIN IMMEDIATE")  # take the write lock before reading theirs
        try:
            row = conn.execute(
                f"SELECT attributes_json FROM {TABLE} WHERE listener_key = ?",
                (key,)).fetchone()
            theirs = json.loads(row[0]) if row else {}
            merged = merge_attributes(base, mine, theirs if isinstance(theirs, dict) else {},
                                      self.history_max_records)
            merged_text = dumps(merged)
            if merged:
                conn.execute(
                    f"INSERT INTO {TABLE} (listener_key, attributes_json, updated_at_ms)"
                    " VALUES (?, ?, ?) ON CONFLICT(listener_key) DO UPDATE SET"
                    " attributes_json = excluded.attributes_json,"
                    " updated_at_ms = excluded.updated_at_ms",
                    (key, merged_text, _now_ms()))
            elif row:
                conn.execute(f"DELETE FROM {TABLE} WHERE listener_key = ?", (key,))
            conn.execute("COMMIT")
        except BaseException:
            _rollback_quietly(conn)
            raise
        if row and not merged:
            _scrub_wal(conn)
        return merged_text

    def delete_attributes(self, request_envelope) -> None:
        def work(conn):
            key = self.keys.key_for(request_envelope)
            deleted = conn.execute(f"DELETE FROM {TABLE} WHERE listener_key = ?",
                                   (key,)).rowcount
            if deleted:
                _scrub_wal(conn)
            # Other requests' remembered bases stay: a racing save needs them to tell what it
            # merely carried over (stays deleted) from what it changed.
            self.bases.remember(request_id_of(request_envelope), key, "{}")
        self._run("delete", work)

    # -- health --------------------------------------------------------------------------

    def health_check(self) -> bool:
        """Cheap: opens (or reuses) the connection, reads one index page, loads the secret."""
        try:
            self._run("check", lambda conn: (
                conn.execute(f"SELECT 1 FROM {TABLE} LIMIT 1").fetchall(), self.keys.secret()))
            return True
        except PersistenceException:
            return False
