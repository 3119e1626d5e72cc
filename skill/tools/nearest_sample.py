"""The nearest sample utterance of an intent, by TF-IDF cosine over words, word pairs and
character n-grams (misspellings and word forms still overlap).

    nearest_of("i'm not going to hurt myself", "CrisisSelfHarmIntent", "en-GB")
    -> Nearest(intent='CrisisSelfHarmIntent', sample='i need to hurt myself', cos=0.54, ...)

The offline danger classifier (skill/tools/danger_classifier.py) asks it when a negation is
said: a negatable category counts only when the nearest sample of its intent says the same
negations ("i'm not going to ..." is not "i'm going to ...", "i feel safe" is not "i don't
feel safe"). Standard library only: the runner must stay light. Each locale's index is built
once, on first use (a few hundred milliseconds), then cached.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from skill import danger
from skill.tools import interaction_model as im

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
