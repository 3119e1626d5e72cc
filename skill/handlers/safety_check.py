"""After a crisis answer: the gentle questions that follow it, all in this one place.

    answer -> "Are you safe right now?"  (panic: "Is it easing a little?")
      yes  -> safe_yes: glad; offer to stay for grounding, eyes open (medical: call anyway)
      no / "I don't know" / anything unclear -> safe_no: the lines again, emergency first;
              offer to stay with a grounding exercise while they reach out
    grounding offered: yes -> the grounding practice; no -> the numbers again
    numbers -> "Would you like to stop here for now?"  yes -> a kind close; no -> stay
    silence -> Alexa speaks the reprompt: the lines again and the question again

The session ends only when the listener says so (stop, or yes to stopping), and then kindly,
with the numbers on the card. A medical emergency is never offered a practice. The questions
use the pending mechanism (state.set_pending): each yes/no action is {"do": "crisis_step",
"step": ..., "cat": category id}."""
from __future__ import annotations

from skill import danger, helplines, state
from skill.respond import URGENT_HELP_GIVEN, dialog, reply

DO = "crisis_step"
HELP_GIVEN = URGENT_HELP_GIVEN          # request attribute: this response already gives the lines
CARD_TITLE = "Help, any time"
URGENT_FIRST = frozenset({"plan-or-means", "harm-done", "medical", "someone-else"})  # emergency said "call now"
NO_PRACTICE = frozenset({"medical", "harm-done"})   # never a practice, not even grounding: call first
CARD_EMERGENCY_ONLY = frozenset({"abuse"})          # never a practice, not even grounding

# step -> (dialog, step on yes, step on no); "grounding" starts the practice, "close" ends.
STEPS = {
    "answer":   (None, "safe_yes", "safe_no"),
    "safe_yes": ("crisis_safe_yes", "grounding", "stop_ask"),
    "safe_no":  ("crisis_safe_no", "grounding", "numbers"),
    "stay":     ("crisis_stay", "grounding", "numbers"),
    "numbers":  ("crisis_numbers", "close", "stay"),
    "stop_ask": ("crisis_stop_ask", "close", "stay"),
}
# A medical emergency: "yes" where grounding would be offered says the number again instead.
MEDICAL_INSTEAD = {"grounding": "numbers"}


def _action(step: str, cat: danger.Category) -> dict:
    return {"do": DO, "step": step, "cat": cat.id}


def _values(hi, cat: danger.Category) -> dict:
    loc = state.locale(hi)
    lines = helplines.lines_for(cat.lines, loc)
    # "Not safe": the emergency number comes first, whatever the category's own order.
    urgent_lines = [x for x in lines if x[0] == "emergency"] + [x for x in lines if x[0] != "emergency"]
    return {"lines": lines, "urgent_lines": urgent_lines, "category": cat.id,
            "urgent": cat.id in URGENT_FIRST, "help": helplines.for_locale(loc)}


def _ask(hi, cat: danger.Category, step: str, *bodies: str, end: bool = False):
    _, on_yes, on_no = STEPS[step]
    hi.attributes_manager.request_attributes[HELP_GIVEN] = True   # respond.reply adds no other note
    values = _values(hi, cat)
    card = helplines.card_text(("emergency",) if cat.id in CARD_EMERGENCY_ONLY else cat.lines, state.locale(hi))
    if end:
        return reply(hi, *bodies, card_title=CARD_TITLE, card_text=card, disclaimer=False)
    if cat.id in NO_PRACTICE:
        on_yes = MEDICAL_INSTEAD.get(on_yes, on_yes)
    state.set_pending(hi, yes=_action(on_yes, cat), no=_action(on_no, cat))
    return reply(hi, *bodies, reprompt=dialog(hi, "crisis_reprompt", **values),
                 card_title=CARD_TITLE, card_text=card, disclaimer=False)


def answer(hi, cat: danger.Category):
    """The category's answer, then the safety question."""
    return _ask(hi, cat, "answer", dialog(hi, cat.answer, **_values(hi, cat)))


def pending_category(hi) -> danger.Category | None:
    """The category whose questions are being asked, if a crisis question is pending."""
    pending = state.session(hi).get("pending") or {}
    action = pending.get("yes") or pending.get("no") or {}
    if action.get("do") != DO:
        return None
    try:
        return danger.by_id(action.get("cat"))
    except StopIteration:
        return danger.by_intent("CrisisIntent")


def follow(hi, action: dict):
    """Carry out a crisis question's yes or no (skill/handlers/answers.py hands these here)."""
    try:
        cat = danger.by_id(action.get("cat"))
    except StopIteration:
        cat = danger.by_intent("CrisisIntent")
    step = action.get("step")
    if step == "grounding" and cat.id not in NO_PRACTICE:
        from skill import catalogue
        from skill.handlers import practice   # here: practice imports this module
        return practice.start(hi, "grounding", catalogue.get("grounding").resolve())
    if step == "close":
        return close(hi, cat)
    if step not in STEPS or step == "answer":
        step = "safe_no"
    name = STEPS[step][0]
    return _ask(hi, cat, step, dialog(hi, name, **_values(hi, cat)))


def unsure(hi):
    """'I don't know', or anything the skill didn't catch, while a crisis question is asked:
    treated as not safe, never as a goodbye."""
    cat = pending_category(hi)
    state.pop_pending(hi)
    return follow(hi, _action("safe_no", cat))


def guard_practice(hi):
    """A practice asked for while a medical emergency's questions are pending: the number
    again instead (never a breathing exercise for chest pain or not breathing)."""
    cat = pending_category(hi)
    if cat is None or cat.id not in NO_PRACTICE:
        return None
    return follow(hi, _action("numbers", cat))


def close(hi, cat: danger.Category | None = None):
    """The listener chose to stop: a kind close, the numbers on the card."""
    cat = cat or pending_category(hi) or danger.by_intent("CrisisIntent")
    state.session(hi).pop("pending", None)
    return _ask(hi, cat, "answer", dialog(hi, "crisis_close"), end=True)
