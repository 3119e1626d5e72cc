"""Practices and explanations: starting, continuing turn by turn, repeat, start over,
pause and resume. The renderer decides what a turn says; this module decides which turn."""
from __future__ import annotations

import datetime as dt

from skill import breathing, catalogue, render, ssml, state
from skill.handlers import on_intent, safety_check
from skill.handlers.slots import number, raw, resolved_id
from skill.respond import choices, dialog, playing, reply

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


def _card(script_id: str) -> tuple[str, str]:
    script = catalogue.get(script_id)
    return script.title, script.summary


def play_turn(hi, script_id: str, params: dict, index: int, *before: str):
    """Speak turn `index` of a script, with what comes after it: the continue prompt,
    the rating after, or the closing question."""
    turns = render.render(script_id, state.locale(hi), state.rate(hi), **params)
    index = max(0, min(index, len(turns) - 1))
    turn = turns[index]
    s = state.session(hi)
    s["practice"] = {"id": script_id, "params": params, "turn": index, "count": len(turns)}
    playing(hi, script_id, params, index)
    title, summary = _card(script_id)
    kind = catalogue.get(script_id).kind
    if not turn.last:
        follow = "explanation_more" if kind == "explanation" else "continue_prompt"
        state.set_pending(hi, yes={"do": "continue"}, no={"do": "choices" if kind == "explanation" else "goodbye"})
        return reply(hi, *before, turn.body, dialog(hi, follow), reprompt=dialog(hi, "continue_reprompt"),
                     card_title=title, card_text=summary)
    s.pop("practice", None)
    if kind == "explanation":
        state.set_pending(hi, yes={"do": "start", "id": "breathing", "params": {}}, no={"do": "choices"})
        return reply(hi, *before, turn.body, dialog(hi, "explanation_end"),
                     reprompt=dialog(hi, "choices_reprompt"), card_title=title, card_text=summary)
    rating = s.get("rating") or {}
    if catalogue.get(script_id).for_sleep:
        # for falling asleep: no rating and no question, the session just ends
        s.pop("rating", None)
        state.record_practice(hi, script_id, params, rating.get("before"))
        return reply(hi, *before, turn.body, card_title=title, card_text=summary)
    entry = state.record_practice(hi, script_id, params, rating.get("before"))
    if rating.get("before") is not None:
        s["rating"] = {"stage": "after", "before": rating["before"], "entry": entry}
        return reply(hi, *before, turn.body, dialog(hi, "rating_after"), reprompt=dialog(hi, "rating_reprompt"),
                     card_title=title, card_text=summary)
    s.pop("rating", None)
    state.set_pending(hi, yes={"do": "choices"}, no={"do": "goodbye"})
    return reply(hi, *before, turn.body, dialog(hi, "practice_end"), reprompt=dialog(hi, "practice_end_reprompt"),
                 card_title=title, card_text=summary)


def start(hi, script_id: str, params: dict, *before: str):
    return play_turn(hi, script_id, params, 0, *before)


def _params_from_slots(hi, script_id: str):
    """Parameters from the slots, or the dialog that kindly asks again."""
    script = catalogue.get(script_id)
    params: dict = {}
    prefs = state.prefs(hi)
    if script.minutes:
        minutes = number(hi, "minutes")
        if raw(hi, "minutes") is not None and (minutes is None or not
                                               script.minutes["min"] <= minutes <= script.minutes["max"]):
            return None, dialog(hi, "minutes_unclear", min=script.minutes["min"], max=script.minutes["max"])
        favourite = prefs.get("minutes")
        if minutes is None and favourite is not None and script.minutes["min"] <= favourite <= script.minutes["max"]:
            minutes = favourite
        params["minutes"] = minutes if minutes is not None else script.minutes["default"]
    if "pattern" in script.params:
        pattern = resolved_id(hi, "pattern")
        heard = raw(hi, "pattern") is not None or pattern is not None
        if heard and pattern not in script.params["pattern"]["choices"]:
            return None, dialog(hi, "pattern_unclear")
        # A pattern with breath holds runs only when asked for by name, never from a preference.
        favourite = prefs.get("pattern")
        if pattern is None and favourite and not breathing.holds_breath(favourite):
            pattern = favourite
        params["pattern"] = pattern or script.params["pattern"]["default"]
    return script.resolve(**params), None


@on_intent(*INTENT_SCRIPTS)
def practice_intent(hi):
    guarded = safety_check.guard_practice(hi)
    if guarded is not None:
        return guarded
    name = hi.request_envelope.request.intent.name
    script_id = INTENT_SCRIPTS[name]
    params, clarify = _params_from_slots(hi, script_id)
    if clarify:
        return reply(hi, clarify, reprompt=clarify)
    state.session(hi).pop("rating", None)
    if script_id == "breathing" and state.memory(hi) is not None:
        prefs = state.prefs(hi)
        prefs["minutes"] = params["minutes"]
        if not breathing.holds_breath(params["pattern"]):
            prefs["pattern"] = params["pattern"]
    return start(hi, script_id, params)


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
    p = state.session(hi).pop("practice", None)
    if not p:
        return reply(hi, dialog(hi, "goodbye"))
    mem = state.memory(hi)
    if mem is not None:
        mem["paused"] = {"id": p["id"], "params": p["params"], "turn": p["turn"],
                         "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    return reply(hi, dialog(hi, "paused", title=catalogue.get(p["id"]).title))


@on_intent("AMAZON.ResumeIntent")
def resume(hi):
    p = state.session(hi).get("practice")
    if p:   # resume replays the turn that was playing: we can't know how far it got
        return play_turn(hi, p["id"], p["params"], p["turn"])
    mem = state.memory(hi) or {}
    paused = mem.get("paused")
    if not isinstance(paused, dict) or not catalogue.known(paused.get("id")):
        mem.pop("paused", None)
        return choices(hi, dialog(hi, "nothing_paused"))
    mem.pop("paused", None)
    if not state.practice_ok(paused):   # stored by an older version, or damaged: start afresh
        paused = {"id": paused["id"], "params": {}, "turn": 0}
    script = catalogue.get(paused["id"])
    return play_turn(hi, script.id, script.resolve(**paused["params"]), paused["turn"],
                     dialog(hi, "resume_start", title=script.title))


HANDLERS = [practice_intent, continue_intent, repeat, start_over, pause, resume]
