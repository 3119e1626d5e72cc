"""Opening the skill: a first welcome with the disclaimer; a returning listener is offered
the practice they paused (and how long ago), or their usual practice, or asked how they are."""
from __future__ import annotations

from skill import catalogue, state
from skill.handlers.safety_check import HELP_GIVEN
from skill.handlers import on_request
from skill.respond import ask, dialog, help_dialog


@on_request("LaunchRequest")
def launch(hi):
    if state.needs_disclaimer(hi):   # storage down too: a first-time welcome is the kind default
        state.mark_told(hi)
        hi.attributes_manager.request_attributes[HELP_GIVEN] = True   # the welcome says how to get urgent help
        return ask(hi, "menu", help_dialog(hi, "welcome_first"))
    paused = state.paused_place(hi)   # spoken turns or the tone track: one rule
    if paused is not None:
        ago = state.paused_minutes_ago(paused)
        return ask(hi, "resume", dialog(hi, "welcome_paused", title=catalogue.get(paused["id"]).title,
                                        ago_min=-1 if ago is None else ago), id=paused["id"])
    usual = state.usual_practice(hi)
    if usual:
        return ask(hi, "usual", dialog(hi, "welcome_back"), id=usual)
    return ask(hi, "menu", dialog(hi, "welcome_again"))


HANDLERS = [launch]
