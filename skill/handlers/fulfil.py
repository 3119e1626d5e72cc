"""CanFulfillIntentRequest: lets Alexa offer the skill for "Alexa, help me calm down"
without its name. Yes for practices and explanations whose slots make sense; no otherwise."""
from __future__ import annotations

from ask_sdk_model.canfulfill import (CanFulfillIntent, CanFulfillIntentValues, CanFulfillSlot,
                                      CanFulfillSlotValues, CanUnderstandSlotValues)

from skill import catalogue
from skill.handlers import on_request
from skill.handlers.practice import INTENT_SCRIPTS
from skill.handlers.slots import resolved_id


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
        if name == "minutes" and script.minutes:
            try:
                good = script.minutes["min"] <= float(slot.value) <= script.minutes["max"]
            except ValueError:
                good = False
        elif name == "pattern":
            good = resolved_id(hi, "pattern") in script.params.get("pattern", {}).get("choices", [])
        else:
            good = False
        ok = ok and good
        slots[name] = CanFulfillSlot(
            can_understand=CanUnderstandSlotValues.YES if good else CanUnderstandSlotValues.NO,
            can_fulfill=CanFulfillSlotValues.YES if good else CanFulfillSlotValues.NO)
    answer = CanFulfillIntent(can_fulfill=CanFulfillIntentValues.YES if ok else CanFulfillIntentValues.MAYBE,
                              slots=slots)
    return hi.response_builder.set_can_fulfill_intent(answer).response


HANDLERS = [can_fulfil]
