"""Crisis: someone says they are in danger or thinking of ending their life.

Checked before every other handler, also on words inside any slot value. Stops any
practice, answers briefly and warmly with the locale's line and emergency number, slowly
and twice, and offers to say them again. No rating, no practice suggestion."""
from __future__ import annotations

from ask_sdk_core.utils import is_intent_name, is_request_type

from skill import helplines, state
from skill.handlers import Handler
from skill.handlers.slots import all_raw
from skill.respond import ask, dialog


def _is_crisis(hi) -> bool:
    if is_intent_name("CrisisIntent")(hi):
        return True
    return is_request_type("IntentRequest")(hi) and any(helplines.sounds_like_crisis(v) for v in all_raw(hi))


def crisis(hi):
    s = state.session(hi)
    for key in ("practice", "rating", "asked", "pending"):
        s.pop(key, None)
    loc = state.locale(hi)
    # Help for the danger comes first: no disclaimer before it (the dialog says it itself).
    return ask(hi, "crisis_repeat", dialog(hi, "crisis", line=helplines.for_locale(loc)),
               card_title="Support, any time", card_text=helplines.card_text(loc), disclaimer=False)


crisis.handler = Handler(_is_crisis, crisis, "CrisisIntent")
crisis.intents = ("CrisisIntent",)
HANDLERS = [crisis]
