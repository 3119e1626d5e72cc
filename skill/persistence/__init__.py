"""Where a listener's persistent attributes live, behind the ASK SDK's persistence adapter.

    adapter = make_persistence_adapter(config)      # never touches storage
    CustomSkillBuilder(persistence_adapter=adapter)  # handlers use attributes_manager
    health_check(adapter) -> bool                     # for GET /healthz

Config keys (plain dict; defaults when absent or empty):
    SKILL_DATA_DIR   "data"
    SKILL_DATABASE   ""  -> SQLite file <SKILL_DATA_DIR>/compassion-coach.sqlite3
                     "sqlite:///PATH"  -> SQLite file PATH ("sqlite:////abs/path" is absolute,
                                          "sqlite:///rel/path" relative, as in SQLAlchemy)
                     "dynamodb://TABLE?region=REGION[&endpoint_url=URL][&create_table=1]"
                                       -> DynamoDB; the table must exist (the deployment
                                          makes it) unless create_table=1 (local use).
                     anything else -> ValueError naming these forms.
    USER_KEY_SECRET  ""  -> 32 random bytes generated once into <SKILL_DATA_DIR>/user-key.secret
                            (0600), as 64 hex chars. The HMAC key is the secret text, so
                            that file's content can be copied into USER_KEY_SECRET. Set it
                            explicitly when several hosts share one database.

Stored data. One record per listener, keyed by HMAC-SHA256(secret, Amazon userId) in hex
(skill.listener_key); the userId itself is never stored or logged, nor is any attribute
content. The record is the JSON object the handlers put in persistent_attributes: any
JSON values (no NaN; on DynamoDB a float that is integral comes back as int). One key is
special: "history", a list of records, each a dict with a unique "id" (any JSON value)
and a "ts" (numbers, e.g. epoch seconds, or ISO-8601 UTC strings; one type throughout).

Merge on save (no lost update). The SDK loads attributes when a request starts and saves
the whole dict when it ends, so two overlapping requests for one listener would otherwise
overwrite each other. Each load is remembered per request (request.requestId, bounded,
thread-safe) as the BASE; at save, inside one write transaction, the record stored NOW
(THEIRS) is merged with what this request saves (MINE):
  * "history" (when MINE's is a list): records are matched by "id" (by content if they
    have none). Kept: every record in THEIRS or MINE, except one that was in BASE and is
    missing from MINE or THEIRS (a side deliberately removed it: it stays removed). A
    record present on both sides that MINE changed takes MINE's version. Result sorted by
    "ts" (stable; no ts = oldest) and capped at HISTORY_MAX_RECORDS, oldest dropped.
  * every other key: if MINE differs from BASE (set, changed or deleted), MINE wins;
    otherwise THEIRS is kept (including THEIRS having deleted it). Where MINE and THEIRS
    both hold an object (e.g. "prefs"), the same rule applies inside it, key by key, so
    two overlapping requests that change different preferences both land.
  * a save whose load was not remembered merges as if BASE were {}: its keys win, its
    history records are added, nothing is removed.
  * a save that changed nothing since its load writes nothing.
After delete_attributes ("forget me") a racing save that loaded earlier keeps only what
it changed itself; everything it merely carried over stays deleted.

Backends:
  * SQLite (default): standard-library sqlite3, one file, WAL, synchronous=NORMAL,
    busy timeout, one connection per thread per process; schema versioned in
    PRAGMA user_version and migrated by the code (sqlite_adapter.MIGRATIONS). Merge runs
    in BEGIN IMMEDIATE, so concurrent gunicorn workers serialise on the file lock. A
    process killed mid-write loses nothing it committed (WAL + NORMAL survive process
    death; only power loss can drop the last commits).
    Files are created owner-only (directory 0700, database 0600); relative paths are
    relative to the working directory.
  * DynamoDB: a standard-library client (dynamodb_client: the JSON protocol, SigV4; one
    connection per thread per process), made on first use; no CreateTable at start-up
    unless create_table=1. Items keep ask_sdk_dynamodb's DynamoDbAdapter layout {"id": key,
    "attributes": map} plus "revision". The SDK's own save is last-write-wins; here save
    does the same merge as an optimistic conditional write (re-read and re-merge when
    another writer changed "revision" in between). Numbers go through Decimal.
Failures (corrupt or unwritable file, unreachable table, missing secret) log one error
line and raise ask_sdk_core.exceptions.PersistenceException; nothing fails at import
or when the adapter is made.
"""
from __future__ import annotations

import logging
import os
import re
from urllib.parse import parse_qs, urlsplit

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter

from skill.listener_key import ListenerKeys
from skill.persistence.merge import HISTORY_MAX_RECORDS, merge_attributes  # noqa: F401 (re-export)

log = logging.getLogger("skill.persistence")

DEFAULT_DATA_DIR = "data"
DEFAULT_SQLITE_FILENAME = "compassion-coach.sqlite3"
ACCEPTED_DATABASE_FORMS = ("SKILL_DATABASE must be empty, 'sqlite:///PATH' or "
                           "'dynamodb://TABLE?region=REGION[&endpoint_url=URL][&create_table=1]'")
_DYNAMODB_TABLE_NAME = re.compile(r"[A-Za-z0-9_.-]{3,255}")

__all__ = ["make_persistence_adapter", "health_check", "parse_database_setting",
           "HISTORY_MAX_RECORDS", "merge_attributes"]


def _setting(config: dict, name: str, default: str) -> str:
    value = config.get(name)
    if value is None or value == "":
        return default
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string")
    return value


def parse_database_setting(database: str, data_dir: str = DEFAULT_DATA_DIR) -> dict:
    """SKILL_DATABASE -> {"kind": "sqlite", "path"} or
    {"kind": "dynamodb", "table", "region", "endpoint_url", "create_table"}; ValueError
    otherwise."""
    database = (database or "").strip()
    if not database:
        return {"kind": "sqlite", "path": os.path.join(data_dir, DEFAULT_SQLITE_FILENAME)}
    bad = ValueError(f"{ACCEPTED_DATABASE_FORMS}.")
    if database.startswith("sqlite:///"):
        path = database[len("sqlite:///"):]
        if not path or path.startswith(":memory:") or "?" in path:
            raise bad  # in-memory would not be shared between workers; no URL options
        return {"kind": "sqlite", "path": path}
    if database.startswith("dynamodb://"):
        parts = urlsplit(database)
        try:
            query = parse_qs(parts.query, strict_parsing=True) if parts.query else {}
        except ValueError:
            raise bad from None
        region = query.get("region", [""])
        endpoint = query.get("endpoint_url", [""])
        create = query.get("create_table", ["0"])
        if (not _DYNAMODB_TABLE_NAME.fullmatch(parts.netloc) or parts.path not in ("", "/")
                or set(query) - {"region", "endpoint_url", "create_table"} or len(region) != 1
                or create not in (["0"], ["1"])
                or not region[0] or len(endpoint) != 1
                or (endpoint[0] and urlsplit(endpoint[0]).scheme not in ("http", "https"))):
            raise bad
        return {"kind": "dynamodb", "table": parts.netloc, "region": region[0],
                "endpoint_url": endpoint[0] or None, "create_table": create == ["1"]}
    raise bad


def make_persistence_adapter(config: dict) -> AbstractPersistenceAdapter:
    """The adapter for CustomSkillBuilder. Raises ValueError for a bad SKILL_DATABASE;
    otherwise never fails here (storage is first touched by the first request)."""
    data_dir = _setting(config, "SKILL_DATA_DIR", DEFAULT_DATA_DIR)
    target = parse_database_setting(_setting(config, "SKILL_DATABASE", ""), data_dir)
    keys = ListenerKeys(_setting(config, "USER_KEY_SECRET", ""), data_dir)
    # Python-only tunable (tests of the merge use a larger one); the default suits the skill.
    cap = int(config.get("HISTORY_MAX_RECORDS", HISTORY_MAX_RECORDS))
    if target["kind"] == "sqlite":
        from skill.persistence.sqlite_adapter import SqlitePersistenceAdapter
        return SqlitePersistenceAdapter(target["path"], keys, history_max_records=cap)
    if keys.secret_is_generated:
        log.warning("persistence: USER_KEY_SECRET is not set; every host that shares this "
                    "DynamoDB table must use the same secret or listeners are not found")
    from skill.persistence.dynamodb_adapter import DynamoDbPersistenceAdapter
    return DynamoDbPersistenceAdapter(target["table"], target["region"],
                                      target["endpoint_url"], keys, history_max_records=cap,
                                      create_table=target["create_table"])


def health_check(adapter_or_config) -> bool:
    """True when storage answers a cheap query and the listener-key secret is available.
    Never raises. Prefer passing the running adapter; a config dict builds a throwaway one."""
    adapter = adapter_or_config
    if isinstance(adapter_or_config, dict):
        try:
            adapter = make_persistence_adapter(adapter_or_config)
        except ValueError as e:
            log.error("persistence: health check: %s", e)
            return False
    check = getattr(adapter, "health_check", None)
    if check is None:
        return False
    try:
        return bool(check())
    finally:
        if isinstance(adapter_or_config, dict) and hasattr(adapter, "close"):
            adapter.close()
