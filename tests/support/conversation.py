"""A conversation driver (used by tests/conversation) over the real Flask app and ASK SDK, with a real SQLite file."""
import copy
import datetime as dt
import json
import uuid
from pathlib import Path


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "requests"
APP_ID = "amzn1.ask.skill.00000000-0000-4000-8000-00000c0ac4c1"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


class Listener:
    """One person on one device: sessions carry attributes from turn to turn, as Alexa does."""

    def __init__(self, client, locale="en-US", user_id=None, interfaces=None):
        self.client, self.locale = client, locale
        self.interfaces = interfaces     # context.System.device.supportedInterfaces, if not {}
        self.user_id = user_id or f"amzn1.ask.account.TEST{uuid.uuid4().hex.upper()}"
        self.new_session()

    def new_session(self):
        self.session_id = f"amzn1.echo-api.session.{uuid.uuid4()}"
        self.attributes, self.new = {}, True

    def envelope(self, name: str, **slot_values) -> dict:
        env = copy.deepcopy(fixture(name))
        env["request"]["locale"] = self.locale
        env["request"]["requestId"] = f"amzn1.echo-api.request.{uuid.uuid4()}"
        env["request"]["timestamp"] = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        env["context"]["System"]["user"]["userId"] = self.user_id
        if getattr(self, "interfaces", None) is not None:
            env["context"]["System"]["device"]["supportedInterfaces"] = copy.deepcopy(self.interfaces)
        if "session" in env:
            env["session"].update({"new": self.new, "sessionId": self.session_id,
                                   "attributes": self.attributes})
            env["session"]["user"]["userId"] = self.user_id
        for slot, value in slot_values.items():
            env["request"]["intent"]["slots"][slot]["value"] = value
        return env

    def say(self, name: str, **slot_values) -> dict:
        res = self.client.post("/alexa", json=self.envelope(name, **slot_values))
        assert res.status_code == 200, res.get_data(as_text=True)
        body = res.get_json()
        self.attributes = body.get("sessionAttributes") or {}
        self.new = False
        if body["response"].get("shouldEndSession", True):
            self.new_session()
        return body



def speech(body) -> str:
    return body["response"].get("outputSpeech", {}).get("ssml", "")


def is_open(body) -> bool:
    return body["response"].get("shouldEndSession") is False
