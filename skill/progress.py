"""How the listener is doing: practice days this week, the current streak, the average
change in rating. Plain arithmetic over the history; said kindly by the progress dialog."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    sessions: int
    days_week: int
    streak_days: int
    average_change: float | None


def extend_streak(streak, day: dt.date) -> dict:
    """The running streak after practising on `day`: {"last": ISO date, "days": n}."""
    last, days = _streak_parts(streak)
    if last == day:
        return {"last": day.isoformat(), "days": days}
    if last == day - dt.timedelta(days=1):
        return {"last": day.isoformat(), "days": days + 1}
    return {"last": day.isoformat(), "days": 1}


def _streak_parts(streak) -> tuple[dt.date | None, int]:
    try:
        days = int(streak["days"])
        return dt.date.fromisoformat(streak["last"]), days if days > 0 else 0
    except (KeyError, TypeError, ValueError):
        return None, 0


def summarise(history: list[dict], today: dt.date, streak=None) -> Progress:
    days = set()
    changes = []
    for entry in history:
        try:
            days.add(dt.date.fromisoformat(entry["date"]))
        except (KeyError, TypeError, ValueError):
            continue
        if isinstance(entry.get("before"), int) and isinstance(entry.get("after"), int):
            changes.append(entry["after"] - entry["before"])
    week_start = today - dt.timedelta(days=today.weekday())
    days_week = sum(1 for d in days if week_start <= d <= today)
    # A streak still counts today if the listener practised yesterday but not yet today.
    day = today if today in days else today - dt.timedelta(days=1)
    from_history = 0
    while day in days:
        from_history += 1
        day -= dt.timedelta(days=1)
    last, running = _streak_parts(streak)
    if last not in (today, today - dt.timedelta(days=1)):
        running = 0
    average = round(sum(changes) / len(changes), 1) if changes else None
    # The running streak outlives the capped history; the history covers data from before it.
    return Progress(len(history), days_week, max(running, from_history), average)
