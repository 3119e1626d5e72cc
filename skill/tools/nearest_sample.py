"""Danger the patterns missed, by the nearest sample utterance: the offline matcher's safety net.

    nearest_danger("i keep picturing the rope in my garage", "en-GB")   # no pattern says it
    -> Category('plan-or-means', ...): its nearest sample is a plan-or-means one

The interaction model gives Alexa over a thousand varied danger samples (built from
skill/data/danger.json) beside every other intent's, EverydayIntent's look-alikes included.
Alexa generalises from them; the danger patterns (skill/danger.py) only match what they spell.
So when the patterns find nothing, the typed text is compared with EVERY sample of the locale
by TF-IDF cosine over words, word pairs and character n-grams (misspellings and word forms
still overlap), and the nearest one decides: a danger sample at least NEAREST_DANGER_MIN_COS
alike gives its category; an everyday or any other sample gives nothing, so "my back is
killing me" lands on the everyday sample it is like. A negation (danger.json "negations") said
by the text or by the nearest sample but not by both ("i'm not going to ...", "i feel safe" near
"i don't feel safe") blocks a negatable category, and so does a danger.json look-alike.

Standard library only: the runner must stay light (no embedding model at run time). Each
locale's index is built once, on first use (a few hundred milliseconds), then cached.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from skill import danger
from skill.tools import interaction_model as im

# The cutoff: cosine (0..1, TF-IDF, WORD_SHARE words + the rest character n-grams) between the
# text and its nearest sample below which a nearest danger sample is not trusted. Chosen on the
# dev phrasings and the first held-out set (benchmarks/safety_runs.md, run 5).
NEAREST_DANGER_MIN_COS = 0.60
WORD_SHARE = 0.3             # weight of the word (and word-pair) cosine; characters get the rest
CHAR_GRAM_SIZES = (3, 4, 5)  # character n-grams, within ' word ' (so word edges count)


@dataclass(frozen=True)
class Nearest:
    intent: str
    sample: str
    cos: float
    words: frozenset[str]      # the sample's words, normalised


def _word_features(words: list[str]) -> list[str]:
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


def _char_features(words: list[str]) -> list[str]:
    out = []
    for w in words:
        padded = f" {w} "
        for n in CHAR_GRAM_SIZES:
            out.extend(padded[i:i + n] for i in range(len(padded) - n + 1))
    return out


def _counts(features: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for f in features:
        out[f] = out.get(f, 0) + 1
    return out


@dataclass
class _Space:
    """One TF-IDF space: unit vectors of the samples and an inverted index over them."""
    idf: dict[str, float]
    postings: dict[str, list[tuple[int, float]]]

    @classmethod
    def build(cls, docs: list[dict[str, int]]) -> "_Space":
        df: dict[str, int] = {}
        for d in docs:
            for f in d:
                df[f] = df.get(f, 0) + 1
        n = len(docs)
        idf = {f: math.log((1 + n) / (1 + k)) + 1.0 for f, k in df.items()}
        postings: dict[str, list[tuple[int, float]]] = {}
        for i, d in enumerate(docs):
            vec = _unit({f: (1 + math.log(c)) * idf[f] for f, c in d.items()})
            for f, w in vec.items():
                postings.setdefault(f, []).append((i, w))
        return cls(idf, postings)

    def scores(self, counts: dict[str, int], out: dict[int, float], share: float) -> None:
        """Adds share * cosine(text, sample) to out[sample] for every sample sharing a feature."""
        vec = _unit({f: (1 + math.log(c)) * self.idf[f] for f, c in counts.items() if f in self.idf})
        for f, w in vec.items():
            for i, sw in self.postings[f]:
                out[i] = out.get(i, 0.0) + share * w * sw


def _unit(vec: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(w * w for w in vec.values()))
    return {f: w / norm for f, w in vec.items()} if norm else {}


@dataclass
class _Index:
    intents: list[str]
    samples: list[str]
    words: list[frozenset[str]]
    word_space: _Space
    char_space: _Space


def _words(text: str) -> list[str]:
    return danger.normalize(im.SLOT_REF.sub(" ", text)).split()


@lru_cache(maxsize=None)
def _index(locale: str) -> _Index:
    """Every sample of the locale (built-in intents' common phrases too), as Alexa has them."""
    samples = im.sample_utterances(locale)
    for name, phrases in im.builtin_phrases(locale).items():
        samples[name] = samples.get(name, []) + phrases
    intents, texts = [], []
    for intent, phrases in samples.items():
        for p in phrases:
            intents.append(intent)
            texts.append(p)
    tokenised = [_words(t) for t in texts]
    return _Index(intents, texts, [frozenset(w) for w in tokenised],
                  _Space.build([_counts(_word_features(w)) for w in tokenised]),
                  _Space.build([_counts(_char_features(w)) for w in tokenised]))


def nearest(text: str, locale: str = "en-US") -> Nearest | None:
    """The sample most like `text` (any intent), or None when nothing shares a feature."""
    return nearest_of(text, None, locale)


def nearest_of(text: str, intent: str | None, locale: str = "en-US") -> Nearest | None:
    """The sample of `intent` (None: of any intent) most like `text`, or None when none
    shares a feature with it."""
    words = _words(text)
    if not words:
        return None
    ix = _index(locale)
    scores: dict[int, float] = {}
    ix.word_space.scores(_counts(_word_features(words)), scores, WORD_SHARE)
    ix.char_space.scores(_counts(_char_features(words)), scores, 1.0 - WORD_SHARE)
    if intent is not None:
        scores = {i: v for i, v in scores.items() if ix.intents[i] == intent}
    if not scores:
        return None
    best = max(scores, key=scores.get)
    return Nearest(ix.intents[best], ix.samples[best], round(scores[best], 4), ix.words[best])


def _negations(words) -> frozenset[str]:
    return frozenset(words) & danger.negation_words()


def nearest_danger(text: str, locale: str = "en-US") -> danger.Category | None:
    """The danger category of the nearest sample, when it is a danger sample close enough and
    no negation in the text that the sample lacks turns it round; else None."""
    if danger.is_lookalike(text):
        return None
    near = nearest(text, locale)
    if near is None or near.cos < NEAREST_DANGER_MIN_COS:
        return None
    cat = danger.by_intent(near.intent)
    if cat is None:
        return None
    # A negation on one side only turns the meaning round: "i'm not going to ..." is not the
    # sample "i'm going to ...", and "i feel safe now" is not "i don't feel safe".
    if cat.negatable and _negations(set(_words(text))) != _negations(near.words):
        return None
    return cat
