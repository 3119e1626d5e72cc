"""Property-based fuzzing of POST /alexa in DEVELOPER_MODE (signature and timestamp
checks off, so what is tested is the skill's own handling of what arrives).

Every test sends Hypothesis-generated requests through the real create_app (Flask test
client, in process, real SQLite file) and holds every answer to the properties in
fuzz_harness.violations: no 5xx; a 200's SSML (and reprompt) passes skill.ssml.check in
the request's locale; a rejection is a short JSON 400/413/415; no slot value's markup
reaches the SSML unescaped. Runs are derandomized (the same examples every run, so CI
is stable) and use no example database.

Example counts (about 11 000 requests in all, plus the conversations in
test_fuzz_conversations.py) are chosen to keep this directory near a minute on 2 cores.
"""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fuzz_strategies as fs
from fuzz_harness import assert_ok, post, post_json

pytestmark = pytest.mark.fuzz

FUZZ = settings(derandomize=True, database=None, deadline=None, print_blob=False,
                suppress_health_check=list(HealthCheck))


@settings(FUZZ, max_examples=3000)
@given(fs.structurally_mutated())
def test_structural_mutations_of_every_fixture(dev_client, envelope):
    """Wrong types at every level, missing fields, unknown fields. The request itself
    is malformed on purpose, so a handler crash answered with the kind apology is
    counted (see the summary) but is not by itself a failure."""
    assert_ok(post_json(dev_client, envelope), envelope, crashes_allowed=True)


@settings(FUZZ, max_examples=2500)
@given(fs.slot_fuzzed())
def test_hostile_slot_values(dev_client, envelope):
    """Markup, SSML fragments, huge and odd Unicode, numbers as strings and out of range,
    in real and unknown slots and in entity-resolution names. Alexa can deliver any
    string as a slot value, so here a handler crash is a failure too."""
    assert_ok(post_json(dev_client, envelope), envelope)


@settings(FUZZ, max_examples=2500)
@given(fs.session_fuzzed())
def test_session_attributes_of_the_wrong_shape(dev_client, envelope):
    """session.attributes the skill never wrote ("practice": "x", {"turn": "a"}, ...)."""
    assert_ok(post_json(dev_client, envelope), envelope, tampered_session=True)


@settings(FUZZ, max_examples=1200)
@given(fs.kinds_fuzzed())
def test_unknown_request_types_intents_locales_and_ids(dev_client, envelope):
    assert_ok(post_json(dev_client, envelope), envelope, crashes_allowed=True)


@settings(FUZZ, max_examples=300)
@given(st.data())
def test_huge_strings_anywhere(dev_client, data):
    """A very long string (up to ~480 KB of UTF-8) in a slot, the session, an id or an
    unknown field: below MAX_REQUEST_BYTES it is answered, above it is a JSON 413."""
    envelope = fs.fresh_envelope(data.draw(st.sampled_from(fs.SLOT_FIXTURES)))
    where = data.draw(st.sampled_from(["slot", "attributes", "requestId", "extra", "userId"]))
    text = data.draw(fs.huge_text())
    if where == "slot":
        slot = next(iter(envelope["request"]["intent"]["slots"].values()))
        slot["value"] = text
    elif where == "attributes":
        envelope["session"]["attributes"] = {"last": {"speech": text, "reprompt": text}}
    elif where == "requestId":
        envelope["request"]["requestId"] = text
    elif where == "userId":
        envelope["context"]["System"]["user"]["userId"] = text
        envelope["session"]["user"]["userId"] = text
    else:
        envelope["extra"] = text
    assert_ok(post_json(dev_client, envelope), envelope,
              tampered_session=where == "attributes", crashes_allowed=where == "userId")


@settings(FUZZ, max_examples=1200)
@given(body=st.one_of(
    st.binary(max_size=300),
    st.text(max_size=200).map(lambda t: t.encode("utf-8")),
    fs.json_values.map(lambda v: json.dumps(v).encode()),
    fs.truncated_envelope(),
    st.sampled_from([b"", b"{}", b"[]", b"null", b"1", b'"x"', b"{\"version\": \"1.0\"}",
                     b'{"version":"1.0","request":{"type":"LaunchRequest","requestId":"r",'
                     b'"timestamp":"t","locale":"en-US"}}',
                     b"\xef\xbb\xbf{}", b"\xff\xfe{\x00}\x00", b"{\"a\": NaN}",
                     b"{\"a\": Infinity}", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
                     b"{\"a\":\"\\ud800\"}", b"[" * 5000 + b"]" * 5000, b"{\"a\":" * 3000])),
    content_type=st.one_of(st.sampled_from([
        "application/json", "application/json; charset=utf-8", "application/json; charset=latin-1",
        "APPLICATION/JSON", "text/plain", "text/html", "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x", "application/xml", "application/json-patch+json",
        "", "*/*", ";", "application/json\x00"]), st.none()))
def test_raw_bodies_and_content_types(dev_client, body, content_type):
    """Bytes that are not JSON, not UTF-8, not an object, truncated, deeply nested;
    any content type. A 200 is impossible for most; whatever the answer, the properties hold."""
    assert_ok(post(dev_client, body, content_type=content_type), None, crashes_allowed=True)

