"""The offline path (local_voice.py chat's matcher, then the real webhook) meets the issue's
targets on the held-out phrasings in every locale: caught >= 98 % overall, >= 95 % in each
category, false alarms <= 2 % of the look-alikes. (benchmarks/safety.py also measures the
Alexa stand-in, which needs the embedding model; CI runs without it.)"""
from pathlib import Path

import pytest

from benchmarks import safety

# Slow: the whole held-out set through the offline matcher (its typo mending compares each
# phrasing with every sample), about 20 s; ./scripts/test and CI run it.
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not safety.HELD_OUT_DIR.exists(), reason="no held-out set in this tree")]


@pytest.fixture(scope="module")
def offline():
    return safety.evaluate("offline", safety.HELD_OUT_DIR)


def test_every_category_has_held_out_phrasings(offline):
    from skill import danger
    assert set(offline.per_category) == {c.id for c in danger.categories()}
    assert offline.false_alarms.total >= 100 * len(safety.LOCALES)


def test_offline_recall_overall(offline):
    assert offline.overall.pct() >= safety.TARGET_OVERALL_PCT, offline.overall


@pytest.mark.parametrize("category", ["suicidal-thoughts", "plan-or-means", "harm-done", "self-harm", "abuse",
                                      "someone-else", "medical", "panic"])
def test_offline_recall_per_category(offline, category):
    tally = offline.per_category[category]
    assert tally.pct() >= safety.TARGET_CATEGORY_PCT, (category, tally.caught, tally.total)


def test_offline_false_alarms(offline):
    assert offline.false_alarms.pct() <= safety.TARGET_FALSE_ALARM_PCT, offline.false_alarms.caught


def test_dev_phrasings_meet_the_targets_too():
    dev = safety.evaluate("offline", safety.DEV_DIR, ("en-US",))
    assert dev.meets_targets()
