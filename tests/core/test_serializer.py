"""skill.serializer.FastSerializer gives what the SDK's DefaultSerializer gives.

Requests: every developer-console fixture read both ways must compare equal (the SDK's
models compare by their attributes). Responses: every fixture's real answer, written both
ways, must be the same JSON. Fuzzed envelopes: tests/fuzz/test_fuzz_serializer.py.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope, ResponseEnvelope

from skill.app import EXTENSION_NAME, create_app
from skill.serializer import FastSerializer

FIXTURES = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "requests").glob("*.json"))
APP_ID = "amzn1.ask.skill.00000000-0000-4000-8000-00000c0ac4c1"


@pytest.fixture(scope="module")
def skill(tmp_path_factory):
    app = create_app({"DEVELOPER_MODE": True, "ALEXA_SKILL_ID": APP_ID,
                      "SKILL_DATA_DIR": str(tmp_path_factory.mktemp("data")),
                      "ALEXA_API_ORIGINS": frozenset()})
    return app.extensions[EXTENSION_NAME]["skill"]


def test_the_skill_uses_it(skill):
    assert isinstance(skill.serializer, FastSerializer)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_requests_read_the_same(path):
    text = path.read_text()
    theirs = DefaultSerializer().deserialize(text, RequestEnvelope)
    ours = FastSerializer().deserialize(text, RequestEnvelope)
    assert type(ours.request) is type(theirs.request)
    assert ours == theirs
    assert FastSerializer().from_json(json.loads(text), RequestEnvelope) == theirs


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_responses_write_the_same(skill, path):
    envelope = DefaultSerializer().deserialize(path.read_text(), RequestEnvelope)
    response = skill.invoke(request_envelope=envelope, context=None)
    assert isinstance(response, ResponseEnvelope)
    theirs = DefaultSerializer().serialize(response)
    assert json.dumps(FastSerializer().serialize(response)) == json.dumps(theirs)


@pytest.mark.parametrize("text", [
    "2019-03-21T08:43:00Z", "2019-03-21T08:43:00.123Z", "2019-03-21T08:43:00.123456+05:30",
    "2019-03-21T08:43:00", "2019-03-21T08:43:00-08:00",
    # Not Alexa's form: read by dateutil, as the SDK does.
    "2019-03-21 08:43", "21 March 2019 08:43 UTC", "2019-03-21T08:43:00.1Z",
])
def test_timestamps_read_the_same_instant_and_zone_offset(text):
    envelope = {"version": "1.0", "request": {"type": "LaunchRequest", "requestId": "r",
                                              "timestamp": text}}
    theirs = DefaultSerializer().deserialize(json.dumps(envelope), RequestEnvelope).request.timestamp
    ours = FastSerializer().from_json(envelope, RequestEnvelope).request.timestamp
    assert ours == theirs
    assert ours.utcoffset() == theirs.utcoffset()
    assert ours.isoformat() == theirs.isoformat()


@pytest.mark.parametrize("body", [
    "not json", json.dumps({"request": {"type": "NoSuchRequest"}}),
    json.dumps({"request": {"type": "LaunchRequest", "timestamp": "yesterday-ish"}}),
    json.dumps({"request": {"type": "IntentRequest", "intent": {"confirmationStatus": "MAYBE"}}}),
    json.dumps({"request": 5}),
])
def test_failures_are_serialization_exceptions_that_do_not_quote_the_body(body):
    with pytest.raises(SerializationException):
        DefaultSerializer().deserialize(body, RequestEnvelope)
    with pytest.raises(SerializationException) as caught:
        FastSerializer().deserialize(body, RequestEnvelope)
    assert "not json" not in str(caught.value) and "yesterday" not in str(caught.value)


def test_non_model_values_write_as_the_sdk_writes_them():
    import decimal
    import enum

    class Colour(enum.Enum):
        RED = "red"

    value = {"a": (1, 2.5, None), "b": [dt.date(2020, 1, 2), dt.datetime(2020, 1, 2, 3, 4)],
             "c": Colour.RED, "d": decimal.Decimal("3"), "e": decimal.Decimal("3.5"), "f": b"x"}
    assert FastSerializer().serialize(value) == DefaultSerializer().serialize(value)
