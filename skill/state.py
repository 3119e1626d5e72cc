"""What the conversation keeps between turns.

Session attributes (on the device, for this session): the practice in progress, the
question just asked (skill/questions.py), the check-in rating stage with its numbers, the
last thing said (for "repeat").
Persistent attributes (the listener's memory, through the SDK's persistence adapter):
preferences, history (ratings only with consent), a paused practice, whether the disclaimer
was heard. Handlers use these helpers, never raw dicts.
"""
from __future__ import annotations

import datetime as dt
import logging

from ask_sdk_core.exceptions import AttributesManagerException, PersistenceException

from skill import breathing, catalogue, danger, device_zone, progress, questions, render

DEFAULT_LOCALE = "en-US"
log = logging.getLogger(__name__)


def locale(hi) -> str:
    loc = getattr(hi.request_envelope.request, "locale", None) or DEFAULT_LOCALE
    return loc if loc in catalogue.locales() else DEFAULT_LOCALE


def session(hi) -> dict:
    if hi.request_envelope.session is None:
        # AudioPlayer and PlaybackController requests, skill events: no session; a scratch
        # dict for this request, so the helpers below work the same
        return hi.attributes_manager.request_attributes.setdefault("no_session", {})
    return hi.attributes_manager.session_attributes


MAX_ZONE_OFFSET_MIN = 14 * 60
PAUSED_OFFER_MAX_DAYS = 7        # a paused place older than this is not offered again
MINUTES_PER_DAY = 24 * 60
RATING_STAGES = ("before", "started", "after")


def practice_ok(p) -> bool:
    try:
        catalogue.get(p["id"]).resolve(**p["params"])
        return isinstance(p["turn"], int) and p["turn"] >= 0
    except (TypeError, KeyError, ValueError, catalogue.ParamError):
        return False


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) < 1e6


CATEGORY_IDS = tuple(c.id for c in danger.categories())   # a tuple: an unhashable value is just absent


def _asked_ok(a) -> bool:
    """The question just asked, with what its answers need (an id, the other breathing slot,
    a danger category)."""
    return (isinstance(a, dict) and isinstance(a.get("q"), str) and a["q"] in questions.QUESTIONS
            and (a.get("id") is None or catalogue.known(a.get("id")))
            and all(a.get(k) is None or _number(a[k]) for k in ("minutes", "min", "max"))
            and all(a.get(k) is None or isinstance(a[k], str) for k in ("pattern", "feeling"))
            and (a.get("cat") is None or a["cat"] in CATEGORY_IDS))


def _rating_ok(r) -> bool:
    if not isinstance(r, dict) or r.get("stage") not in RATING_STAGES:
        return False
    before = r.get("before")
    if before is not None and not (isinstance(before, int) and 0 <= before <= 10):
        return False
    if r.get("then") is not None and not catalogue.known(r.get("then")):
        return False
    if r["stage"] == "before":
        return catalogue.known(r.get("id"))
    # started: a practice is under way with a before-rating; after: that rating is asked
    return isinstance(before, int) and isinstance(r.get("entry"), (str, type(None)))


# What each session attribute may hold. Attributes come back from the device with every
# request, so anything else (an old version's shape, a hand-made request) is dropped
# rather than trusted.
SESSION_RULES = {
    "practice": practice_ok,
    "asked": _asked_ok,
    "rating": _rating_ok,
    "last": lambda v: isinstance(v, dict) and all(isinstance(v.get(k), str) for k in ("speech", "reprompt")),
    "rate": lambda v: isinstance(v, str) and v in render.RATES_PCT,
    "memory_off": lambda v: isinstance(v, bool),
    "told": lambda v: isinstance(v, bool),
    "crisis": lambda v: isinstance(v, str) and v in CATEGORY_IDS,
    "zone_offset_min": lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool)
                                               and abs(v) <= MAX_ZONE_OFFSET_MIN),
}


def crisis(hi) -> str | None:
    """The danger category answered in this session, if any: for the session only, never
    stored (nothing about a listener's mental health is kept without consent)."""
    return session(hi).get("crisis")


def set_crisis(hi, category_id: str) -> None:
    session(hi)["crisis"] = category_id


def clean_session(hi) -> None:
    if hi.request_envelope.session is None:   # skill events, CanFulfill: no session
        return
    attrs = hi.attributes_manager.session_attributes
    if not isinstance(attrs, dict):
        hi.attributes_manager.session_attributes = {}
        return
    for key in list(attrs):
        rule = SESSION_RULES.get(key)
        if rule is None or not rule(attrs[key]):
            del attrs[key]


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
    if session(hi).get("memory_off"):
        return
    try:
        hi.attributes_manager.save_persistent_attributes()   # a no-op unless memory was read
    except AttributesManagerException:   # built without a persistence adapter
        return
    except PersistenceException:
        log.error("could not save the listener's memory")
        session(hi)["memory_off"] = True


PREF_RULES = {
    "rate": lambda v: isinstance(v, str) and v in render.RATES_PCT,
    "checkin": lambda v: isinstance(v, bool),
    "minutes": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "pattern": lambda v: isinstance(v, str) and v in breathing.patterns(),
    "remember_ratings": lambda v: isinstance(v, bool),
}


def prefs(hi) -> dict:
    """The listener's preferences; values of the wrong shape are dropped, not trusted."""
    mem = memory(hi)
    if mem is None:
        return {}
    if not isinstance(mem.get("prefs"), dict):
        mem["prefs"] = {}
    p = mem["prefs"]
    for key in [k for k, v in p.items() if not PREF_RULES.get(k, lambda _: False)(v)]:
        del p[key]
    return p


def rate(hi) -> str:
    """The listener's speaking rate, read from memory once a session and kept in it."""
    s = session(hi) if hi.request_envelope.session is not None else {}
    if s.get("rate") not in render.RATES_PCT:
        value = prefs(hi).get("rate")
        s["rate"] = value if value in render.RATES_PCT else render.DEFAULT_RATE
    return s["rate"]


def wants_rating(hi) -> bool:
    return prefs(hi).get("checkin", True)


def set_asked(hi, question: str | None, context: dict | None = None) -> None:
    """Remember the question this response asks (None: it asks nothing)."""
    if question is None:
        session(hi).pop("asked", None)
    else:
        session(hi)["asked"] = {"q": question, **(context or {})}


def asked(hi) -> dict | None:
    if hi.request_envelope.session is None:
        return None
    return session(hi).get("asked")


def remembers_ratings(hi) -> bool:
    """Ratings are kept past the session only when the listener asked for that."""
    return prefs(hi).get("remember_ratings") is True


def needs_disclaimer(hi) -> bool:
    """True until this listener has heard the disclaimer once (per session when memory is down)."""
    if session(hi).get("told"):
        return False
    mem = memory(hi)
    if mem is None:
        return True
    # Listeners from before this flag existed heard the first welcome already.
    told = bool(mem.get("told") or mem.get("history") or mem.get("paused"))
    if told:
        session(hi)["told"] = True   # read memory for this once a session
    return not told


def mark_told(hi) -> None:
    session(hi)["told"] = True
    mem = memory(hi)
    if mem is not None:
        mem["told"] = True


def first_time(hi) -> bool:
    """No practice finished yet: scripts add a word for newcomers (e.g. not while driving)."""
    return not history(hi)


def pause_here(hi) -> bool:
    """Save the practice or explanation in progress as paused, with when; True if there was one."""
    p = session(hi).get("practice")
    if not p or not practice_ok(p):
        return False
    keep_place(hi, p["id"], p["params"], p["turn"])
    return True


def keep_place(hi, script_id: str, params: dict, turn: int, offset_ms: int | None = None) -> None:
    """Remember where the listener stopped, to offer it on the next launch. `offset_ms`: how
    far into the tone track (skill/handlers/audio_player.py); None for the spoken turns."""
    mem = memory(hi)
    if mem is None:
        return
    mem["paused"] = {"id": script_id, "params": params, "turn": turn,
                     "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    if offset_ms is not None:
        mem["paused"]["offset_ms"] = max(0, int(offset_ms))


def paused_place(hi) -> dict | None:
    """The place to offer on launch, one rule for the spoken turns and the tone track: a
    known practice, saved less than PAUSED_OFFER_MAX_DAYS ago. An older place is let go
    quietly: after that long, "pick up where you left off" is more nag than help."""
    mem = memory(hi) or {}
    paused = mem.get("paused")
    if not isinstance(paused, dict) or not catalogue.known(paused.get("id")):
        return None
    ago = paused_minutes_ago(paused)
    if ago is not None and ago >= PAUSED_OFFER_MAX_DAYS * MINUTES_PER_DAY:
        mem.pop("paused", None)
        return None
    offset = paused.get("offset_ms")
    if offset is not None and not (_number(offset) and offset >= 0):
        paused.pop("offset_ms")
    return paused


def done_with(hi, script_id: str) -> None:
    """A practice or explanation heard to the end: a place paused in it is no longer needed
    (a place in another practice stays)."""
    mem = memory(hi)
    if mem is None:
        return
    paused = mem.get("paused")
    if not isinstance(paused, dict) or paused.get("id") == script_id:
        mem.pop("paused", None)


def paused_minutes_ago(paused: dict) -> int | None:
    """Whole minutes since a paused place was saved, or None when it carries no time."""
    try:
        at = dt.datetime.fromisoformat(paused["at"])
    except (KeyError, TypeError, ValueError):
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.timezone.utc)
    return max(0, int((dt.datetime.now(dt.timezone.utc) - at).total_seconds() // 60))


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


def history(hi) -> list[dict]:
    """The listener's finished practices (records of the wrong shape left out)."""
    mem = memory(hi)
    if mem is None:
        return []
    if not isinstance(mem.get("history"), list):
        mem["history"] = []
    entries = [e for e in mem["history"] if isinstance(e, dict)]
    if not remembers_ratings(hi):
        # Ratings say something about a person's mental health: kept only with consent.
        for e in entries:
            if e.get("before") is not None or e.get("after") is not None:
                e["before"] = e["after"] = None
    return entries


def record_practice(hi, script_id: str, params: dict, before: int | None,
                    entry_id: str | None = None) -> str | None:
    """Add a finished practice to the history; returns its id (for the rating after).
    `entry_id`: the entry record_minutes began for it, which now takes its whole length."""
    mem = memory(hi)
    if mem is None:
        return None
    minutes = params.get("minutes", catalogue.get(script_id).about_minutes)
    entry = _entry(hi, entry_id)
    if entry is not None:
        entry["minutes"] = minutes
    else:
        entry = _add_entry(hi, script_id, minutes, before)
    done_with(hi, script_id)
    return entry["id"]


def record_minutes(hi, script_id: str, minutes: float, entry_id: str | None = None) -> str | None:
    """Time given to a practice not (yet) heard to the end (the tone track, stopped partway):
    one entry for one listening, its minutes raised as it goes on, however often it is
    paused and resumed. Unlike record_practice, the paused place stays. Returns the id."""
    if memory(hi) is None:
        return None
    entry = _entry(hi, entry_id)
    if entry is None:
        return _add_entry(hi, script_id, minutes, None)["id"]
    if not _number(entry.get("minutes")) or entry["minutes"] < minutes:
        entry["minutes"] = minutes
    return entry["id"]


def _entry(hi, entry_id: str | None) -> dict | None:
    if entry_id is None:
        return None
    return next((e for e in history(hi) if e.get("id") == entry_id), None)


def _add_entry(hi, script_id: str, minutes: float, before: int | None) -> dict:
    import uuid   # here: uuid imports platform, which a cold start's launch does not need
    entry = {"id": uuid.uuid4().hex, "ts": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
             "date": today(hi).isoformat(), "practice": script_id, "minutes": minutes,
             "before": before if remembers_ratings(hi) else None, "after": None}
    mem = memory(hi)
    history(hi)
    mem["history"].append(entry)
    mem["streak"] = progress.extend_streak(mem.get("streak"), today(hi))
    return entry


def rate_after(hi, entry_id: str | None, after: int) -> None:
    mem = memory(hi)
    if mem is None or entry_id is None or not remembers_ratings(hi):
        return
    for entry in history(hi):
        if entry.get("id") == entry_id:
            entry["after"] = after


def usual_practice(hi) -> str | None:
    counts: dict[str, int] = {}
    for entry in history(hi)[-20:]:
        if catalogue.known(entry.get("practice")):
            counts[entry["practice"]] = counts.get(entry["practice"], 0) + 1
    return max(counts, key=counts.get) if counts else None
