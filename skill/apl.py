"""Echo Show screens (APL): the breathing pacer, and a calm screen for everything else.

The pacer is timed by the same pattern data as the voice. Each breath phase is one
`Parallel` command: the phase's spoken cue (`SpeakItem` of a hidden component whose
speech is the turn's own SSML, through the ssmlToSpeech transformer), an `Idle` of exactly
the phase's length, and the circle's `AnimateItem` of the same length. A `Parallel` ends
when its longest command ends, so each phase lasts its length on the device's own clock
and sound and motion start together at every phase: they cannot drift apart. Speech
before and after the paced breathing is one `SpeakItem` each, in the same `Sequential`.

The documents are data files (skill/data/apl/); this module fills in the data and builds
the commands. Every response to a device with a screen carries a screen, so the screen
never shows a practice that has stopped, paused, or given way to a crisis answer.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from skill import breathing, catalogue, render, ssml
from skill.timeline import Phase as TimedPhase, Speak

APL_DIR = Path(__file__).resolve().parent / "data" / "apl"
TOKEN = "compassion-coach-screen"   # one token: each new document replaces the last
MAX_RESPONSE_BYTES = 120 * 1024     # Alexa's limit on a whole response, APL included
REST_SCALE = 0.55                   # the circle after an out-breath
FULL_SCALE = 1.0                    # the circle after an in-breath (it fills the ring)
BEFORE_TOP_UP_SCALE = 0.86          # an in-breath followed by a top-up stops short of full
BREATH_EASING = "ease-in-out"       # breath starts and ends softly
# APL's environment has no reduced-motion flag; `animation` is "none" where the device or
# its settings want no animation (apl-core-library: RootProperty::kAnimationQuality).
MOTION_ALLOWED = "${environment.animation != 'none'}"
# How a breath moves the circle; holds and rests keep it still.
GROWS = ("in", "top-up")
SHRINKS = ("out",)


@dataclass(frozen=True)
class Voice:
    """Speech played as one piece (an introduction, a prompt)."""
    body: str


@dataclass(frozen=True)
class Phase:
    """One timed breath phase: its kind, its length, what the voice says as it starts, and
    where it falls in the practice's paced breathing."""
    breath: str
    s: float
    cue: str
    start_s: float


@lru_cache(maxsize=None)
def _json(name: str) -> dict:
    data = json.loads((APL_DIR / name).read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def words() -> dict:
    return _json("words.json")


@lru_cache(maxsize=None)
def document(name: str) -> dict:
    """A document from skill/data/apl/ with the shared theme's resources. Shared: read only."""
    doc = copy.deepcopy(_json(f"{name}.json"))
    doc["resources"] = copy.deepcopy(_json("theme.json")["resources"])
    return doc


# ---- where the breath phases of a turn are -------------------------------------------

def _cue_ssml(cue: Speak, base_rate_pct: int) -> str:
    """A cue's words as the render parsed them, with any volume or rate of their own (the
    turn's rate is added around every voice by _speech)."""
    words = ssml.escape(cue.text)
    if cue.rate_pct != base_rate_pct:
        words = f'<prosody rate="{round(cue.rate_pct * 100 / base_rate_pct)}%">{words}</prosody>'
    if cue.volume_db:
        words = f'<prosody volume="{cue.volume_db:+g}dB">{words}</prosody>'
    return words


def turn_segments(turns, index: int) -> tuple:
    """Turn `index` of a rendered practice as Voice and Phase segments, in order, from the
    render's own parse: a part that is timed breath phases is those phases, any other part
    is spoken whole. None when the turn has no timed phases (a calm screen instead)."""
    turn = turns[index]
    if not turn.phases:
        return ()
    base = render.rate_pct(turn.rate)
    start_s = sum(p.seconds for t in turns[:index] for _, p in t.phases)
    out: list = []
    for part in turn.parts:
        phases = [item for item in part.timeline if isinstance(item, TimedPhase)]
        if not phases:
            out.append(Voice(part.body))
            continue
        if len(phases) != len(part.timeline):
            raise ValueError("a part mixes timed phases with other speech or silence")
        for p in phases:
            out.append(Phase(p.breath, p.seconds, _cue_ssml(p.cue, base) if p.cue else "", start_s))
            start_s += p.seconds
    return tuple(out)


def breathing_title(params: dict) -> str:
    """The practice's title, or the pattern's when it is not the default rhythm."""
    pattern = params.get("pattern")
    if pattern == catalogue.get("breathing").params["pattern"]["default"]:
        return catalogue.get("breathing").title
    return breathing.patterns()[pattern]["title"].capitalize()


def paced_total_s(params: dict) -> float:
    cycles = breathing.cycles(params["pattern"], params["minutes"] * 60)
    return sum(c.s for c in cycles)


# ---- the pacer ---------------------------------------------------------------------

def _target_scale(phases: list[Phase], k: int, scale: float) -> float:
    phase = phases[k]
    if phase.breath in SHRINKS:
        return REST_SCALE
    if phase.breath == "in":
        next_breath = phases[k + 1].breath if k + 1 < len(phases) else None
        return BEFORE_TOP_UP_SCALE if next_breath == "top-up" else FULL_SCALE
    if phase.breath == "top-up":
        return FULL_SCALE
    return scale


def _speech(body: str, rate: str) -> str:
    return render.speech(body, rate=rate)


def _animate(component: str, ms: int, easing: str, prop: str, start: float, end: float) -> dict:
    return {"type": "AnimateItem", "componentId": component, "duration": ms, "easing": easing,
            "when": MOTION_ALLOWED,
            "value": [{"property": "transform", "from": [{prop: start}], "to": [{prop: end}]}]}


def pacer(segments: list, title: str, rate: str, total_s: float) -> list:
    """RenderDocument and ExecuteCommands for a breathing turn; `segments` in speaking order
    (Voice and Phase), `total_s` the practice's paced breathing, for the progress line."""
    w = words()
    phases = [s for s in segments if isinstance(s, Phase)]
    first = phases[0].start_s if phases else 0.0
    before = not segments or isinstance(segments[0], Voice)
    props: dict = {"title": title, "hint": w["hint"], "scale": REST_SCALE,
                   "cue": w["before"] if before else w["cue"][phases[0].breath],
                   "progress": round(first / total_s, 4) if total_s else 0.0, "voices": []}
    transformers = []
    steps: list[dict] = []
    scale, k = REST_SCALE, 0
    for n, seg in enumerate(segments):
        voice = f"v{n}"
        spoken = isinstance(seg, Voice) or bool(seg.cue)   # a phase the guidance keeps quiet has no voice
        if spoken:
            props["voices"].append(voice)
            transformers.append({"inputPath": voice, "outputName": f"{voice}Speech",
                                 "transformer": "ssmlToSpeech"})
        if isinstance(seg, Voice):
            props[voice] = _speech(seg.body, rate)
            label = w["before"] if k == 0 and phases else w["after"] if phases else None
            if label and n:
                steps.append({"type": "SetValue", "componentId": "cue", "property": "text", "value": label})
            steps.append({"type": "SpeakItem", "componentId": voice})
        else:
            if spoken:
                props[voice] = _speech(seg.cue, rate)
            ms = round(seg.s * 1000)
            target = _target_scale(phases, k, scale)
            together = [{"type": "SetValue", "componentId": "cue", "property": "text",
                         "value": w["cue"][seg.breath]},
                        *([{"type": "SpeakItem", "componentId": voice}] if spoken else []),
                        {"type": "Idle", "delay": ms}]
            if target != scale:
                together.append(_animate("circle", ms, BREATH_EASING, "scale", scale, target))
            if total_s:
                together.append(_animate("progress", ms, "linear", "scaleX",
                                         round(seg.start_s / total_s, 4),
                                         round((seg.start_s + seg.s) / total_s, 4)))
            steps.append({"type": "Parallel", "commands": together})
            scale, k = target, k + 1
    datasources = {"pacer": {"type": "object", "properties": props, "transformers": transformers}}
    from ask_sdk_model.interfaces.alexa.presentation.apl import (  # see calm()
        ExecuteCommandsDirective, RenderDocumentDirective)
    return [RenderDocumentDirective(token=TOKEN, document=document("pacer"), datasources=datasources),
            ExecuteCommandsDirective(token=TOKEN, commands=[
                {"type": "Sequential", "screenLock": True, "commands": steps}])]


def calm(title: str, body: str, step: str = "", hint: str = "", whole: bool = False) -> list:
    """The calm screen: title, the current step, a few lines, how to stop. `whole`: the
    body was written to be read (help lines, a summary): each of its lines is shown in full,
    never cut; else it is the words of an answer, shown as one paragraph cut to a few lines."""
    lines = [line for line in body.split("\n") if line.strip()] if whole else [" ".join(body.split())]
    props = {"title": title, "lines": lines, "whole": whole, "step": step, "hint": hint}
    # Imported when a screen is drawn: the package loads every APL model (about 80
    # modules), a large share of a cold start for the many devices without a screen.
    from ask_sdk_model.interfaces.alexa.presentation.apl import RenderDocumentDirective
    return [RenderDocumentDirective(token=TOKEN, document=document("calm"),
                                    datasources={"calm": {"type": "object", "properties": props}})]


def practice_screen(script_id: str, index: int, count: int) -> list:
    script = catalogue.get(script_id)
    w = words()
    step = w["step"].format(n=index + 1, count=count) if count > 1 else ""
    return calm(script.title, script.summary, step, w["hint"], whole=True)
