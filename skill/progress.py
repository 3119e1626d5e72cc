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


def summarise(history: list[dict], today: dt.date) -> Progress:
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
    streak = 0
    while day in days:
        streak += 1
        day -= dt.timedelta(days=1)
    average = round(sum(changes) / len(changes), 1) if changes else None
    return Progress(len(history), days_week, streak, average)
