"""The help-line table (skill/data/helplines.json) itself, and its extra lines through the real
webhook: every number sourced and dated; a nation's or a second audience's line (`more`) said once,
digit by digit, after its main line; urgent care that is not an emergency (`urgent_care`) said
where panic does not ease, after the emergency number, and printed on the card."""
import datetime as dt
import re

import pytest

from skill import danger, helplines
from skill.tools import envelopes
from support.spoken import numbers

LOCALES = tuple(helplines.table()["locales"])


def entries():
    """(where, entry) for every line in the table, the nested ones too."""
    for locale, kinds in helplines.table()["locales"].items():
        for kind, e in kinds.items():
            if not isinstance(e, dict):
                continue
            yield f"{locale} {kind}", e
            if "urgent_care" in e:
                yield f"{locale} {kind} urgent_care", e["urgent_care"]
            for i, m in enumerate(e.get("more", ())):
                yield f"{locale} {kind} more[{i}]", m


@pytest.mark.parametrize("where, entry", list(entries()), ids=lambda x: x if isinstance(x, str) else "")
def test_every_line_has_a_source_and_a_review_date_no_later_than_the_tables(where, entry):
    assert entry.get("source", "").startswith(("http", "../shared/")), where
    reviewed = dt.date.fromisoformat(entry["reviewed"])
    assert reviewed <= dt.date.fromisoformat(helplines.table()["reviewed"]) < helplines.review_by(), where
    assert all(g.isdigit() for g in entry.get("number", ())), where


def test_words_said_before_a_number_hold_no_digits():
    # digits outside say-as would be read as an amount ("one hundred and eleven")
    for where, e in entries():
        for key in ("say", "where"):
            assert not re.search(r"[0-9]", e.get(key, "")), (where, key)


def answer(app, locale, category):
    body = app.test_client().post("/alexa", json=envelopes.intent_request(
        danger.by_id(category).intent, {}, locale, session=envelopes.new_session(locale))).get_json()
    return body["response"]["outputSpeech"]["ssml"], body["response"]["card"]["content"]


MORE = [(loc, c.id, kind) for loc in LOCALES for c in danger.categories() for kind in c.lines
        if helplines.for_locale(loc).get(kind, {}).get("more")]


def test_some_lines_have_more():
    assert {loc for loc, _, _ in MORE} >= {"en-GB", "en-CA"}


@pytest.mark.parametrize("locale, category, kind", MORE)
def test_each_extra_line_is_said_once_after_its_main_line(app, locale, category, kind):
    doc, card = answer(app, locale, category)
    said = numbers(doc)
    e = helplines.for_locale(locale)[kind]
    extra = [" ".join(m["number"]) for m in e["more"]]
    at = [said.index(n) for n in extra]
    assert all(said.count(n) == 1 for n in extra), said
    assert at == sorted(at), said
    if "number" in e:
        assert said.index(" ".join(e["number"])) < at[0], said
    if kind not in ("violence", "sexual_violence"):          # the abuse card shows only the emergency number
        assert all(n in card for n in extra), card


URGENT = [loc for loc in LOCALES if "urgent_care" in helplines.for_locale(loc)["emergency"]]


def test_the_uk_has_urgent_care():
    assert "en-GB" in URGENT


@pytest.mark.parametrize("locale", URGENT)
def test_panic_that_does_not_ease_hears_urgent_care_after_the_emergency_number(app, locale):
    e = helplines.for_locale(locale)["emergency"]
    doc, card = answer(app, locale, "panic")
    said = numbers(doc)
    assert said[:1] == [" ".join(e["number"])] and " ".join(e["urgent_care"]["number"]) in said[1:], said
    assert e["urgent_care"]["name"] in card


@pytest.mark.parametrize("locale", URGENT)
@pytest.mark.parametrize("category", ["medical", "harm-done", "plan-or-means"])
def test_a_life_in_danger_never_hears_urgent_care_only_the_emergency_number(app, locale, category):
    e = helplines.for_locale(locale)["emergency"]
    doc, _ = answer(app, locale, category)
    said = numbers(doc)
    assert said[0] == " ".join(e["number"]) and " ".join(e["urgent_care"]["number"]) not in said, said
