"""Three-way merge of a listener's attributes at save time, and the per-request memory
of what each request loaded (the merge base). Pure Python; no storage here.

See the package docstring (skill.persistence) for the rules in prose.
"""
from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict

HISTORY_KEY = "history"
HISTORY_ID_FIELD = "id"
HISTORY_TS_FIELD = "ts"
# Oldest records (by ts) are dropped beyond this; keeps one listener's row small, since
# every request that reads memory parses the whole row (about 150 bytes a record). A
# month or two of practice is what "how am I doing?" speaks of; the running streak is
# kept apart from the history (skill.state), so it is not cut short by this cap.
HISTORY_MAX_RECORDS = 60
# How many in-flight requests per process remember their loaded base. A request normally
# loads and saves within seconds; the bound only stops a leak from requests that never save.
BASE_MEMORY_MAX_REQUESTS = 1024
BASE_MEMORY_MAX_BYTES = 16 * 1024 * 1024   # counted in characters of JSON text
# Alexa allows a skill 8 s per request; a base older than this belongs to a dead request.
BASE_MEMORY_TTL_S = 120.0


def dumps(attributes) -> str:
    """Canonical storage text. Raises TypeError/ValueError for non-JSON values (NaN too)."""
    return json.dumps(attributes, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _record_key(record):
    if isinstance(record, dict) and HISTORY_ID_FIELD in record:
        record_id = record[HISTORY_ID_FIELD]
        if type(record_id) is str:      # the usual id, used as it is
            return ("id", record_id)
        return ("id-json", json.dumps(record_id, sort_keys=True))
    # No id: the record's content is its identity, so equal records are not duplicated.
    return ("content", json.dumps(record, sort_keys=True))


def _ts_sort_key(record):
    ts = record.get(HISTORY_TS_FIELD) if isinstance(record, dict) else None
    # Numbers and strings never compare with each other, so rank by type first;
    # records without ts count as oldest (dropped first by the cap).
    if isinstance(ts, (int, float)) and not isinstance(ts, bool):
        return (1, ts, "")
    if isinstance(ts, str):
        return (2, 0, ts)
    return (0, 0, "")


def same_json(a, b) -> bool:
    """Equal as stored JSON (Python's == would call True equal to 1, and 1 to 1.0).

    Compared in place rather than by serializing both: this runs for every history
    record on every save. A doubt (e.g. int and str keys that JSON would merge) answers
    "different", which only costs a merge."""
    if a is b:
        return True
    kind = type(a)
    if kind is not type(b):
        return False
    if kind is dict:
        return a.keys() == b.keys() and all(same_json(v, b[k]) for k, v in a.items())
    if kind is list:
        return len(a) == len(b) and all(map(same_json, a, b))
    if kind is float:
        return repr(a) == repr(b)       # -0.0 and 0.0 are stored differently
    return a == b


def _as_list(value) -> list:
    return value if isinstance(value, list) else []


def merge_history(base: list, mine: list, theirs: list,
                  max_records: int = HISTORY_MAX_RECORDS) -> list:
    """Union by id of records added on either side; a record either side removed
    (present in base, missing in mine or theirs) stays removed; a record both kept but
    this request changed takes this request's version. Sorted by ts (stable), capped."""
    base_by = {_record_key(r): r for r in base}
    mine_by = {_record_key(r): r for r in mine}
    theirs_by = {_record_key(r): r for r in theirs}
    removed = {k for k in base_by if k not in mine_by or k not in theirs_by}
    merged = {}
    for k, r in theirs_by.items():
        if k in removed:
            continue
        changed_by_me = k in mine_by and (
            k not in base_by or not same_json(mine_by[k], base_by[k]))
        merged[k] = mine_by[k] if changed_by_me else r
    for k, r in mine_by.items():
        if k not in removed and k not in merged:
            merged[k] = r
    return _sorted_capped(list(merged.values()), max_records)


def _sorted_capped(records: list, max_records: int) -> list:
    records = sorted(records, key=_ts_sort_key)   # stable: equal ts keep their order
    return records[-max_records:] if max_records > 0 else []


def merge_attributes(base: dict | None, mine: dict, theirs: dict | None,
                     history_max_records: int = HISTORY_MAX_RECORDS) -> dict:
    """The record to store when a request that loaded `base` saves `mine` while the
    store now holds `theirs`. base None (load not remembered) merges like base {}."""
    base = base or {}
    theirs = theirs or {}
    merged = _merge_objects(base, mine, theirs, history_max_records)
    if HISTORY_KEY in merged and isinstance(merged[HISTORY_KEY], list):
        # The cap holds even when the key was simply taken from one side.
        merged[HISTORY_KEY] = _sorted_capped(merged[HISTORY_KEY], history_max_records)
    return merged


def _merge_objects(base: dict, mine: dict, theirs: dict, history_max_records: int | None) -> dict:
    """Key by key; history_max_records None below the top level (no history there)."""
    merged = {}
    for key in dict.fromkeys([*theirs, *mine, *base]):   # union, stored order first
        if history_max_records is not None and key == HISTORY_KEY \
                and isinstance(mine.get(key), list) and isinstance(theirs.get(key, []), list):
            merged[key] = merge_history(_as_list(base.get(key)), mine[key],
                                        theirs.get(key, []), history_max_records)
            continue
        if type(mine.get(key)) is dict and type(theirs.get(key)) is dict \
                and type(base.get(key, {})) is dict:
            # Both sides kept an object (e.g. "prefs"): merge inside it, so two requests
            # that change different preferences both land.
            merged[key] = _merge_objects(base.get(key, {}), mine[key], theirs[key], None)
            continue
        in_mine, in_base = key in mine, key in base
        mine_changed = in_mine != in_base or (in_mine and not same_json(mine[key], base[key]))
        if mine_changed:
            if in_mine:
                merged[key] = mine[key]  # set or changed by this request
            # else: this request deleted the key
        elif key in theirs:
            merged[key] = theirs[key]
    return merged


class LoadedBases:
    """What each request loaded, keyed by (request_id, listener key); thread-safe, and
    bounded by count, total size and age (oldest dropped first). Stored as JSON text so
    later in-place edits by handlers cannot leak into the base (the SDK hands handlers
    the very dict returned by get_attributes). A base dropped before its save only
    weakens that save's merge to the base-{} rule; nothing is lost from history."""

    def __init__(self, max_requests: int = BASE_MEMORY_MAX_REQUESTS,
                 max_bytes: int = BASE_MEMORY_MAX_BYTES, ttl_s: float = BASE_MEMORY_TTL_S,
                 clock=time.monotonic):
        self.max_requests = max_requests
        self.max_bytes = max_bytes
        self.ttl_s = ttl_s
        self._clock = clock
        # (request_id, listener_key) -> (text, remembered_at_s); oldest first.
        self._entries: OrderedDict[tuple[str, str], tuple[str, float]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def _drop_oldest(self) -> None:
        _, (text, _) = self._entries.popitem(last=False)
        self._bytes -= len(text)

    def remember(self, request_id: str | None, listener_key: str, attributes_text: str) -> None:
        if not request_id:
            return
        now = self._clock()
        with self._lock:
            old = self._entries.pop((request_id, listener_key), None)
            if old is not None:
                self._bytes -= len(old[0])
            self._entries[(request_id, listener_key)] = (attributes_text, now)
            self._bytes += len(attributes_text)
            while self._entries and (
                    len(self._entries) > self.max_requests or self._bytes > self.max_bytes
                    or next(iter(self._entries.values()))[1] < now - self.ttl_s):
                self._drop_oldest()

    def recall_text(self, request_id: str | None, listener_key: str) -> str | None:
        if not request_id:
            return None
        with self._lock:
            entry = self._entries.get((request_id, listener_key))
        if entry is None or entry[1] < self._clock() - self.ttl_s:
            return None
        return entry[0]

    def recall(self, request_id: str | None, listener_key: str) -> dict | None:
        text = self.recall_text(request_id, listener_key)
        return None if text is None else json.loads(text)


def request_id_of(request_envelope) -> str | None:
    request = getattr(request_envelope, "request", None)
    rid = getattr(request, "request_id", None)
    return rid if isinstance(rid, str) and rid else None
