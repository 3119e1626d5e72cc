"""The HTTP edge through gunicorn itself (production settings): chunked bodies, sizes,
and requests gunicorn refuses before the app sees them. Never a 5xx.

Found here: PRODUCT BUG-8 (malformed chunked framing was a 500), now a regression test.
gunicorn's own refusals (431, 414, 400 for Content-Length with Transfer-Encoding) are
4xx but HTML, not the app's JSON: they come from gunicorn before the app runs (noted,
not asserted; in production the proxy in front refuses these first).
"""
from __future__ import annotations

import json
import select
import socket

import pytest

from load_support import GunicornServer, envelope
from support.raw_http import dechunk

pytestmark = pytest.mark.load

MAX = 262144
HEAD = (b"POST /alexa HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Connection: close\r\n")
CHUNKED_HEAD = HEAD + b"Transfer-Encoding: chunked\r\n\r\n"


@pytest.fixture(scope="module")
def port(tmp_path_factory):
    server = GunicornServer(tmp_path_factory.mktemp("edge") / "data", workers=1, threads=4)
    try:
        yield server.start().port
    finally:
        server.stop()


def raw(port: int, data: bytes) -> tuple[int | None, str, bytes]:
    """(status or None if the server sent nothing, content type, body) for raw bytes.
    Sending stops as soon as the server answers (it may refuse before reading it all)."""
    with socket.create_connection(("127.0.0.1", port), timeout=15) as s:
        try:
            for i in range(0, len(data), 65536):
                if select.select([s], [], [], 0)[0]:
                    break                               # an early answer (413, 400...)
                s.sendall(data[i:i + 65536])
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass                                        # closed on us: read what it said
        answer = b""
        try:
            while True:
                part = s.recv(65536)
                if not part:
                    break
                answer += part
        except ConnectionResetError:
            pass
    if not answer:
        return None, "", b""
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:] if ":" in l)}
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = dechunk(body)
    return int(lines[0].split()[1]), headers.get("content-type", ""), body



def chunked(body: bytes, size: int) -> bytes:
    parts = [body[i:i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


def launch_body() -> bytes:
    return json.dumps(envelope("launch", "amzn1.ask.account.EDGE", "amzn1.echo-api.session.e",
                               {}, True)).encode()


def assert_json_error(status, ctype, body, *expected):
    assert status in expected, (status, body[:200])
    assert ctype == "application/json" and set(json.loads(body)) == {"error", "message"}


@pytest.mark.parametrize("chunk_size", [1, 100, 65536])
def test_chunked_envelope_is_answered(port, chunk_size):
    status, ctype, body = raw(port, CHUNKED_HEAD + chunked(launch_body(), chunk_size))
    assert status == 200, body[:200]
    assert json.loads(body)["response"]["outputSpeech"]["type"] == "SSML"


@pytest.mark.parametrize("tail", [b" " * 300_000, b"x" * 600_000])
def test_chunked_body_over_the_limit_is_a_json_413(port, tail):
    assert_json_error(*raw(port, CHUNKED_HEAD + chunked(launch_body() + tail, 65536)), 413)


def test_content_length_over_the_limit_is_a_json_413_without_the_body(port):
    assert_json_error(*raw(port, HEAD + b"Content-Length: 999999999\r\n\r\n{}"), 413)


def test_body_shorter_than_its_content_length_is_a_json_400(port):
    assert_json_error(*raw(port, HEAD + b"Content-Length: 100\r\n\r\n{\"version\""), 400)


@pytest.mark.parametrize("framing", [
    b"zz\r\n{}\r\n0\r\n\r\n",           # chunk size is not hex
    b"-1\r\n{}\r\n0\r\n\r\n",           # negative size
    b"2\r\n{}XX0\r\n\r\n",              # no CRLF after the chunk data
    b"5\r\n{\"a\"\r\n",                 # body ends inside a chunk
    b"2\r\n{}\r\n0\r\nX\r\n\r\n",       # malformed trailer
], ids=["not-hex", "negative", "no-crlf", "truncated", "bad-trailer"])
def test_malformed_chunked_body_is_a_json_400(port, framing):
    assert_json_error(*raw(port, CHUNKED_HEAD + framing), 400)


@pytest.mark.parametrize("framing", [b"0\r\n\r\n", b"ffffffffffffffffff\r\n{}\r\n0\r\n\r\n",
                                     b"2;ext=1\r\n{}\r\n0\r\n\r\n"])
def test_other_odd_chunked_bodies_are_refused_as_json(port, framing):
    assert_json_error(*raw(port, CHUNKED_HEAD + framing), 400, 413)


@pytest.mark.parametrize("data", [
    HEAD + b"X-A: " + b"a" * 9000 + b"\r\nContent-Length: 2\r\n\r\n{}",
    HEAD + b"".join(b"X-%d: 1\r\n" % i for i in range(40)) + b"Content-Length: 2\r\n\r\n{}",
    b"POST /alexa?" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    HEAD + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(b"{}", 10),
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 50,    # a TLS ClientHello
    b"GARBAGE\r\n\r\n",
], ids=["huge-header", "too-many-headers", "long-url", "te-and-cl", "tls-hello", "garbage"])
def test_requests_gunicorn_refuses_are_4xx_not_5xx(port, data):
    status, ctype, body = raw(port, data)
    assert status is None or 400 <= status < 500, (status, body[:200])
