"""Everyday talk that sounds like danger and is not ("my back is killing me", "out of breath
after my run"): the model's EverydayIntent gives Alexa somewhere better than a crisis intent to
put it. A kind word, the door to help left open, then the choices. After a crisis answer it is
never taken as everyday: the crisis question's answer to words it did not expect comes instead."""
from __future__ import annotations

from skill import questions, state
from skill.handlers import on_intent, safety_check
from skill.respond import choices, dialog


@on_intent("EverydayIntent")
def everyday(hi):
    if safety_check.asked_category(hi) is not None:
        asked = state.asked(hi)
        return safety_check.ACTIONS[questions.action(asked["q"], questions.UNCLEAR)](hi, None, asked)
    return choices(hi, dialog(hi, "everyday"))


HANDLERS = [everyday]
