"""Crisis lines by locale (skill/data/helplines.json), one maintained table with a review date."""
from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
FALLBACK_LOCALE = "en-US"


@lru_cache(maxsize=1)
def table() -> dict:
    return json.loads((DATA_DIR / "helplines.json").read_text(encoding="utf-8"))


def for_locale(locale: str) -> dict:
    lines = table()["locales"]
    return lines.get(locale, lines[FALLBACK_LOCALE])


def review_by() -> dt.date:
    return dt.date.fromisoformat(table()["review_by"])


def card_text(locale: str) -> str:
    """The numbers as plain text for the Alexa app card."""
    line = for_locale(locale)
    number = " ".join(line["number"])
    emergency = " ".join(line["emergency"])
    alt = " or " + " ".join(line["emergency_alt"]) if line.get("emergency_alt") else ""
    return (f"{line['line']}: {line['call']} {number} (any time).\n"
            f"In danger right now: call {emergency}{alt}.")
