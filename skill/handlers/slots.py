"""Reading slot values the way Alexa sends them: raw value, entity-resolution id, or nothing."""
from __future__ import annotations


def slot(hi, name: str):
    intent = getattr(hi.request_envelope.request, "intent", None)
    slots = getattr(intent, "slots", None) or {}
    return slots.get(name)


def raw(hi, name: str) -> str | None:
    s = slot(hi, name)
    return s.value if s is not None and s.value not in (None, "", "?") else None


def resolved_id(hi, name: str) -> str | None:
    """The canonical value when entity resolution matched (e.g. "self-critical"), else None."""
    from ask_sdk_model.slu.entityresolution import StatusCode   # only when a slot came: cold start
    s = slot(hi, name)
    res = getattr(s, "resolutions", None) if s is not None else None
    for authority in getattr(res, "resolutions_per_authority", None) or []:
        status = getattr(getattr(authority, "status", None), "code", None)
        if status == StatusCode.ER_SUCCESS_MATCH and authority.values:
            return authority.values[0].value.name
    return None


def number(hi, name: str) -> float | None:
    value = raw(hi, name)
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def all_raw(hi) -> list[str]:
    intent = getattr(hi.request_envelope.request, "intent", None)
    return [s.value for s in (getattr(intent, "slots", None) or {}).values() if s is not None and s.value]
