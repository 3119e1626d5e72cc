"""skill.tools.nearest_sample: the offline matcher's safety net, the nearest sample of any intent."""
from __future__ import annotations

import pytest

from skill import danger
from skill.tools import interaction_model as im
from skill.tools import nearest_sample as ns
from skill.tools.utterances import match

LOCALES = ["en-US", "en-GB", "en-AU", "en-CA", "en-IN"]


@pytest.mark.parametrize("category", [c.id for c in danger.categories()])
def test_each_categorys_own_sample_is_its_nearest(category):
    cat = danger.by_id(category)
    sample = cat.samples[0]
    near = ns.nearest(sample)
    assert near.intent == cat.intent and near.cos == pytest.approx(1.0)
    assert ns.nearest_danger(sample) == cat


@pytest.mark.parametrize("locale", LOCALES)
def test_an_everyday_sentence_lands_on_an_everyday_sample(locale):
    sample = next(s for s in im.sample_utterances(locale)["EverydayIntent"] if "{" not in s)
    assert ns.nearest(sample, locale).intent == "EverydayIntent"
    assert ns.nearest_danger(sample, locale) is None


def test_a_negation_the_sample_does_not_say_turns_it_round():
    cat = next(c for c in danger.categories() if c.negatable)
    sample = next(s for s in cat.samples if not set(danger.normalize(s).split()) & danger.negation_words())
    assert ns.nearest_danger(sample) == cat
    assert ns.nearest_danger("never " + sample) is None


def test_a_lookalike_is_never_danger():
    text = "my phone battery is dying"
    assert danger.is_lookalike(text)
    assert ns.nearest_danger(text) is None


def test_text_like_no_sample_is_not_danger():
    assert ns.nearest("zzz qqq") is None
    assert ns.nearest_danger("purple bicycle telescope") is None


def test_the_matcher_uses_it_when_the_patterns_find_nothing():
    text = "i keep picturing the rope in my garage"
    assert danger.category_of(text) is None
    assert ns.nearest_danger(text) == danger.by_id("plan-or-means")
    assert match(text).intent == danger.by_id("plan-or-means").intent
