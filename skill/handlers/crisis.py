"""Crisis: someone says they, or someone near them, are in danger.

Checked before every other handler, on the crisis intents (one per danger category) and on
the words inside any slot value (skill/danger.py). Stops any practice at once and gives that
category's answer: its help lines in its order (emergency first where it must be), slowly,
digit by digit, with no rating and no practice on offer; then asks gently whether they are
safe right now, or for medical danger whether they can call (skill/handlers/safety_check.py
has the care rules; skill/questions.py the questions that follow)."""
from __future__ import annotations

from ask_sdk_core.utils import is_intent_name, is_request_type

from skill import danger, state
from skill.handlers import Handler, safety_check
from skill.handlers.slots import all_raw

CRISIS_INTENTS = tuple(c.intent for c in danger.categories())


def category(hi) -> danger.Category | None:
    """The danger this request speaks of: its crisis intent, else words in a slot value."""
    if not is_request_type("IntentRequest")(hi):
        return None
    found = danger.by_intent(hi.request_envelope.request.intent.name)
    if found is not None:
        return found
    for value in all_raw(hi):
        found = danger.category_of(value)
        if found is not None:
            return found
    return None


def crisis(hi):
    s = state.session(hi)
    for key in ("practice", "rating", "asked"):
        s.pop(key, None)
    return safety_check.answer(hi, category(hi) or danger.by_intent("CrisisIntent"))


crisis.handler = Handler(lambda hi: category(hi) is not None, crisis, "Crisis*Intent")
crisis.intents = CRISIS_INTENTS
HANDLERS = [crisis]
