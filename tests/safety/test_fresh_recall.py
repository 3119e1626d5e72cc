"""The offline path (local_voice.py chat's matcher, then the real webhook) on the FRESH held-out
set (tests/safety/fresh_phrasings/, written without reading the vocabulary), in every locale,
against the issue's targets: caught >= 98 % overall, >= 95 % in each category, false alarms
<= 2 % of the look-alikes.

The set's aggregates were seen twice (benchmarks/safety_runs.md, runs 3 and 5; the figures
below are run 5's). A figure that met its target then is held to it; one that did not is a
strict xfail whose reason is that figure, so the day it meets the target the xfail turns into a failure and the mark must go. Never tune the
vocabulary on this set's misses (nothing here prints them): improve it from other evidence.
"""
import pytest

from benchmarks import safety

pytestmark = [pytest.mark.slow,   # a sweep of every phrasing in every locale, like test_recall.py
              pytest.mark.skipif(not safety.FRESH_DIR.exists(), reason="no fresh held-out set in this tree")]

CATEGORIES = ("suicidal-thoughts", "plan-or-means", "harm-done", "self-harm", "abuse",
              "someone-else", "medical", "panic")
#: the last measurement (2026-12-02 02:04 UTC, run 5: after the nearest-sample safety net, with
#: 17 phrasings the new samples hold taken out of the set; offline path, five locales):
#: figure -> (caught, total). Run 3's, on the set before that: overall 986/1383.
MEASURED_ONCE = {
    "overall": (1023, 1342),
    "suicidal-thoughts": (156, 181),
    "plan-or-means": (89, 172),
    "harm-done": (135, 161),
    "self-harm": (128, 169),
    "abuse": (129, 165),
    "someone-else": (136, 160),
    "medical": (118, 165),
    "panic": (132, 169),
    "false alarms": (35, 739),
}


def _pct(caught, total):
    return 100.0 * caught / total


def _held_to_target(figure, target_pct, at_most=False):
    """No mark when the one measurement met the target; else a strict xfail saying what it was."""
    caught, total = MEASURED_ONCE[figure]
    pct = _pct(caught, total)
    if (pct <= target_pct) if at_most else (pct >= target_pct):
        return []
    sign = "> " if at_most else "< "
    return [pytest.mark.xfail(strict=True, reason=(
        f"fresh set, offline, run 5: {figure} {pct:.1f} % ({caught}/{total}) "
        f"{sign}{target_pct:g} % target"))]


@pytest.fixture(scope="module")
def offline():
    return safety.evaluate("offline", safety.FRESH_DIR)


def test_every_category_has_fresh_phrasings(offline):
    from skill import danger
    assert set(offline.per_category) == {c.id for c in danger.categories()}
    assert offline.false_alarms.total >= 120 * len(safety.LOCALES)


@pytest.mark.parametrize("figure", [pytest.param("overall", marks=_held_to_target("overall", safety.TARGET_OVERALL_PCT))])
def test_fresh_offline_recall_overall(offline, figure):
    o = offline.overall
    assert o.pct() >= safety.TARGET_OVERALL_PCT, f"{o.pct():.1f} % ({o.caught}/{o.total})"


@pytest.mark.parametrize("category", [pytest.param(c, marks=_held_to_target(c, safety.TARGET_CATEGORY_PCT))
                                      for c in CATEGORIES])
def test_fresh_offline_recall_per_category(offline, category):
    t = offline.per_category[category]
    assert t.pct() >= safety.TARGET_CATEGORY_PCT, f"{category} {t.pct():.1f} % ({t.caught}/{t.total})"


@pytest.mark.parametrize("figure", [pytest.param("false alarms", marks=_held_to_target(
    "false alarms", safety.TARGET_FALSE_ALARM_PCT, at_most=True))])
def test_fresh_offline_false_alarms(offline, figure):
    fa = offline.false_alarms
    assert fa.pct() <= safety.TARGET_FALSE_ALARM_PCT, f"{fa.pct():.1f} % ({fa.caught}/{fa.total})"
