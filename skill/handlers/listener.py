"""Remembering the listener: speaking rate, rating preferences, progress, and forgetting
everything on request or when the skill is disabled; the other skill events."""
from __future__ import annotations

import logging

from ask_sdk_core.exceptions import PersistenceException

from skill import progress, state
from skill.handlers import on_intent, on_request
from skill.handlers.slots import raw, resolved_id
from skill.respond import ask, dialog, reply

log = logging.getLogger(__name__)
ZONE_UTC = "U T C"


def _storage_down(hi):
    return ask(hi, "practise_now", dialog(hi, "storage_error"))


def _then_ask(hi, *bodies):
    """After a setting: back to the practice under way, or what they would like."""
    if state.session(hi).get("practice"):
        return ask(hi, "turn_break", *bodies)
    return ask(hi, "menu", *bodies)


@on_intent("SetSpeakingRateIntent")
def set_rate(hi):
    speed = resolved_id(hi, "speed") or ("slower" if raw(hi, "speed") is None else None)
    if speed not in ("slower", "normal"):
        speed = "slower"
    state.session(hi)["rate"] = speed
    if state.memory(hi) is not None:
        state.prefs(hi)["rate"] = speed
    return _then_ask(hi, dialog(hi, "rate_set", speed=speed))


@on_intent("CheckInPreferenceIntent")
def checkin_preference(hi):
    toggle = resolved_id(hi, "toggle") or "on"
    if state.memory(hi) is None:
        return _storage_down(hi)
    state.prefs(hi)["checkin"] = toggle == "on"
    return _then_ask(hi, dialog(hi, "checkin_pref_set", toggle=toggle))


@on_intent("RememberRatingsIntent")
def remember_ratings(hi):
    """Consent to keep 0 to 10 ratings past the session (for "how am I doing")."""
    if state.memory(hi) is None:
        return _storage_down(hi)
    state.prefs(hi)["remember_ratings"] = True
    return _then_ask(hi, dialog(hi, "ratings_remembered"))


@on_intent("ForgetRatingsIntent")
def forget_ratings(hi):
    """Consent withdrawn: every stored rating goes now, and none is kept from here on."""
    if state.memory(hi) is None:
        return _storage_down(hi)
    state.prefs(hi)["remember_ratings"] = False
    state.history(hi)   # drops the stored ratings
    return _then_ask(hi, dialog(hi, "ratings_forgotten"))


@on_intent("ProgressIntent")
def how_am_i_doing(hi):
    mem = state.memory(hi)
    if mem is None:
        return _storage_down(hi)
    p = progress.summarise(state.history(hi), state.today(hi), mem.get("streak"))
    zone = "your time zone" if state.zone_offset_min(hi) is not None else ZONE_UTC
    return ask(hi, "practise_now", dialog(hi, "progress", sessions=p.sessions, days_week=p.days_week,
                                          streak_days=p.streak_days, average_change=p.average_change, zone=zone),
               id=state.usual_practice(hi) or "breathing")


@on_intent("ForgetMeIntent")
def forget_me(hi):
    return ask(hi, "forget", dialog(hi, "forget_confirm"))


def forget(hi):
    """Delete everything stored for this listener; the next launch is a first launch."""
    try:
        hi.attributes_manager.delete_persistent_attributes()
    except PersistenceException:
        return _storage_down(hi)
    s = state.session(hi)
    s.clear()
    s["memory_off"] = True   # nothing more is written in this session
    s["told"] = True
    return reply(hi, dialog(hi, "forget_done"))


@on_request("AlexaSkillEvent.SkillDisabled")
def skill_disabled(hi):
    try:
        hi.attributes_manager.delete_persistent_attributes()
    except PersistenceException:
        log.warning("could not delete a disabled listener's data")
    return hi.response_builder.response


@on_request("AlexaSkillEvent.SkillEnabled", "AlexaSkillEvent.SkillPermissionAccepted",
            "AlexaSkillEvent.SkillPermissionChanged", "AlexaSkillEvent.SkillAccountLinked")
def skill_event(hi):
    """Nothing is stored on enabling, and the skill asks for no permissions: acknowledge."""
    log.info("skill event: %s", hi.request_envelope.request.object_type)
    return hi.response_builder.response


HANDLERS = [set_rate, checkin_preference, remember_ratings, forget_ratings, how_am_i_doing, forget_me,
            skill_disabled, skill_event]
