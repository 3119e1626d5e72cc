"""Structured logs carry what operators need and nothing the listener said; /metrics counts."""
import json
import logging

import pytest

from skill.app import create_app
from skill.observability import JsonFormatter
from support.conversation import APP_ID, FIXTURES, Listener, speech

SECRET_USER = "amzn1.ask.account.PRIVATEUSERMARKER"
SECRET_WORDS = "purple umbrella of sorrow"


@pytest.fixture
def app(tmp_path):
    return create_app({"DEVELOPER_MODE": True, "ALEXA_SKILL_ID": APP_ID, "SKILL_DATA_DIR": str(tmp_path)})


def lines(caplog):
    fmt = JsonFormatter()
    return [fmt.format(r) for r in caplog.records]


def test_a_whole_conversation_logs_no_words_slots_or_user_id(app, caplog):
    caplog.set_level(logging.DEBUG)
    person = Listener(app.test_client(), user_id=SECRET_USER)
    said = []
    for name, slots in [("launch", {}), ("checkin_unknown_feeling", {"feeling": SECRET_WORDS}),
                        ("checkin_anxious", {}), ("yes", {}), ("rating_seven", {}),
                        ("breathing_three_minutes", {"minutes": "4"}), ("continue", {}),
                        ("crisis", {}), ("speak_slower", {}), ("progress", {}), ("stop", {})]:
        said.append(speech(person.say(name, **slots)))
    text = "\n".join(lines(caplog))
    assert SECRET_USER not in text and "PRIVATEUSERMARKER" not in text
    assert SECRET_WORDS not in text and "purple" not in text
    assert "anxious" not in text.lower()
    for doc in said:    # no sentence the skill spoke is in the logs either
        for sentence in filter(None, (s.strip() for s in doc.replace("<", ".").split("."))):
            if len(sentence) > 25 and ">" not in sentence:
                assert sentence not in text
    access = [json.loads(x) for x in lines(caplog) if '"logger": "skill.access"' in x]
    assert len(access) == 11
    for entry in access:
        assert set(entry) >= {"request_id", "request_type", "intent", "latency_ms", "status", "outcome"}
        assert entry["request_id"].startswith("amzn1.echo-api.request.")
    assert [e["intent"] for e in access][:3] == ["none", "CheckInIntent", "CheckInIntent"]


def test_rejections_and_apologies_are_logged_with_their_outcome(app, caplog):
    caplog.set_level(logging.INFO)
    client = app.test_client()
    client.post("/alexa", data="not json", content_type="application/json")
    access = [json.loads(x) for x in lines(caplog) if '"logger": "skill.access"' in x]
    assert access[-1]["status"] == 400 and access[-1]["outcome"] == "rejected"


def test_metrics_count_requests_by_intent_and_outcome(app):
    person = Listener(app.test_client())
    person.say("launch")
    person.say("grounding")
    person.say("help")
    app.test_client().post("/alexa", data="[]", content_type="application/json")
    body = app.test_client().get("/metrics").get_data(as_text=True)
    assert 'compassion_coach_requests_total{request_type="LaunchRequest",intent="none",outcome="ok"} 1' in body
    assert 'intent="GroundingIntent",outcome="ok"} 1' in body
    assert 'outcome="rejected"} 1' in body
    assert 'compassion_coach_request_seconds_bucket{le="+Inf"} 4' in body
    assert "compassion_coach_request_seconds_count 4" in body


def test_metric_labels_from_unverified_requests_are_bounded(app):
    client = app.test_client()
    for i in range(300):
        env = json.loads((FIXTURES / "help.json").read_text())
        env["request"]["intent"]["name"] = f"Made{i}Intent" + "x" * 100
        client.post("/alexa", json=env)
    body = client.get("/metrics").get_data(as_text=True)
    series = [l for l in body.splitlines() if l.startswith("compassion_coach_requests_total{")]
    assert len(series) <= 201
    assert all(len(l) < 300 for l in series)
