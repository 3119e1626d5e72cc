"""skill.tools.learned_samples: the trained phrasing sets' lines as interaction-model samples,
only where Alexa would take them and never so that danger sounds like everyday talk."""
from __future__ import annotations

import pytest

from skill import danger
from skill.tools import interaction_model as im
from skill.tools import learned_samples as ls

LOCALES = ["en-US", "en-GB", "en-AU", "en-CA", "en-IN"]
DANGER_INTENTS = {c.intent for c in danger.categories()}


@pytest.mark.parametrize("line,sample", [
    ("I took 20 pills!", "i took twenty pills"),
    ("Alexa, let\u2019s do some self-compassion", "let's do some self compassion"),
    ("hey Alexa my chest hurts", "my chest hurts"),
    ("Tom & me are 'fine'", "tom and me are fine"),
    ("Alexander said hello", "alexander said hello"),
])
def test_a_line_becomes_what_alexa_takes_as_a_sample(line, sample):
    assert ls.alexa_sample(line) == sample
    assert im.SAMPLE_CHARS.match(sample)


@pytest.mark.parametrize("line", ["Alexa", "?!", "", "word " * 50])
def test_a_line_alexa_cannot_take_gives_none(line):
    assert ls.alexa_sample(line) is None


@pytest.fixture(scope="module", params=LOCALES)
def built(request):
    """(locale, model built without learned samples, what learned_samples adds to it)."""
    locale = request.param
    base = im.build_locale_model(im.load_source(), locale, learn_from=())["interactionModel"]["languageModel"]
    return locale, base, ls.learned_samples(base, locale)


def test_every_danger_category_learns_and_nothing_learned_was_there(built):
    locale, base, learned = built
    assert DANGER_INTENTS <= set(learned), sorted(DANGER_INTENTS - set(learned))
    keys = {im.normalize_sample(s, {x["name"]: x["type"] for x in i.get("slots", [])})
            for i in base["intents"] for s in i.get("samples", [])}
    keys |= {im.normalize_sample(p) for ps in im.builtin_phrases(locale).values() for p in ps}
    added = [im.normalize_sample(s) for samples in learned.values() for s in samples]
    assert len(added) == len(set(added)) and not set(added) & keys
    assert all(base["invocationName"] not in s for samples in learned.values() for s in samples)


def test_no_everyday_sample_learned_says_a_negation_or_danger(built):
    _, _, learned = built
    everyday = learned[ls.LOOK_ALIKES_INTENT]
    assert len(everyday) > 500
    negations = danger.negation_words()
    negated = [s for s in everyday if set(danger.normalize(s).split()) & negations]
    called_danger = [s for s in everyday if danger.category_of(s) is not None]
    assert negated == [] and called_danger == []


def test_a_danger_line_goes_where_the_patterns_send_it(built):
    _, _, learned = built
    wrong = [(intent, s) for intent, samples in learned.items() if intent in DANGER_INTENTS
             for s in samples if (c := danger.category_of(s)) is not None and c.intent != intent]
    assert wrong == []


def test_the_committed_model_holds_exactly_the_base_and_the_learned_samples(built):
    locale, base, learned = built
    committed = im.sample_utterances(locale)
    for intent in base["intents"]:
        name = intent["name"]
        assert committed.get(name, []) == intent.get("samples", []) + learned.get(name, []), name

