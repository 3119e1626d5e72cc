"""`python -m skill.tools.lint`: every script and dialog, in every locale, at the extremes of every
parameter, checked against Alexa's SSML rules. Prints `file:line: rule: message [where]`
for each failure and exits 1 if there is any. Warnings (the helpline table's review date)
print the same way, `[warning]`, and leave the exit status alone.

A turn is checked as Alexa will get it: with the longest closing prompt the conversation
may add, at the slowest speaking rate.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from dataclasses import dataclass

from skill import apla, catalogue, helplines, render, ssml
from skill.catalogue import SSML_DIR

# The prompt a handler may append to a practice turn ("say continue when you're ready").
CLOSING_PROMPTS = ("q_turn_break", "q_practice_end")
# Slot-like values the dialogs are rendered with: markup characters must come out escaped.
HOSTILE_VALUE = "<b>Tom & \"Jerry\"</b>"
# The helpline table's review date warns this long before it, and on every run after it.
HELPLINE_REVIEW_AHEAD_DAYS = 30
HELPLINES_FILE = "skill/data/helplines.json"


@dataclass(frozen=True)
class Failure:
    file: str
    line: int
    rule: str
    message: str
    where: str

    def __str__(self):
        return f"{self.file}:{self.line}: {self.rule}: {self.message} [{self.where}]"


def _element_line(path: str, element: tuple) -> int:
    """The template line that writes the offending element: its tag and attribute values."""
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError:
        return 1
    for i, line in enumerate(lines, 1):
        if all(part in line for part in element):
            return i
    tag_only = [i for i, line in enumerate(lines, 1) if element[0] in line]
    return tag_only[0] if len(tag_only) == 1 else 1


def _check_doc(doc: str, locale: str, path: str, where: str) -> list[Failure]:
    out = []
    for p in ssml.check(doc, locale):
        line = _element_line(path, p.element) if p.element else 1
        out.append(Failure(path, line, p.rule, p.message, where))
    return out


def _split_where(err: render.RenderError, fallback: str) -> tuple[str, int]:
    m = re.match(r"(.*):(\d+)$", err.where or "")
    return (m.group(1), int(m.group(2))) if m else (err.where or fallback, 1)


def lint_scripts() -> list[Failure]:
    failures = []
    prompts = {loc: [render.dialog(n, loc, rate) for n in CLOSING_PROMPTS for rate in render.RATES_PCT]
               for loc in catalogue.locales()}
    longest = {loc: max(p, key=lambda b: render.estimate_s(b, "slower")) for loc, p in prompts.items()}
    for script in catalogue.scripts().values():
        for locale in catalogue.locales():
            path = render.template_path(script.template, locale)
            for params in script.extremes():
                for rate in render.RATES_PCT:
                    where = " ".join([script.id, locale, f"rate={rate}", *(f"{k}={v}" for k, v in params.items())])
                    try:
                        turns = render.render(script.id, locale, rate, **params)
                    except render.RenderError as err:
                        f, line = _split_where(err, path)
                        failures.append(Failure(f, line, "render", str(err).split(": ", 1)[-1], where))
                        continue
                    for turn in turns:
                        doc = render.speech(turn.body, longest[locale], rate=rate)
                        failures += _check_doc(doc, locale, path, f"{where} turn {turn.index + 1}")
                        failures += _check_apla(turn, longest[locale], rate, path, f"{where} turn {turn.index + 1}")
    return failures


def _check_apla(turn: render.Turn, prompt: str, rate: str, path: str, where: str) -> list[Failure]:
    """The APL-A form of a turn with its longest closing prompt, as skill.respond sends it."""
    said, steps = apla.words(render.speech(prompt, rate=rate))
    items = list(turn.timeline) + steps
    doc = apla.document_of(apla.components(list(turn.timeline)) + said)
    return [Failure(path, 1, p.rule, p.message, where) for p in apla.check(items, doc)]


def lint_dialogs() -> list[Failure]:
    failures = []
    for name in render.dialog_names():
        for locale in catalogue.locales():
            path = render.template_path(f"dialog/{name}.ssml.j2", locale)
            for rate in render.RATES_PCT:
                where = f"dialog {name} {locale} rate={rate}"
                try:
                    body = render.dialog(name, locale, rate, **sample_values(locale))
                except render.RenderError as err:
                    f, line = _split_where(err, path)
                    failures.append(Failure(f, line, "render", str(err).split(": ", 1)[-1], where))
                    continue
                failures += _check_doc(render.speech(body, rate=rate), locale, path, where)
    return failures


def sample_values(locale: str, text: str = HOSTILE_VALUE) -> dict:
    """Values for every variable a dialog may use (ssml/dialog/variables.json), with
    `text` wherever a listener's words go."""
    data = json.loads((SSML_DIR / "dialog" / "variables.json").read_text(encoding="utf-8"))
    values = {k: (text if v == "text" else v) for k, v in data.items() if not k.startswith("_")}
    return {**values, "help": helplines.for_locale(locale), "lines": helplines.lines_for(helplines.KINDS, locale),
            "urgent_lines": helplines.lines_for(helplines.KINDS, locale),
            "card_lines": helplines.lines_for(helplines.KINDS, locale),
            "silent": helplines.for_locale(locale)["emergency"].get("silent"),
            "category": "suicidal-thoughts", "urgent": False, "no_practice": False}


def lint_data() -> list[Failure]:
    """Data files agree with each other: word lists share keys, every script has a template,
    and no default breathing pattern holds the breath."""
    failures = []
    key_sets = {}
    for path in sorted((SSML_DIR / "words").glob("*.json")):
        key_sets[path.name] = set(json.loads(path.read_text(encoding="utf-8")))
    union = set().union(*key_sets.values()) if key_sets else set()
    for name, keys in key_sets.items():
        for missing in sorted(union - keys):
            failures.append(Failure(f"ssml/words/{name}", 1, "words", f"no entry for {missing!r}", "data"))
    from skill import breathing
    for script in catalogue.scripts().values():
        if not (SSML_DIR / script.template).exists():
            failures.append(Failure("ssml/catalogue.json", 1, "catalogue",
                                    f"{script.id}: no template ssml/{script.template}", "data"))
        default = script.params.get("pattern", {}).get("default")
        if default and breathing.holds_breath(default):
            failures.append(Failure("ssml/catalogue.json", 1, "care",
                                    f"{script.id}: the default pattern {default!r} holds the breath", "data"))
    return failures


def run() -> list[Failure]:
    return lint_data() + lint_dialogs() + lint_scripts()


def warnings(today: dt.date | None = None) -> list[Failure]:
    """What needs a person soon but must not fail a build on a calendar day: the helpline
    numbers' review date (skill/data/helplines.json)."""
    today = today or dt.date.today()
    due = helplines.review_by()
    days = (due - today).days
    if days > HELPLINE_REVIEW_AHEAD_DAYS:
        return []
    text = (f"review date {due} has passed" if days < 0 else f"review due by {due} (in {days} days)")
    line = next((i for i, l in enumerate((helplines.DATA_DIR / "helplines.json").read_text(
        encoding="utf-8").splitlines(), 1) if '"review_by"' in l), 1)
    return [Failure(HELPLINES_FILE, line, "review-date", f"{text}: check every number with its "
                    "source, then set reviewed and review_by", "warning")]


def main(argv=None) -> int:
    argparse.ArgumentParser(prog="python -m skill.tools.lint", description=__doc__.splitlines()[0]).parse_args(argv)
    failures, notes = run(), warnings()
    for f in failures + notes:
        print(f)
    n_scripts = len(catalogue.scripts())
    print(f"lint: {len(failures)} problem(s), {len(notes)} warning(s) in {n_scripts} scripts and "
          f"{len(render.dialog_names())} dialogs x {len(catalogue.locales())} locales", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
