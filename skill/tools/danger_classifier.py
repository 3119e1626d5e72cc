"""Danger the patterns missed, by a trained classifier: the offline matcher's safety net.

    classify("i keep picturing the rope in my garage")
    -> Verdict(category=Category('plan-or-means', ...), danger_prob=0.9...)

A multinomial logistic regression over word uni- and bigrams and character 3-5-grams of the
text as skill.danger.normalize leaves it; nine classes: the eight danger categories and "none".
Its weights (skill/tools/danger_weights.json) are built from the one vocabulary's samples and
every other intent's samples by `python -m skill.tools.train_danger build`, deterministically;
a test proves the committed file equals a fresh build. The text is danger when the
probability of all danger classes together is at least DANGER_MIN_PROB; its category is the
likeliest danger class. A text a danger.json look-alike says all of is never danger; one with
words of its own besides is still classified whole (the trained weights know the look-alikes,
which a fragment such as "i want to" would lose), and a negation
(danger.json "negations") the nearest sample of the category does not share blocks a negatable
one ("i'm not going to ...": skill/tools/nearest_sample.py).

Standard library only (the runner stays light); the weights load once, then a text takes a
fraction of a millisecond. Nothing here logs or keeps the text it is given.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from skill import danger

WEIGHTS_PATH = Path(__file__).resolve().parent / "danger_weights.json"
NONE_CLASS = "none"
CHAR_GRAM_SIZES = (3, 4, 5)  # character n-grams, within ' word ' (so word edges count)
NEGATION_SCOPE_WORDS = 3     # words after a negation that also count as negated ('not_' features)
# The cutoff: P(any danger class) at or above which the text is danger. Chosen by leaving
# one trained set out (`python -m benchmarks.cutoff_loso`; benchmarks/safety_runs.md run 18):
# from 0.75 to 0.6 the four left-out sets caught 2.2 to 6.5 points more danger for 0.4 to 2.3
# points more false alarms; going on to 0.5 cost as many false alarms again for only 0.6 to 1.6
# points more danger caught.
DANGER_MIN_PROB = 0.6


@dataclass(frozen=True)
class Verdict:
    category: danger.Category | None   # None: not danger (or blocked)
    danger_prob: float                 # P(any danger class), 0..1


def features(text: str) -> dict[str, float]:
    """The classifier's features of `text`: word uni/bigrams ('w:', 'b:'), negated words
    ('n:'), character n-grams ('c:'); each group scaled to unit length."""
    words = danger.normalize(text).split()
    groups: list[list[str]] = [[], []]
    negations = danger.negation_words()
    scope = 0
    for i, w in enumerate(words):
        groups[0].append("w:" + w)
        if i:
            groups[0].append(f"b:{words[i - 1]} {w}")
        if scope:
            groups[0].append("n:" + w)
            scope -= 1
        if w in negations:
            scope = NEGATION_SCOPE_WORDS
        padded = f" {w} "
        for n in CHAR_GRAM_SIZES:
            groups[1].extend("c:" + padded[j:j + n] for j in range(len(padded) - n + 1))
    out: dict[str, float] = {}
    for group in groups:
        if not group:
            continue
        value = 1.0 / math.sqrt(len(set(group)))
        for f in group:
            out[f] = value
    return out


@dataclass(frozen=True)
class _Model:
    classes: tuple[str, ...]
    bias: tuple[float, ...]
    weights: dict[str, tuple[tuple[int, float], ...]]   # feature -> (class index, weight), sparse


def model_from(data: dict) -> _Model:
    return _Model(tuple(data["classes"]), tuple(data["bias"]),
                  {f: tuple((int(i), w) for i, w in row) for f, row in data["weights"].items()})


@lru_cache(maxsize=1)
def _model() -> _Model:
    return model_from(json.loads(WEIGHTS_PATH.read_text(encoding="utf-8")))


def probabilities(text: str, model: _Model | None = None) -> dict[str, float]:
    """{class: probability} for `text` (the softmax of the linear scores)."""
    m = model or _model()
    scores = list(m.bias)
    for f, v in features(text).items():
        for i, w in m.weights.get(f, ()):
            scores[i] += w * v
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    return {c: e / total for c, e in zip(m.classes, exps)}


def _blocked(text: str, cat: danger.Category, locale: str) -> bool:
    if not cat.negatable:
        return False
    said = set(danger.normalize(text).split()) & danger.negation_words()
    if not said:
        return False
    from skill.tools import nearest_sample   # only when a negation is said
    near = nearest_sample.nearest_of(text, cat.intent, locale)
    return near is None or said != set(near.words) & danger.negation_words()


def classify(text: str, locale: str = "en-US", model: _Model | None = None,
             cutoff: float = DANGER_MIN_PROB) -> Verdict:
    """The danger category the classifier gives `text`, unless a negation blocks it or a
    look-alike says all of it (see the module's notes)."""
    if not danger.without_lookalikes(text):
        return Verdict(None, 0.0)
    probs = probabilities(text, model)
    likeliest = max((c for c in probs if c != NONE_CLASS), key=probs.get)
    danger_prob = 1.0 - probs.get(NONE_CLASS, 0.0)
    cat = None
    if danger_prob >= cutoff:
        cat = danger.by_id(likeliest)
        if _blocked(text, cat, locale):
            cat = None
    return Verdict(cat, round(danger_prob, 4))
