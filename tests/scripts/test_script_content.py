"""The spoken scripts (ssml/*.ssml.j2): real renders, in every locale, checked for what the
listener relies on: valid SSML, lengths near what the catalogue promises, a way to stop,
care lines where a practice can be hard, and the listener's own spelling."""
from __future__ import annotations

import re

import pytest

from skill import breathing, catalogue, render, ssml

from skill.tools import lint

LOCALES = list(catalogue.locales())
RATES = list(render.RATES_PCT)
SCRIPTS = list(catalogue.scripts().values())
PRACTICES = [s for s in SCRIPTS if s.kind == "practice"]
EXPLANATIONS = [s for s in SCRIPTS if s.kind == "explanation"]
TOLERANCE = 0.20
FORBIDDEN_TAGS = {"emphasis", "amazon:emotion", "amazon:domain", "voice"}


def _text(turns) -> str:
    return " ".join(ssml.plain_text(render.speech(t.body)) for t in turns)


def _total(turns) -> float:
    return sum(t.est_s for t in turns)


def _nodes(node):
    yield node
    for child in node.children:
        if isinstance(child, ssml.Node):
            yield from _nodes(child)


def _renders():
    """Every script at every locale, rate and parameter extreme."""
    for script in SCRIPTS:
        for params in script.extremes():
            for locale in LOCALES:
                for rate in RATES:
                    yield script, locale, rate, params


def test_lint_is_clean():
    failures = lint.run()
    assert not failures, "\n".join(map(str, failures))


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.id)
def test_every_script_renders_valid_ssml(script, locale):
    for rate in RATES:
        for params in script.extremes():
            turns = render.render(script.id, locale, rate, **params)
            assert turns
            for turn in turns:
                problems = ssml.check(render.speech(turn.body, rate=rate), locale)
                assert not problems, f"{script.id} {locale} {rate} {params}: {problems}"


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("script", [s for s in PRACTICES if s.id != "breathing"], ids=lambda s: s.id)
def test_practice_length_is_near_its_catalogue_minutes(script, locale):
    target = script.about_minutes * 60
    total = _total(render.render(script.id, locale))
    assert abs(total - target) <= TOLERANCE * target, \
        f"{script.id} {locale}: about {total:.0f} s, catalogue says {target:.0f} s"


@pytest.mark.parametrize("script", [s for s in PRACTICES if s.id != "breathing"], ids=lambda s: s.id)
def test_practice_parts_are_natural_stopping_places(script):
    """Parts of 40 to 150 s, so turns break between sections, not inside them."""
    for body in render.parts(script.id, "en-GB"):
        est = render.estimate_s(body)
        assert 40 <= est <= 150, f"{script.id}: a part of about {est:.0f} s"


def _breathing_cases():
    spec = catalogue.get("breathing")
    for pattern in spec.params["pattern"]["choices"]:
        for minutes in (spec.minutes["min"], spec.minutes["default"], spec.minutes["max"]):
            yield pattern, minutes


@pytest.mark.parametrize("pattern,minutes", list(_breathing_cases()))
def test_breathing_length_is_its_minutes_plus_intro_and_close(pattern, minutes):
    bodies = render.parts("breathing", "en-GB", pattern=pattern, minutes=minutes)
    intro, close = render.estimate_s(bodies[0]), render.estimate_s(bodies[-1])
    total = _total(render.render("breathing", "en-GB", pattern=pattern, minutes=minutes))
    cap = breathing.patterns()[pattern].get("max_cycles")
    if cap:
        # 4-7-8 stops after a few rounds whatever the minutes: check the rounds instead.
        cycles = breathing.cycles(pattern, minutes * 60)
        assert len(cycles) <= cap
        intro_text = ssml.plain_text(render.speech(bodies[0]))
        assert f"just {len(cycles)} rounds" in intro_text
        assert "minute" not in intro_text, "a few rounds should not be promised as minutes"
        return
    target = minutes * 60 + intro + close
    assert abs(total - target) <= TOLERANCE * target, \
        f"{pattern} {minutes} min: about {total:.0f} s, expected about {target:.0f} s"
    assert intro + close <= 150, "the talking around the breathing should stay short"


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("script", EXPLANATIONS, ids=lambda s: s.id)
def test_explanation_short_answer_then_deeper_turns(script, locale, rate):
    turns = render.render(script.id, locale, rate)
    assert len(turns) >= 2, f"{script.id}: no 'tell me more' turn"
    for turn in turns:
        assert turn.est_s < 60, f"{script.id} {locale} {rate}: turn {turn.index + 1} lasts {turn.est_s:.0f} s"
    first = ssml.plain_text(render.speech(turns[0].body))
    assert not first.rstrip().endswith("?"), "the short answer leaves the question to the dialog"


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("script", PRACTICES, ids=lambda s: s.id)
def test_practice_says_early_how_to_stop(script, locale):
    for params in script.extremes():
        first = _text(render.render(script.id, locale, **params)[:1])
        assert re.search(r"\bsay(ing)? stop\b", first), f"{script.id} {params}: no way to stop in the first turn"


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("pattern", catalogue.get("breathing").params["pattern"]["choices"])
def test_breathing_offers_natural_breathing_if_dizzy(pattern, locale):
    text = _text(render.render("breathing", locale, pattern=pattern))
    assert re.search(r"dizzy[^.]*natural breathing", text), f"{pattern}: no way back from dizziness"
    assert "counting" not in text, "the voice never counts, so it should not mention counting"


def test_no_script_changes_the_voice_quality():
    for script, locale, rate, params in _renders():
        for turn in render.render(script.id, locale, rate, **params):
            for node in _nodes(ssml.parse(render.speech(turn.body, rate=rate))):
                where = f"{script.id} {locale} {rate} {params}"
                assert node.tag not in FORBIDDEN_TAGS, f"{where}: <{node.tag}>"
                assert "pitch" not in node.attrs, f"{where}: prosody pitch"


# Where a practice can be hard, it offers another way (content.md 1.9 and the care notes).
CARE_LINES = {
    "body-scan": r"feels uncomfortable, you can simply move on, or open your eyes",
    "safe-place": r"If no image comes, that's fine; a feeling or a colou?r is enough",
    "kind-memory": r"If a memory brings up pain, let it go",
    "kind-friend": r"this is a moment of difficulty",
    "loving-kindness": r"If kindness towards? yourself feels hard, that's very common",
    "grounding": r"Keep your eyes open",
    "breathing": r"focusing on the breath feels uncomfortable",
}


@pytest.mark.parametrize("script_id,pattern", sorted(CARE_LINES.items()))
def test_hard_moments_have_a_way_through(script_id, pattern):
    for locale in LOCALES:
        assert re.search(pattern, _text(render.render(script_id, locale))), f"{script_id} {locale}"


def test_kind_friend_has_the_three_steps_of_a_self_compassion_break():
    text = _text(render.render("kind-friend", "en-GB")).lower()
    for step in ("moment of difficulty", "not alone", "may i be kind to myself", "friend"):
        assert step in text


def test_loving_kindness_goes_from_someone_easy_to_yourself_to_others():
    text = _text(render.render("loving-kindness", "en-US"))
    easy, self_, everyone = (text.index(s) for s in ("easy to love", "May I be safe", "May everyone be safe"))
    assert easy < self_ < everyone


def test_no_script_tells_the_listener_what_they_should_do():
    for script, locale, rate, params in _renders():
        if rate != render.DEFAULT_RATE:
            continue
        text = _text(render.render(script.id, locale, rate, **params)).lower()
        assert "you should" not in text and "you must" not in text, script.id
        assert not re.search(r"\b(cure|treat(s|ment)?|heal(s)?)\b", text), f"{script.id}: a medical claim"


@pytest.mark.parametrize("locale,words,not_words", [
    ("en-US", ["color", "practice it"], ["colour", "practise"]),
    ("en-GB", ["colour", "practise it"], ["color ", "practice it"]),
    ("en-CA", ["colour", "practise it"], ["color ", "practice it"]),
])
def test_locale_spelling(locale, words, not_words):
    text = _text(render.render("safe-place", locale)) + " " + _text(render.render("skills-overview", locale))
    for w in words:
        assert w in text, f"{locale}: expected {w!r}"
    for w in not_words:
        assert w not in text, f"{locale}: did not expect {w!r}"


# British spellings that must come from ssml/words/ rather than the template text.
GB_ONLY = re.compile(r"\b(colours?|favourite|neighbour|practis(e|ing)|judgement|criticis(e|es|ed|ing)|towards)\b", re.I)


def test_en_us_scripts_have_no_british_spellings():
    for script in SCRIPTS:
        for params in script.extremes():
            text = _text(render.render(script.id, "en-US", **params))
            found = GB_ONLY.findall(text)
            assert not found, f"{script.id}: {found}"
