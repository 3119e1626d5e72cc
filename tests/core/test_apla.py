"""APL-A from the same render: each breath phase exactly its length, valid documents."""
import json

import pytest

from skill import apla, breathing, catalogue, helplines, render, ssml
from skill.timeline import Pause, Phase, Speak

PATTERNS = catalogue.get("breathing").params["pattern"]["choices"]


def _phase_mixers(doc):
    """Every Mixer of the document, in order: the breath phases."""
    return [c for c in doc["mainTemplate"]["items"][0]["items"] if c["type"] == "Mixer"]


@pytest.mark.parametrize("rate", list(render.RATES_PCT))
@pytest.mark.parametrize("pattern", PATTERNS)
def test_every_phase_of_every_pattern_lasts_exactly_its_length(pattern, rate):
    minutes = 20
    turns = render.render("breathing", "en-US", rate, minutes=minutes, pattern=pattern)
    expected = [p for c in breathing.cycles(pattern, minutes * 60) for p in c.phases]
    # each phase's component: a Mixer of its cue and a Silence, or a Silence when it is silent
    comps = [c for t in turns for item in t.timeline if isinstance(item, Phase)
             for c in apla.components([item])]
    assert len(comps) == len(expected)
    assert any(c["type"] == "Mixer" for c in comps)
    for comp, phase in zip(comps, expected):
        if comp["type"] == "Mixer":
            speech, silence = comp["items"]
            assert speech["type"] == "Speech"
        else:
            silence = comp
        assert silence["type"] == "Silence"
        # the Silence fixes the phase's length, to the millisecond, whatever the voice's speed
        assert silence["duration"] == round(phase.s * 1000)
    for t in turns:
        for _, item in t.phases:
            assert apla.cue_fits(item), item


def test_speech_keeps_the_rate_volume_and_whisper_of_the_ssml():
    doc = ('<speak><prosody rate="80%">Soft <prosody volume="-6dB">quiet words</prosody>'
           '<break time="1500ms"/><amazon:effect name="whispered">hush</amazon:effect></prosody></speak>')
    items = ssml.to_timeline(doc)
    comps = apla.components(items)
    assert [c["type"] for c in comps] == ["Speech", "Speech", "Silence", "Speech"]
    assert comps[0]["content"] == '<speak><prosody rate="80%">Soft</prosody></speak>'
    assert comps[1]["content"] == '<speak><prosody rate="80%" volume="-6dB">quiet words</prosody></speak>'
    assert comps[2]["duration"] == 1500
    assert "whispered" in comps[3]["content"]
    assert all(ssml.check(c["content"], "en-US") == [] for c in comps if c["type"] == "Speech")


def test_markup_in_words_is_escaped_in_speech():
    step = Speak("Tom & <Jerry>", 1.0)
    assert ssml.check(apla.speech_ssml(step), "en-US") == []


def test_check_finds_long_documents_cues_that_do_not_fit_and_silence_alone():
    long_cue = Phase(Speak("a very long cue that goes on and on", 3.0), 4.0, "in", 1.0)
    problems = {p.rule for p in apla.check([long_cue] * 80)}
    assert {"apla-duration", "apla-cue-fit"} <= problems
    assert "a document of Silence alone is not allowed" in apla.structure_problems(apla.document([]))
    assert "a document of Silence alone is not allowed" in apla.structure_problems(apla.document([Pause(2)]))


def test_every_turn_of_every_practice_is_a_valid_document_within_limits():
    for script in catalogue.scripts().values():
        for params in script.extremes():
            for turn in render.render(script.id, "en-GB", "slower", **params):
                doc = apla.document(list(turn.timeline))
                assert apla.check(list(turn.timeline), doc) == [], (script.id, params, turn.index)
                assert len(json.dumps(doc)) < apla.MAX_DOCUMENT_BYTES


def test_documents_only_carry_ssml_they_can_say():
    assert apla.carries('<speak><prosody rate="90%"><p>Hello</p><break time="1s"/></prosody></speak>')
    assert not apla.carries('<speak><say-as interpret-as="digits">988</say-as></speak>')


def test_a_quieter_cue_keeps_its_volume_in_every_form():
    source = render.render_source("breathing.ssml.j2", "en-US", **_quiet_context())
    root = ssml.parse(source)
    part = [n for n in root.children if isinstance(n, ssml.Node) and n.tag == "part"][1]
    items = ssml.to_timeline(part, 90, phases=True)
    phase = next(i for i in items if isinstance(i, Phase))
    assert phase.cue.volume_db == ssml.VOLUME_NAMES_DB["soft"]
    body = ssml.inner_xml(part, iter([i.rest_s for i in items if isinstance(i, Phase)]))
    assert '<prosody volume="soft">' in body and "<phase" not in body
    assert 'volume="-6dB"' in apla.components([phase])[0]["items"][0]["content"]


def _quiet_context():
    """The breathing template's context, with every cue asked to be soft."""
    params = catalogue.get("breathing").resolve(minutes=1, pattern="even")
    ctx = {"params": params, "title": "t", "first_time": False, **params, **render._breathing_context(params, 90),
           "help": helplines.for_locale("en-US")}
    timed = render._helpers(90)["timed"]
    ctx["timed"] = lambda s, text, breath="": timed(s, text, breath, "soft" if text else "medium")
    return ctx


@pytest.mark.parametrize("locale", catalogue.locales())
def test_a_practice_turn_as_apla_says_the_emergency_number_digit_by_digit(locale):
    """APL-A's speech carries no say-as here, so a number is spelt out as digits ("1 1 2"),
    never left for Alexa to read as "one hundred and twelve"."""
    turn = render.render("breathing", locale, minutes=1)[0]
    said = json.dumps(apla.components(list(turn.timeline)))
    emergency = helplines.for_locale(locale)["emergency"]["number"]
    assert "call " + " ".join("".join(emergency).replace(" ", "")) in said
    assert "call " + "".join(emergency) not in said
