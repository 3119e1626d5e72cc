"""What the conversation keeps between turns.

Session attributes (on the device, for this session): the practice in progress, what a
yes or no would do, the check-in rating stage, the last thing said (for "repeat").
Persistent attributes (the listener's memory, through the SDK's persistence adapter):
preferences, history, a paused practice. Handlers use these helpers, never raw dicts.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid

from ask_sdk_core.exceptions import AttributesManagerException, PersistenceException

from skill import catalogue, device_zone, render

DEFAULT_LOCALE = "en-US"
log = logging.getLogger(__name__)


def locale(hi) -> str:
    loc = getattr(hi.request_envelope.request, "locale", None) or DEFAULT_LOCALE
    return loc if loc in catalogue.locales() else DEFAULT_LOCALE


def session(hi) -> dict:
    return hi.attributes_manager.session_attributes


def memory(hi) -> dict | None:
    """The listener's stored attributes, or None when storage is unavailable this session."""
    s = session(hi)
    if s.get("memory_off"):
        return None
    try:
        return hi.attributes_manager.persistent_attributes
    except PersistenceException:
        log.error("persistence unavailable; continuing without memory")
        s["memory_off"] = True
        return None
    except AttributesManagerException:   # the skill was built without a persistence adapter
        s["memory_off"] = True
        return None


def save(hi) -> None:
    """Write memory back if this request read it. Errors are logged, never spoken over."""
    am = hi.attributes_manager
    if session(hi).get("memory_off") or not getattr(am, "_persistent_attributes_set", False):
        return
    try:
        am.save_persistent_attributes()
    except PersistenceException:
        log.error("could not save the listener's memory")
        session(hi)["memory_off"] = True


def prefs(hi) -> dict:
    mem = memory(hi)
    return mem.setdefault("prefs", {}) if mem is not None else {}


def rate(hi) -> str:
    value = session(hi).get("rate") or prefs(hi).get("rate") or render.DEFAULT_RATE
    return value if value in render.RATES_PCT else render.DEFAULT_RATE


def wants_rating(hi) -> bool:
    return prefs(hi).get("checkin", True)


def set_pending(hi, yes: dict | None, no: dict | None = None) -> None:
    session(hi)["pending"] = {"yes": yes, "no": no}


def pop_pending(hi) -> dict:
    return session(hi).pop("pending", None) or {}


def zone_offset_min(hi) -> int | None:
    """Minutes east of UTC for the listener's device, asked once a session; None = UTC."""
    s = session(hi)
    if "zone_offset_min" not in s:
        origins = hi.attributes_manager.request_attributes.get("api_origins", device_zone.AMAZON_API_ORIGINS)
        s["zone_offset_min"] = device_zone.offset_minutes(hi.request_envelope, origins)
    return s["zone_offset_min"]


def today(hi) -> dt.date:
    zone = zone_offset_min(hi)
    now = dt.datetime.now(dt.timezone.utc)
    return (now + dt.timedelta(minutes=zone)).date() if zone is not None else now.date()


def record_practice(hi, script_id: str, params: dict, before: int | None) -> str | None:
    """Add a finished practice to the history; returns its id (for the rating after)."""
    mem = memory(hi)
    if mem is None:
        return None
    script = catalogue.get(script_id)
    entry = {"id": uuid.uuid4().hex, "ts": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
             "date": today(hi).isoformat(), "practice": script_id,
             "minutes": params.get("minutes", script.about_minutes), "before": before, "after": None}
    mem.setdefault("history", []).append(entry)
    if mem.get("paused", {}) and mem["paused"].get("id") == script_id:
        mem.pop("paused", None)
    return entry["id"]


def rate_after(hi, entry_id: str | None, after: int) -> None:
    mem = memory(hi)
    if mem is None or entry_id is None:
        return
    for entry in mem.get("history", []):
        if entry.get("id") == entry_id:
            entry["after"] = after


def usual_practice(hi) -> str | None:
    mem = memory(hi) or {}
    counts: dict[str, int] = {}
    for entry in mem.get("history", [])[-20:]:
        if entry.get("practice") in catalogue.scripts():
            counts[entry["practice"]] = counts.get(entry["practice"], 0) + 1
    return max(counts, key=counts.get) if counts else None
