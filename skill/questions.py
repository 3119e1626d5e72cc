"""Every question the skill asks, and what each kind of answer does: the one table.

A response that keeps the session open asks exactly one of these questions (respond.ask).
The question is remembered in the session, and the next request is first read as an answer
to it, whatever intent Alexa chose for the words: "ten" may arrive as RatingIntent or as
BreathingIntent, "go ahead" as ContinueIntent, "skip" as AMAZON.NextIntent. `classify`
turns the request into an answer class; QUESTIONS says which action each class leads to
(the actions live in skill/handlers/answers.py).

An answer class missing from a row: words that are only ever an answer (yes, no, a number,
a pattern, something unclear) get the question asked again kindly ("clarify"); words that
are also a request of their own (help, repeat, pause, "tell me more", a practice by name)
go to their own handler, which starts something new.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# Answer classes
YES, NO, NUMBER, PATTERN, SKIP = "yes", "no", "number", "pattern", "skip"
STOP, CANCEL, PAUSE, RESUME, MORE = "stop", "cancel", "pause", "resume", "more"
REPEAT, HELP, UNCLEAR = "repeat", "help", "unclear"
CLASSES = (YES, NO, NUMBER, PATTERN, SKIP, STOP, CANCEL, PAUSE, RESUME, MORE, REPEAT, HELP, UNCLEAR)
# Words that are never a request of their own: an answer no row expects is asked again.
ANSWER_ONLY = frozenset({YES, NO, NUMBER, PATTERN, SKIP, UNCLEAR})

# Which answer class each intent carries (slots decide for RatingIntent and BreathingIntent).
INTENT_CLASSES = {
    "AMAZON.YesIntent": YES, "ContinueIntent": YES,
    "AMAZON.NoIntent": NO,
    "AMAZON.NextIntent": SKIP,
    "AMAZON.StopIntent": STOP, "AMAZON.NavigateHomeIntent": STOP,
    "AMAZON.CancelIntent": CANCEL,
    "AMAZON.PauseIntent": PAUSE,
    "AMAZON.ResumeIntent": RESUME,
    "TellMeMoreIntent": MORE,
    "AMAZON.RepeatIntent": REPEAT,
    "AMAZON.HelpIntent": HELP,
    "AMAZON.FallbackIntent": UNCLEAR,
}


@dataclass(frozen=True)
class Question:
    ask: str                  # dialog that asks it: the last words of the response
    reprompt: str             # dialog said after silence: the same question again
    answers: dict = field(default_factory=dict)   # answer class -> action
    unclear: str = "clarify"  # dialog before the reprompt when the answer is not understood

    @property
    def closed(self) -> bool:
        """Every answer class spelled out (the crisis questions): any other request is taken
        as not understood, never handed to its own handler."""
        return set(CLASSES) <= set(self.answers)


# Said the same way at every question, unless a row says otherwise.
COMMON = {STOP: "stop", CANCEL: "stop", HELP: "help", REPEAT: "repeat", UNCLEAR: "clarify"}
# What a listener asked for by a number or a pattern name, wherever a practice is offered.
BREATHING_BY_SLOT = {NUMBER: "breathing_minutes", PATTERN: "breathing_pattern"}


def _crisis(yes: str, no: str, unsure: str = "crisis_again") -> dict:
    """After a crisis answer every class is spelled out: only stop, cancel (or a yes to
    stopping) ends the session, kindly; anything but a yes or a no is `unsure`, never a
    goodbye and never another handler's answer."""
    return {**{c: unsure for c in CLASSES}, YES: yes, NO: no, STOP: "crisis_close", CANCEL: "crisis_close"}


QUESTIONS: dict[str, Question] = {
    # "What would you like?" after the welcome, help, fallback or a setting
    "menu": Question("q_menu", "q_menu_reprompt", {
        YES: "start_breathing", NO: "goodbye", SKIP: "goodbye", **BREATHING_BY_SLOT}),
    # a returning listener: their usual practice, or how they are today
    "usual": Question("q_usual", "q_usual_reprompt", {
        YES: "start_offered", NO: "menu", SKIP: "menu", **BREATHING_BY_SLOT}),
    # a practice paused (or left in silence) last time
    "resume": Question("q_resume", "q_resume_reprompt", {
        YES: "resume", RESUME: "resume", MORE: "resume", NO: "menu_fresh", SKIP: "menu_fresh",
        NUMBER: "clarify", PATTERN: "clarify"}),
    # breathing asked with a length it cannot do
    "minutes": Question("q_minutes", "q_minutes_reprompt", {
        NUMBER: "breathing_minutes", YES: "breathing_default", SKIP: "breathing_default",
        PATTERN: "breathing_pattern", NO: "menu"}, unclear="minutes_unclear"),
    # breathing asked with a pattern it does not know
    "pattern": Question("q_pattern", "q_pattern_reprompt", {
        PATTERN: "breathing_pattern", YES: "breathing_default", SKIP: "breathing_default",
        NUMBER: "breathing_pattern_number", NO: "menu"}, unclear="pattern_unclear"),
    # between the turns of a long practice: anything but no, pause or stop goes on
    "turn_break": Question("q_turn_break", "q_turn_break_reprompt", {
        YES: "continue", MORE: "continue", RESUME: "continue", SKIP: "continue",
        NUMBER: "continue", PATTERN: "continue", UNCLEAR: "continue",
        NO: "pause", PAUSE: "pause", REPEAT: "repeat_turn"}),
    # between the parts of an explanation (pause keeps the place, as in a practice)
    "more": Question("q_more", "q_more_reprompt", {
        YES: "continue", MORE: "continue", SKIP: "continue", RESUME: "continue",
        NO: "menu", PAUSE: "pause", NUMBER: "clarify", PATTERN: "clarify"}),
    # a practice offered after an explanation, the progress summary, or a storage problem
    "practise_now": Question("q_practise_now", "q_practise_now_reprompt", {
        YES: "start_offered", NO: "goodbye", SKIP: "goodbye", **BREATHING_BY_SLOT}),
    # a check-in's suggestion; no hears the feeling's second choice once (checkin.json "also")
    "offer": Question("q_offer", "q_offer_reprompt", {
        YES: "checkin_start", NO: "checkin_also", SKIP: "menu", NUMBER: "clarify", PATTERN: "clarify"}),
    # the second choice; no to it too: the main choices
    "offer_also": Question("q_offer_also", "q_offer_also_reprompt", {
        YES: "checkin_start", NO: "menu", SKIP: "menu", NUMBER: "clarify", PATTERN: "clarify"}),
    # a check-in that did not catch the feeling (a feeling itself goes to CheckInIntent)
    "feeling": Question("q_feeling", "q_feeling_reprompt", {
        NO: "menu", SKIP: "menu", YES: "clarify", **BREATHING_BY_SLOT}),
    # 0 to 10 before a practice
    "rating_before": Question("q_rating_before", "q_rating_before_reprompt", {
        NUMBER: "rate_before", SKIP: "skip_rating", NO: "skip_rating", YES: "clarify",
        PATTERN: "clarify"}, unclear="rating_unclear"),
    # 0 to 10 after it
    "rating_after": Question("q_rating_after", "q_rating_after_reprompt", {
        NUMBER: "rate_after", SKIP: "skip_rating", NO: "skip_rating", YES: "clarify",
        PATTERN: "clarify"}, unclear="rating_unclear"),
    # a steadying practice offered after a rating of 9 or 10, or a rise
    "steady": Question("q_steady", "q_steady_reprompt", {
        YES: "start_offered", NO: "goodbye", SKIP: "goodbye", NUMBER: "clarify", PATTERN: "clarify"}),
    # after a steadying practice that came first: the practice they asked for
    "then": Question("q_then", "q_then_reprompt", {
        YES: "start_offered", NO: "goodbye", SKIP: "goodbye", NUMBER: "clarify", PATTERN: "clarify"}),
    # the end of a practice
    "practice_end": Question("q_practice_end", "q_practice_end_reprompt", {
        YES: "menu", NO: "goodbye", SKIP: "goodbye", **BREATHING_BY_SLOT}),
    # "forget me": only a clear yes deletes
    "forget": Question("q_forget", "q_forget_reprompt", {
        YES: "forget", NO: "keep", SKIP: "keep", NUMBER: "clarify", PATTERN: "clarify"}),
    # voice-guided or tone-guided, before breathing longer than one turn (devices with AudioPlayer)
    "guide": Question("guide_choice", "guide_choice_reprompt", {
        YES: "tones", NO: "voice", SKIP: "voice", NUMBER: "clarify", PATTERN: "clarify"}),
    # After a crisis answer, its danger category is the context ("cat"); the care rules
    # (which categories are asked which first, never a practice, "call now") are in
    # skill/handlers/safety_check.py. "Are you safe right now?"
    "crisis_safe": Question("q_crisis_safe", "q_crisis_safe_reprompt",
                            _crisis("crisis_safe_yes", "crisis_safe_no", unsure="crisis_safe_no")),
    # panic, after the steadying in its answer: not easing gets a second round first
    "crisis_easing": Question("q_crisis_easing", "q_crisis_easing_reprompt",
                              _crisis("crisis_safe_yes", "crisis_steady_again", unsure="crisis_steady_again")),
    # panic, after the second round: still not easing is "not safe" (the emergency number)
    "crisis_easing_again": Question("q_crisis_easing_again", "q_crisis_easing_again_reprompt",
                                    _crisis("crisis_safe_yes", "crisis_safe_no", unsure="crisis_safe_no")),
    # medical, harm done: "Can you call <emergency> now, or is someone with you who can?"
    "crisis_call": Question("q_crisis_call", "q_crisis_call_reprompt", _crisis("crisis_call_yes", "crisis_call_no")),
    # a few minutes of grounding, eyes open (never for medical or harm done)
    "crisis_grounding": Question("q_crisis_grounding", "q_crisis_grounding_reprompt",
                                 _crisis("crisis_grounding", "crisis_numbers")),
    # "Would you like to stop here for now?": the only yes that ends a crisis session
    "crisis_stop": Question("q_crisis_stop", "q_crisis_stop_reprompt", _crisis("crisis_close", "crisis_stay")),
    # after an apology for an error
    "try_again": Question("q_try_again", "q_try_again_reprompt", {
        YES: "menu", NO: "goodbye", SKIP: "goodbye", **BREATHING_BY_SLOT}),
}


def action(question: str, answer: str) -> str | None:
    """What `answer` does at `question`; None: not an answer, let its own handler run."""
    q = QUESTIONS[question]
    if answer in q.answers:
        return q.answers[answer]
    if answer in COMMON:
        return COMMON[answer]
    return "clarify" if answer in ANSWER_ONLY else None


def table() -> dict[str, dict[str, str]]:
    """The whole table, every class spelled out ('-' = its own handler): for the README and tests."""
    return {name: {c: action(name, c) or "-" for c in CLASSES} for name in QUESTIONS}
