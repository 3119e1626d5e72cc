"""Which form a practice turn goes out in: APL-A where the device plays it, SSML elsewhere,
through the real webhook with request envelopes."""
import pytest

from skill import apla
from support.conversation import Listener, is_open, speech

APLA = {"Alexa.Presentation.APLA": {}}
SCREEN = {"Alexa.Presentation.APL": {"runtime": {"maxVersion": "2023.3"}}, **APLA}


def _apla_docs(body):
    return [d for d in body["response"].get("directives", []) if d["type"] == apla.DIRECTIVE_TYPE]


def test_a_device_that_plays_apla_gets_the_turn_as_a_document(app):
    listener = Listener(app.test_client(), interfaces=APLA)
    listener.say("launch")
    body = listener.say("breathing_box_pattern")
    docs = _apla_docs(body)
    assert len(docs) == 1
    assert "outputSpeech" not in body["response"]          # said once, by the document
    assert body["response"]["reprompt"]["outputSpeech"]["ssml"].startswith("<speak>")
    assert is_open(body)
    items = docs[0]["document"]["mainTemplate"]["items"][0]["items"]
    mixers = [c for c in items if c["type"] == "Mixer"]
    assert mixers and all(m["items"][1]["duration"] == 4000 for m in mixers)   # box: 4 s phases
    said = " ".join(c["content"] for c in items if c["type"] == "Speech")
    assert "box breathing" in said and "shall we go on?" in said   # the intro, and the prompt after


def test_on_a_screen_the_apl_pacer_takes_the_turn_instead(app):
    body = Listener(app.test_client(), interfaces=SCREEN).say("breathing_box_pattern")
    types = [d["type"] for d in body["response"].get("directives", [])]
    assert apla.DIRECTIVE_TYPE not in types and "Alexa.Presentation.APL.RenderDocument" in types


def test_a_device_without_apla_gets_the_ssml(app):
    body = Listener(app.test_client()).say("breathing_box_pattern")
    assert _apla_docs(body) == []
    assert "box breathing" in speech(body)
    assert "<phase" not in speech(body)


def test_dialog_only_answers_stay_ssml_everywhere(app):
    body = Listener(app.test_client(), interfaces=APLA).say("launch")
    assert _apla_docs(body) == [] and speech(body)


def test_continue_and_repeat_on_an_apla_device(app):
    listener = Listener(app.test_client(), interfaces=APLA)
    listener.say("breathing_three_minutes")
    nxt = listener.say("continue")
    assert len(_apla_docs(nxt)) == 1
    again = listener.say("repeat")      # repeat says the last turn again, as SSML
    assert speech(again)


def test_a_new_listeners_first_turn_is_a_document_too_with_the_disclaimer_as_written(app):
    """The disclaimer says the helpline's digits with say-as, which a timeline cannot carry:
    it goes into the document as one Speech of its SSML, and the phases are still exact."""
    body = Listener(app.test_client(), interfaces=APLA).say("breathing_box_pattern")
    docs = _apla_docs(body)
    assert len(docs) == 1 and "outputSpeech" not in body["response"]
    items = docs[0]["document"]["mainTemplate"]["items"][0]["items"]
    first = items[0]
    assert first["type"] == "Speech" and '<say-as interpret-as="digits">' in first["content"]
    assert "not a therapist" in first["content"]
    mixers = [c for c in items if c["type"] == "Mixer"]
    assert mixers and all(m["items"][1]["duration"] == 4000 for m in mixers)
    assert apla.structure_problems(docs[0]["document"]) == []
