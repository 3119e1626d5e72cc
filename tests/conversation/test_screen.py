"""Echo Show and screenless devices through the real webhook: the same conversation on
both, the screen one carrying a screen on every response; a breathing turn carries the
pacer (the turn's speech moves into it); stop, pause and crisis replace it at once."""
import copy
import json

import pytest

from skill import apl, breathing, catalogue, respond
from skill.tools import apl_preview
from support.conversation import Listener, is_open

ECHO_SHOW = {"Alexa.Presentation.APL": {"runtime": {"maxVersion": "2023.3"}}}
VIEWPORT = {"experiences": [{"arcMinuteWidth": 246, "arcMinuteHeight": 144, "canRotate": False, "canResize": False}],
            "mode": "HUB", "shape": "RECTANGLE", "pixelWidth": 1280, "pixelHeight": 800, "dpi": 213,
            "currentPixelWidth": 1280, "currentPixelHeight": 800, "touch": ["SINGLE"], "video": {"codecs": []}}


class ShowListener(Listener):
    def envelope(self, name, **slot_values):
        env = super().envelope(name, **slot_values)
        env["context"]["System"]["device"]["supportedInterfaces"] = copy.deepcopy(ECHO_SHOW)
        env["context"]["Viewport"] = copy.deepcopy(VIEWPORT)
        return env


CONVERSATION = ["launch", "breathing_three_minutes", "continue", "pause", "resume", "continue",
                "continue", "body_scan", "continue", "crisis", "grounding", "stop"]


@pytest.fixture
def both(app):
    client = app.test_client()
    plain = Listener(client, user_id="amzn1.ask.account.TESTSCREENPAIR")
    show = ShowListener(client, user_id="amzn1.ask.account.TESTSCREENPAIR2")
    return plain, show


def directive_types(body):
    return [d["type"] for d in body["response"].get("directives", [])]


def test_screenless_devices_get_exactly_the_response_without_a_screen(both, monkeypatch):
    plain, show = both
    called = []
    original = respond._screen
    monkeypatch.setattr(respond, "_screen", lambda *a, **k: called.append(1) or original(*a, **k))
    for name in CONVERSATION:
        quiet = plain.say(name)
        assert "directives" not in quiet["response"]
    assert not called, "the screen code never runs for a device without a screen"
    for name in CONVERSATION:
        shown = show.say(name)
        assert called
        called.clear()
        assert directive_types(shown)[0] == "Alexa.Presentation.APL.RenderDocument", name


def test_the_screen_only_adds_to_the_response(both):
    """Same requests on both devices: with the screen's directives taken away (and, for a
    pacer turn, the speech that moved into it put back) the responses are identical."""
    plain, show = both
    for name in CONVERSATION:
        quiet, shown = plain.say(name), show.say(name)
        shown = json.loads(json.dumps(shown))
        directives = shown["response"].pop("directives")
        if "pacer" in directives[0]["datasources"]:
            assert "outputSpeech" not in shown["response"]
            shown["response"]["outputSpeech"] = quiet["response"]["outputSpeech"]
        assert shown == quiet, name
        assert len(json.dumps(shown | {"directives": directives}).encode()) < apl.MAX_RESPONSE_BYTES


def test_breathing_on_an_echo_show_sends_the_pacer_timed_by_the_pattern(app):
    show = ShowListener(app.test_client())
    show.say("launch")
    body = show.say("breathing_three_minutes")
    assert is_open(body) and body["response"]["reprompt"]
    render_doc, execute = body["response"]["directives"]
    assert render_doc["token"] == execute["token"] == apl.TOKEN
    props = render_doc["datasources"]["pacer"]["properties"]
    assert props["title"] == "Soothing rhythm breathing" and props["cue"] == apl.words()["before"]
    (seq,) = execute["commands"]
    assert seq["screenLock"] is True
    phases = [c for c in seq["commands"] if c["type"] == "Parallel"]
    idle = [next(x["delay"] for x in p["commands"] if x["type"] == "Idle") for p in phases]
    expected = [round(p.s * 1000) for c in breathing.cycles("soothing", 180) for p in c.phases]
    assert idle == expected[: len(idle)] and len(idle) > 10
    # every voice is a transformer's input, and every SpeakItem speaks one of them
    spoken = [c["componentId"] for c in seq["commands"] if c["type"] == "SpeakItem"] + \
        [x["componentId"] for p in phases for x in p["commands"] if x["type"] == "SpeakItem"]
    inputs = {t["inputPath"] for t in render_doc["datasources"]["pacer"]["transformers"]}
    assert set(spoken) == inputs == set(props["voices"])
    # the continue prompt is the last thing the pacer says, after the breathing
    assert seq["commands"][-1]["type"] == "SpeakItem"
    assert "?" in props[seq["commands"][-1]["componentId"]]


@pytest.mark.parametrize("after", ["stop", "pause", "crisis", "cancel"])
def test_stop_pause_and_crisis_replace_the_pacer_at_once(app, after):
    show = ShowListener(app.test_client())
    show.say("breathing_three_minutes")
    body = show.say(after)
    (render_doc,) = body["response"]["directives"]
    assert render_doc["type"] == "Alexa.Presentation.APL.RenderDocument"
    assert render_doc["token"] == apl.TOKEN     # same token: the new document replaces the pacer
    assert "calm" in render_doc["datasources"] and "outputSpeech" in body["response"]
    if after == "crisis":
        calm = render_doc["datasources"]["calm"]["properties"]
        assert calm["title"] == "Help, any time" and any("988" in line for line in calm["lines"])


def test_other_practices_show_the_calm_screen_with_the_step(app):
    show = ShowListener(app.test_client())
    body = show.say("body_scan")
    (render_doc,) = body["response"]["directives"]
    calm = render_doc["datasources"]["calm"]["properties"]
    assert calm["title"] == "Compassionate body scan" and calm["step"].startswith("Part 1 of ")
    assert calm["hint"] == apl.words()["hint"]
    assert "outputSpeech" in body["response"]


def test_a_request_without_a_device_gets_no_screen_and_no_error(app):
    class NoDevice(Listener):
        def envelope(self, name, **slot_values):
            env = super().envelope(name, **slot_values)
            del env["context"]["System"]["device"]
            return env
    body = NoDevice(app.test_client()).say("breathing_three_minutes")
    assert "directives" not in body["response"] and "outputSpeech" in body["response"]


def test_a_pacer_that_cannot_be_built_leaves_the_speech_and_a_calm_screen(app, monkeypatch):
    def disagree(*args):
        raise ValueError("the render's phase 3 is not the pattern's 4 s")
    monkeypatch.setattr(apl, "turn_segments", disagree)
    body = ShowListener(app.test_client()).say("breathing_three_minutes")
    (render_doc,) = body["response"]["directives"]
    assert "calm" in render_doc["datasources"] and "outputSpeech" in body["response"]


def test_repeat_on_a_screen_replaces_the_pacer_with_the_calm_screen(app):
    show = ShowListener(app.test_client())
    show.say("breathing_three_minutes")
    body = show.say("repeat")
    (render_doc,) = body["response"]["directives"]
    assert "calm" in render_doc["datasources"] and "outputSpeech" in body["response"]


def test_session_end_and_device_errors_get_no_screen(app):
    show = ShowListener(app.test_client())
    show.say("breathing_three_minutes")
    for name in ("session_ended", "exception_encountered"):
        assert "directives" not in show.say(name)["response"]


CRISIS_REQUESTS = ("crisis", "crisis_abuse", "crisis_harm_done", "crisis_medical", "crisis_panic",
                   "crisis_plan", "crisis_self_harm", "crisis_someone_else")


@pytest.mark.skipif(not apl_preview.chromium(), reason="Chromium is not installed (scripts/apl-preview installs it)")
def test_every_help_screen_shows_every_line_whole_on_every_screen(app):
    """A crisis answer's screen, in every locale, laid out by Chromium on every viewport:
    no help line cut short and none off the edge (the round Echo Spot's included)."""
    shots, seen = [], set()
    for locale in catalogue.locales():
        for name in CRISIS_REQUESTS:
            body = ShowListener(app.test_client(), locale=locale).say(name)
            (render_doc,) = body["response"]["directives"]
            calm = render_doc["datasources"]["calm"]["properties"]
            assert calm["lines"] == body["response"]["card"]["content"].split("\n"), (locale, name)
            if tuple(calm["lines"]) in seen:
                continue
            seen.add(tuple(calm["lines"]))
            shots += [(f"{locale} {name} {vp}", render_doc, vp, None) for vp in apl_preview.viewports()]
    assert len(seen) > len(catalogue.locales())
    found = apl_preview.problems(apl_preview.chromium(), shots)
    assert {label: p for label, p in found.items() if p} == {}
