"""Opening the skill: a first welcome with the disclaimer, or a returning listener's
usual practice, or the practice they paused."""
from __future__ import annotations

from skill import catalogue, helplines, state
from skill.handlers.safety_check import HELP_GIVEN
from skill.handlers import on_request
from skill.respond import dialog, reply


@on_request("LaunchRequest")
def launch(hi):
    mem = state.memory(hi) or {}   # storage down: a first-time welcome is the kind default
    paused = mem.get("paused")
    if isinstance(paused, dict) and catalogue.known(paused.get("id")):
        state.set_pending(hi, yes={"do": "resume"}, no={"do": "choices"})
        title = catalogue.get(paused["id"]).title
        return reply(hi, dialog(hi, "welcome_paused", title=title), reprompt=dialog(hi, "choices_reprompt"))
    usual = state.usual_practice(hi)
    if usual:
        state.set_pending(hi, yes={"do": "start", "id": usual, "params": {}}, no={"do": "choices"})
        return reply(hi, dialog(hi, "welcome_back", title=catalogue.get(usual).title),
                     reprompt=dialog(hi, "choices_reprompt"))
    state.set_pending(hi, yes={"do": "start", "id": "breathing", "params": {}}, no={"do": "choices"})
    hi.attributes_manager.request_attributes[HELP_GIVEN] = True   # the welcome says how to get urgent help
    return reply(hi, dialog(hi, "welcome_first", help=helplines.for_locale(state.locale(hi))),
                 reprompt=dialog(hi, "choices_reprompt"))


HANDLERS = [launch]
