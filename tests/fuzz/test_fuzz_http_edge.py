"""The HTTP edge with bytes no well-behaved client sends: oversize bodies, wrong content
types, invalid UTF-8, wrong methods and paths, and chunked bodies (also malformed and
oversize chunked ones). Every answer is a short JSON 4xx, never HTML, never a 5xx.

In-process cases use the Flask test client; chunked transfer needs a real HTTP server,
so those run against the development server (skill.tools.devserver) on 127.0.0.1, which
refuses chunked bodies with 411. (tests/load/ checks chunked bodies through gunicorn, the
production server, which accepts them.)
"""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fuzz_strategies as fs
from fuzz_harness import assert_ok, post, post_json
from fuzz_rawhttp import CHUNKED_HEAD, chunked, raw_request

pytestmark = pytest.mark.fuzz

MAX = 262144   # skill.config default MAX_REQUEST_BYTES


def _json_error(outcome, status):
    assert outcome.status == status, (outcome.status, outcome.data[:200])
    assert_ok(outcome, None, crashes_allowed=False)


def _padded_envelope(total_bytes: int) -> bytes:
    """A valid launch envelope padded with an unknown field to exactly total_bytes."""
    env = fs.fresh_envelope("launch")
    env["padding"] = ""
    base = len(json.dumps(env).encode())
    env["padding"] = "x" * (total_bytes - base)
    body = json.dumps(env).encode()
    assert len(body) == total_bytes
    return body


# --------------------------------------------------------------------------- in process

def test_body_of_exactly_max_request_bytes_is_answered(dev_client):
    outcome = post(dev_client, _padded_envelope(MAX))
    assert outcome.status == 200, outcome.data[:200]


@pytest.mark.parametrize("size", [MAX + 1, 2 * MAX, 8 * MAX])
def test_oversize_body_is_a_json_413(dev_client, size):
    _json_error(post(dev_client, _padded_envelope(size)), 413)


@pytest.mark.parametrize("content_type", [
    "text/plain", "text/html", "application/xml", "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=zz", "application/octet-stream", "application/jsonx",
    "application/json-seq", "", None])
def test_wrong_content_type_is_a_json_415(dev_client, content_type):
    _json_error(post(dev_client, json.dumps(fs.fresh_envelope("launch")),
                     content_type=content_type), 415)


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "APPLICATION/JSON",
                                          "application/json;charset=UTF-8"])
def test_json_content_type_variants_are_answered(dev_client, content_type):
    env = fs.fresh_envelope("launch")
    outcome = post_json(dev_client, env, content_type=content_type)
    assert outcome.status == 200
    assert_ok(outcome, env)


@pytest.mark.parametrize("body", [
    b"\xff\xfe\xfd", b'{"version": "1.0", "x": "\xc3\x28"}', b"\xed\xa0\x80",
    b'{"a": "\xf4\x90\x80\x80"}', b"\xc0\xaf", json.dumps({"v": "ok"}).encode("utf-16"),
    b"\xef\xbb\xbf" + json.dumps(fs.fresh_envelope("launch")).encode()])
def test_invalid_utf8_is_a_json_400(dev_client, body):
    _json_error(post(dev_client, body), 400)


def test_lone_surrogate_escaped_in_json_is_answered(dev_client):
    env = fs.fresh_envelope("checkin_unknown_feeling")
    env["request"]["intent"]["slots"]["feeling"]["value"] = "\ud800 \udfff"
    outcome = post_json(dev_client, env)
    assert outcome.status == 200
    assert_ok(outcome, env)


@pytest.mark.parametrize("method", ["get", "put", "delete", "patch"])
def test_wrong_method_is_a_json_405(dev_client, method):
    res = getattr(dev_client, method)("/alexa")
    assert res.status_code == 405 and res.mimetype == "application/json"
    assert set(res.get_json()) == {"error", "message"} and "POST" in res.headers["Allow"]


@pytest.mark.parametrize("path", ["/", "/alexa/", "/alexa/x", "/ALEXA", "/%00", "/healthz/../alexa2"])
def test_unknown_path_is_a_json_404(dev_client, path):
    res = dev_client.post(path, json={})
    assert res.status_code in (404, 405, 308), res.status_code
    if res.status_code != 308:
        assert res.mimetype == "application/json" and b"<" not in res.get_data()


@settings(derandomize=True, database=None, deadline=None, print_blob=False,
          suppress_health_check=list(HealthCheck), max_examples=200)
@given(headers=st.dictionaries(
    st.sampled_from(["Content-Encoding", "Transfer-Encoding", "Content-Language", "Accept",
                     "Accept-Charset", "Expect", "X-Forwarded-For", "Forwarded", "X-Real-IP",
                     "Signature-256", "SignatureCertChainUrl", "Cookie", "Range", "X-Extra"]),
    st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=40), max_size=4))
def test_odd_headers(dev_client, headers):
    """Forwarding headers get 403 in developer mode (the skill then may be behind a
    proxy); anything else is answered or refused as JSON, never a 5xx."""
    env = fs.fresh_envelope("help")
    res = dev_client.post("/alexa", data=json.dumps(env), content_type="application/json",
                          headers=headers)
    assert res.status_code < 500 and res.mimetype == "application/json"
    if any(h in headers for h in ("X-Forwarded-For", "Forwarded", "X-Real-IP")):
        assert res.status_code == 403


# --------------------------------------------------------------------------- real server

def _length_required(status, headers, body):
    assert status == 411, (status, body[:200])
    assert headers.get("content-type") == "application/json" and b"<" not in body
    assert json.loads(body)["error"] == "length_required"


def test_content_length_envelope_is_answered(dev_server):
    env = json.dumps(fs.fresh_envelope("launch")).encode()
    head = CHUNKED_HEAD.replace(b"Transfer-Encoding: chunked", b"Content-Length: %d" % len(env))
    status, headers, body = raw_request(dev_server, head, [env])
    assert status == 200, body[:200]
    assert json.loads(body)["response"]["outputSpeech"]["ssml"]


@pytest.mark.parametrize("chunks", [
    chunked(json.dumps(fs.fresh_envelope("launch")).encode(), 1000),  # well formed
    chunked(b"x" * (2 * MAX), 65536),                # over the limit
    [b"zz\r\n{}\r\n0\r\n\r\n"],                      # size is not hex
    [b"5\r\n{\"a\"\r\n"],                            # ends mid-chunk (no terminator)
    [b"ffffffffffffffffff\r\n{}\r\n0\r\n\r\n"],      # absurd size: read heap memory before
    [b"2\r\n{}XX0\r\n\r\n"],                         # no CRLF after the data
    [b"0\r\n\r\n"],                                  # empty body
])
def test_chunked_body_is_refused_before_it_is_read(dev_server, chunks):
    """The development server refuses chunked bodies (skill.tools.devserver): werkzeug's
    dechunker trusts a chunk's claimed size, which read past a buffer on CPython 3.11."""
    _length_required(*raw_request(dev_server, CHUNKED_HEAD, chunks))


def test_the_server_still_answers_after_a_short_chunk(dev_server):
    for _ in range(50):
        raw_request(dev_server, CHUNKED_HEAD, [b"ffffffff\r\n{}\r\n0\r\n\r\n"])
    test_content_length_envelope_is_answered(dev_server)
