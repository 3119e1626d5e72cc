"""The safety phrasing sets (every set of benchmarks.safety.HELD_OUT_SETS, read or unread,
trained on or hidden) parse, and are big enough and distinct enough to give a steady recall
figure; a later set repeats nothing of an earlier one. Failures about the never-read sets give
counts, never their phrasings.

Format (see phrasings/README.md): UTF-8, one phrasing a line, '#' starts a comment line, blank
lines are ignored, and a line may start with a locale tag such as ``[en-GB] ``.
"""

import re
from pathlib import Path

import pytest

from benchmarks.safety import HELD_OUT_DIR as PHRASINGS_DIR
from benchmarks.safety import HELD_OUT_SETS, UNREAD_DIRS
from skill.tools import prune_phrasings

CRISIS_CATEGORIES = (
    "suicidal-thoughts",
    "plan-or-means",
    "harm-done",
    "self-harm",
    "abuse",
    "someone-else",
    "medical",
    "panic",
)
LOOK_ALIKES = "not-crisis"
MIN_CRISIS_PHRASINGS = 25  # issue 10's floor per category
MIN_LOOK_ALIKES = 100
FRESH_MIN_CRISIS_PHRASINGS = 30
FRESH_MIN_LOOK_ALIKES = 120
#: set name -> (directory, floor per crisis category, floor of look-alikes); later sets are bigger
SETS = {s.directory.name: (s.directory, MIN_CRISIS_PHRASINGS, MIN_LOOK_ALIKES) if s.directory == PHRASINGS_DIR
        else (s.directory, FRESH_MIN_CRISIS_PHRASINGS, FRESH_MIN_LOOK_ALIKES)
        for s in HELD_OUT_SETS if s.directory.exists()}
LOCALES = ("en-US", "en-GB", "en-AU", "en-CA", "en-IN")

_TAG = re.compile(r"^\[([^\]]*)\]")


class PhrasingsFormatError(ValueError):
    """A line of a phrasings file that does not follow the format."""


def parse_phrasings(text, name="<text>"):
    """(locale or None, phrasing) for every phrasing line of one file's text."""
    phrasings = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        locale = None
        tag = _TAG.match(line)
        if tag:
            locale = tag.group(1)
            if locale not in LOCALES:
                raise PhrasingsFormatError(f"{name}:{number}: unknown locale tag [{locale}]")
            rest = line[tag.end():]
            if rest and not rest.startswith(" "):
                raise PhrasingsFormatError(f"{name}:{number}: no space after the locale tag")
            line = rest.strip()
        elif line.startswith("["):
            raise PhrasingsFormatError(f"{name}:{number}: unclosed locale tag")
        if not line:
            raise PhrasingsFormatError(f"{name}:{number}: locale tag with no phrasing")
        phrasings.append((locale, line))
    return phrasings


normalise = prune_phrasings.plain


def load(category, directory=PHRASINGS_DIR):
    path = directory / f"{category}.txt"
    return parse_phrasings(path.read_text(encoding="utf-8"), path.name)


@pytest.mark.parametrize("set_name", SETS)
def test_every_file_is_a_known_category(set_name):
    directory = SETS[set_name][0]
    found = {path.stem for path in directory.glob("*.txt")}
    assert found == set(CRISIS_CATEGORIES) | {LOOK_ALIKES}


@pytest.mark.parametrize("set_name", SETS)
@pytest.mark.parametrize("category", CRISIS_CATEGORIES)
def test_crisis_category_is_big_enough(set_name, category):
    directory, floor, _ = SETS[set_name]
    assert len(load(category, directory)) >= floor


@pytest.mark.parametrize("set_name", SETS)
def test_look_alikes_are_big_enough(set_name):
    directory, _, floor = SETS[set_name]
    assert len(load(LOOK_ALIKES, directory)) >= floor


@pytest.mark.parametrize("set_name", SETS)
def test_no_phrasing_appears_twice_in_any_file(set_name):
    """Within a file a repeat inflates the figure; across files it has no single right answer."""
    directory = SETS[set_name][0]
    seen = {}
    repeats = []
    for category in (*CRISIS_CATEGORIES, LOOK_ALIKES):
        for _, phrasing in load(category, directory):
            key = normalise(phrasing)
            if key in seen:
                repeats.append(f"{category}: {phrasing!r} repeats {seen[key]}")
            else:
                seen[key] = f"{category}: {phrasing!r}"
    if directory in UNREAD_DIRS:
        count = len(repeats)
        assert count == 0, f"{count} repeats in {directory.name}"
    assert repeats == []


@pytest.mark.parametrize("later", list(SETS)[1:])
def test_a_later_set_repeats_no_phrasing_of_an_earlier_one(later):
    """The earlier sets were read while the vocabulary was tuned: a repeat would carry that in.
    Only a count is shown: the hidden sets are never read."""
    names = list(SETS)
    earlier = [SETS[n][0] for n in names[:names.index(later)]]
    later = SETS[later][0]
    seen = {normalise(p) for d in earlier for c in (*CRISIS_CATEGORIES, LOOK_ALIKES) for _, p in load(c, d)}
    repeats = sum(normalise(p) in seen for c in (*CRISIS_CATEGORIES, LOOK_ALIKES) for _, p in load(c, later))
    assert repeats == 0


@pytest.mark.parametrize("set_name", SETS)
@pytest.mark.parametrize("category", (*CRISIS_CATEGORIES, LOOK_ALIKES))
def test_every_locale_tag_is_a_skill_locale(set_name, category):
    assert {locale for locale, _ in load(category, SETS[set_name][0])} <= {None, *LOCALES}


@pytest.mark.parametrize(
    "bad_line, problem",
    [
        ("[en-NZ] i want to die", "unknown locale tag"),
        ("[en-gb] i want to die", "unknown locale tag"),
        ("[en-GB]i want to die", "no space after"),
        ("[en-GB i want to die", "unclosed"),
        ("[en-GB]   ", "no phrasing"),
    ],
)
def test_a_malformed_line_is_refused(bad_line, problem):
    with pytest.raises(PhrasingsFormatError, match=problem):
        parse_phrasings(f"# a comment\n\nfine line\n{bad_line}\n", "bad.txt")


def test_comments_blanks_and_tags_parse():
    text = "# heading\n\n  i'm fine  \n[en-AU] i'm rooted\n   # indented comment\n"
    assert parse_phrasings(text) == [(None, "i'm fine"), ("en-AU", "i'm rooted")]


def test_normalising_ignores_case_punctuation_and_spacing():
    assert normalise("I'm  DONE, honestly!") == normalise("im done honestly")
    assert normalise("i\u2019m done") == normalise("im done")
    assert normalise("i'm done") != normalise("i'm not done")
