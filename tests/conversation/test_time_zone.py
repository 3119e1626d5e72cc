"""Streak days follow the device's time zone when the Alexa settings API answers, else UTC."""
import http.server
import json
import threading

import pytest

from skill import device_zone, ssml
from skill.app import create_app
from support.conversation import APP_ID, Listener, speech

TOKEN = "test-api-access-token"


class ZoneApi(http.server.BaseHTTPRequestHandler):
    zone = "Australia/Sydney"
    calls: list = []

    def do_GET(self):
        ZoneApi.calls.append((self.path, self.headers.get("Authorization")))
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self.send_response(403)
            self.end_headers()
            return
        body = json.dumps(ZoneApi.zone).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def zone_api():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ZoneApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    ZoneApi.calls = []
    device_zone.reset()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    device_zone.reset()


def person_with_api(tmp_path, origin, allowed):
    app = create_app({"DEVELOPER_MODE": True, "ALEXA_SKILL_ID": APP_ID, "SKILL_DATA_DIR": str(tmp_path),
                      "ALEXA_API_ORIGINS": allowed})
    person = Listener(app.test_client())
    original = person.envelope

    def envelope(name, **slots):
        env = original(name, **slots)
        env["context"]["System"].update({"apiEndpoint": origin, "apiAccessToken": TOKEN})
        return env

    person.envelope = envelope
    return person


def test_progress_counts_days_in_the_devices_time_zone(tmp_path, zone_api):
    person = person_with_api(tmp_path, zone_api, {zone_api})
    said = ssml.plain_text(speech(person.say("progress")))
    assert "your time zone" in said or "yet" in said
    assert ZoneApi.calls and ZoneApi.calls[0][0].endswith("/settings/System.timeZone")
    assert person.attributes["zone_offset_min"] in (600, 660)   # Sydney, with or without summer time
    person.say("progress")
    assert len(ZoneApi.calls) == 1                                # once a session


def test_an_origin_outside_the_allowlist_is_never_called(tmp_path, zone_api):
    person = person_with_api(tmp_path, zone_api, device_zone.AMAZON_API_ORIGINS)
    person.say("kind_action")
    for _ in range(person.attributes.get("practice", {}).get("count", 1) - 1):
        person.say("continue")
    assert ZoneApi.calls == []


def test_an_unreachable_api_means_utc_said_plainly(tmp_path):
    device_zone.reset()
    person = person_with_api(tmp_path, "http://127.0.0.1:9", {"http://127.0.0.1:9"})
    person.say("grounding")
    said = ssml.plain_text(speech(person.say("progress")))
    assert person.attributes["zone_offset_min"] is None
    assert "U T C" in said or "yet" in said
    device_zone.reset()
