"""Amazon's built-in intents and system requests when no question is waiting for them
(answers to questions go through skill/handlers/answers.py): help, stop, cancel,
fallback, home, yes and no, the session's end, and device error reports."""
from __future__ import annotations

import logging

from skill import state
from skill.handlers import on_intent, on_request
from skill.respond import ask, choices, dialog, goodbye, help_dialog

log = logging.getLogger(__name__)


@on_intent("AMAZON.HelpIntent")
def help_intent(hi):
    return ask(hi, "menu", dialog(hi, "help"))


@on_intent("AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.NavigateHomeIntent")
def stop(hi):
    return goodbye(hi)   # after a crisis answer, skill/handlers/answers.py closes kindly


@on_intent("AMAZON.FallbackIntent")
def fallback(hi):
    # not understood: it may be danger no sample foresaw, so how to get urgent help comes too
    return choices(hi, dialog(hi, "fallback"), help_dialog(hi, "urgent_note"))


@on_intent("AMAZON.YesIntent")
def yes(hi):
    """Yes with no question waiting (e.g. a one-shot "ask compassion coach yes")."""
    return choices(hi, dialog(hi, "okay"))


@on_intent("AMAZON.NoIntent")
def no(hi):
    return goodbye(hi)


@on_request("SessionEndedRequest")
def session_ended(hi):
    """Silence, an error or the listener leaving: no answer is possible, but a practice
    under way is kept as paused, so the next launch offers to pick up there."""
    req = hi.request_envelope.request
    error = getattr(req, "error", None)
    if error is not None:
        log.error("session ended by an error: %s", getattr(getattr(error, "object_type", None), "value", error.object_type))
    if state.pause_here(hi):
        state.save(hi)
    return hi.response_builder.response


@on_request("System.ExceptionEncountered")
def exception_encountered(hi):
    err = getattr(hi.request_envelope.request, "error", None)
    log.error("device reported an exception: %s", getattr(err, "object_type", "unknown"))
    return hi.response_builder.response


HANDLERS = [help_intent, stop, fallback, yes, no, session_ended, exception_encountered]
