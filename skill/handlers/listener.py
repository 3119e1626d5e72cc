"""Remembering the listener: speaking rate, rating preference, progress, and forgetting
everything on request or when the skill is disabled."""
from __future__ import annotations

import logging

from ask_sdk_core.exceptions import PersistenceException

from skill import progress, state
from skill.handlers import on_intent, on_request
from skill.handlers.slots import raw, resolved_id
from skill.respond import dialog, reply

log = logging.getLogger(__name__)
ZONE_UTC = "U T C"


def _storage_down(hi):
    return reply(hi, dialog(hi, "storage_error"), reprompt=dialog(hi, "choices_reprompt"))


@on_intent("SetSpeakingRateIntent")
def set_rate(hi):
    speed = resolved_id(hi, "speed") or ("slower" if raw(hi, "speed") is None else None)
    if speed not in ("slower", "normal"):
        speed = "slower"
    state.session(hi)["rate"] = speed
    if state.memory(hi) is not None:
        state.prefs(hi)["rate"] = speed
    return reply(hi, dialog(hi, "rate_set", speed=speed), reprompt=dialog(hi, "choices_reprompt"))


@on_intent("CheckInPreferenceIntent")
def checkin_preference(hi):
    toggle = resolved_id(hi, "toggle") or "on"
    if state.memory(hi) is None:
        return _storage_down(hi)
    state.prefs(hi)["checkin"] = toggle == "on"
    return reply(hi, dialog(hi, "checkin_pref_set", toggle=toggle), reprompt=dialog(hi, "choices_reprompt"))


@on_intent("ProgressIntent")
def how_am_i_doing(hi):
    mem = state.memory(hi)
    if mem is None:
        return _storage_down(hi)
    p = progress.summarise(state.history(hi), state.today(hi), mem.get("streak"))
    zone = "your time zone" if state.zone_offset_min(hi) is not None else ZONE_UTC
    state.set_pending(hi, yes={"do": "start", "id": state.usual_practice(hi) or "breathing"}, no={"do": "choices"})
    return reply(hi, dialog(hi, "progress", sessions=p.sessions, days_week=p.days_week,
                            streak_days=p.streak_days, average_change=p.average_change, zone=zone),
                 reprompt=dialog(hi, "choices_reprompt"))


@on_intent("ForgetMeIntent")
def forget_me(hi):
    state.set_pending(hi, yes={"do": "forget"}, no={"do": "keep"})
    ask = dialog(hi, "forget_confirm")
    return reply(hi, ask, reprompt=ask)


def forget(hi):
    """Delete everything stored for this listener; the next launch is a first launch."""
    try:
        hi.attributes_manager.delete_persistent_attributes()
    except PersistenceException:
        return _storage_down(hi)
    s = state.session(hi)
    s.clear()
    s["memory_off"] = True   # nothing more is written in this session
    return reply(hi, dialog(hi, "forget_done"))


@on_request("AlexaSkillEvent.SkillDisabled")
def skill_disabled(hi):
    try:
        hi.attributes_manager.delete_persistent_attributes()
    except PersistenceException:
        log.error("could not delete a disabled listener's data")
    return hi.response_builder.response


HANDLERS = [set_rate, checkin_preference, how_am_i_doing, forget_me, skill_disabled]
