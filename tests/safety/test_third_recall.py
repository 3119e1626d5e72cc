"""The offline path on the THIRD held-out set (tests/safety/third_phrasings/, never read):
measured against the issue's targets as strict expected failures carrying the figures of
benchmarks/safety_runs.md run 8, so a target reached is noticed (the xfail then fails). Failures
here show counts only, never a phrasing: nobody may tune on this set."""
import pytest

from benchmarks import safety

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not safety.THIRD_DIR.exists(), reason="no third held-out set in this tree")]

BELOW_TARGET = pytest.mark.xfail(strict=True, reason="run 8 (the classifier): offline 80.3 % caught (abuse 71.3 %), "
                                                    "7.3 % false alarms; run 7: 68.7 %, 3.8 %; targets 98 / 95 / 2 %")


@pytest.fixture(scope="module")
def offline():
    return safety.evaluate("offline", safety.THIRD_DIR)


def test_every_category_has_third_set_phrasings(offline):
    from skill import danger
    assert set(offline.per_category) == {c.id for c in danger.categories()}
    assert offline.false_alarms.total >= 120 * len(safety.LOCALES)


@BELOW_TARGET
def test_third_offline_recall_overall(offline):
    o = offline.overall
    assert o.pct() >= safety.TARGET_OVERALL_PCT, f"{o.pct():.1f} % ({o.caught}/{o.total})"


@BELOW_TARGET
def test_third_offline_recall_every_category(offline):
    low = sorted(c for c, t in offline.per_category.items() if t.pct() < safety.TARGET_CATEGORY_PCT)
    assert not low, f"{len(low)} categories under target"


@BELOW_TARGET
def test_third_offline_false_alarms(offline):
    fa = offline.false_alarms
    assert fa.pct() <= safety.TARGET_FALSE_ALARM_PCT, f"{fa.pct():.1f} % ({fa.caught}/{fa.total})"


@pytest.mark.xfail(strict=True, reason="run 8: 97.7 % (1471 caught + 317 misses at the fallback of 1831); "
                                       "run 7's nearest sample gave 98.4 %: more misses now reach another intent")
def test_misses_that_reach_the_fallback_still_hear_the_emergency_number(offline):
    """The floor under the net: a caught phrasing hears its category's answer, and a miss that
    reaches the fallback hears the emergency number and crisis line (tests/safety/test_answers.py
    checks that answer)."""
    o = offline.overall
    to_fallback = sum(m[2] == safety.FALLBACK_INTENT for t in offline.per_category.values() for m in t.misses)
    assert 100.0 * (o.caught + to_fallback) / o.total >= safety.TARGET_OVERALL_PCT
