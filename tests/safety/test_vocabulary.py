"""One danger vocabulary (skill/data/danger.json), three uses: every sample of every category
is caught, as its own category, by every path that reads it."""
import pytest

from skill import danger
from skill.tools import interaction_model as im
from skill.tools import nlu_standin, utterances

LOCALES = im.locales()
CATEGORY_IDS = ("suicidal-thoughts", "plan-or-means", "harm-done", "self-harm", "abuse", "someone-else",
                "medical", "panic")
SAMPLES = [(c.id, s) for c in danger.categories() for s in c.samples]


def test_the_categories_are_the_agreed_ones_each_with_its_own_intent_and_answer():
    cats = danger.categories()
    assert {c.id for c in cats} == set(CATEGORY_IDS)
    assert len({c.intent for c in cats}) == len(cats) and len({c.answer for c in cats}) == len(cats)
    assert danger.by_id("suicidal-thoughts").intent == "CrisisIntent"


@pytest.mark.parametrize("category, sample", SAMPLES)
def test_webhook_slot_check_catches_every_sample_as_its_category(category, sample):
    assert danger.category_of(sample).id == category


@pytest.mark.parametrize("locale", LOCALES)
def test_offline_matcher_catches_every_sample_as_its_category(locale):
    wrong = [(c, s, m.intent) for c, s in SAMPLES
             if (m := utterances.match(s, locale)).intent != danger.by_id(c).intent]
    assert wrong == []


@pytest.mark.parametrize("locale", LOCALES)
def test_every_sample_is_in_the_interaction_model_under_its_category_intent(locale):
    model = im.sample_utterances(locale)
    for c in danger.categories():
        assert set(c.samples) <= set(model[c.intent]), c.id


@pytest.mark.parametrize("locale", LOCALES)
def test_alexa_stand_in_routes_every_sample_to_its_category_intent(locale):
    wrong = [(c, s) for c, s in SAMPLES if nlu_standin.route(s, locale).intent != danger.by_id(c).intent]
    assert wrong == []


def test_no_second_danger_list_remains():
    from pathlib import Path
    root = Path(im.PROJECT_DIR).parent
    assert not (root / "skill" / "data" / "crisis_terms.json").exists()
    assert "crisisPhrases" not in (root / "interaction_model" / "source" / "matcher.json").read_text()
    assert "\"samples\"" not in next(i for i in im.load_source()["intents"] if i["name"] == im.DANGER_MARKER)


@pytest.mark.parametrize("text", [
    "this breathing is killing me", "I'd kill for a coffee", "I'm dying to try the body scan",
    "my heart is racing before my exam", "I'm not suicidal", "I would never hurt myself",
    "I cut myself shaving", "I took my pills this morning", "I can't breathe in for that long",
    "my husband never hits me", "can we do it tomorrow", "I've got a date on Saturday",
    "it's my last shift at the office, cake at four", "my sister follows me on tiktok",
    "puffed after the run up the hill", "back from a spin class and my heart is pounding"])
def test_look_alikes_and_negations_are_not_danger(text):
    assert danger.category_of(text) is None
    for locale in LOCALES:
        assert danger.by_intent(utterances.match(text, locale).intent) is None


@pytest.mark.parametrize("text, category", [
    ("I'm not okay, I want to die", "suicidal-thoughts"),            # a negation further back
    ("i can't stop thinking about killing myself", "suicidal-thoughts"),
    ("I'm having thoughts of suicde", "suicidal-thoughts"),           # offline typo mending
    ("my son wants to kill himself", "someone-else"),
    ("my husband says he'd be better off dead", "someone-else"),      # danger spoken of another
    ("someone is hurting me", "abuse"),
    ("I can't breathe", "medical"), ("my chest hurts", "medical"),
    ("I'm having a panic attack", "panic"), ("goodbye forever", "suicidal-thoughts"),
])
def test_the_issues_examples_reach_their_category(text, category):
    for locale in LOCALES:
        assert utterances.match(text, locale).intent == danger.by_id(category).intent, locale


@pytest.mark.parametrize("text, category", [
    ("once my husband is asleep I'm going to end it", "plan-or-means"),   # "I" in the phrase's gap
    ("my daughter said she is going to end it", "someone-else"),
])
def test_danger_is_someone_elses_only_while_the_speaker_is_not_its_subject(text, category):
    assert danger.category_of(text).id == category
    assert utterances.match(text, "en-GB").intent == danger.by_id(category).intent


def test_a_misspelling_is_mended_only_towards_danger_words():
    assert danger.mend_targets() and all(len(w) >= 4 for w in danger.mend_targets())
    c = utterances._compile("en-US")
    assert utterances._mend_danger_typos("i don't want to wake up early tomorrow", c).split()[-2] == "early"


def test_an_i_the_someone_else_phrase_spells_itself_is_not_the_speaker_in_its_gap():
    v = danger._vocabulary()
    text = " how can i help my son who wants to die "
    rule, m = next((r, m) for r in v.rules if r.category.id == "someone-else"
                   for m in [r.regex.search(text)] if m and "i" in text[m.start():m.end()].split())
    assert "i" in rule.own_words
    assert not danger._speaker_in_gap(text, m.start(), m.end(), rule, v)
    assert danger._speaker_in_gap(" my son is asleep and i want to die ", 0, 35,
                                  next(r for r in v.rules if r.category.id == "someone-else"), v)


def test_a_look_alike_blocks_only_its_own_words():
    assert danger.category_of("it's my last day at work") is None
    assert danger.category_of("it's my last day at work and then I'll end it").id == "plan-or-means"
    assert danger.category_of("puffed after the run up the hill") is None
    # warning signs said between exertion and a racing heart are never a look-alike's
    assert danger.category_of("after my run my chest hurts and my heart is racing").id == "medical"
    assert danger.category_of("breathless after my run and my lips are going blue").id == "medical"


@pytest.mark.parametrize("text, category", [
    ("i want to end it then give me a breathing exercise", "suicidal-thoughts"),
    ("i don't feel safe ok start the body scan", "plan-or-means"),
    ("he has a knife so what do i do", "abuse"),
])
def test_an_end_of_text_pattern_also_ends_at_a_clause_break(text, category):
    assert danger.category_of(text).id == category
    assert danger.category_of(text.replace(" then ", " with ").replace(" ok ", " to ").replace(" so ", " for ")) is None


@pytest.mark.parametrize("text", [
    "im dying i cant stop laughing", "its hard to breathe ive got a cold", "im going to jump i love this song",
    "i want it to end please skip this track",
])
def test_a_new_sentence_is_not_a_clause_break(text):
    """Run 18 tried a first-person subject and request words as clause breaks; a review found
    they made ordinary sentences danger, so only joining words end a clause."""
    assert danger.category_of(text) is None


def test_a_pattern_is_parsed_once_into_a_tree_both_readers_share():
    macros = {"pills": "(pills|tablets)"}
    tree = danger.parse("(took|swallowed) ... <pills> ready*", macros)
    assert tree[0] == danger.Choice((("took",), ("swallowed",)))
    assert tree[1] == "..." and tree[3] == "ready*"
    assert danger._regex("(took|swallowed) ... <pills> ready*", macros).search(" i took all my tablets readyish ")
    from skill.tools import train_danger
    assert train_danger._pattern_spellings("(took|swallowed) ... <pills> ready*", macros, 1) == "swallowed tablets ready"


@pytest.mark.parametrize("pattern, problem", [("(took|swallowed", "unbalanced"), ("took)", "unbalanced"),
                                              ("took <nothing>", "unknown macro")])
def test_a_malformed_pattern_is_refused_with_its_reason(pattern, problem):
    with pytest.raises(ValueError, match=problem):
        danger.parse(pattern, {})


def test_an_everyday_injury_is_a_look_alike_but_never_the_neck():
    assert danger.category_of("i hurt my back lifting boxes") is None
    assert danger.category_of("pulled my hamstring at the gym") is None
    # 'neck myself' is slang for suicide, and a neck is where a rope goes: no look-alike there
    assert danger.category_of("i hurt my neck myself") is not None
