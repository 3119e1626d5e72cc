"""After a crisis answer: the care rules, and what each answer to the questions that follow does.

The questions are rows of skill/questions.py (crisis_*), the danger category their context,
answered through skill/handlers/answers.py like every other question:

    answer -> "Are you safe right now?"                                  crisis_safe
              panic: steadying, then "Is it easing a little?"            crisis_easing
                     no: a second, slower round first                    crisis_easing_again
              medical, harm done: "Can you call <emergency> now, or is
                     someone with you who can?"  no: the number again    crisis_call
                     yes: the number once more, then quiet (the session ends)
      safe, easing -> glad; a few minutes of grounding, eyes open         crisis_grounding
      not safe, "I don't know", unclear -> the numbers, emergency first; grounding offered
      grounding declined -> the numbers; "stop here for now?"            crisis_stop
    silence, or anything unclear later -> the question's reprompt: the numbers, emergency
      first, and the question again; a practice, a feeling or other talk asked for is
      "unclear" too (the rows are closed), and a new danger gets its own answer at once

The session ends only when the listener says so (stop, cancel, yes to stopping, or yes, they
can call), kindly, with the numbers on the card. Medical and harm done never get a practice."""
from __future__ import annotations

from skill import catalogue, danger, helplines, state
from skill.respond import URGENT_HELP_GIVEN, ask, dialog, reply

HELP_GIVEN = URGENT_HELP_GIVEN          # request attribute: this response already gives the lines
CARD_TITLE = "Help, any time"
URGENT_FIRST = frozenset({"plan-or-means", "harm-done", "medical", "someone-else"})  # emergency said "call now"
SILENT_CALL = frozenset({"abuse"})       # danger from someone nearby: how to call without speaking
NO_PRACTICE = frozenset({"medical", "harm-done"})   # never a practice, not even grounding: call first
CARD_EMERGENCY_ONLY = frozenset({"abuse"})          # a shared app must not show a violence line
STEADY_FIRST = frozenset({"panic"})                 # the answer steadies; asked whether it eases


def first_question(cat: danger.Category) -> str:
    """What the answer asks: not "are you safe?" of someone who is not (medical, harm done)."""
    if cat.id in NO_PRACTICE:
        return "crisis_call"
    return "crisis_easing" if cat.id in STEADY_FIRST else "crisis_safe"


def offer(cat: danger.Category) -> str:
    """Grounding, eyes open; for medical and harm done (asked whether they can call, never
    reaching this) the numbers again instead."""
    return "crisis_stop" if cat.id in NO_PRACTICE else "crisis_grounding"


def _category(asked: dict | None) -> danger.Category:
    try:
        return danger.by_id((asked or {}).get("cat"))
    except StopIteration:
        return danger.by_intent("CrisisIntent")


def _values(hi, cat: danger.Category) -> dict:
    loc = state.locale(hi)
    lines = helplines.lines_for(cat.lines, loc)
    # Said again: the emergency number first, whatever the category's own order.
    urgent_lines = [x for x in lines if x[0] == "emergency"] + [x for x in lines if x[0] != "emergency"]
    help = helplines.for_locale(loc)
    # What the card shows, emergency first; a goodbye says only these, so "Alexa, stop" never
    # reads a violence line aloud on a shared speaker.
    card_lines = urgent_lines[:1] if cat.id in CARD_EMERGENCY_ONLY else urgent_lines
    return {"lines": lines, "urgent_lines": urgent_lines, "card_lines": card_lines, "category": cat.id,
            "urgent": cat.id in URGENT_FIRST, "no_practice": cat.id in NO_PRACTICE, "help": help,
            # where the police take silent 999 calls, how, for danger from a person
            "silent": help["emergency"].get("silent") if cat.id in SILENT_CALL else None}


def card_text(cat: danger.Category, locale: str) -> str:
    """The lines on the card and the screen after a crisis answer, one per line."""
    return helplines.card_text(("emergency",) if cat.id in CARD_EMERGENCY_ONLY else cat.lines, locale)


def _card(hi, cat: danger.Category) -> str:
    return card_text(cat, state.locale(hi))


def session_card(hi) -> tuple[str, str]:
    """The help card for every response that ends a session that had a crisis answer
    (skill.respond.reply): the closings here, a practice that ends by itself, the tone track's
    start."""
    return CARD_TITLE, _card(hi, _category({"cat": state.crisis(hi)}))


def _ask(hi, question: str, cat: danger.Category, *dialogs: str, again: bool = False):
    """Say `dialogs` (with the category's lines), then ask a crisis question, open."""
    hi.attributes_manager.request_attributes[HELP_GIVEN] = True   # respond.reply adds no other note
    state.set_crisis(hi, cat.id)
    values = _values(hi, cat)
    bodies = [dialog(hi, name, **values) for name in dialogs]
    return ask(hi, question, *bodies, again=again, card_title=CARD_TITLE, card_text=_card(hi, cat),
               disclaimer=False, dialog_values=values, cat=cat.id)


def answer(hi, cat: danger.Category):
    """The category's answer, then its first question."""
    return _ask(hi, first_question(cat), cat, cat.answer)


def _then(question_of, *dialogs: str):
    """An action: say `dialogs`, then ask the question `question_of(category)`."""
    def act(hi, value, asked):
        cat = _category(asked)
        return _ask(hi, question_of(cat), cat, *dialogs)
    return act


def again(hi, value, asked):
    """Not a yes or a no: the question again in its reprompt's words (the numbers, then it)."""
    cat = _category(asked)
    return _ask(hi, asked["q"], cat, again=True)


def grounding(hi, value, asked):
    cat = _category(asked)
    if cat.id in NO_PRACTICE:
        return numbers(hi, value, asked)
    from skill.handlers import practice   # here: practice imports this module
    return practice.start(hi, "grounding", catalogue.get("grounding").resolve())


numbers = _then(lambda cat: "crisis_stop", "crisis_numbers")


def _closing(name: str):
    def act(hi, value=None, asked=None):
        cat_id = (asked if asked is not None else state.asked(hi) or {}).get("cat") or state.crisis(hi)
        cat = _category({"cat": cat_id})
        hi.attributes_manager.request_attributes[HELP_GIVEN] = True
        # the card: the session's help card, as every response that ends it (skill.respond.reply)
        return reply(hi, dialog(hi, name, **_values(hi, cat)), disclaimer=False)
    return act


# The listener chose to stop: a kind close, the numbers on the card.
close = _closing("crisis_close")
# Any later goodbye in a session that had a crisis answer (stop during the grounding, no to
# another practice): the numbers once more, not the ordinary goodbye (skill.respond.goodbye).
farewell = _closing("crisis_farewell")
# They can call, or someone with them can: the number once more, then quiet, so no reprompt
# speaks over the call; the number stays on the card.
call_now = _closing("crisis_call_yes")


# The actions the crisis rows of skill/questions.py name.
ACTIONS = {
    "crisis_safe_yes": _then(offer, "crisis_safe_yes"),
    "crisis_safe_no": _then(offer, "crisis_safe_no"),
    "crisis_steady_again": _then(lambda cat: "crisis_easing_again", "crisis_panic_again"),
    "crisis_call_yes": call_now,
    "crisis_call_no": _then(lambda cat: "crisis_call", "crisis_call_no"),
    "crisis_grounding": grounding,
    "crisis_numbers": numbers,
    "crisis_stop_ask": _then(lambda cat: "crisis_stop", "crisis_stop_ask"),
    "crisis_stay": _then(offer, "crisis_stay"),
    "crisis_again": again,
    "crisis_close": close,
}
