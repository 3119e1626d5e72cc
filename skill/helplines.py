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
    """The same lines as plain text for the Alexa app card, in the same order (the words are
    the table's `card` phrases)."""
    say = table()["card"]

    def word(e, key="text_word"):
        return say["word"].format(word=e[key]) if e.get(key) else ""

    out = []
    for kind, e in lines_for(kinds, locale):
        name = e.get("name", "")
        names = {"name": name, "Name": name[:1].upper() + name[1:]}
        if kind == "emergency":
            alt = say["alt"].format(number=_digits(e["alt"])) if e.get("alt") else ""
            amb = say["ambulance"].format(number=_digits(e["ambulance"])) if e.get("ambulance") else ""
            out.append(say["emergency"].format(number=_digits(e["number"]), alt=alt, ambulance=amb))
            if e.get("urgent_care"):
                u = e["urgent_care"]
                out.append(say["urgent_care"].format(emergency=_digits(e["number"]), where=u["where"], name=u["name"]))
        elif kind == "crisis":
            out.append(say["crisis"].format(**names, how=e["how"], number=_digits(e["number"])))
        elif kind == "text":
            out.append(say["text"].format(**names, word=word(e), number=_digits(e["number"])))
        elif e.get("how") == "website":
            out.append(say["website"].format(**names, url=e["url"]))
        else:
            text = (say["call_text"].format(word=word(e), number=_digits(e["text_number"]))
                    if e.get("text_number") else "")
            out.append(say["call"].format(**names, number=_digits(e["number"]), text=text))
        out += [say["more"].format(say=m["say"], number=_digits(m["number"])) for m in e.get("more", ())]
    return "\n".join(out)
