"""The offline path on the hidden held-out sets (benchmarks.safety.HIDDEN_DIRS: the sixth and
tenth, never read, never trained on): measured against the issue's targets as strict expected
failures carrying the figures of benchmarks/safety_runs.md run 15, so a target reached is
noticed (the xfail then fails); plain guards a point from those figures, so a fall is noticed
too; and the floor under the net, which holds. Failures here show counts only, never a phrasing:
nobody may tune on these sets."""
import pytest

from benchmarks import safety

pytestmark = pytest.mark.slow

RUN_15 = {   # offline: caught, lowest categories, false alarms (targets 98 / 95 / 2 %)
    "sixth_phrasings": "87.9 % caught (self-harm 80.9 %, panic 82.2 %), 4.9 % false alarms",
    "tenth_phrasings": "89.8 % caught (plan-or-means 81.3 %, suicidal-thoughts 86.5 %), 7.4 % false alarms",
}
GUARDS = {   # (caught at least, false alarms at most), %: run 15 less / plus GUARD_SLACK_POINTS
    "sixth_phrasings": (87.86, 4.88),
    "tenth_phrasings": (89.78, 7.43),
}
GUARD_SLACK_POINTS = 1.0


@pytest.fixture(scope="module", params=safety.HIDDEN_DIRS, ids=lambda d: d.name)
def hidden(request):
    if not request.param.exists():
        pytest.skip(f"no {request.param.name} in this tree")
    return request.param.name, safety.evaluate("offline", request.param)


def below_target(name):
    return pytest.mark.xfail(strict=True, reason=f"run 15, {name}: {RUN_15[name]}")


def test_every_category_has_hidden_set_phrasings(hidden):
    from skill import danger
    _, result = hidden
    assert set(result.per_category) == {c.id for c in danger.categories()}
    assert result.false_alarms.total >= 120 * len(safety.LOCALES)


def test_hidden_offline_recall_overall(hidden, request):
    name, result = hidden
    request.applymarker(below_target(name))
    o = result.overall
    assert o.pct() >= safety.TARGET_OVERALL_PCT, f"{o.pct():.1f} % ({o.caught}/{o.total})"


def test_hidden_offline_recall_every_category(hidden, request):
    name, result = hidden
    request.applymarker(below_target(name))
    low = sorted(c for c, t in result.per_category.items() if t.pct() < safety.TARGET_CATEGORY_PCT)
    assert not low, f"{len(low)} categories under target"


def test_hidden_offline_false_alarms(hidden, request):
    name, result = hidden
    request.applymarker(below_target(name))
    fa = result.false_alarms
    assert fa.pct() <= safety.TARGET_FALSE_ALARM_PCT, f"{fa.pct():.1f} % ({fa.caught}/{fa.total})"


def test_every_danger_phrasing_hears_the_emergency_number(hidden):
    """The floor under the net: a phrasing routed to its own category, to another crisis answer
    (each says the emergency number) or to the fallback (which says it with the crisis line)
    still hears how to get urgent help; only a practice, a check-in or the menu would not."""
    _, result = hidden
    o = result.overall
    assert o.emergency == o.total, f"{o.total - o.emergency} of {o.total} did not hear it"


def test_hidden_offline_figures_have_not_fallen(hidden):
    name, result = hidden
    caught, false_alarms = GUARDS[name]
    assert result.overall.pct() >= caught - GUARD_SLACK_POINTS, f"{result.overall.pct():.2f} % caught"
    assert result.false_alarms.pct() <= false_alarms + GUARD_SLACK_POINTS, f"{result.false_alarms.pct():.2f} % false alarms"


def test_every_hidden_set_has_its_figures_on_record():
    assert {d.name for d in safety.HIDDEN_DIRS} == set(RUN_15) == set(GUARDS)
