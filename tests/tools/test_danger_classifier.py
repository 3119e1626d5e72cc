"""skill.tools.danger_classifier: the offline matcher's safety net, a trained classifier."""
from __future__ import annotations

import pytest

from benchmarks import safety

from skill import danger
from skill.tools import danger_classifier as dc
from skill.tools import phrasing_sets, train_danger
from skill.tools.utterances import match


def test_probabilities_cover_the_eight_categories_and_none():
    probs = dc.probabilities("i keep picturing the rope in my garage")
    assert set(probs) == {c.id for c in danger.categories()} | {dc.NONE_CLASS}
    assert sum(probs.values()) == pytest.approx(1.0)


def test_the_matcher_uses_it_when_the_patterns_find_nothing():
    text = "i keep picturing the rope in my garage"
    assert danger.category_of(text) is None
    verdict = dc.classify(text)
    assert verdict.category is not None and verdict.danger_prob >= dc.DANGER_MIN_PROB
    assert match(text).intent == verdict.category.intent


def test_everyday_text_is_not_danger():
    for text in ("can we do a breathing exercise", "tell me more", "i'm stressed about my exam"):
        assert dc.classify(text).category is None, text


def test_a_lookalike_silences_only_a_text_it_says_all_of():
    assert danger.without_lookalikes("my phone battery is dying") == "my phone"
    assert dc.classify("my phone battery is dying").category is None
    assert danger.without_lookalikes("disappear into a good book") == ""
    assert dc.classify("disappear into a good book") == dc.Verdict(None, 0.0)
    assert dc.classify("i want to disappear into a good book").category is None   # classified whole
    text = "it's my last day at work and I keep picturing the rope in my garage"
    assert danger.category_of(text) is None                      # no pattern: the classifier's call
    assert dc.classify(text).category == danger.by_id("plan-or-means")


def test_a_negation_no_sample_of_the_category_says_blocks_a_negatable_one():
    cat = next(c for c in danger.categories() if c.negatable)
    sample = next(s for s in cat.samples if not set(danger.normalize(s).split()) & danger.negation_words())
    assert not dc._blocked(sample, cat, "en-US")
    assert dc._blocked("never " + sample, cat, "en-US")


def test_training_leaves_out_the_hidden_sets():
    sources = {s.split("/")[0] for _, _, s in train_danger.training_set()}
    trained = {s.directory.name for s in phrasing_sets.training_sets()}
    assert trained <= sources
    assert safety.HIDDEN_DIRS and not sources & {d.name for d in safety.HIDDEN_DIRS}


@pytest.mark.slow
def test_the_committed_weights_equal_a_fresh_build():
    """The weights cannot drift from the vocabulary: rebuild with
    python -m skill.tools.train_danger build (about 40 s)."""
    assert dc.WEIGHTS_PATH.read_text(encoding="utf-8") == train_danger.build()
