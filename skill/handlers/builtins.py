"""Amazon's built-in intents and system requests: help, stop, cancel, fallback, home,
yes and no, the session's end, and device error reports."""
from __future__ import annotations

import logging

from skill import breathing, catalogue, state
from skill.handlers import checkin, on_intent, on_request, practice, safety_check
from skill.respond import choices, dialog, goodbye, reply

log = logging.getLogger(__name__)


@on_intent("AMAZON.HelpIntent")
def help_intent(hi):
    return reply(hi, dialog(hi, "help"), reprompt=dialog(hi, "choices_reprompt"))


@on_intent("AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.NavigateHomeIntent")
def stop(hi):
    if safety_check.pending_category(hi) is not None:   # after a crisis answer: a kind close
        return safety_check.close(hi)
    return goodbye(hi)


@on_intent("AMAZON.FallbackIntent")
def fallback(hi):
    if safety_check.pending_category(hi) is not None:   # "I don't know": never a dead end
        return safety_check.unsure(hi)
    if (state.session(hi).get("rating") or {}).get("stage") in ("before", "after"):
        return checkin.skip_rating(hi)
    return choices(hi, dialog(hi, "fallback"))


def run(hi, action: dict | None):
    """Carry out what a yes or no was offered for."""
    do = (action or {}).get("do", "choices")
    if do == "continue":
        return practice.continue_intent(hi)
    if do == "resume":
        return practice.resume(hi)
    if do in ("start", "checkin_start") and not catalogue.known(action.get("id")):
        return choices(hi)
    if do == "start":
        script = catalogue.get(action["id"])
        prefs = state.prefs(hi)
        params = {}
        if script.minutes and prefs.get("minutes") is not None:
            params["minutes"] = prefs["minutes"]
        if "pattern" in script.params and not breathing.holds_breath(prefs.get("pattern") or "soothing"):
            params["pattern"] = prefs.get("pattern")
        try:
            params = script.resolve(**params)
        except catalogue.ParamError:
            params = script.resolve()
        return practice.start(hi, script.id, params)
    if do == "checkin_start":
        return checkin.begin_after_checkin(hi, action["id"], action.get("feeling"))
    if do == safety_check.DO:
        return safety_check.follow(hi, action)
    if do == "forget":
        from skill.handlers.listener import forget
        return forget(hi)
    if do == "keep":
        return reply(hi, dialog(hi, "forget_kept"), reprompt=dialog(hi, "choices_reprompt"))
    if do == "goodbye":
        return goodbye(hi)
    return choices(hi)


@on_intent("AMAZON.YesIntent")
def yes(hi):
    if (state.session(hi).get("rating") or {}).get("stage") == "before":
        return checkin.skip_rating(hi)
    return run(hi, state.pop_pending(hi).get("yes"))


@on_intent("AMAZON.NoIntent")
def no(hi):
    if (state.session(hi).get("rating") or {}).get("stage") in ("before", "after"):
        return checkin.skip_rating(hi)
    return run(hi, state.pop_pending(hi).get("no") or {"do": "goodbye"})


@on_request("SessionEndedRequest")
def session_ended(hi):
    req = hi.request_envelope.request
    error = getattr(req, "error", None)
    if error is not None:
        log.error("session ended by an error: %s", getattr(getattr(error, "object_type", None), "value", error.object_type))
    return hi.response_builder.response


@on_request("System.ExceptionEncountered")
def exception_encountered(hi):
    err = getattr(hi.request_envelope.request, "error", None)
    log.error("device reported an exception: %s", getattr(err, "object_type", "unknown"))
    return hi.response_builder.response


HANDLERS = [help_intent, stop, fallback, yes, no, session_ended, exception_encountered]
