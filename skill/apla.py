"""APL for Audio: a response's timeline as an Alexa.Presentation.APLA document.

A timed breath phase is a Mixer of the cue's Speech and a Silence of exactly the phase's
length. A Mixer lasts as long as its longest child, so the phase lasts its length whatever
speed Alexa speaks at, as long as the cue fits (the lint checks that with a generous margin:
cue_fits). Every other pause is a Silence; speech keeps the SSML's rate, volume and whisper.
The SSML is the fallback wherever this form is not sent (skill.respond).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

from skill import ssml
from skill.timeline import Item, Pause, Phase, Speak

DIRECTIVE_TYPE = "Alexa.Presentation.APLA.RenderDocument"
DOCUMENT_VERSION = "0.91"
TOKEN = "compassion-coach-turn"
# The whole response may be 120 KB (alexa_platform.md 1.2); the document leaves room for the
# reprompt, card and session attributes.
MAX_DOCUMENT_BYTES = 90_000
MAX_AUDIO_S = ssml.MAX_TURN_S           # APL-A renders at most 240 s of audio per response
# A cue must fit its phase even if Alexa's voice is this much slower than the estimate
# (the same margin the SSML limit uses): a cue that ran over would lengthen the phase.
CUE_FIT_FACTOR = ssml.SPEECH_LIMIT_FACTOR
# What a Speech component built from the timeline carries over from the SSML; words with any
# other tag (say-as, phoneme...) go into the document as one Speech of their SSML as written.
CARRIED_TAGS = frozenset({"speak", "p", "s", "break", "prosody", "amazon:effect"})
_TAG = re.compile(r"<([A-Za-z][\w:.-]*)")


def carries(speech: str) -> bool:
    """Whether an SSML document can become APL-A without losing anything."""
    return all(tag in CARRIED_TAGS for tag in _TAG.findall(speech))


def cue_fits(phase: Phase) -> bool:
    return phase.cue is None or phase.cue.est_s * CUE_FIT_FACTOR <= phase.seconds


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def speech_ssml(step: Speak) -> str:
    """A Speak step as the SSML of one Speech component: its words, rate, volume, whisper."""
    attrs = f' rate="{step.rate_pct}%"'
    if step.volume_db:
        attrs += f' volume="{step.volume_db:+g}dB"'
    words = ssml.escape(step.text)
    if step.whispered:
        words = f'<amazon:effect name="whispered">{words}</amazon:effect>'
    return f"<speak><prosody{attrs}>{words}</prosody></speak>"


def _speech(step: Speak) -> dict:
    return {"type": "Speech", "contentType": "SSML", "content": speech_ssml(step)}


def _silence(seconds: float) -> dict:
    return {"type": "Silence", "duration": _ms(seconds)}


def components(items: list[Item]) -> list[dict]:
    """The timeline as APL-A components, in order."""
    out = []
    for item in items:
        if isinstance(item, Phase) and item.cue is None:
            out.append(_silence(item.seconds))          # a silent phase
        elif isinstance(item, Phase):
            out.append({"type": "Mixer", "items": [_speech(item.cue), _silence(item.seconds)]})
        elif isinstance(item, Pause):
            if _ms(item.seconds) > 0:
                out.append(_silence(item.seconds))
        else:
            out.append(_speech(item))
    return out


def words(doc: str) -> tuple[list[dict], list[Item]]:
    """Words around a turn (a dialog's <speak> document) as components, and their timeline
    (for the limits): through the timeline where it carries every tag; else one Speech of
    the document as written (a helpline's digits in say-as: APL-A's Speech takes Alexa's
    SSML), which holds no timed phase, so nothing exact is lost."""
    steps = ssml.to_timeline(doc)
    if carries(doc):
        return components(steps), steps
    return [{"type": "Speech", "contentType": "SSML", "content": doc}], steps


def document(items: list[Item]) -> dict:
    return document_of(components(items))


def document_of(comps: list[dict]) -> dict:
    return {"type": "APLA", "version": DOCUMENT_VERSION,
            "mainTemplate": {"parameters": ["payload"], "items": [{"type": "Sequencer", "items": comps}]}}


def directive(doc: dict) -> dict:
    return {"type": DIRECTIVE_TYPE, "token": TOKEN, "document": doc}


@dataclass(frozen=True)
class Problem:
    rule: str
    message: str

    def __str__(self):
        return f"{self.rule}: {self.message}"


def limit_s(items: list[Item]) -> float:
    """The longest the document may play: phases exactly, other speech at CUE_FIT_FACTOR
    times its estimate (a cue that does not fit: its phase stretched by it)."""
    total = 0.0
    for item in items:
        if isinstance(item, Phase):
            total += max(item.seconds, item.cue.est_s * CUE_FIT_FACTOR if item.cue else 0.0)
        elif isinstance(item, Pause):
            total += item.seconds
        else:
            total += item.est_s * CUE_FIT_FACTOR
    return total


def check(items: list[Item], doc: dict | None = None) -> list[Problem]:
    """Every way the APL-A form of `items` would fail or mis-pace on Alexa."""
    doc = doc if doc is not None else document(items)
    problems = []
    size = len(json.dumps(doc, separators=(",", ":")).encode("utf-8"))
    if size > MAX_DOCUMENT_BYTES:
        problems.append(Problem("apla-size", f"{size} bytes; at most {MAX_DOCUMENT_BYTES}"))
    seconds = limit_s(items)
    if seconds > MAX_AUDIO_S:
        problems.append(Problem("apla-duration", f"up to {seconds:.0f} s; at most {MAX_AUDIO_S:g} s"))
    for item in items:
        if isinstance(item, Phase) and not cue_fits(item):
            problems.append(Problem("apla-cue-fit", f"{item.cue.text!r} (about {item.cue.est_s:.1f} s) may not fit "
                                                    f"its {item.seconds:g} s {item.breath} phase at "
                                                    f"{CUE_FIT_FACTOR:g}x its estimate"))
    problems += [Problem("apla-structure", m) for m in structure_problems(doc)]
    return problems


def structure_problems(doc: dict) -> list[str]:
    """What Amazon's APL-A reference requires of this document's shape."""
    out = []
    if doc.get("type") != "APLA" or doc.get("version") != DOCUMENT_VERSION:
        out.append("type must be APLA, version " + DOCUMENT_VERSION)
    items = doc.get("mainTemplate", {}).get("items")
    if not isinstance(items, list) or not items:
        return out + ["mainTemplate.items must be a non-empty list"]
    sounding = []

    def walk(c: dict):
        kind = c.get("type")
        if kind in ("Sequencer", "Mixer"):
            if not c.get("items"):
                out.append(f"a {kind} needs items")
            for child in c.get("items", []):
                walk(child)
        elif kind == "Speech":
            if c.get("contentType") != "SSML" or ssml.check(c.get("content", ""), "en-US"):
                out.append(f"a Speech must hold valid SSML: {c.get('content', '')[:60]!r}")
            sounding.append(c)
        elif kind == "Silence":
            if not isinstance(c.get("duration"), int) or c["duration"] <= 0:
                out.append("a Silence needs a positive whole duration in ms")
        else:
            out.append(f"unknown component {kind!r}")

    for c in items:
        walk(c)
    if not sounding:
        out.append("a document of Silence alone is not allowed")
    return out
