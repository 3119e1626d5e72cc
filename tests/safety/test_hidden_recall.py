"""The offline path on the hidden held-out set (tests/safety/sixth_phrasings/, never read):
measured against the issue's targets as strict expected failures carrying the figures of
benchmarks/safety_runs.md run 11, so a target reached is noticed (the xfail then fails); and the
floor under the net, which holds. Failures here show counts only, never a phrasing: nobody may
tune on this set."""
import pytest

from benchmarks import safety

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not safety.SIXTH_DIR.exists(), reason="no hidden held-out set in this tree")]

BELOW_TARGET = pytest.mark.xfail(strict=True, reason="run 11: offline 85.5 % caught (panic 77.2 %, self-harm 78.6 %), "
                                                    "4.9 % false alarms; run 10 before retraining: 78.5 %, 7.5 %; "
                                                    "targets 98 / 95 / 2 %")


@pytest.fixture(scope="module")
def offline():
    return safety.evaluate("offline", safety.SIXTH_DIR)


def test_every_category_has_hidden_set_phrasings(offline):
    from skill import danger
    assert set(offline.per_category) == {c.id for c in danger.categories()}
    assert offline.false_alarms.total >= 120 * len(safety.LOCALES)


@BELOW_TARGET
def test_hidden_offline_recall_overall(offline):
    o = offline.overall
    assert o.pct() >= safety.TARGET_OVERALL_PCT, f"{o.pct():.1f} % ({o.caught}/{o.total})"


@BELOW_TARGET
def test_hidden_offline_recall_every_category(offline):
    low = sorted(c for c, t in offline.per_category.items() if t.pct() < safety.TARGET_CATEGORY_PCT)
    assert not low, f"{len(low)} categories under target"


@BELOW_TARGET
def test_hidden_offline_false_alarms(offline):
    fa = offline.false_alarms
    assert fa.pct() <= safety.TARGET_FALSE_ALARM_PCT, f"{fa.pct():.1f} % ({fa.caught}/{fa.total})"


def test_every_danger_phrasing_hears_the_emergency_number(offline):
    """The floor under the net: a phrasing routed to its own category, to another crisis answer
    (each says the emergency number) or to the fallback (which says it with the crisis line)
    still hears how to get urgent help; only a practice, a check-in or the menu would not."""
    o = offline.overall
    assert o.emergency == o.total, f"{o.total - o.emergency} of {o.total} did not hear it"
