"""The trained phrasing sets' lines as sample utterances: what the classifier learns offline,
Alexa's model learns too.

    learned_samples(language_model, "en-GB")
    -> {"CrisisPlanIntent": ["i've got the pills ready", ...], "EverydayIntent": [...]}

Every set marked trained in tests/safety/phrasing_sets.json gives each danger line (its
locale's and the untagged ones) to its category's intent, and each look-alike to
EverydayIntent, after skill/data/danger.json's own samples; where the danger patterns give a
line another category, it goes to that category's intent, so both paths agree.
Leave-one-set-out through the embedding stand-in (python -m benchmarks.learned_samples_loso;
benchmarks/safety_runs.md run 15) is why: on the set left out, danger routed to its own intent
rose from 64-74 % to 83-85 %, to any crisis intent from 76-85 % to 92-96 %, and false alarms
fell from 15-20 % to 12-15 %.

A line becomes a sample only when Alexa would take it: lowercase letters, apostrophes and
spaces, numbers in words, no wake word, at most MAX_SAMPLE_CHARS, never the invocation name, never a sample
or built-in phrase already there, never what a slotted sample says with a real value. A
look-alike that says a negation, or that the danger patterns call danger, is left out: an NLU
model, like the embedding stand-in, hears "i'm not going to ..." next to "i'm going to ...",
and danger must never learn to sound like everyday talk.
"""
from __future__ import annotations

import re
from functools import lru_cache

from skill import danger
from skill.tools import interaction_model as im
from skill.tools import phrasing_sets
from skill.tools.utterances import number_to_words

LOOK_ALIKES_INTENT = "EverydayIntent"
_NOT_SAMPLE = re.compile(r"[^a-z' ]+")
_WAKE_WORD = re.compile(r"^(?:(?:hey|ok|okay) )?alexa\b ?")   # Alexa never hears it as the request


def alexa_sample(text: str) -> str | None:
    """`text` as Alexa takes a sample ('i took 20 pills!' -> 'i took twenty pills'), or None."""
    text = text.lower().replace("\u2019", "'").replace("&", " and ")
    text = re.sub(r"\d+", lambda m: f" {number_to_words(int(m.group()))} ", text)
    words = [w.strip("'") for w in _NOT_SAMPLE.sub(" ", text).split()]
    sample = _WAKE_WORD.sub("", " ".join(w for w in words if w))
    return sample if sample and len(sample) <= im.MAX_SAMPLE_CHARS else None


@lru_cache(maxsize=None)   # the same untagged lines come again for every locale
def _pattern_category(text: str) -> danger.Category | None:
    return danger.category_of(text)


def _unsafe_as_everyday(text: str) -> bool:
    said = set(danger.normalize(text).split())
    return bool(said & danger.negation_words()) or _pattern_category(text) is not None


def learned_samples(lm: dict, locale: str, learn_from=None) -> dict[str, list[str]]:
    """{intent: new samples} for one locale's language model (see the module's notes), from
    `learn_from` (default: every trained set; () learns nothing)."""
    invocation = lm["invocationName"]
    seen = {im.normalize_sample(p) for ps in im.builtin_phrases(locale).values() for p in ps}
    for intent in lm["intents"]:
        types = {s["name"]: s["type"] for s in intent.get("slots", [])}
        seen |= {im.normalize_sample(s, types) for s in intent.get("samples", [])}
    says_a_slotted_sample = im.readings_of(lm, slotted_only=True)
    out: dict[str, list[str]] = {}
    for phrasing_set in phrasing_sets.training_sets() if learn_from is None else learn_from:
        for line, stem in phrasing_sets.lines(phrasing_set.directory, locale):
            sample = alexa_sample(line)
            if sample is None or invocation in sample:
                continue
            if stem == phrasing_sets.LOOK_ALIKES:
                if _unsafe_as_everyday(sample):
                    continue
                intent = LOOK_ALIKES_INTENT
            else:   # where the danger patterns speak, they decide the category, as offline
                intent = (_pattern_category(sample) or danger.by_id(stem)).intent
            key = im.normalize_sample(sample)
            if key in seen or says_a_slotted_sample(sample):
                continue
            seen.add(key)
            out.setdefault(intent, []).append(sample)
    return out
