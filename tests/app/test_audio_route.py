"""GET /audio: the tone tracks AudioPlayer streams, under gunicorn, with range requests."""
import http.client
import urllib.parse

import pytest

from skill.app import create_app
from support.processes import VENV_BIN, Server, clean_env


def _get(base, path, headers=None):
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    try:
        conn.request("GET", path, headers=headers or {})
        res = conn.getresponse()
        return res.status, dict(res.getheaders()), res.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("audio-data")
    proc = Server([str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", "skill.app:create_app()"],
                  clean_env(ALEXA_SKILL_ID="amzn1.ask.skill.00000000-0000-4000-8000-00000c0ac4c1",
                            SKILL_BIND="127.0.0.1:0", SKILL_WORKERS="2", SKILL_THREADS="2",
                            SKILL_DATA_DIR=str(data)))
    try:
        base = proc.wait_for(r"Listening at: (http://127\.0\.0\.1:\d+)").group(1)
        proc.wait_for(r"Booting worker")
        yield base
    finally:
        proc.stop()


def test_a_track_is_served_whole_and_by_ranges(server):
    status, headers, whole = _get(server, "/audio/even-2-24000.mp3")
    assert status == 200 and headers["Content-Type"] == "audio/mpeg"
    assert int(headers["Content-Length"]) == len(whole) > 100_000
    assert headers.get("Accept-Ranges") == "bytes"
    status, headers, part = _get(server, "/audio/even-2-24000.mp3", {"Range": "bytes=1000-1999"})
    assert status == 206 and part == whole[1000:2000]
    assert headers["Content-Range"] == f"bytes 1000-1999/{len(whole)}"
    status, _, tail = _get(server, "/audio/even-2-24000.mp3", {"Range": f"bytes={len(whole) - 500}-"})
    assert status == 206 and tail == whole[-500:]
    status, _, _ = _get(server, "/audio/even-2-24000.mp3", {"Range": f"bytes={len(whole) + 10}-"})
    assert status == 416
    # every worker serves the same bytes (one cache on disk)
    for _ in range(4):
        assert _get(server, "/audio/even-2-24000.mp3")[2] == whole


@pytest.mark.parametrize("name", ["yoga-5-24000.mp3", "even-99-24000.mp3", "even-5-44100.mp3",
                                  "even-5-24000.wav", "..%2f..%2fetc%2fpasswd", "a" * 300,
                                  "even-5-24000.mp3%00"])
def test_anything_else_is_a_short_json_404(server, name):
    status, headers, body = _get(server, f"/audio/{name}")
    assert status == 404 and headers["Content-Type"].startswith("application/json")
    assert b"error" in body


def test_the_route_needs_no_alexa_signature_but_keeps_developer_mode_loopback_only(tmp_path):
    app = create_app({"DEVELOPER_MODE": True, "SKILL_DATA_DIR": str(tmp_path)})
    client = app.test_client()
    assert client.get("/audio/even-1-16000.mp3").status_code == 200
    assert client.get("/audio/even-1-16000.mp3", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 403
    assert client.post("/audio/even-1-16000.mp3").status_code == 405
