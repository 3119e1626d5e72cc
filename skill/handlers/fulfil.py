"""CanFulfillIntentRequest: lets Alexa offer the skill for "Alexa, help me calm down"
without its name. Yes for practices and explanations whose slots can be given; MAYBE when a
slot is understood but out of range or not understood (the skill would ask again); no for
anything else. Nothing is said or stored."""
from __future__ import annotations

from ask_sdk_model.canfulfill import (CanFulfillIntent, CanFulfillIntentValues, CanFulfillSlot,
                                      CanFulfillSlotValues, CanUnderstandSlotValues)

from skill import catalogue
from skill.handlers import on_request
from skill.handlers.practice import INTENT_SCRIPTS
from skill.handlers.slots import resolved_id


def _slot(hi, script, name: str, value: str) -> tuple[bool, bool]:
    """(understood, can be fulfilled), as Amazon defines them: 30 minutes of breathing is a
    number the skill understands (canUnderstand YES) but cannot give (canFulfill NO)."""
    if name == "minutes" and script.minutes:
        try:
            minutes = float(value)
        except ValueError:
            return False, False
        return True, script.minutes["min"] <= minutes <= script.minutes["max"]
    if name == "pattern" and "pattern" in script.params:
        pattern = resolved_id(hi, "pattern")
        return pattern is not None, pattern in script.params["pattern"]["choices"]
    return False, False


@on_request("CanFulfillIntentRequest")
def can_fulfil(hi):
    intent = hi.request_envelope.request.intent
    script_id = INTENT_SCRIPTS.get(getattr(intent, "name", None))
    if script_id is None:
        answer = CanFulfillIntent(can_fulfill=CanFulfillIntentValues.NO)
        return hi.response_builder.set_can_fulfill_intent(answer).response
    script = catalogue.get(script_id)
    slots, ok = {}, True
    for name, slot in (intent.slots or {}).items():
        if slot is None or not slot.value:
            continue
        understood, fulfilled = _slot(hi, script, name, slot.value)
        ok = ok and fulfilled
        slots[name] = CanFulfillSlot(
            can_understand=CanUnderstandSlotValues.YES if understood else CanUnderstandSlotValues.NO,
            can_fulfill=CanFulfillSlotValues.YES if fulfilled else CanFulfillSlotValues.NO)
    answer = CanFulfillIntent(can_fulfill=CanFulfillIntentValues.YES if ok else CanFulfillIntentValues.MAYBE,
                              slots=slots)
    return hi.response_builder.set_can_fulfill_intent(answer).response


HANDLERS = [can_fulfil]
