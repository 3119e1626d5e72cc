"""Answers to the question just asked, whatever intent Alexa routed them to.

Runs right after crisis (and CanFulfill): when the session holds a question, the request is
classified (skill/questions.py) and the table's action runs. A request that is not an
answer (a practice by name, a feeling) falls through to its own handler.
"""
from __future__ import annotations

from ask_sdk_core.utils import is_request_type

from skill import catalogue, questions, state
from skill.handlers import Handler, audio_player, checkin, practice, safety_check
from skill.handlers.slots import number, raw, resolved_id
from skill.respond import ask, choices, dialog, goodbye, help_dialog

FOUR_SEVEN_EIGHT = 478   # "four seven eight" heard as a number at the pattern question


def classify(hi) -> tuple[str | None, object, bool]:
    """(answer class or None, the value said, whether the words are also a request)."""
    if not is_request_type("IntentRequest")(hi):
        return None, None, True
    intent = hi.request_envelope.request.intent
    name = intent.name
    if name == "RatingIntent":
        value = number(hi, "rating")
        return (questions.NUMBER, value, False) if value is not None else (questions.UNCLEAR, None, False)
    if name == "BreathingIntent":
        minutes, pattern_said = number(hi, "minutes"), raw(hi, "pattern")
        if minutes is not None and pattern_said is None:
            return questions.NUMBER, minutes, True
        if pattern_said is not None and raw(hi, "minutes") is None:
            return questions.PATTERN, resolved_id(hi, "pattern") or pattern_said, True
        return None, None, True
    cls = questions.INTENT_CLASSES.get(name)
    return cls, None, cls not in questions.ANSWER_ONLY


def _route(hi):
    asked = state.asked(hi)
    if not asked:
        return None
    cls, value, _ = classify(hi)
    if cls is None and is_request_type("IntentRequest")(hi) and questions.QUESTIONS[asked["q"]].closed:
        cls = questions.UNCLEAR   # a practice, a feeling, everyday talk: after a crisis answer, not now
    if cls is None:
        return None
    act = questions.action(asked["q"], cls)
    return (act, value, asked) if act else None


def _can_handle(hi) -> bool:
    return _route(hi) is not None


def answer(hi):
    act, value, asked = _route(hi)
    return ACTIONS[act](hi, value, asked)


def _reask(hi, asked: dict, *before: str):
    """The same question again, in its reprompt's words (they name the choices)."""
    context = {k: v for k, v in asked.items() if k != "q"}
    directives = practice.elicit(hi, asked["q"], context) if asked["q"] in ("minutes", "pattern") else ()
    return ask(hi, asked["q"], *before, again=True, directives=directives, **context)


def clarify(hi, value, asked):
    q = questions.QUESTIONS[asked["q"]]
    spec = catalogue.get("breathing").minutes
    # not understood: it may be danger no sample foresaw, so how to get urgent help comes too
    return _reask(hi, asked, dialog(hi, q.unclear, min=spec["min"], max=spec["max"]),
                  help_dialog(hi, "urgent_note"))


def help_here(hi, value, asked):
    return _reask(hi, asked, dialog(hi, "help"))


def _breathing(hi, asked, minutes=None, pattern=None):
    minutes = minutes if minutes is not None else asked.get("minutes")
    pattern = pattern if pattern is not None else asked.get("pattern")
    return practice.start_breathing(hi, minutes, pattern)


def breathing_minutes(hi, value, asked):
    return _breathing(hi, asked, minutes=value)


def breathing_pattern(hi, value, asked):
    return _breathing(hi, asked, pattern=value)


def breathing_pattern_number(hi, value, asked):
    if value == FOUR_SEVEN_EIGHT:
        return _breathing(hi, asked, pattern="4-7-8")
    return _breathing(hi, asked, minutes=value)


def breathing_default(hi, value, asked):
    script = catalogue.get("breathing")
    return _breathing(hi, asked, minutes=asked.get("minutes") or script.minutes["default"],
                      pattern=asked.get("pattern") or script.params["pattern"]["default"])


def start_offered(hi, value, asked):
    script_id = asked.get("id") if catalogue.known(asked.get("id")) else "breathing"
    return practice.start_usual(hi, script_id)


def menu(hi, value, asked):
    return choices(hi, dialog(hi, "okay"))


def menu_fresh(hi, value, asked):
    (state.memory(hi) or {}).pop("paused", None)
    return choices(hi, dialog(hi, "okay_fresh"))


def rate_before(hi, value, asked):
    if not checkin.in_range(value):
        return clarify(hi, value, asked)
    return checkin.rate_before(hi, value)


def rate_after(hi, value, asked):
    if not checkin.in_range(value):
        return clarify(hi, value, asked)
    return checkin.rate_after(hi, value)


def skip_rating(hi, value, asked):
    return checkin.skip_rating(hi)


def checkin_start(hi, value, asked):
    return checkin.begin_after_checkin(hi, asked.get("id") or "breathing", asked.get("feeling"))


def checkin_also(hi, value, asked):
    return checkin.offer_also(hi, asked.get("feeling"))



def forget(hi, value, asked):
    from skill.handlers.listener import forget as forget_all
    return forget_all(hi)


def keep(hi, value, asked):
    return ask(hi, "menu", dialog(hi, "forget_kept"))


ACTIONS = {
    "clarify": clarify,
    "help": help_here,
    "repeat": lambda hi, v, a: practice.repeat(hi),
    "repeat_turn": lambda hi, v, a: practice.repeat(hi),
    "stop": lambda hi, v, a: goodbye(hi),
    "goodbye": lambda hi, v, a: goodbye(hi),
    "pause": lambda hi, v, a: practice.pause(hi),
    "continue": lambda hi, v, a: practice.continue_intent(hi),
    "resume": lambda hi, v, a: practice.resume(hi),
    "menu": menu,
    "menu_fresh": menu_fresh,
    "start_breathing": lambda hi, v, a: practice.start_breathing(hi),
    "start_offered": start_offered,
    "breathing_minutes": breathing_minutes,
    "breathing_pattern": breathing_pattern,
    "breathing_pattern_number": breathing_pattern_number,
    "breathing_default": breathing_default,
    "checkin_start": checkin_start,
    "checkin_also": checkin_also,
    "rate_before": rate_before,
    "rate_after": rate_after,
    "skip_rating": skip_rating,
    "forget": forget,
    "keep": keep,
    "tones": lambda hi, v, a: audio_player.start_tones(hi, a),
    "voice": lambda hi, v, a: audio_player.start_voice(hi, a),
    **safety_check.ACTIONS,   # after a crisis answer, with the care rules
}

answer.handler = Handler(_can_handle, answer, "Answer")
HANDLERS = [answer]
