"""The offline path on the hidden held-out sets (benchmarks.safety.HIDDEN_DIRS: never read, and
the committed model never trained on them), against the issue's targets with the figures of benchmarks/safety_runs.md
runs 18 and 19: a target a set does not reach is a strict expected failure, so reaching it is noticed
(the xfail then fails); a target it reaches is a plain test, so losing it is noticed; plain
guards a point from the figures notice a fall too; and the floor under the net holds.
Failures here show counts only, never a phrasing: nobody may tune on these sets."""
import pytest

from benchmarks import safety

pytestmark = pytest.mark.slow

# offline: caught, lowest category, false alarms, % (targets 98 / 95 / 2 %); the twenty-first
# to twenty-third sets measured in run 19, on run 18's model (never trained on)
FIGURES = {
    "sixth_phrasings": (93.60, 90.1, 5.75),
    "tenth_phrasings": (93.03, 87.4, 7.43),
    "eleventh_phrasings": (90.56, 83.9, 20.08),
    "fifteenth_phrasings": (91.61, 86.8, 11.56),
    "twentieth_phrasings": (91.31, 82.3, 16.58),
    "twenty_first_phrasings": (85.34, 77.3, 13.50),
    "twenty_second_phrasings": (92.69, 81.3, 31.05),
    "twenty_third_phrasings": (89.40, 81.4, 13.42),
}
# Sets where a medical phrasing reaches a practice (issue 10: never; its answer still says the
# emergency number first, as a practice that works with the body does for chest pain).
MEDICAL_TO_A_PRACTICE = {
    "twentieth_phrasings": "run 18: one medical phrasing, in every locale, reaches a breathing exercise "
                           "by the fuzzy pass (patterns miss it, the classifier gives P(danger) 0.10)",
}
GUARD_SLACK_POINTS = 1.0
OVERALL, LOWEST, FALSE_ALARMS = range(3)


@pytest.fixture(scope="module", params=safety.HIDDEN_DIRS, ids=lambda d: d.name)
def hidden(request):
    if not request.param.exists():
        pytest.skip(f"no {request.param.name} in this tree")
    return request.param.name, safety.evaluate("offline", request.param)


def mark_if_below_target(request, name, figure):
    caught, lowest, false_alarms = FIGURES[name]
    reached = {OVERALL: caught >= safety.TARGET_OVERALL_PCT, LOWEST: lowest >= safety.TARGET_CATEGORY_PCT,
               FALSE_ALARMS: false_alarms <= safety.TARGET_FALSE_ALARM_PCT}[figure]
    if not reached:
        request.applymarker(pytest.mark.xfail(
            strict=True, reason=f"{name}: {caught} % caught, lowest category {lowest} %, {false_alarms} % false alarms"))


def test_every_category_has_hidden_set_phrasings(hidden):
    from skill import danger
    _, result = hidden
    assert set(result.per_category) == {c.id for c in danger.categories()}
    assert result.false_alarms.total >= 120 * len(safety.LOCALES)


def test_hidden_offline_recall_overall(hidden, request):
    name, result = hidden
    mark_if_below_target(request, name, OVERALL)
    o = result.overall
    assert o.pct() >= safety.TARGET_OVERALL_PCT, f"{o.pct():.1f} % ({o.caught}/{o.total})"


def test_hidden_offline_recall_every_category(hidden, request):
    name, result = hidden
    mark_if_below_target(request, name, LOWEST)
    low = sorted(c for c, t in result.per_category.items() if t.pct() < safety.TARGET_CATEGORY_PCT)
    assert not low, f"{len(low)} categories under target"


def test_hidden_offline_false_alarms(hidden, request):
    name, result = hidden
    mark_if_below_target(request, name, FALSE_ALARMS)
    fa = result.false_alarms
    assert fa.pct() <= safety.TARGET_FALSE_ALARM_PCT, f"{fa.pct():.1f} % ({fa.caught}/{fa.total})"


def test_every_danger_phrasing_hears_the_emergency_number(hidden):
    """The floor under the net: a phrasing routed to its own category, to another crisis answer
    (each says the emergency number) or to the fallback (which says it with the crisis line)
    still hears how to get urgent help, and so does a breathing practice (for chest pain) or a
    check-in with a feeling not understood; only another practice or the menu would not."""
    _, result = hidden
    o = result.overall
    assert o.emergency == o.total, f"{o.total - o.emergency} of {o.total} did not hear it"


def test_hidden_offline_figures_have_not_fallen(hidden):
    name, result = hidden
    caught, lowest, false_alarms = FIGURES[name]
    assert result.overall.pct() >= caught - GUARD_SLACK_POINTS, f"{result.overall.pct():.2f} % caught"
    low = min(t.pct() for t in result.per_category.values())
    assert low >= lowest - GUARD_SLACK_POINTS, f"lowest category {low:.1f} %"
    assert result.false_alarms.pct() <= false_alarms + GUARD_SLACK_POINTS, f"{result.false_alarms.pct():.2f} % false alarms"


def test_every_hidden_set_has_its_figures_on_record():
    assert {d.name for d in safety.HIDDEN_DIRS} == set(FIGURES)


def test_no_medical_phrasing_reaches_a_practice(hidden, request):
    from skill.handlers.practice import INTENT_SCRIPTS
    name, result = hidden
    if name in MEDICAL_TO_A_PRACTICE:
        request.applymarker(pytest.mark.xfail(strict=True, reason=MEDICAL_TO_A_PRACTICE[name]))
    reached = sum(intent in INTENT_SCRIPTS for _, _, intent in result.per_category["medical"].misses)
    assert reached == 0, f"{reached} medical phrasings reached a practice"
