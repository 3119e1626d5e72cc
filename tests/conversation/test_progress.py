"""Progress arithmetic: days this week, the running streak, the average change."""
import datetime as dt

from skill import progress

TODAY = dt.date(2026, 11, 26)   # a Thursday


def entry(days_ago, before=None, after=None):
    day = TODAY - dt.timedelta(days=days_ago)
    return {"id": f"e{days_ago}", "date": day.isoformat(), "before": before, "after": after}


def test_days_this_week_and_a_streak_from_history():
    p = progress.summarise([entry(0), entry(1), entry(1), entry(2), entry(5)], TODAY)
    assert (p.sessions, p.days_week, p.streak_days) == (5, 3, 3)


def test_a_streak_still_counts_before_todays_practice():
    assert progress.summarise([entry(1), entry(2)], TODAY).streak_days == 2
    assert progress.summarise([entry(2), entry(3)], TODAY).streak_days == 0


def test_the_running_streak_outlives_the_capped_history():
    streak = None
    for days_ago in range(90, -1, -1):             # practised every day for 91 days
        streak = progress.extend_streak(streak, TODAY - dt.timedelta(days=days_ago))
    recent = [entry(d) for d in range(10)]         # only the newest records are kept
    assert progress.summarise(recent, TODAY, streak).streak_days == 91
    assert progress.extend_streak(streak, TODAY)["days"] == 91          # twice a day: same streak
    assert progress.extend_streak(streak, TODAY + dt.timedelta(days=2))["days"] == 1   # a gap


def test_average_change_only_counts_rated_practices():
    p = progress.summarise([entry(0, 7, 5), entry(1, 6, 6), entry(2, 8, None)], TODAY)
    assert p.average_change == -1.0
    assert progress.summarise([entry(0)], TODAY).average_change is None
