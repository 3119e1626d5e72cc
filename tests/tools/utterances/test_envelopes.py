"""skill.tools.envelopes: request bodies shaped like the developer console's, readable by the ASK SDK."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import pytest
from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_core.skill_builder import CustomSkillBuilder
from ask_sdk_core.utils import get_slot, get_slot_value_v2, is_intent_name, is_request_type
from ask_sdk_model import RequestEnvelope

from skill.tools import envelopes as ev
from skill.tools.utterances import SlotValue, match

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
REQUEST_ID = re.compile(r"^amzn1\.echo-api\.request\.[0-9a-f-]{36}$")
SERIALIZER = DefaultSerializer()


def _roundtrip(env: dict) -> dict:
    """JSON -> ask_sdk_model.RequestEnvelope -> JSON, timestamps put back in Alexa's form."""
    obj = SERIALIZER.deserialize(json.dumps(env), RequestEnvelope)
    assert isinstance(obj, RequestEnvelope)
    back = SERIALIZER.serialize(obj)
    back["request"]["timestamp"] = obj.request.timestamp.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return back


def _all_kinds():
    s = ev.new_session("en-GB")
    return [
        ev.launch_request("en-GB", session=s),
        ev.intent_request("BreathingIntent", {"minutes": "3", "pattern": "square"}, "en-GB", session=s),
        ev.intent_request("CheckInIntent", {"feeling": "grumpy"}, "en-GB", session=s,
                          session_attributes={"phase": "check_in", "ratings": [7, 5], "nested": {"a": None}}),
        ev.intent_request("AMAZON.StopIntent", None, "en-GB", session=s),
        ev.request_for_match(match("ask compassion coach for a box breathing exercise", "en-US"), "en-US",
                             new_session=True),
        ev.session_ended_request("USER_INITIATED", "en-GB", session=s),
        ev.session_ended_request("ERROR", "en-GB", session=s, error_type="INVALID_RESPONSE", error_message="bad ssml"),
        ev.can_fulfill_intent_request("BreathingIntent", {"pattern": "box"}, "en-US"),
    ]


@pytest.mark.parametrize("index", range(8))
def test_envelopes_deserialize_without_loss(index):
    env = _all_kinds()[index]
    assert _roundtrip(env) == env


def test_common_fields():
    envs = _all_kinds()
    ids = [e["request"]["requestId"] for e in envs]
    assert len(set(ids)) == len(ids)
    now = datetime.now(timezone.utc)
    for env in envs:
        assert env["version"] == "1.0"
        assert REQUEST_ID.match(env["request"]["requestId"])
        assert TIMESTAMP.match(env["request"]["timestamp"])
        stamp = datetime.strptime(env["request"]["timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        assert abs(now - stamp) < timedelta(seconds=5)
        system = env["context"]["System"]
        assert system["application"]["applicationId"].startswith("amzn1.ask.skill.")
        assert system["user"]["userId"].startswith("amzn1.ask.account.")
        assert system["device"]["deviceId"].startswith("amzn1.ask.device.")


def test_session_flow():
    s = ev.new_session("en-AU", user_id="amzn1.ask.account.ME")
    launch = ev.launch_request("en-AU", session=s)
    turn = ev.intent_request("RatingIntent", {"rating": SlotValue("7")}, "en-AU", session=s,
                             session_attributes={"before": 7})
    end = ev.session_ended_request("USER_INITIATED", "en-AU", session=s)
    assert launch["session"]["new"] is True and "attributes" not in launch["session"]
    assert turn["session"]["new"] is False and turn["session"]["attributes"] == {"before": 7}
    assert end["session"]["attributes"] == {"before": 7}
    assert {e["session"]["sessionId"] for e in (launch, turn, end)} == {s.session_id}
    assert turn["session"]["user"]["userId"] == "amzn1.ask.account.ME"
    assert turn["request"]["locale"] == "en-AU"
    one_shot = ev.intent_request("BodyScanIntent", locale="en-AU")
    assert one_shot["session"]["new"] is True
    assert one_shot["session"]["sessionId"] != s.session_id


def test_custom_slot_carries_entity_resolution():
    env = ev.intent_request("BreathingIntent", {"pattern": "square"}, "en-US", application_id="amzn1.ask.skill.X")
    slots = env["request"]["intent"]["slots"]
    assert set(slots) == {"minutes", "pattern"}   # every declared slot, filled or not
    assert slots["minutes"] == {"name": "minutes", "confirmationStatus": "NONE"}
    pattern = slots["pattern"]
    assert pattern["value"] == "square"
    (res,) = pattern["resolutions"]["resolutionsPerAuthority"]
    assert res["authority"] == "amzn1.er-authority.echo-sdk.amzn1.ask.skill.X.BreathingPattern"
    assert res["status"]["code"] == "ER_SUCCESS_MATCH"
    assert res["values"] == [{"value": {"name": "box", "id": "BOX"}}]
    assert pattern["slotValue"] == {"type": "Simple", "value": "square", "resolutions": pattern["resolutions"]}


def test_unresolved_custom_slot_and_numbers():
    env = ev.intent_request("CheckInIntent", {"feeling": "grumpy"})
    res = env["request"]["intent"]["slots"]["feeling"]["resolutions"]["resolutionsPerAuthority"][0]
    assert res["status"]["code"] == "ER_SUCCESS_NO_MATCH" and "values" not in res
    number = ev.intent_request("RatingIntent", {"rating": "seven"})["request"]["intent"]["slots"]["rating"]
    assert number["value"] == "7" and "resolutions" not in number
    assert ev.intent_request("RatingIntent", {"rating": "lots"})["request"]["intent"]["slots"]["rating"]["value"] == "?"


def test_matcher_output_goes_straight_into_an_envelope():
    m = match("Alexa, ask compassion coach for three minutes of 4-7-8 breathing", "en-IN")
    env = ev.request_for_match(m, "en-IN")
    slots = env["request"]["intent"]["slots"]
    assert env["request"]["intent"]["name"] == "BreathingIntent"
    assert slots["minutes"]["value"] == "3"
    assert slots["pattern"]["resolutions"]["resolutionsPerAuthority"][0]["values"][0]["value"]["id"] == \
        "FOUR_SEVEN_EIGHT"
    assert ev.request_for_match(match("open compassion coach", "en-IN"), "en-IN")["request"]["type"] == \
        "LaunchRequest"


def test_bad_input_is_refused():
    with pytest.raises(KeyError):
        ev.intent_request("BreathingIntent", {"colour": "blue"})
    with pytest.raises(KeyError):
        ev.intent_request("NoSuchIntent")
    with pytest.raises(ValueError):
        ev.session_ended_request("BORED")


def test_can_fulfill_request_shape():
    env = ev.can_fulfill_intent_request("CheckInIntent", {"feeling": "worried"}, "en-CA")
    assert env["request"]["type"] == "CanFulfillIntentRequest"
    assert env["session"]["new"] is True
    intent = env["request"]["intent"]
    assert "confirmationStatus" not in intent and "confirmationStatus" not in intent["slots"]["feeling"]
    assert intent["slots"]["feeling"]["resolutions"]["resolutionsPerAuthority"][0]["values"][0]["value"] == \
        {"name": "anxious", "id": "ANXIOUS"}


def test_the_sdk_dispatches_them_and_reads_the_slots():
    seen = []

    class Any(AbstractRequestHandler):
        def can_handle(self, handler_input):
            return True

        def handle(self, handler_input):
            hi = handler_input
            kind = hi.request_envelope.request.object_type
            if is_request_type("IntentRequest")(hi) and is_intent_name("BreathingIntent")(hi):
                slot = get_slot(hi, "pattern")
                res = slot.resolutions.resolutions_per_authority[0]
                seen.append((kind, get_slot_value_v2(hi, "minutes").value, res.status.code.value, res.values[0].value.id))
            else:
                seen.append((kind,))
            return hi.response_builder.response

    sb = CustomSkillBuilder()
    sb.add_request_handler(Any())
    skill = sb.create()
    s = ev.new_session()
    for env in (ev.launch_request(session=s),
                ev.intent_request("BreathingIntent", {"minutes": "five", "pattern": "calm"}, session=s),
                ev.can_fulfill_intent_request("BreathingIntent", {"pattern": "box"}),
                ev.session_ended_request(session=s)):
        skill.invoke(request_envelope=SERIALIZER.deserialize(json.dumps(env), RequestEnvelope), context=None)
    assert seen == [("LaunchRequest",), ("IntentRequest", "5", "ER_SUCCESS_MATCH", "SOOTHING"),
                    ("CanFulfillIntentRequest",), ("SessionEndedRequest",)]
