"""PRODUCT BUGS found by the fuzzer, each as a minimal reproduction of the right behaviour.

Fixed bugs stay here as plain regression tests (all thirteen are fixed; BUG-8 is in tests/load).
An OPEN bug's test is marked ``product_bug(n, ...)``, a strict xfail: it fails today
(reported as xfailed) and, the day the product is fixed, passes, which strict mode turns
into a failure saying "remove this marker" (and remove the bug from fuzz_harness's
OPEN_*_BUGS, which lets the fuzz tests tolerate it meanwhile). BUG-8 lives in
tests/load/test_load_http_edge.py (it needs gunicorn).
"""
from __future__ import annotations

import json

import pytest

import fuzz_strategies as fs
from fuzz_harness import assert_ok, post, post_json
from fuzz_rawhttp import CHUNKED_HEAD, chunked, raw_request
from skill import ssml

pytestmark = pytest.mark.fuzz


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


@pytest.mark.parametrize("intent,attributes", [
    ("continue", {"practice": "x"}),                                  # TypeError
    ("continue", {"practice": {"turn": "a"}}),                        # KeyError 'id'
    ("continue", {"practice": {"id": "breathing", "params": {"minutes": "<b>"}, "turn": 0}}),
    ("yes", {"asked": "x"}),                                          # AttributeError
    ("yes", {"asked": {"q": "usual", "id": "nope"}}),                 # ParamError
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

def test_a_bad_paused_practice_does_not_poison_later_sessions(dev_client):
    """Was: practice.pause copied session["practice"]["params"] into persistent memory as
    is; with params that are not a mapping, every later session's resume raised
    TypeError (launch offered to resume, yes got the apology) until "forget me"."""
    person = Session(dev_client)
    person.say("launch")
    person.attributes = {"practice": {"id": "breathing", "params": "zz", "turn": 0}}
    outcome = person.say("pause")
    assert not outcome.handler_crashes
    for _ in range(2):                                    # later, honest sessions
        for word in ("launch", "yes", "resume", "stop"):
            outcome = person.say(word)
            assert not outcome.handler_crashes, (word, [c.signature for c in outcome.handler_crashes])


@pytest.mark.parametrize("stored", [
    {"paused": {"id": "breathing", "params": "zz", "turn": 0}},
    {"paused": {"id": "breathing", "params": {"minutes": "<b>"}, "turn": "x"}},
    {"paused": "x"}, {"prefs": "x"}, {"prefs": {"rate": ["x"], "minutes": "x", "pattern": 5}},
    {"history": "x"}, {"history": [1, "x", None, {"practice": 5}]},
])
def test_stored_memory_of_the_wrong_shape_does_not_crash(dev_app, dev_client, stored):
    """A record written by an older version, by hand or by a bug: every handler that reads
    memory copes (drops what it cannot use) instead of crashing in every session."""
    from types import SimpleNamespace
    person = Session(dev_client)
    adapter = dev_app.extensions["compassion_coach"]["skill"].persistence_adapter
    adapter.save_attributes(SimpleNamespace(
        context=SimpleNamespace(system=SimpleNamespace(user=SimpleNamespace(user_id=person.user_id))),
        session=None, request=SimpleNamespace(request_id=fs.next_id("seed"))), stored)
    for word in ("launch", "yes", "resume", "continue", "progress", "breathing_no_slots",
                 "speak_slower", "checkin_anxious", "yes", "stop"):
        outcome = person.say(word)
        assert not outcome.handler_crashes, (word, [c.signature for c in outcome.handler_crashes])
        assert_ok(outcome, None, tolerate_known=False)


# --------------------------------------------------------------------------- BUG-3

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


def test_deeply_nested_json_with_verification_on(tmp_path):
    from skill.app import create_app
    app = create_app({"ALEXA_SKILL_ID": fs.APP_ID, "SKILL_DATA_DIR": str(tmp_path)})
    res = app.test_client().post("/alexa", data=b"[" * 1000 + b"]" * 1000,
                                 content_type="application/json")
    assert res.status_code == 400


# --------------------------------------------------------------------------- BUG-5

def test_deeply_nested_session_attributes_are_not_a_500(dev_client):
    """The body parses (depth < json's limit) and deserializes, then ask_sdk_core's
    AttributesManager deep-copies the session attributes outside any exception handler:
    RecursionError, 500. Developer mode only (in production the attributes are signed)."""
    env = fs.fresh_envelope("help")
    env["session"]["attributes"] = {"x": json.loads("[" * 600 + "]" * 600)}
    outcome = post_json(dev_client, env)
    assert outcome.status < 500, outcome.data[:200]


# --------------------------------------------------------------------------- BUG-6

def test_chunked_body_over_the_limit_is_refused(dev_server):
    """README: a body over MAX_REQUEST_BYTES is refused. Under werkzeug's server with
    Transfer-Encoding: chunked, get_data() stopped at the limit without raising, so an
    envelope followed by 300 KB of spaces was answered. The development server now
    refuses every chunked body (411) before reading it; gunicorn gives 413
    (tests/load/test_load_http_edge.py)."""
    env = json.dumps(fs.fresh_envelope("launch")).encode() + b" " * 300_000
    status, headers, body = raw_request(dev_server, CHUNKED_HEAD, chunked(env, 65536))
    assert status == 411, (status, body[:120])


# --------------------------------------------------------------------------- BUG-9 (open)

@pytest.mark.parametrize("word,attributes", [
    ("stop", {"rating": {"stage": "before", "id": []}}),      # state._rating_ok (validator)
    ("stop", {"rating": {"stage": "before", "id": {}}}),
    ("stop", {"rating": {"stage": "before", "id": ["breathing"]}}),
    ("yes", {"asked": {"q": "usual", "id": []}}),             # the question's context
    ("yes", {"asked": {"q": ["usual"]}}),
    ("stop", {"asked": {"q": "crisis_safe", "cat": ["panic"]}}),
])
def test_session_validation_copes_with_unhashable_values(dev_client, word, attributes):
    """Found in the fix for BUG-2 (6a5c8a2): ``x in catalogue.scripts()`` with x a list or
    object raises TypeError. In state._rating_ok that is inside the session validator,
    so the bad attribute is never dropped: every turn gets the apology and "stop" keeps
    the session open (the BUG-2 wedge again). _practice_ok catches TypeError; _rating_ok
    and builtins.run (pending action id) did not."""
    person = Session(dev_client)
    person.say("launch")
    person.attributes.update(attributes)
    outcome = person.say(word)
    assert not outcome.handler_crashes, [c.signature for c in outcome.handler_crashes]
    if word == "stop":
        assert outcome.json["response"].get("shouldEndSession") is True


# --------------------------------------------------------------------------- BUG-10 (open)

@pytest.mark.parametrize("word,stored", [
    ("launch", {"paused": {"id": []}}),                        # handlers/launch.py
    ("resume", {"paused": {"id": {}}}),                        # practice.resume
    ("launch", {"history": [{"practice": []}]}),               # state.usual_practice
    ("progress", {"history": [{"practice": {}}]}),
])
def test_stored_memory_with_unhashable_values_does_not_crash(dev_app, dev_client, word, stored):
    """Found by test_fuzz_memory.py after 6a5c8a2: ``paused.get("id") in
    catalogue.scripts()`` (launch, resume) and ``entry.get("practice") in
    catalogue.scripts()`` (usual_practice) raise TypeError for a list or object. The
    record stays, so the listener gets the apology at every launch until "forget me"."""
    from types import SimpleNamespace
    person = Session(dev_client)
    adapter = dev_app.extensions["compassion_coach"]["skill"].persistence_adapter
    adapter.save_attributes(SimpleNamespace(
        context=SimpleNamespace(system=SimpleNamespace(user=SimpleNamespace(user_id=person.user_id))),
        session=None, request=SimpleNamespace(request_id=fs.next_id("seed"))), stored)
    outcome = person.say(word)
    assert not outcome.handler_crashes, [c.signature for c in outcome.handler_crashes]


# --------------------------------------------------------------------------- BUG-11 (open)

def test_rating_started_without_before_does_not_crash(dev_client):
    """state._rating_ok accepts {"stage": "started"} with no "before" (before may be None),
    but checkin.rating's after-branch reads r["before"]: KeyError, the apology."""
    person = Session(dev_client)
    person.say("launch")
    person.attributes["rating"] = {"stage": "started"}
    outcome = person.say("rating_seven")
    assert not outcome.handler_crashes, [c.signature for c in outcome.handler_crashes]


# --------------------------------------------------------------------------- BUG-12 (open)

def test_a_number_said_during_a_checkin_practice_keeps_the_rating_flow(dev_app, dev_client):
    """Honest conversation, no tampering: check-in, yes, "7" (before), then the listener
    says "3" while the practice is still going (stage "started"). checkin.rating treats
    every stage but "before" as "after": it thanks them for "7 before, and 3 now" in the
    middle of the practice and drops the rating, so the finished practice is stored with
    before=None and the after-rating is never asked."""
    from types import SimpleNamespace
    person = Session(dev_client)
    for word in ("remember_ratings", "launch", "checkin_anxious", "yes", "rating_seven"):   # ratings kept by consent
        person.say(word)
    assert person.attributes["rating"] == {"stage": "started", "before": 7}
    env = person.envelope("rating_seven")
    env["request"]["intent"]["slots"]["rating"]["value"] = "3"
    env["request"]["intent"]["slots"]["rating"]["slotValue"]["value"] = "3"
    person.say("", env)
    while isinstance(person.attributes.get("practice"), dict):
        last = person.say("continue")
    assert "how strong is the feeling" in words(last).lower()     # the after-rating is asked
    adapter = dev_app.extensions["compassion_coach"]["skill"].persistence_adapter
    stored = adapter.get_attributes(SimpleNamespace(
        context=SimpleNamespace(system=SimpleNamespace(user=SimpleNamespace(user_id=person.user_id))),
        session=None, request=SimpleNamespace(request_id=fs.next_id("check"))))
    assert stored["history"][-1]["before"] == 7


# --------------------------------------------------------------------------- BUG-13 (open)

@pytest.mark.parametrize("pattern", [" ", "fire", "Box "])
def test_an_unknown_stored_pattern_preference_does_not_crash(dev_app, dev_client, pattern):
    """Found by test_fuzz_memory.py: state.PREF_RULES accepts any string as "pattern";
    practice._params_from_slots uses it as the favourite, and Script.resolve raises
    ParamError, so every "breathing" request gets the apology (a pattern renamed in a
    later release would do this to every listener who had it as a favourite)."""
    from types import SimpleNamespace
    person = Session(dev_client)
    adapter = dev_app.extensions["compassion_coach"]["skill"].persistence_adapter
    adapter.save_attributes(SimpleNamespace(
        context=SimpleNamespace(system=SimpleNamespace(user=SimpleNamespace(user_id=person.user_id))),
        session=None, request=SimpleNamespace(request_id=fs.next_id("seed"))),
        {"prefs": {"pattern": pattern}})
    outcome = person.say("breathing_no_slots")
    assert not outcome.handler_crashes, [c.signature for c in outcome.handler_crashes]
