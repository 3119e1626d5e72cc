"""Crisis: someone says they are in danger or thinking of ending their life.

Checked before every other handler, also on words inside any slot value. Stops any
practice, answers briefly and warmly with the locale's line and emergency number, slowly
and twice, and offers to say them again. No rating, no practice suggestion."""
from __future__ import annotations

from ask_sdk_core.utils import is_intent_name, is_request_type

from skill import danger, helplines, state
from skill.handlers import Handler
from skill.handlers.slots import all_raw
from skill.respond import dialog, reply


CRISIS_INTENTS = tuple(c.intent for c in danger.categories())


def _is_crisis(hi) -> bool:
    if any(is_intent_name(name)(hi) for name in CRISIS_INTENTS):
        return True
    return is_request_type("IntentRequest")(hi) and any(danger.category_of(v) for v in all_raw(hi))


def crisis(hi):
    s = state.session(hi)
    for key in ("practice", "rating", "pending"):
        s.pop(key, None)
    loc = state.locale(hi)
    state.set_pending(hi, yes={"do": "crisis"}, no={"do": "crisis_close"})
    return reply(hi, dialog(hi, "crisis", line=helplines.for_locale(loc)),
                 reprompt=dialog(hi, "crisis_reprompt"),
                 card_title="Support, any time", card_text=helplines.card_text(loc))


crisis.handler = Handler(_is_crisis, crisis, "CrisisIntent")
crisis.intents = CRISIS_INTENTS
HANDLERS = [crisis]
