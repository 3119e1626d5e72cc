"""Request envelopes shaped like the Alexa developer console's (tests/fixtures/http/)."""
from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

FIXTURES_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "http"
SKILL_ID = "amzn1.ask.skill.00000000-0000-0000-0000-00000000c0ac"
OTHER_SKILL_ID = "amzn1.ask.skill.99999999-9999-9999-9999-999999999999"
#: Appears in every fixture's userId; must never show up in logs.
USER_ID_MARKER = "TESTUSER0000000000000000000000000000000000000000"


def iso_utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def envelope(name: str = "launch_request", *, application_id: str = SKILL_ID,
             age_s: float = 0.0, **request_fields) -> dict:
    """Load a fixture with a fresh timestamp (``age_s`` seconds ago) and the given app id."""
    body = copy.deepcopy(json.loads((FIXTURES_DIR / f"{name}.json").read_text()))
    stamp = iso_utc(dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=age_s))
    body["request"]["timestamp"] = stamp
    body["request"].update(request_fields)
    for holder in (body.get("session"), body.get("context", {}).get("System")):
        if holder is not None:
            holder["application"]["applicationId"] = application_id
    return body


def raw(body: dict) -> bytes:
    """The exact bytes that get signed and sent (Alexa signs its own serialisation)."""
    return json.dumps(body, separators=(",", ":")).encode("utf-8")
