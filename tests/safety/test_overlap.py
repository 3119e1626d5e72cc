"""The held-out phrasings (every set of benchmarks.safety.HELD_OUT_SETS: the first, the read
fresh and fifth sets, the never-read third, fourth and sixth) were never copied into the
vocabulary or the interaction model: no danger sample, no phrase pattern read as words, and no sample of any intent in any locale
(the everyday look-alikes' too) is equal or nearly equal to one of them."""
import re
from pathlib import Path

import pytest

from skill import danger
from benchmarks.safety import HELD_OUT_DIR as PHRASINGS_DIR
from benchmarks.safety import HELD_OUT_SETS, UNREAD_DIRS
from skill import danger
from skill.tools import interaction_model as im

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


@pytest.mark.parametrize("texts", [_vocabulary_texts, _model_sample_texts], ids=["vocabulary", "model samples"])
@pytest.mark.parametrize("directory", [s.directory for s in HELD_OUT_SETS], ids=lambda d: d.name)
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
