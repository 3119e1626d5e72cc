"""Request envelopes in the shape the Alexa developer console sends, for the offline runner and tests.

    s = new_session("en-GB")
    launch_request("en-GB", session=s)
    intent_request("BreathingIntent", {"minutes": "3"}, "en-GB", session=s)
    session_ended_request("USER_INITIATED", session=s)

Each call returns a plain dict (the JSON body Alexa POSTs), with a fresh requestId and the
current time. Slots: every slot the intent declares in the interaction model is present, as
Alexa sends them; filled ones carry `value`, `slotValue` and, for custom slot types,
`resolutions.resolutionsPerAuthority` (ER_SUCCESS_MATCH with the canonical value and id, or
ER_SUCCESS_NO_MATCH). Only keys that ask_sdk_model knows are emitted, so
DefaultSerializer().deserialize(json.dumps(env), RequestEnvelope) loses nothing.
"""
from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Mapping

from skill.tools import interaction_model as im
from skill.tools.utterances import ER_MATCH, ER_NO_MATCH, SlotValue, resolve_slot

ENVELOPE_VERSION = "1.0"
API_ENDPOINT = "https://api.amazonalexa.com"   # North America; EU/IN and FE differ, unused offline
# Placeholder ids in Alexa's formats: the offline runner has no real skill, user or device.
DEFAULT_APPLICATION_ID = "amzn1.ask.skill.00000000-0000-4000-8000-00000c0ac4c1"
DEFAULT_USER_ID = "amzn1.ask.account.OFFLINE0RUNNER0USER"
DEFAULT_DEVICE_ID = "amzn1.ask.device.OFFLINE0RUNNER0DEVICE"
SESSION_END_REASONS = ("USER_INITIATED", "ERROR", "EXCEEDED_MAX_REPROMPTS")


def _now() -> str:
    # Alexa's format: whole seconds, UTC, 'Z' (e.g. 2026-11-26T03:20:00Z).
    return datetime.now(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _request_id() -> str:
    return f"amzn1.echo-api.request.{uuid.uuid4()}"


@dataclass
class Session:
    """One conversation: the ids stay the same, `new` is true only for its first request."""

    locale: str = "en-US"
    user_id: str = DEFAULT_USER_ID
    application_id: str = DEFAULT_APPLICATION_ID
    device_id: str = DEFAULT_DEVICE_ID
    session_id: str = field(default_factory=lambda: f"amzn1.echo-api.session.{uuid.uuid4()}")
    attributes: dict = field(default_factory=dict)
    new: bool = True


def new_session(locale: str = "en-US", user_id: str = DEFAULT_USER_ID,
                application_id: str = DEFAULT_APPLICATION_ID) -> Session:
    return Session(locale=locale, user_id=user_id, application_id=application_id)


def _envelope(request: dict, session: Session, new_session_flag: bool, attributes: dict | None,
              with_session: bool = True) -> dict:
    env = {
        "version": ENVELOPE_VERSION,
        "context": {
            "System": {
                "application": {"applicationId": session.application_id},
                "user": {"userId": session.user_id},
                "device": {"deviceId": session.device_id, "supportedInterfaces": {}},
                "apiEndpoint": API_ENDPOINT,
                "apiAccessToken": "OFFLINE-RUNNER-NO-TOKEN",
            }
        },
        "request": request,
    }
    if with_session:
        sess = {
            "new": new_session_flag,
            "sessionId": session.session_id,
            "application": {"applicationId": session.application_id},
            "user": {"userId": session.user_id},
        }
        # The console leaves `attributes` out of the first request of a session.
        if not new_session_flag:
            sess["attributes"] = copy.deepcopy(attributes if attributes is not None else session.attributes)
        env = {"version": env["version"], "session": sess, "context": env["context"], "request": request}
    return env


def _session_for(session: Session | None, locale: str, user_id: str | None, application_id: str | None) -> Session:
    if session is None:
        session = Session(locale=locale)
    if user_id:
        session.user_id = user_id
    if application_id:
        session.application_id = application_id
    return session


def launch_request(locale: str = "en-US", session: Session | None = None, user_id: str | None = None,
                   application_id: str | None = None) -> dict:
    """LaunchRequest ('Alexa, open compassion coach'): always the start of a new session."""
    session = _session_for(session, locale, user_id, application_id)
    request = {"type": "LaunchRequest", "requestId": _request_id(), "locale": locale, "timestamp": _now()}
    session.new = False
    return _envelope(request, session, True, None)


def _authority(application_id: str, slot_type: str) -> str:
    return f"amzn1.er-authority.echo-sdk.{application_id}.{slot_type}"


def _as_slot_value(raw, slot_type: str, locale: str) -> SlotValue | None:
    """Accept a SlotValue, a plain string (resolved like Alexa would) or None (unfilled)."""
    if raw is None or isinstance(raw, SlotValue):
        if isinstance(raw, SlotValue) and raw.slot_type is None:
            return SlotValue(raw.value, raw.resolved_id, raw.resolved_value, slot_type)
        return raw
    said = str(raw)
    resolved = resolve_slot(slot_type, said, locale)
    if resolved is None:   # e.g. an AMAZON.NUMBER that is no number: Alexa sends '?'
        return SlotValue("?", slot_type=slot_type)
    if slot_type.startswith("AMAZON."):
        return resolved
    return SlotValue(said, resolved.resolved_id, resolved.resolved_value, slot_type)


def _slot_json(name: str, sv: SlotValue | None, application_id: str, with_status: bool = True) -> dict:
    slot = {"name": name, "confirmationStatus": "NONE"} if with_status else {"name": name}
    if sv is None:
        return slot
    slot["value"] = sv.value
    simple = {"type": "Simple", "value": sv.value}
    if sv.slot_type and not sv.slot_type.startswith("AMAZON."):
        res = {"authority": _authority(application_id, sv.slot_type),
               "status": {"code": ER_MATCH if sv.resolved_id else ER_NO_MATCH}}
        if sv.resolved_id:
            res["values"] = [{"value": {"name": sv.resolved_value or sv.value, "id": sv.resolved_id}}]
        resolutions = {"resolutionsPerAuthority": [res]}
        slot["resolutions"] = resolutions
        simple["resolutions"] = copy.deepcopy(resolutions)
    slot["slotValue"] = simple
    return slot


def _intent_json(intent: str, slots: Mapping | None, locale: str, application_id: str,
                 with_status: bool = True) -> dict:
    declared = im.intent_slots(locale, intent)
    slots = dict(slots or {})
    unknown = set(slots) - set(declared)
    if unknown:
        raise KeyError(f"{intent} has no slot(s) {sorted(unknown)} in {locale}")
    out = {"name": intent}
    if with_status:
        out["confirmationStatus"] = "NONE"
    if declared:
        out["slots"] = {name: _slot_json(name, _as_slot_value(slots.get(name), stype, locale),
                                         application_id, with_status)
                        for name, stype in declared.items()}
    return out


def intent_request(intent: str, slots: Mapping | None = None, locale: str = "en-US",
                   session_attributes: dict | None = None, new_session: bool | None = None,
                   session: Session | None = None, user_id: str | None = None,
                   application_id: str | None = None, dialog_state: str | None = None) -> dict:
    """IntentRequest for an intent of the model. `slots`: {name: SlotValue | str | None}.
    `new_session` defaults to the session's own state (true for a one-shot 'ask ... for ...')."""
    session = _session_for(session, locale, user_id, application_id)
    is_new = session.new if new_session is None else new_session
    if session_attributes is not None:
        session.attributes = copy.deepcopy(session_attributes)
    request = {"type": "IntentRequest", "requestId": _request_id(), "locale": locale, "timestamp": _now(),
               "intent": _intent_json(intent, slots, locale, session.application_id)}
    if dialog_state:
        request["dialogState"] = dialog_state
    session.new = False
    return _envelope(request, session, is_new, session.attributes)


def request_for_match(m, locale: str = "en-US", session: Session | None = None, **kw) -> dict:
    """The envelope for what skill.tools.utterances.match() found; a None match is a LaunchRequest."""
    if m is None:
        return launch_request(locale, session=session)
    return intent_request(m.intent, m.slots, locale, session=session, **kw)


def session_ended_request(reason: str = "USER_INITIATED", locale: str = "en-US", session: Session | None = None,
                          error_type: str | None = None, error_message: str | None = None,
                          user_id: str | None = None, application_id: str | None = None) -> dict:
    """SessionEndedRequest; reason is one of SESSION_END_REASONS (ERROR carries `error`)."""
    if reason not in SESSION_END_REASONS:
        raise ValueError(f"reason must be one of {SESSION_END_REASONS}")
    session = _session_for(session, locale, user_id, application_id)
    request = {"type": "SessionEndedRequest", "requestId": _request_id(), "locale": locale,
               "timestamp": _now(), "reason": reason}
    if reason == "ERROR":
        request["error"] = {"type": error_type or "INVALID_RESPONSE", "message": error_message or "offline runner"}
    return _envelope(request, session, False, session.attributes)


def can_fulfill_intent_request(intent: str, slots: Mapping | None = None, locale: str = "en-US",
                               user_id: str | None = None, application_id: str | None = None) -> dict:
    """CanFulfillIntentRequest: Alexa asks, outside any session, whether the skill could handle
    a name-free request. Its slots have no confirmationStatus, and the session is always new."""
    session = _session_for(None, locale, user_id, application_id)
    request = {"type": "CanFulfillIntentRequest", "requestId": _request_id(), "locale": locale,
               "timestamp": _now(),
               "intent": _intent_json(intent, slots, locale, session.application_id, with_status=False)}
    return _envelope(request, session, True, None)
