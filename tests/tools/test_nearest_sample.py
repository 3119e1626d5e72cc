"""skill.tools.nearest_sample: the nearest sample of an intent, which the danger classifier's
negation rule asks."""
from __future__ import annotations

import pytest

from skill import danger
from skill.tools import interaction_model as im
from skill.tools import nearest_sample as ns

LOCALES = ["en-US", "en-GB", "en-AU", "en-CA", "en-IN"]


@pytest.mark.parametrize("category", [c.id for c in danger.categories()])
def test_each_categorys_own_sample_is_its_nearest(category):
    cat = danger.by_id(category)
    sample = cat.samples[0]
    near = ns.nearest_of(sample, cat.intent)
    assert near.intent == cat.intent and near.cos == pytest.approx(1.0)
    assert near.words == frozenset(danger.normalize(sample).split())


@pytest.mark.parametrize("locale", LOCALES)
def test_any_intent_or_only_the_one_asked_for(locale):
    sample = next(s for s in im.sample_utterances(locale)["EverydayIntent"] if "{" not in s)
    assert ns.nearest_of(sample, None, locale).intent == "EverydayIntent"
    crisis = ns.nearest_of(sample, "CrisisIntent", locale)
    assert crisis is None or (crisis.intent == "CrisisIntent" and crisis.cos < 1.0)


def test_text_like_no_sample_has_no_nearest():
    assert ns.nearest_of("qxjq vqwx", None) is None
    assert ns.nearest_of("", "CrisisIntent") is None
