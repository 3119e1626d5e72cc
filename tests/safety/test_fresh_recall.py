"""The offline path (local_voice.py chat's matcher, then the real webhook) meets the issue's
targets on the FRESH second set (tests/safety/fresh_phrasings/) in every locale, as on the
first set: caught >= 98 % overall, >= 95 % in each category, false alarms <= 2 % of the
look-alikes.

This set was written without reading the vocabulary and measured unread twice (runs 3 to 5 of
benchmarks/safety_runs.md: 76.2 % caught, 4.7 % false alarms at best); from 2026-12-02 on it
has been read as a development set (run 6), so these figures are optimistic like the first
set's. The honest measure is the third set (tests/safety/third_phrasings/, never read).
"""
import pytest

from benchmarks import safety

pytestmark = [pytest.mark.slow,   # a sweep of every phrasing in every locale, like test_recall.py
              pytest.mark.skipif(not safety.FRESH_DIR.exists(), reason="no fresh held-out set in this tree")]

CATEGORIES = ("suicidal-thoughts", "plan-or-means", "harm-done", "self-harm", "abuse",
              "someone-else", "medical", "panic")


@pytest.fixture(scope="module")
def offline():
    return safety.evaluate("offline", safety.FRESH_DIR)


def test_every_category_has_fresh_phrasings(offline):
    from skill import danger
    assert set(offline.per_category) == {c.id for c in danger.categories()}
    assert offline.false_alarms.total >= 120 * len(safety.LOCALES)


def test_fresh_offline_recall_overall(offline):
    o = offline.overall
    assert o.pct() >= safety.TARGET_OVERALL_PCT, f"{o.pct():.1f} % ({o.caught}/{o.total})"


@pytest.mark.parametrize("category", CATEGORIES)
def test_fresh_offline_recall_per_category(offline, category):
    t = offline.per_category[category]
    assert t.pct() >= safety.TARGET_CATEGORY_PCT, f"{category} {t.pct():.1f} % ({t.caught}/{t.total})"


def test_fresh_offline_false_alarms(offline):
    fa = offline.false_alarms
    assert fa.pct() <= safety.TARGET_FALSE_ALARM_PCT, f"{fa.pct():.1f} % ({fa.caught}/{fa.total})"
