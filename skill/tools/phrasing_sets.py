"""The phrasing sets under tests/safety/ and what each one is for, from the one registry
(tests/safety/phrasing_sets.json). The safety benchmark, the classifier's trainer and the
interaction model's build all ask here, so a set's role is said once.

    [s.directory.name for s in training_sets()]  -> ['dev_phrasings', 'phrasings', ...]
    lines(directory, "en-GB")  -> [("i've got the pills ready", 'plan-or-means'), ...]

A set's files are <category id>.txt (danger phrasings) and not-crisis.txt (look-alikes), one
phrasing a line, '#' comments, a leading '[en-GB] ' tag for a line of one locale only.
An installed wheel has no tests/ folder: then there are no sets (only development tools ask).
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
SETS_DIR = REPO / "tests" / "safety"
REGISTRY = SETS_DIR / "phrasing_sets.json"
LOOK_ALIKES = "not-crisis"    # the file of each set whose lines must not trigger crisis help
_TAG = re.compile(r"^\[([A-Za-z-]+)\]\s*")


@dataclass(frozen=True)
class PhrasingSet:
    directory: Path
    title: str
    readable: bool      # False: nobody has read it; its missed phrasings are never printed
    trained: bool       # learned from (classifier and interaction model): not a measure
    benchmarked: bool   # reported by python -m benchmarks --only safety

    @property
    def hidden(self) -> bool:
        """Never read and never learned from: the honest measure."""
        return not self.readable and not self.trained


@lru_cache(maxsize=1)
def all_sets() -> tuple[PhrasingSet, ...]:
    if not REGISTRY.exists():
        return ()
    data = json.loads(REGISTRY.read_text(encoding="utf-8"))
    return tuple(PhrasingSet(SETS_DIR / s["directory"], f"{s['title']} (tests/safety/{s['directory']})",
                             s["readable"], s["trained"], s["benchmarked"]) for s in data["sets"])


def training_sets() -> tuple[PhrasingSet, ...]:
    return tuple(s for s in all_sets() if s.trained)


def lines(directory: Path, locale: str | None = None) -> list[tuple[str, str]]:
    """[(phrasing, file stem)] of one set, tags taken off: every locale's lines, or with
    `locale` only the untagged lines and those tagged with it."""
    out = []
    for path in sorted(directory.glob("*.txt")):
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            tag = _TAG.match(line)
            if locale is not None and tag and tag.group(1) != locale:
                continue
            out.append((_TAG.sub("", line), path.stem))
    return out


def strip_tag(line: str) -> str:
    """A phrasing line without its leading locale tag."""
    return _TAG.sub("", line)


# ---------------------------------------------------------------- near-copies

NEAR_JACCARD = 0.8        # word-set overlap at or above this is a near-copy
MIN_WORDS_FOR_NEAR = 4    # shorter phrasings are copies only with the same word set


def near_copy(a: frozenset | set, b: frozenset | set) -> bool:
    """Two normalised phrasings' word sets, equal or nearly so (the held-out rule)."""
    if a == b:
        return True
    if len(a) < MIN_WORDS_FOR_NEAR:
        return False
    return len(a & b) >= NEAR_JACCARD * len(a | b)


class NearCopyIndex:
    """Finds whether a phrasing nearly copies any of many texts, without comparing it to all:
    a near-copy shares at least ceil(NEAR_JACCARD * |a|) of a's words, so it holds one of a's
    |a| - that + 1 rarest words."""

    def __init__(self, texts):
        self._sets = [frozenset(t.split()) for t in texts]
        self._by_word: dict[str, list[int]] = {}
        for i, s in enumerate(self._sets):
            for w in s:
                self._by_word.setdefault(w, []).append(i)

    def __contains__(self, text: str) -> bool:
        a = frozenset(text.split())
        if not a:
            return False
        need = math.ceil(NEAR_JACCARD * len(a)) if len(a) >= MIN_WORDS_FOR_NEAR else len(a)
        rarest = sorted(a, key=lambda w: len(self._by_word.get(w, ())))[: len(a) - need + 1]
        return any(near_copy(a, self._sets[i]) for w in rarest for i in self._by_word.get(w, ()))
