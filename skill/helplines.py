"""Help lines by locale (skill/data/helplines.json), one maintained table with sources and a
review date; which of them a danger category gives, in its order (skill/data/danger.json)."""
from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache

from skill.locations import DATA_DIR

FALLBACK_LOCALE = "en-US"
KINDS = ("emergency", "crisis", "text", "violence", "sexual_violence")


@lru_cache(maxsize=1)
def table() -> dict:
    return json.loads((DATA_DIR / "helplines.json").read_text(encoding="utf-8"))


def for_locale(locale: str) -> dict:
    lines = table()["locales"]
    return lines.get(locale, lines[FALLBACK_LOCALE])


def review_by() -> dt.date:
    return dt.date.fromisoformat(table()["review_by"])


def lines_for(kinds, locale: str) -> list[tuple[str, dict]]:
    """[(kind, entry)] for `kinds` in their order, skipping what the locale lacks."""
    entries = for_locale(locale)
    return [(k, entries[k]) for k in kinds if k in entries]


def _digits(groups) -> str:
    return " ".join(groups)


def card_text(kinds, locale: str) -> str:
    """The same lines as plain text for the Alexa app card, in the same order."""
    out = []
    for kind, e in lines_for(kinds, locale):
        if kind == "emergency":
            alt = f" or {_digits(e['alt'])}" if e.get("alt") else ""
            amb = f" ({_digits(e['ambulance'])} for an ambulance)" if e.get("ambulance") else ""
            out.append(f"In danger or hurt, right now: call {_digits(e['number'])}{alt}{amb}.")
            if e.get("urgent_care"):
                u = e["urgent_care"]
                out.append(f"Medical help fast, but not a {_digits(e['number'])} emergency ({u['where']}): "
                           f"{u['name']}.")
        elif kind == "crisis":
            out.append(f"{e['name'][0].upper()}{e['name'][1:]}: {e['how']} {_digits(e['number'])}, any time.")
        elif kind == "text":
            word = f"{e['text_word']} to " if e.get("text_word") else ""
            out.append(f"{e['name']}: text {word}{_digits(e['number'])}.")
        elif e.get("how") == "website":
            out.append(f"Find {e['name']}: sheltersafe.ca (24-hour lines).")
        else:
            text = ""
            if e.get("text_number"):
                word = f"{e['text_word']} to " if e.get("text_word") else ""
                text = f", or text {word}{_digits(e['text_number'])}"
            out.append(f"{e['name'][0].upper()}{e['name'][1:]}: call {_digits(e['number'])}{text}.")
        out += [f"{m['say']} {_digits(m['number'])}." for m in e.get("more", ())]
    return "\n".join(out)
