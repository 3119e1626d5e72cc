"""Practices and explanations: starting, continuing turn by turn, repeat, start over,
pause and resume. The renderer decides what a turn says; this module decides which turn."""
from __future__ import annotations

from ask_sdk_model import Intent, IntentConfirmationStatus, Slot

from skill import breathing, catalogue, render, ssml, state
from skill.handlers import on_intent
from skill.handlers.slots import number, raw, resolved_id
from skill.respond import ask, choices, dialog, goodbye, help_dialog, playing, reply

INTENT_SCRIPTS = {
    "BreathingIntent": "breathing", "BodyScanIntent": "body-scan", "SafePlaceIntent": "safe-place",
    "KindMemoryIntent": "kind-memory", "KindFriendIntent": "kind-friend",
    "KindActionIntent": "kind-action", "GroundingIntent": "grounding",
    "LovingKindnessIntent": "loving-kindness", "SleepBodyScanIntent": "body-scan-sleep",
    "CompassionateSelfIntent": "compassionate-self", "CompassionateImageIntent": "compassionate-other",
    "CompassionateColourIntent": "compassionate-colour", "SoothingSensesIntent": "soothing-senses",
    "KindLetterIntent": "kind-letter", "ReceivingKindnessIntent": "receiving-kindness",
    "WhySelfCompassionIntent": "why-self-compassion", "CompassionAttributesIntent": "six-attributes",
    "SkillsOverviewIntent": "skills-overview", "FearsOfCompassionIntent": "fears-of-compassion",
}
BREATHING_INTENT = "BreathingIntent"


def _card(script_id: str) -> tuple[str, str]:
    script = catalogue.get(script_id)
    return script.title, script.summary


def play_turn(hi, script_id: str, params: dict, index: int, *before: str):
    """Speak turn `index` of a script, with what comes after it: the turn-break question,
    the rating after, or the closing question."""
    s = state.session(hi)
    turns = render.render(script_id, state.locale(hi), state.rate(hi), **params)
    index = max(0, min(index, len(turns) - 1))
    turn = turns[index]
    s["practice"] = {"id": script_id, "params": params, "turn": index, "count": len(turns)}
    playing(hi, script_id, params, index)
    title, summary = _card(script_id)
    kind = catalogue.get(script_id).kind
    if not turn.last:
        return ask(hi, "more" if kind == "explanation" else "turn_break", *before, turn,
                   card_title=title, card_text=summary)
    s.pop("practice", None)
    if kind == "explanation":
        state.done_with(hi, script_id)
        return ask(hi, "practise_now", *before, turn, card_title=title, card_text=summary)
    rating = s.get("rating") or {}
    if catalogue.get(script_id).for_sleep:
        # for falling asleep: no rating and no question, the session just ends
        s.pop("rating", None)
        state.record_practice(hi, script_id, params, rating.get("before"))
        return reply(hi, *before, turn, card_title=title, card_text=summary)
    entry = state.record_practice(hi, script_id, params, rating.get("before"))
    if rating.get("before") is not None:
        s["rating"] = {"stage": "after", "before": rating["before"], "entry": entry, "id": script_id,
                       "then": rating.get("then")}
        return ask(hi, "rating_after", *before, turn, card_title=title, card_text=summary)
    s.pop("rating", None)
    if rating.get("then"):
        return ask(hi, "then", *before, turn, id=rating["then"], card_title=title, card_text=summary)
    return ask(hi, "practice_end", *before, turn, card_title=title, card_text=summary)


def start(hi, script_id: str, params: dict, *before: str):
    """Turn 0. A listener's first practice carries `first_time` in its parameters (the
    scripts add their cautions, e.g. not while driving), so every later turn, and a resume
    days later, renders the same turns."""
    if catalogue.get(script_id).kind == "practice" and state.first_time(hi):
        params = {**params, "first_time": True}
    return play_turn(hi, script_id, params, 0, *before)


def breathing_params(hi, minutes=None, pattern=None) -> tuple[dict | None, str | None]:
    """Breathing's parameters from what was said, the listener's favourites and the
    defaults; or (None, "minutes"/"pattern") naming what cannot be done as said."""
    script = catalogue.get("breathing")
    prefs = state.prefs(hi)
    spec = script.minutes
    if minutes is not None and not spec["min"] <= minutes <= spec["max"]:
        return None, "minutes"
    if pattern is not None and pattern not in script.params["pattern"]["choices"]:
        return None, "pattern"
    favourite = prefs.get("minutes")
    if minutes is None and favourite is not None and spec["min"] <= favourite <= spec["max"]:
        minutes = favourite
    # A pattern with breath holds runs only when asked for by name, never from a preference.
    liked = prefs.get("pattern")
    if pattern is None and liked and not breathing.holds_breath(liked):
        pattern = liked
    return script.resolve(minutes=minutes, pattern=pattern), None


def ask_breathing(hi, missing: str, minutes=None, pattern=None):
    """Ask again for the length or the pattern, kindly; on Alexa, with Dialog.ElicitSlot so
    the answer comes back as BreathingIntent with that slot."""
    spec = catalogue.get("breathing").minutes
    context = {"min": spec["min"], "max": spec["max"]}
    if missing == "minutes" and pattern is not None:
        context["pattern"] = pattern
    if missing == "pattern" and minutes is not None:
        context["minutes"] = minutes
    body = dialog(hi, f"{missing}_unclear", min=spec["min"], max=spec["max"])
    return ask(hi, missing, help_dialog(hi, "body_alarm"), body, directives=elicit(hi, missing, context), **context)


def elicit(hi, slot_name: str, context: dict) -> tuple:
    """Dialog.ElicitSlot for a BreathingIntent slot, keeping the other slot's value."""
    if getattr(hi.request_envelope.request, "object_type", None) != "IntentRequest":
        return ()
    from ask_sdk_model.dialog import ElicitSlotDirective   # that package loads ~15 modules: cold start
    slots = {name: Slot(name=name, value=str(context[name]) if context.get(name) is not None else None)
             for name in ("minutes", "pattern")}
    intent = Intent(name=BREATHING_INTENT, slots=slots, confirmation_status=IntentConfirmationStatus.NONE)
    return (ElicitSlotDirective(updated_intent=intent, slot_to_elicit=slot_name),)


def start_breathing(hi, minutes=None, pattern=None, *before: str):
    """Breathing as asked (remembered as the listener's favourite), or the question again."""
    params, missing = breathing_params(hi, minutes, pattern)
    if missing:
        return ask_breathing(hi, missing, minutes, pattern)
    if state.memory(hi) is not None and (minutes is not None or pattern is not None):
        prefs = state.prefs(hi)
        prefs["minutes"] = params["minutes"]
        if not breathing.holds_breath(params["pattern"]):
            prefs["pattern"] = params["pattern"]
    from skill.handlers.audio_player import offer
    asked = offer(hi, params, *before)     # voice or tones, where the device plays streams
    if asked is not None:
        return asked
    return start(hi, "breathing", params, *before)


def start_usual(hi, script_id: str, *before: str):
    """A practice offered by name (usual, suggested, steadying): with the listener's favourites."""
    if script_id == "breathing":
        params, _ = breathing_params(hi)
        return start(hi, "breathing", params, *before)
    return start(hi, script_id, catalogue.get(script_id).resolve(), *before)


@on_intent(*INTENT_SCRIPTS)
def practice_intent(hi):
    name = hi.request_envelope.request.intent.name
    script_id = INTENT_SCRIPTS[name]
    state.session(hi).pop("rating", None)
    if script_id != "breathing":
        return start(hi, script_id, catalogue.get(script_id).resolve())
    minutes = number(hi, "minutes")
    if raw(hi, "minutes") is not None and minutes is None:
        return ask_breathing(hi, "minutes")
    pattern = resolved_id(hi, "pattern")
    if pattern is None and raw(hi, "pattern") is not None:
        return ask_breathing(hi, "pattern", minutes=minutes)
    return start_breathing(hi, minutes, pattern)


@on_intent("ContinueIntent", "AMAZON.NextIntent", "TellMeMoreIntent")
def continue_intent(hi):
    p = state.session(hi).get("practice")
    if p:
        return play_turn(hi, p["id"], p["params"], p["turn"] + 1)
    paused = (state.memory(hi) or {}).get("paused")
    if paused:
        return resume(hi)
    return choices(hi, dialog(hi, "nothing_to_continue"))


@on_intent("AMAZON.RepeatIntent")
def repeat(hi):
    last = state.session(hi).get("last")
    loc = state.locale(hi)
    if not last or ssml.check(last["speech"], loc) or ssml.check(last["reprompt"], loc):
        return choices(hi)
    rb = hi.response_builder.speak(last["speech"]).ask(last["reprompt"])
    return rb.response


@on_intent("AMAZON.StartOverIntent")
def start_over(hi):
    p = state.session(hi).get("practice")
    if p:
        return play_turn(hi, p["id"], p["params"], 0)
    return choices(hi)


@on_intent("AMAZON.PauseIntent")
def pause(hi):
    """A practice or an explanation: its place is kept, and the next launch offers it. In a
    session that had a crisis answer, the crisis farewell instead (skill.respond.goodbye)."""
    if state.crisis(hi):
        return goodbye(hi)
    p = state.session(hi).get("practice")
    if not p or not state.pause_here(hi):
        return reply(hi, dialog(hi, "goodbye"))
    state.session(hi).pop("practice", None)
    return reply(hi, dialog(hi, "paused", title=catalogue.get(p["id"]).title))


@on_intent("AMAZON.ResumeIntent")
def resume(hi):
    p = state.session(hi).get("practice")
    if p:   # resume replays the turn that was playing: we can't know how far it got
        return play_turn(hi, p["id"], p["params"], p["turn"])
    mem = state.memory(hi) or {}
    paused = state.paused_place(hi)
    mem.pop("paused", None)
    if paused is None:
        return choices(hi, dialog(hi, "nothing_paused"))
    if not state.practice_ok(paused):   # stored by an older version, or damaged: start afresh
        paused = {"id": paused["id"], "params": {}, "turn": 0}
    script = catalogue.get(paused["id"])
    params = script.resolve(**paused["params"])
    if paused.get("offset_ms") is not None:   # the tone track, paused partway
        from skill.handlers.audio_player import resume_paused
        return resume_paused(hi, params, paused["offset_ms"], dialog(hi, "resume_start", title=script.title))
    return play_turn(hi, script.id, params, paused["turn"], dialog(hi, "resume_start", title=script.title))


HANDLERS = [practice_intent, continue_intent, repeat, start_over, pause, resume]
