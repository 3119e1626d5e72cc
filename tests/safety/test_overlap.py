"""The held-out phrasings (every set of benchmarks.safety.HELD_OUT_SETS) were never copied into
the vocabulary: no danger sample and no phrase pattern read as words is equal or nearly equal to
one of them; no untrained set's line is nearly any sample of any intent in any locale (a
trained set's lines are samples: skill/tools/learned_samples.py); and no hidden set (never
read, never trained on) nearly copies a line the offline classifier learns from. Failures about unread sets give counts, never phrasings."""
from pathlib import Path

import pytest

from benchmarks.safety import HELD_OUT_SETS, HIDDEN_DIRS, UNREAD_DIRS
from benchmarks.safety import HELD_OUT_DIR as PHRASINGS_DIR
from skill import danger
from skill.tools import phrasing_sets, prune_phrasings



def _held_out(directory: Path = PHRASINGS_DIR) -> list[str]:
    return [danger.normalize(t) for t, _ in phrasing_sets.lines(directory)]


_vocabulary_texts = prune_phrasings.vocabulary_texts
_model_sample_texts = prune_phrasings.model_sample_texts


_CHECKS = [(s.directory, texts) for s in HELD_OUT_SETS for texts in (_vocabulary_texts, _model_sample_texts)
           if not (s.trained and texts is _model_sample_texts)]   # a trained set's lines are samples


@pytest.mark.parametrize("directory,texts", _CHECKS,
                         ids=[f"{d.name}-{'vocabulary' if t is _vocabulary_texts else 'model samples'}" for d, t in _CHECKS])
def test_no_held_out_phrasing_is_in_the_vocabulary(directory, texts):
    if not directory.exists():
        pytest.skip(f"no {directory.name} set in this tree")
    vocab = texts()
    vocab_sets = [(v, frozenset(v.split())) for v in vocab]
    copies = []
    for h in _held_out(directory):
        hs = frozenset(h.split())
        copies += [(h, v) for v, vs in vocab_sets if phrasing_sets.near_copy(hs, vs)]
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
    index = phrasing_sets.NearCopyIndex(t for d in trained for t in _held_out(d))
    copies = sum(h in index for h in _held_out(hidden))
    assert copies == 0, f"{copies} near-copies of training lines in {hidden.name}: remove them, unread"
