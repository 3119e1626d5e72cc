"""Building every response: SSML at the listener's rate, checked, with card and session flag.

The session stays open exactly when the response asks one of the questions in
skill/questions.py (`ask`): its words come last, its reprompt repeats it, and the question
is remembered so the answer is read against it. The first response a listener ever hears
starts with the disclaimer, however they started.
"""
from __future__ import annotations

import logging
from functools import lru_cache

from ask_sdk_model.ui import SimpleCard

# skill.apl and skill.apla are imported where a screen or APL-A is drawn: a launch on a
# speaker needs neither (the Lambda cold start).
from skill import catalogue, interfaces, questions, render, ssml, state

CARD_TITLE = "Compassion Coach"
CARD_MAX_CHARS = 900
CHECK_CACHE_ENTRIES = 1024
log = logging.getLogger(__name__)
URGENT_HELP_GIVEN = "urgent_help_given"   # request attribute set by answers that give the lines


def _first_words_note(hi, bodies: tuple) -> str | None:
    """A first-time listener's first words, whatever they are (a one-shot request too), are
    answered with how to get urgent help first; the welcome, the crisis answers and an answer
    that says the urgent note (a fallback, a check-in) say it already."""
    env = hi.request_envelope
    if env.session is None or not env.session.new or getattr(env.request, "object_type", None) != "IntentRequest":
        return None
    if hi.attributes_manager.request_attributes.get(URGENT_HELP_GIVEN) or state.history(hi):
        return None
    urgent = help_dialog(hi, "urgent_note")
    if any(isinstance(b, str) and urgent in b for b in bodies):
        return None
    return help_dialog(hi, "urgent_help")


@lru_cache(maxsize=CHECK_CACHE_ENTRIES)
def _problems(speech: str, locale: str) -> tuple:
    """ssml.check, kept per document: responses repeat (a turn and its prompt), and the
    check of a long practice turn costs more than building it."""
    return tuple(ssml.check(speech, locale))


@lru_cache(maxsize=CHECK_CACHE_ENTRIES)
def _card_text(speech: str) -> str:
    text = ssml.plain_text(speech)
    if len(text) <= CARD_MAX_CHARS:
        return text
    return text[:CARD_MAX_CHARS].rsplit(" ", 1)[0] + " …"


def reply(hi, *bodies: str | render.Turn, reprompt: str | None = None, card_title: str = CARD_TITLE,
          card_text: str | None = None, disclaimer: bool = True, directives=(), _question=None):
    """Speak `bodies` (SSML bodies, or practice turns); keep the session open with `reprompt`
    if given, else end it. Questions go through `ask`; `disclaimer=False` only where it must
    not come first (crisis)."""
    loc, rate = state.locale(hi), state.rate(hi)
    if hi.request_envelope.session is not None:
        state.set_asked(hi, *(_question or (None,)))
    if disclaimer and hi.request_envelope.session is not None and state.needs_disclaimer(hi):
        # the disclaimer, with how to get urgent help: the first thing a new listener hears;
        # it says the urgent note, so an answer's own (a fallback's, a check-in's) is not said again
        urgent = render.help_dialog("urgent_note", loc, rate)
        bodies = (render.help_dialog("first_time", loc, rate),
                  *(b.replace(urgent, "") if isinstance(b, str) else b for b in bodies if b != urgent))
        state.mark_told(hi)
        hi.attributes_manager.request_attributes[URGENT_HELP_GIVEN] = True
    note = _first_words_note(hi, bodies)
    if note:
        bodies = (note, *bodies)
    texts = tuple(b.body if isinstance(b, render.Turn) else b for b in bodies)
    speech = render.speech(*texts, rate=rate)
    problems = _problems(speech, loc)
    if problems:
        # A script bug must not end the listener's session with Alexa's error sound.
        log.error("invalid SSML in a response: %s", ", ".join(sorted({p.rule for p in problems})))
        try_again = questions.QUESTIONS["try_again"]
        speech = render.speech(render.dialog("error", loc, rate), render.dialog(try_again.ask, loc, rate), rate=rate)
        reprompt = render.dialog(try_again.reprompt, loc, rate)
        state.set_asked(hi, "try_again")
        directives = ()
    if reprompt is None and hi.request_envelope.session is not None and state.crisis(hi):
        # a session that had a crisis answer ends with the help lines on the card, always
        from skill.handlers import safety_check   # it builds on this module
        card_title, card_text = safety_check.session_card(hi)
    rb = hi.response_builder
    screen = interfaces.screen(hi)   # on a screen, the pacer (skill.apl) takes the turn
    audio = None if problems or screen else apla_directive(hi, bodies, rate)
    if audio is not None:
        rb.add_directive(audio)      # the APL-A document is the speech; the SSML is not sent too
    else:
        rb.speak(speech)
    for directive in directives:
        rb.add_directive(directive)
    reprompt_speech = render.speech(reprompt, rate=rate) if reprompt else None
    if reprompt_speech:
        rb.ask(reprompt_speech)
    else:
        rb.set_should_end_session(True)
    rb.set_card(SimpleCard(card_title, card_text if card_text is not None else _card_text(speech)))
    if reprompt_speech:
        state.session(hi)["last"] = {"speech": speech, "reprompt": reprompt_speech}
    if screen:   # a card text given on purpose (help lines, a summary) is shown whole
        _screen(hi, rb.response, texts if not problems else (), card_title,
                card_text if card_text is not None else _card_text(speech), whole=card_text is not None)
    state.save(hi)
    return rb.response


def apla_directive(hi, bodies: tuple, rate: str):
    """A practice turn, with what is said around it, as APL-A on devices that play it (so
    each breath phase lasts exactly its length); None keeps the SSML."""
    if not any(isinstance(b, render.Turn) for b in bodies) or not interfaces.apla(hi):
        return None
    return _apla_directive(tuple(bodies), rate)


@lru_cache(maxsize=CHECK_CACHE_ENTRIES)
def _apla_directive(bodies: tuple, rate: str):
    from skill import apla
    items, comps = [], []
    for b in bodies:
        if isinstance(b, render.Turn):
            items += b.timeline
            comps += apla.components(list(b.timeline))
        elif b and b.strip():
            said, steps = apla.words(render.speech(b, rate=rate))
            items += steps
            comps += said
    if apla.limit_s(items) > apla.MAX_AUDIO_S:
        return None
    # Imported only for a device that takes APL-A: that package loads every APL-A model.
    from ask_sdk_model.interfaces.alexa.presentation.apla import RenderDocumentDirective
    return RenderDocumentDirective(token=apla.TOKEN, document=apla.document_of(comps))


SCREEN_REQUESTS = ("LaunchRequest", "IntentRequest")   # the requests a screen may answer


def ensure_screen(hi, response) -> None:
    """Any spoken answer on a screen that came without one (e.g. a repeat, which replays the
    last speech) gets the calm screen, so a pacer is never left showing a turn that is over."""
    if response is None or response.output_speech is None or not interfaces.screen(hi):
        return
    from skill import apl
    if getattr(hi.request_envelope.request, "object_type", None) not in SCREEN_REQUESTS:
        return
    if any(getattr(d, "object_type", "").startswith("Alexa.Presentation.APL.") for d in response.directives or []):
        return
    speech = getattr(response.output_speech, "ssml", None) or ""
    response.directives = (response.directives or []) + apl.calm(CARD_TITLE, _card_text(speech))


def playing(hi, script_id: str, params: dict, index: int) -> None:
    """Note the practice turn this request speaks, for the screen (request-scoped)."""
    hi.attributes_manager.request_attributes["playing"] = (script_id, params, index)


def _screen(hi, response, bodies, title: str, text: str, whole: bool = False) -> None:
    """Echo Show: every response carries a screen, so none is left showing a practice that
    stopped. A breathing turn becomes the pacer, whose commands speak the turn in step with
    the circle, so the speech leaves outputSpeech; anything else keeps its speech and shows
    a calm screen. Devices without a screen never get here."""
    from skill import apl
    script_id, params, index = hi.attributes_manager.request_attributes.get("playing") or (None, None, 0)
    loc, rate = state.locale(hi), state.rate(hi)
    turns = render.render(script_id, loc, rate, **params) if script_id else ()
    body = turns[index].body if turns else None
    if body is None or body not in bodies:
        # kept: directives already given (AudioPlayer.Play for the tone track)
        response.directives = (response.directives or []) + apl.calm(title, text, whole=whole)
        return
    try:
        segments = apl.turn_segments(turns, index)
    except ValueError as err:   # a turn the pacer cannot show: speak, show a calm screen
        log.error("no pacer for this turn: %s", err)
        response.directives = (response.directives or []) + apl.calm(title, text, whole=whole)
        return
    if not segments:
        response.directives = (response.directives or []) + apl.practice_screen(script_id, index, len(turns))
        return
    voiced = []
    for b in bodies:
        if b is body or b == body:
            voiced.extend(segments)
        elif b and b.strip():
            voiced.append(apl.Voice(b.strip()))
    response.directives = (response.directives or []) + apl.pacer(
        voiced, apl.breathing_title(params), rate, apl.paced_total_s(params))
    response.output_speech = None


def dialog(hi, name: str, **values) -> str:
    return render.dialog(name, state.locale(hi), state.rate(hi), **values)


def help_dialog(hi, name: str) -> str:
    """A line that says the listener's help lines (urgent_note, body_alarm)."""
    return render.help_dialog(name, state.locale(hi), state.rate(hi))


def ask(hi, question: str, *bodies: str, card_title: str = CARD_TITLE, card_text: str | None = None,
        directives=(), again: bool = False, disclaimer: bool = True, dialog_values: dict | None = None,
        **context):
    """Speak `bodies`, then ask `question` (skill/questions.py), session open; the reprompt
    repeats it. `context` is remembered with the question (ids, numbers) and given to its
    dialogs, with `title` for a practice id; `dialog_values` are given to them only (the help
    lines a crisis question says again). `again`: asked a second time, in the reprompt's
    words, which name the choices."""
    q = questions.QUESTIONS[question]
    values = dict(context)
    if catalogue.known(values.get("id")):
        values.setdefault("title", catalogue.get(values["id"]).title)
    values = {k: v for k, v in values.items() if isinstance(v, (str, int, float)) and not isinstance(v, bool)}
    values.update(dialog_values or {})
    again_words = dialog(hi, q.reprompt, **values)
    return reply(hi, *bodies, again_words if again else dialog(hi, q.ask, **values), reprompt=again_words,
                 card_title=card_title, card_text=card_text, directives=directives,
                 disclaimer=disclaimer, _question=(question, context))


def choices(hi, *before: str):
    """Offer the main choices (after `before`), session open."""
    return ask(hi, "menu", *before)


def goodbye(hi):
    """End kindly. A practice left partway is kept as paused, to pick up next time. In a
    session that had a crisis answer, the crisis farewell instead: the numbers once more."""
    if state.crisis(hi):
        from skill.handlers import safety_check   # it builds on this module
        state.session(hi).pop("practice", None)
        return safety_check.farewell(hi)
    if state.pause_here(hi):
        state.session(hi).pop("practice", None)
        return reply(hi, dialog(hi, "goodbye_paused"))
    return reply(hi, dialog(hi, "goodbye"))
