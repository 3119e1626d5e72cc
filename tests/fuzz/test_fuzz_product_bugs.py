"""PRODUCT BUGS found by the fuzzer, each as a minimal reproduction.

Every test here states the correct behaviour and is marked
``xfail(strict=True, reason="PRODUCT BUG-n ...")``: it fails today (reported as
xfailed), and the day the product is fixed it passes, which strict mode turns into a
failure saying "remove this marker". The fuzz tests tolerate these bugs by id (see
fuzz_harness.known_bug / crash_is_known) so they keep hunting for new ones; run
``FUZZ_STRICT=1 pytest tests/fuzz`` to make them fail on these too.
"""
from __future__ import annotations

import json

import pytest

import fuzz_strategies as fs
from fuzz_harness import assert_ok, post, post_json
from fuzz_rawhttp import CHUNKED_HEAD, chunked, raw_request
from skill import ssml


def product_bug(n: int, what: str):
    return pytest.mark.xfail(strict=True, raises=AssertionError, reason=f"PRODUCT BUG-{n}: {what}")


class Session:
    """One listener's session, carrying attributes the way Alexa does."""

    def __init__(self, client, user_id=None):
        self.client = client
        self.user_id = user_id or fs.next_id("amzn1.ask.account.BUG")
        self.new_session()

    def new_session(self):
        self.session_id, self.attributes, self.new = fs.next_id("amzn1.echo-api.session"), {}, True

    def envelope(self, name):
        env = fs.fresh_envelope(name, user_id=self.user_id)
        env["session"].update({"new": self.new, "sessionId": self.session_id,
                               "attributes": self.attributes})
        return env

    def say(self, name, env=None):
        env = env or self.envelope(name)
        outcome = post_json(self.client, env)
        assert outcome.status == 200, outcome.data[:300]
        self.attributes = outcome.json.get("sessionAttributes") or {}
        self.new = False
        if outcome.json["response"].get("shouldEndSession", True) is not False:
            self.new_session()
        return outcome


def words(outcome) -> str:
    return ssml.plain_text(outcome.json["response"]["outputSpeech"]["ssml"])


# --------------------------------------------------------------------------- BUG-1

@product_bug(1, "AMAZON.RepeatIntent speaks session attribute 'last' unchecked (invalid SSML)")
def test_repeat_never_speaks_invalid_ssml(dev_client):
    """practice.repeat sends session["last"] straight to response_builder.speak/ask,
    bypassing respond.reply's ssml.check, so whatever arrives as "last" is spoken."""
    env = fs.fresh_envelope("repeat")
    env["session"]["attributes"] = {"last": {"speech": '<break time="60s"/>',
                                             "reprompt": "</speak><audio src='http://x/y.mp3'/>"}}
    outcome = post_json(dev_client, env)
    # today: 200 with <speak><break time="60s"/></speak> (over Alexa's 10 s break) and
    # reprompt <speak></speak><audio .../></speak> (not well-formed)
    assert_ok(outcome, env, tolerate_known=False)


# --------------------------------------------------------------------------- BUG-2

@product_bug(2, "a session attribute of the wrong shape crashes every turn; stop no longer ends")
def test_wrong_shaped_session_attribute_does_not_wedge_the_session(dev_client):
    """state.rate does ``value in render.RATES_PCT`` with session["rate"]; a list there
    is unhashable (TypeError). KindApology then fails the same way and falls back to
    "Sorry, something went wrong." WITH a reprompt, echoing the bad attribute back, so
    every turn crashes and "stop" / "cancel" keep the session open."""
    person = Session(dev_client)
    person.say("launch")
    person.attributes["rate"] = ["x"]
    outcome = person.say("stop")
    assert outcome.json["response"].get("shouldEndSession") is True, words(outcome)
    assert not outcome.handler_crashes


@product_bug(2, "wrong-shaped session attributes crash handlers (kind apology)")
@pytest.mark.parametrize("intent,attributes", [
    ("continue", {"practice": "x"}),                                  # TypeError
    ("continue", {"practice": {"turn": "a"}}),                        # KeyError 'id'
    ("continue", {"practice": {"id": "breathing", "params": {"minutes": "<b>"}, "turn": 0}}),
    ("yes", {"pending": "x"}),                                        # AttributeError
    ("yes", {"pending": {"yes": {"do": "start", "id": "nope"}}}),     # ParamError
    ("rating_seven", {"rating": "x"}),                                # TypeError
    ("rating_seven", {"rating": {"stage": "after", "before": "<x>"}}),
    ("progress", {"zone_offset_min": 10**12}),                        # OverflowError
    ("help", {"rate": {"a": 1}}),                                     # TypeError
])
def test_wrong_shaped_session_attributes_do_not_crash(dev_client, intent, attributes):
    env = fs.fresh_envelope(intent)
    env["session"]["attributes"] = attributes
    outcome = post_json(dev_client, env)
    assert outcome.status == 200
    assert not outcome.handler_crashes, [c.signature for c in outcome.handler_crashes]


# --------------------------------------------------------------------------- BUG-7

@product_bug(7, "PauseIntent stores session practice params unchecked; later resumes crash")
def test_a_bad_paused_practice_does_not_poison_later_sessions(dev_client):
    """practice.pause copies session["practice"]["params"] into persistent memory as is.
    With params that are not a mapping, Script.resolve(**params) raises TypeError (not
    the ParamError resume catches), in every later session: launch offers to resume, and
    yes gets the apology, until the listener says "forget me"."""
    person = Session(dev_client)
    person.say("launch")
    person.attributes = {"practice": {"id": "breathing", "params": "zz", "turn": 0}}
    person.say("pause")                                   # the session ends; memory keeps it
    assert "paused" in words(person.say("launch")).lower()   # a new, honest session
    outcome = person.say("yes")
    assert not outcome.handler_crashes, [c.signature for c in outcome.handler_crashes]


# --------------------------------------------------------------------------- BUG-3

@product_bug(3, "BreathingIntent: resolved pattern without a spoken value -> ParamError")
def test_pattern_resolution_without_a_value(dev_client):
    """_params_from_slots validates the pattern only when raw(hi, "pattern") is set, but
    takes the entity-resolution id regardless; Script.resolve then raises ParamError."""
    env = fs.fresh_envelope("breathing_no_slots")
    env["request"]["intent"]["slots"]["pattern"]["resolutions"] = {"resolutionsPerAuthority": [{
        "authority": "amzn1.er-authority.echo-sdk.x.Pattern", "status": {"code": "ER_SUCCESS_MATCH"},
        "values": [{"value": {"name": "anxious", "id": "ANXIOUS"}}]}]}
    outcome = post_json(dev_client, env)
    assert outcome.status == 200
    assert not outcome.handler_crashes, [c.signature for c in outcome.handler_crashes]


# --------------------------------------------------------------------------- BUG-4

@product_bug(4, "deeply nested JSON body -> 500 (RecursionError not caught), verification on too")
@pytest.mark.parametrize("body", [b"[" * 1000 + b"]" * 1000,
                                  b'{"a":' * 1000 + b"1" + b"}" * 1000])
def test_deeply_nested_json_is_a_400(dev_client, body):
    """json.loads raises RecursionError (not a ValueError) in
    skill.app._check_alexa_request; with verification ON that check runs first, so a
    2 KB unauthenticated request gets a 500 in production too
    (test_deeply_nested_json_with_verification_on)."""
    outcome = post(dev_client, body)
    assert outcome.status == 400, outcome.data[:200]
    assert_ok(outcome, None, tolerate_known=False)


@product_bug(4, "deeply nested JSON body -> 500 with verification on")
def test_deeply_nested_json_with_verification_on(tmp_path):
    from skill.app import create_app
    app = create_app({"ALEXA_SKILL_ID": fs.APP_ID, "SKILL_DATA_DIR": str(tmp_path)})
    res = app.test_client().post("/alexa", data=b"[" * 1000 + b"]" * 1000,
                                 content_type="application/json")
    assert res.status_code == 400


# --------------------------------------------------------------------------- BUG-5

@product_bug(5, "session attributes nested ~500 deep -> 500 (RecursionError in the SDK's deepcopy)")
def test_deeply_nested_session_attributes_are_not_a_500(dev_client):
    """The body parses (depth < json's limit) and deserializes, then ask_sdk_core's
    AttributesManager deep-copies the session attributes outside any exception handler:
    RecursionError, 500. Developer mode only (in production the attributes are signed)."""
    env = fs.fresh_envelope("help")
    env["session"]["attributes"] = {"x": json.loads("[" * 600 + "]" * 600)}
    outcome = post_json(dev_client, env)
    assert outcome.status < 500, outcome.data[:200]


# --------------------------------------------------------------------------- BUG-6

@product_bug(6, "devserver (werkzeug): chunked body over MAX_REQUEST_BYTES is truncated, not 413")
def test_chunked_body_over_the_limit_is_a_413(dev_server):
    """README: a body over MAX_REQUEST_BYTES gets 413. Under werkzeug's server
    (skill.devserver, ./scripts/serve) with Transfer-Encoding: chunked, get_data() stops
    at the limit without raising, so the app sees the first MAX bytes: 400 "not valid
    UTF-8 JSON", or 200 when those bytes are a whole envelope (here: an envelope followed
    by 300 KB of spaces is answered). gunicorn is not affected: it gives 413
    (tests/load/test_load_http_edge.py). Minor: developer mode only."""
    env = json.dumps(fs.fresh_envelope("launch")).encode() + b" " * 300_000
    status, headers, body = raw_request(dev_server, CHUNKED_HEAD, chunked(env, 65536))
    assert status == 413, (status, body[:120])
