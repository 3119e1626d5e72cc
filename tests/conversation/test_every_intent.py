"""Every request fixture, in every locale, through the real app: 200, valid SSML, a card,
and the session open exactly when the turn ends with a question (then with a reprompt)."""
import pytest

from skill import catalogue, ssml

from skill.tools import interaction_model
from skill.handlers import handled_intents

from support.conversation import FIXTURES, Listener, is_open, speech

SILENT = {"session_ended", "session_ended_error", "exception_encountered", "skill_disabled",
          "can_fulfill_breathing", "can_fulfill_breathing_too_long", "can_fulfill_stop"}
NAMES = sorted(p.stem for p in FIXTURES.glob("*.json"))


@pytest.mark.parametrize("locale", list(catalogue.locales()))
@pytest.mark.parametrize("name", NAMES)
def test_fixture_answers_well(app, name, locale):
    body = Listener(app.test_client(), locale).say(name)
    response = body["response"]
    if name in SILENT:
        assert "outputSpeech" not in response or response["outputSpeech"] is None
        return
    doc = speech(body)
    assert ssml.check(doc, locale) == [], doc
    assert response["card"]["title"] and response["card"]["content"]
    text = ssml.plain_text(doc)
    if is_open(body):
        assert response["reprompt"]["outputSpeech"]["ssml"]
        assert text.rstrip().endswith("?"), text[-120:]
    else:
        assert "reprompt" not in response or response["reprompt"] is None
        assert not text.rstrip().endswith("?"), text[-120:]


def test_model_and_handlers_match_one_to_one():
    assert handled_intents() == interaction_model.intent_names()


def test_every_model_intent_has_a_fixture():
    import json
    used = set()
    for path in FIXTURES.glob("*.json"):
        intent = json.loads(path.read_text())["request"].get("intent")
        if intent:
            used.add(intent["name"])
    assert interaction_model.intent_names() <= used
