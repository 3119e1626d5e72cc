"""The catalogue of practices and explanations (ssml/catalogue.json), and parameter checks.

Ids, titles, lengths and parameter limits live in the data file; this module only reads
them and refuses values outside the limits with a message that names the valid choices.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache

from skill.locations import SSML_DIR

LOCALES_FILE = SSML_DIR / "locales.json"


class ParamError(ValueError):
    """A parameter outside what a script accepts; the message names the valid values."""


@dataclass(frozen=True)
class Script:
    id: str
    kind: str                 # "practice" or "explanation"
    title: str
    summary: str
    about_minutes: float
    minutes: dict | None = None           # {"default", "min", "max"} when length is a choice
    params: dict = field(default_factory=dict)
    for_sleep: bool = False   # ends the session quietly: no rating, no question after it

    @property
    def template(self) -> str:
        return f"{self.id}.ssml.j2"

    def resolve(self, minutes=None, pattern=None, first_time=False) -> dict:
        """The full parameter set for a render, defaults filled in; ParamError if out of range.

        `first_time` (the listener's first practice: the scripts add the cautions a
        newcomer needs) is kept only when true, so every other render keeps its old key."""
        out: dict = {}
        if self.minutes:
            lo, hi = self.minutes["min"], self.minutes["max"]
            value = self.minutes["default"] if minutes is None else minutes
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise ParamError(f"minutes must be a number from {lo} to {hi}") from None
            if not lo <= value <= hi:
                raise ParamError(f"minutes must be from {lo} to {hi}, not {value:g}")
            out["minutes"] = int(value) if value == int(value) else value
        elif minutes is not None:
            raise ParamError(f"{self.id} has a set length of about {self.about_minutes:g} minutes")
        if "pattern" in self.params:
            spec = self.params["pattern"]
            value = spec["default"] if pattern is None else str(pattern).lower()
            if value not in spec["choices"]:
                raise ParamError(f"pattern must be one of {', '.join(spec['choices'])}, not {value!r}")
            out["pattern"] = value
        elif pattern is not None:
            raise ParamError(f"{self.id} has no breathing pattern")
        if not isinstance(first_time, bool):
            raise ParamError("first_time must be true or false")
        if first_time:
            out["first_time"] = True
        return out

    def extremes(self) -> list[dict]:
        """Parameter sets at the edges of every range: what the lint renders."""
        minutes = ([self.minutes["min"], self.minutes["default"], self.minutes["max"]]
                   if self.minutes else [None])
        patterns = self.params.get("pattern", {}).get("choices", [None])
        return [self.resolve(m, p, first) for m in minutes for p in patterns for first in (False, True)]


@lru_cache(maxsize=1)
def scripts() -> dict[str, Script]:
    data = json.loads((SSML_DIR / "catalogue.json").read_text(encoding="utf-8"))
    out = {}
    for row in data["scripts"]:
        about = row.get("about_minutes", (row.get("minutes") or {}).get("default", 1))
        out[row["id"]] = Script(row["id"], row["kind"], row["title"], row["summary"], about,
                                row.get("minutes"), row.get("params", {}), bool(row.get("for_sleep")))
    return out


def known(script_id) -> bool:
    """Whether `script_id` names a script; any value at all may be asked (stored data, slots)."""
    return isinstance(script_id, str) and script_id in scripts()


def get(script_id: str) -> Script:
    try:
        return scripts()[script_id]
    except KeyError:
        raise ParamError(f"unknown practice {script_id!r}; choose from {', '.join(scripts())}") from None


@lru_cache(maxsize=1)
def locales() -> dict[str, dict]:
    data = json.loads(LOCALES_FILE.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def check_locale(locale: str) -> str:
    if locale not in locales():
        raise ParamError(f"unknown locale {locale!r}; choose from {', '.join(locales())}")
    return locale
