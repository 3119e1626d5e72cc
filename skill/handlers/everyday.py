"""Everyday talk that sounds like danger and is not ("my back is killing me", "out of breath
after my run"): the model's EverydayIntent gives Alexa somewhere better than a crisis intent to
put it. A kind word, how to get urgent help (danger said in everyday words lands here too), then
the choices. After a crisis answer it is never taken as everyday: a crisis question takes it as
not understood (skill/handlers/answers.py)."""
from __future__ import annotations

from skill.handlers import on_intent
from skill.respond import choices, help_dialog


@on_intent("EverydayIntent")
def everyday(hi):
    return choices(hi, help_dialog(hi, "everyday"))


HANDLERS = [everyday]
