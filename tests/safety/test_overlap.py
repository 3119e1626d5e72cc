"""The held-out phrasings (every set of benchmarks.safety.HELD_OUT_SETS) were never copied into
the vocabulary: no danger sample and no phrase pattern read as words is equal or nearly equal to
one of them; no untrained set's line is nearly any sample of any intent in any locale (a
trained set's lines are samples: skill/tools/learned_samples.py); and no hidden set (never
read, never trained on) nearly copies a line the offline classifier learns from. Failures about unread sets give counts, never phrasings."""
import re
from pathlib import Path

import pytest

from benchmarks.safety import HELD_OUT_SETS, HIDDEN_DIRS, UNREAD_DIRS
from benchmarks.safety import HELD_OUT_DIR as PHRASINGS_DIR
from skill import danger
from skill.tools import interaction_model as im
from skill.tools import phrasing_sets

NEAR_JACCARD = 0.8        # token-set overlap at or above this is a near-copy
MIN_TOKENS_FOR_NEAR = 4   # shorter phrasings are compared for equality only
_TAG = re.compile(r"^\[[^\]]*\]\s*")


def _held_out(directory: Path = PHRASINGS_DIR) -> list[str]:
    out = []
    for path in sorted(directory.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                out.append(danger.normalize(_TAG.sub("", line)))
    return out


def _vocabulary_texts() -> list[str]:
    data = danger.raw()
    texts = [danger.normalize(s) for c in data["categories"] for s in c["samples"]]
    for c in data["categories"]:
        for p in c["phrases"]:   # a pattern with its operators dropped, read as plain words
            texts.append(" ".join(re.sub(r"[()|<>*~#^$]|\.\.\.", " ", p).split()))
    return texts


def _model_sample_texts() -> list[str]:
    return sorted({danger.normalize(s) for locale in im.locales()
                   for samples in im.sample_utterances(locale).values() for s in samples})


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


_CHECKS = [(s.directory, texts) for s in HELD_OUT_SETS for texts in (_vocabulary_texts, _model_sample_texts)
           if not (s.trained and texts is _model_sample_texts)]   # a trained set's lines are samples


@pytest.mark.parametrize("directory,texts", _CHECKS,
                         ids=[f"{d.name}-{'vocabulary' if t is _vocabulary_texts else 'model samples'}" for d, t in _CHECKS])
def test_no_held_out_phrasing_is_in_the_vocabulary(directory, texts):
    if not directory.exists():
        pytest.skip(f"no {directory.name} set in this tree")
    vocab = texts()
    vocab_sets = [(v, set(v.split())) for v in vocab]
    exact = set(vocab)
    copies = []
    for h in _held_out(directory):
        if h in exact:
            copies.append((h, h))
            continue
        hs = set(h.split())
        if len(hs) >= MIN_TOKENS_FOR_NEAR:
            copies += [(h, v) for v, vs in vocab_sets if _jaccard(hs, vs) >= NEAR_JACCARD]
    if directory in UNREAD_DIRS:
        count = len(copies)
        assert count == 0, f"{count} near-copies in {directory.name}: remove them from the set, unread"
    assert copies == []


@pytest.mark.parametrize("hidden", HIDDEN_DIRS, ids=lambda d: d.name)
def test_no_hidden_phrasing_nearly_copies_a_line_the_classifier_learns_from(hidden):
    """A near-copy in a training set would lift the honest figure unseen (counts only)."""
    if not hidden.exists():
        pytest.skip(f"no {hidden.name} set in this tree")
    trained = [s.directory for s in phrasing_sets.training_sets() if s.directory.exists()]
    texts = [t for d in trained for t in _held_out(d)]
    exact, sets_ = set(texts), [set(t.split()) for t in texts]
    copies = 0
    for h in _held_out(hidden):
        hs = set(h.split())
        copies += h in exact or (len(hs) >= MIN_TOKENS_FOR_NEAR and any(_jaccard(hs, t) >= NEAR_JACCARD for t in sets_))
    assert copies == 0, f"{copies} near-copies of training lines in {hidden.name}: remove them, unread"
