"""Building every response: SSML at the listener's rate, checked, with card and session flag.

The session stays open exactly when a reprompt is given, and every dialog that passes a
reprompt ends with a question (tests hold the dialogs to that).
"""
from __future__ import annotations

import logging
from functools import lru_cache

from ask_sdk_model.ui import SimpleCard

from skill import apl, helplines, render, ssml, state

CARD_TITLE = "Compassion Coach"
CARD_MAX_CHARS = 900
CHECK_CACHE_ENTRIES = 1024
log = logging.getLogger(__name__)


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


URGENT_HELP_GIVEN = "urgent_help_given"   # request attribute set by answers that give the lines


def _first_words_note(hi) -> str | None:
    """A first-time listener's first words, whatever they are (a one-shot request too), are
    answered with how to get urgent help first; the welcome and crisis answers say it already."""
    env = hi.request_envelope
    if env.session is None or not env.session.new or getattr(env.request, "object_type", None) != "IntentRequest":
        return None
    if hi.attributes_manager.request_attributes.get(URGENT_HELP_GIVEN) or state.history(hi):
        return None
    return dialog(hi, "urgent_help", help=helplines.for_locale(state.locale(hi)))


def reply(hi, *bodies: str, reprompt: str | None = None, card_title: str = CARD_TITLE,
          card_text: str | None = None):
    """Speak `bodies`; keep the session open with `reprompt` if given, else end it."""
    note = _first_words_note(hi)
    if note:
        bodies = (note, *bodies)
    loc, rate = state.locale(hi), state.rate(hi)
    speech = render.speech(*bodies, rate=rate)
    problems = _problems(speech, loc)
    if problems:
        # A script bug must not end the listener's session with Alexa's error sound.
        log.error("invalid SSML in a response: %s", ", ".join(sorted({p.rule for p in problems})))
        speech = render.speech(render.dialog("error", loc, rate), rate=rate)
        reprompt = render.dialog("choices_reprompt", loc, rate)
    rb = hi.response_builder.speak(speech)
    reprompt_speech = render.speech(reprompt, rate=rate) if reprompt else None
    if reprompt_speech:
        rb.ask(reprompt_speech)
    else:
        rb.set_should_end_session(True)
    rb.set_card(SimpleCard(card_title, card_text if card_text is not None else _card_text(speech)))
    if reprompt_speech:
        state.session(hi)["last"] = {"speech": speech, "reprompt": reprompt_speech}
    if apl.supported(hi):
        _screen(hi, rb.response, bodies if not problems else (), card_title,
                card_text if card_text is not None else _card_text(speech))
    state.save(hi)
    return rb.response


SCREEN_REQUESTS = ("LaunchRequest", "IntentRequest")   # the requests a screen may answer


def ensure_screen(hi, response) -> None:
    """Any spoken answer on a screen that came without one (e.g. a repeat, which replays the
    last speech) gets the calm screen, so a pacer is never left showing a turn that is over."""
    if response is None or response.output_speech is None or not apl.supported(hi):
        return
    if getattr(hi.request_envelope.request, "object_type", None) not in SCREEN_REQUESTS:
        return
    if any(getattr(d, "object_type", "").startswith("Alexa.Presentation.APL.") for d in response.directives or []):
        return
    speech = getattr(response.output_speech, "ssml", None) or ""
    response.directives = (response.directives or []) + apl.calm(CARD_TITLE, _card_text(speech))


def playing(hi, script_id: str, params: dict, index: int) -> None:
    """Note the practice turn this request speaks, for the screen (request-scoped)."""
    hi.attributes_manager.request_attributes["playing"] = (script_id, params, index)


def _screen(hi, response, bodies, title: str, text: str) -> None:
    """Echo Show: every response carries a screen, so none is left showing a practice that
    stopped. A breathing turn becomes the pacer, whose commands speak the turn in step with
    the circle, so the speech leaves outputSpeech; anything else keeps its speech and shows
    a calm screen. Devices without a screen never get here."""
    script_id, params, index = hi.attributes_manager.request_attributes.get("playing") or (None, None, 0)
    loc, rate = state.locale(hi), state.rate(hi)
    turns = render.render(script_id, loc, rate, **params) if script_id else ()
    body = turns[index].body if turns else None
    if body is None or body not in bodies:
        # kept: directives already given (AudioPlayer.Play for the tone track)
        response.directives = (response.directives or []) + apl.calm(title, text)
        return
    try:
        segments = apl.turn_segments(script_id, params, loc, rate, index)
    except ValueError as err:   # the render and the pattern disagree: speak, show a calm screen
        log.error("no pacer for this turn: %s", err)
        response.directives = (response.directives or []) + apl.calm(title, text)
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


def choices(hi, *before: str):
    """Offer the main choices (after `before`), session open."""
    return reply(hi, *before, dialog(hi, "choices"), reprompt=dialog(hi, "choices_reprompt"))


def goodbye(hi):
    state.session(hi).pop("practice", None)
    return reply(hi, dialog(hi, "goodbye"))
