"""The Alexa SSML rules catch what Alexa would reject, and accept what it takes."""
import pytest

from skill import render, ssml


def rules(doc, locale="en-US"):
    return [p.rule for p in ssml.check(doc, locale)]


def test_valid_turn_passes():
    doc = '<speak><prosody rate="90%"><p>Hello.</p><break time="10s"/><s>Again</s></prosody></speak>'
    assert ssml.check(doc, "en-GB") == []


def test_malformed_xml_is_caught_with_its_line():
    problems = ssml.check("<speak>\n<p>Hello</s>\n</speak>", "en-US")
    assert [(p.rule, p.line) for p in problems] == [("xml", 2)]


def test_over_long_break_is_caught():
    assert rules('<speak><break time="10001ms"/></speak>') == ["break-max"]
    assert rules('<speak><break time="11s"/></speak>') == ["break-max"]
    assert rules('<speak><break time="10000ms"/></speak>') == []


def test_unescaped_ampersand_in_a_slot_value_is_caught():
    name = "Tom & Jerry"
    raw = f"<speak>Hello {name}</speak>"          # what ask-sdk-core's speak() would send
    assert rules(raw) == ["xml"]
    escaped = render.speech(render.dialog("q_practice_end", "en-US") + " " + str(render.escape(name)))
    assert ssml.check(escaped, "en-US") == []


def test_slot_values_are_escaped_by_the_renderer():
    hostile = '<break time="60s"/> & "quotes"'
    body = render.render_source("dialog/q_practice_end.ssml.j2", "en-US")
    from markupsafe import escape
    doc = render.speech(body, str(escape(hostile)))
    assert ssml.check(doc, "en-US") == []
    assert "&amp;" in doc and "&lt;break" in doc


@pytest.mark.parametrize("doc,rule", [
    ("<speak><foo>x</foo></speak>", "tag"),
    ('<speak><prosody rate="10%">x</prosody></speak>', "value"),
    ('<speak><prosody volume="+6dB">x</prosody></speak>', "value"),
    ('<speak><break time="soon"/></speak>', "value"),
    ('<speak><amazon:emotion name="excited">x</amazon:emotion></speak>', "attribute"),
    ('<speak><emphasis colour="red">x</emphasis></speak>', "attribute"),
    ("<p>not speak</p>", "root"),
])
def test_unsupported_markup_is_named(doc, rule):
    assert rule in rules(doc)


def test_locale_only_features():
    emotion = '<speak><amazon:emotion name="excited" intensity="low">x</amazon:emotion></speak>'
    assert rules(emotion, "en-GB") == []
    assert rules(emotion, "en-AU") == ["locale"]
    long_form = '<speak><amazon:domain name="long-form">x</amazon:domain></speak>'
    assert rules(long_form, "en-US") == []
    assert rules(long_form, "en-IN") == ["locale"]


def test_size_and_duration_limits():
    words = "word " * 1700
    assert "chars" in rules(f"<speak>{words}</speak>")
    breaks = '<break time="10s"/>' * 25
    assert rules(f"<speak>{breaks}</speak>") == ["duration"]
    assert rules("<speak>" + '<audio src="https://a/b.mp3"/>' * 6 + "</speak>") == ["audio-count"]


def test_alexas_time_limit_allows_for_a_slower_voice_than_the_estimate():
    """Speech counts at SPEECH_LIMIT_FACTOR times its estimate against Alexa's 240 s, since
    the estimate is fitted to espeak-ng, not to Alexa's voice; silence counts as written."""
    speech = "<speak>" + "calm " * 900 + "</speak>"
    estimate_s = ssml.estimate_speech_s("calm " * 900)
    assert estimate_s < ssml.MAX_TURN_S < estimate_s * ssml.SPEECH_LIMIT_FACTOR
    assert rules(speech) == ["duration"]
    assert rules("<speak>" + '<break time="10s"/>' * 23 + "</speak>") == []


def test_timeline_follows_breaks_prosody_and_sentences():
    steps = ssml.to_timeline('<speak><prosody rate="50%" volume="soft">Slow words</prosody>'
                             '<break time="2500ms"/><s>Next</s><amazon:effect name="whispered">hush</amazon:effect></speak>')
    speak0, pause0, speak1, pause1, speak2 = steps
    assert (speak0.text, speak0.rate_pct, speak0.volume_db) == ("Slow words", 50, -6.0)
    assert speak0.est_s == pytest.approx(2 * ssml.estimate_speech_s("Slow words"))
    assert pause0.seconds == 2.5
    assert speak1.text == "Next" and pause1.seconds == ssml.S_TAG_PAUSE_S
    assert speak2.whispered and speak2.text == "hush"


@pytest.mark.parametrize("text", ["a & b < c > d", 'say "hi"', "it's", "both \" and '",
                                  "line\nbreak\ttab\rreturn", "&amp; already", ""])
def test_escape_and_quoteattr_match_the_standard_librarys(text):
    from xml.sax import saxutils    # what ssml replaced, to keep urllib.request off a cold start
    assert ssml.escape(text) == saxutils.escape(text)
    assert ssml.quoteattr(text) == saxutils.quoteattr(text)
