"""Whole conversations, as a listener would have them, on a real SQLite file."""
import datetime as dt
import json

import pytest

from skill import catalogue, helplines, ssml
from skill.app import create_app
from support.conversation import APP_ID, Listener, is_open, speech

CRISIS_NUMBERS = {"en-US": ("988", "911"), "en-GB": ("116", "123", "999"), "en-AU": ("13", "11", "14", "000"),
                  "en-CA": ("988", "911"), "en-IN": ("14416", "112")}


def text(body):
    return ssml.plain_text(speech(body))


def test_first_launch_welcomes_with_the_disclaimer(listener):
    body = listener.say("launch")
    assert "not a therapist or a medical service" in text(body)
    assert is_open(body)


def test_three_minutes_of_breathing_in_one_utterance_then_continue_to_the_end(listener):
    body = listener.say("breathing_three_minutes")
    assert "3 minutes" in text(body)
    practice = listener.attributes["practice"]
    assert practice["id"] == "breathing" and practice["params"] == {"minutes": 3, "pattern": "soothing", "first_time": True}
    for _ in range(practice["count"] - 1):
        body = listener.say("continue")
    assert "practice" not in listener.attributes
    assert "another practice" in text(body)
    assert listener.say("no")["response"]["shouldEndSession"] is True


@pytest.mark.parametrize("locale", list(CRISIS_NUMBERS))
def test_crisis_stops_the_practice_and_gives_the_locale_numbers(app, locale):
    person = Listener(app.test_client(), locale)
    person.say("breathing_no_slots")
    assert "practice" in person.attributes
    body = person.say("crisis")
    doc = speech(body)
    for number in CRISIS_NUMBERS[locale]:
        assert f'<say-as interpret-as="digits">{number}</say-as>' in doc
    line = helplines.for_locale(locale)["crisis"]
    assert doc.count(line["number"][0]) >= 2              # said twice
    assert 'rate="slow"' in doc
    assert "practice" not in person.attributes and "rating" not in person.attributes
    card = body["response"]["card"]["content"]
    assert all(n in card for n in line["number"] + helplines.for_locale(locale)["emergency"]["number"])
    again = person.say("no")                              # "are you safe right now?" - no
    assert line["number"][0] in speech(again) and is_open(again)


def test_crisis_words_inside_a_slot_get_the_crisis_answer(listener):
    body = listener.say("checkin_crisis_words")
    assert "988" in speech(body) and "can't help in an emergency" in text(body)


def test_helpline_table_covers_every_locale():
    # Its review date is the lint's warning (skill.tools.lint.warnings), not a test that
    # fails on a calendar day.
    assert set(helplines.table()["locales"]) == set(catalogue.locales())


def test_check_in_rating_before_and_after(listener):
    body = listener.say("checkin_anxious")
    assert "Soothing rhythm breathing might help" in text(body)
    assert "from 0, not at all, to 10, the strongest it gets" in text(listener.say("yes"))
    body = listener.say("rating_seven")
    assert listener.attributes["practice"]["id"] == "breathing"
    for _ in range(listener.attributes["practice"]["count"] - 1):
        body = listener.say("continue")
    assert "how strong is the feeling" in text(body).lower()
    body = listener.say("rating_seven", rating="5")
    assert "You said 7 before, and 5 now" in text(body)
    assert is_open(body)


def test_out_of_range_values_get_a_kind_clarification(listener):
    body = listener.say("breathing_too_long")
    assert "1 to 20 minutes" in text(body) and is_open(body)
    body = listener.say("breathing_unknown_pattern")
    assert "Which would you like?" in text(body) and ssml.check(speech(body), "en-US") == []
    assert "fire" not in speech(body)


def test_pause_then_resume_in_a_later_session(listener):
    listener.say("breathing_three_minutes", minutes="20")
    listener.say("continue")
    turn = listener.attributes["practice"]["turn"]
    body = listener.say("pause")
    assert body["response"]["shouldEndSession"] is True and "pick up where you left off" in text(body)
    body = listener.say("launch")                          # a new session, another day
    assert "pick up where you left off" in text(body)
    body = listener.say("yes")
    assert listener.attributes["practice"]["turn"] == turn
    assert "pick up" in text(body).lower()


def test_repeat_and_start_over(listener):
    first = listener.say("breathing_three_minutes", minutes="20")
    again = listener.say("repeat")
    assert speech(again) == speech(first)
    listener.say("continue")
    listener.say("start_over")
    assert listener.attributes["practice"]["turn"] == 0


def test_a_returning_listener_is_offered_their_usual_practice(listener):
    listener.say("grounding")
    for _ in range(listener.attributes.get("practice", {}).get("count", 1) - 1):
        listener.say("continue")
    listener.say("stop")
    body = listener.say("launch")
    assert "five senses grounding again" in text(body)


@pytest.mark.parametrize("consent", [True, False])
def test_three_days_and_a_streak(app, data_dir, consent):
    person = Listener(app.test_client())
    if consent:
        person.say("remember_ratings")
    person.say("kind_action")
    # earlier days, written as the skill writes them, through its own persistence adapter
    env = person.envelope("launch")
    from ask_sdk_core.serialize import DefaultSerializer
    from ask_sdk_model import RequestEnvelope
    envelope = DefaultSerializer().deserialize(json.dumps(env), RequestEnvelope)
    skill_adapter = app.extensions["compassion_coach"]["skill"].persistence_adapter
    attrs = skill_adapter.get_attributes(envelope)
    today = dt.datetime.now(dt.timezone.utc).date()
    for days_ago, (before, after) in ((1, (6, 4)), (2, (8, 6))):
        day = today - dt.timedelta(days=days_ago)
        attrs.setdefault("history", []).append({"id": f"earlier{days_ago}", "ts": f"{day}T09:00:00+00:00",
                                                "date": day.isoformat(), "practice": "breathing",
                                                "minutes": 5, "before": before, "after": after})
    skill_adapter.save_attributes(envelope, attrs)
    body = person.say("progress")
    said = text(body)
    assert "3 days in a row" in said
    assert ("changed by -2.0 points" in said) is consent   # ratings only with consent
    assert "U T C" in said
    stored = skill_adapter.get_attributes(envelope)["history"]
    assert all(e["before"] is None and e["after"] is None for e in stored) is not consent


def test_forget_me_asks_first_then_deletes_everything(listener):
    listener.say("grounding")
    listener.say("speak_slower")
    body = listener.say("forget_me")
    assert "yes or no" in text(body)
    assert "keep things as they are" in text(listener.say("no"))
    listener.say("forget_me")
    body = listener.say("yes")
    assert "deleted everything" in text(body)
    assert "not a therapist" in text(listener.say("launch"))   # a first launch again


def test_skill_disabled_event_forgets_the_listener(listener):
    listener.say("grounding")
    listener.say("stop")
    listener.say("skill_disabled")
    assert "not a therapist" in text(listener.say("launch"))


def test_speaking_more_slowly_is_remembered(listener):
    listener.say("speak_slower")
    listener.say("stop")
    body = listener.say("launch")
    assert '<prosody rate="80%">' in speech(body)


def test_a_broken_database_still_gets_a_kind_answer(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "compassion-coach.sqlite3").write_bytes(b"this is not a database" * 100)
    app = create_app({"DEVELOPER_MODE": True, "ALEXA_SKILL_ID": APP_ID, "SKILL_DATA_DIR": str(data)})
    person = Listener(app.test_client())
    assert "not a therapist" in text(person.say("launch"))
    assert "can't reach my memory" in text(person.say("progress"))
    assert "minutes" in text(person.say("breathing_no_slots"))


def test_an_unexpected_error_gets_a_kind_apology(tmp_path):
    from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter

    class Exploding(AbstractPersistenceAdapter):
        def get_attributes(self, request_envelope):
            raise RuntimeError("boom")

        def save_attributes(self, request_envelope, attributes):
            raise RuntimeError("boom")

        def delete_attributes(self, request_envelope):
            raise RuntimeError("boom")

    from skill.builder import build_skill
    skill = build_skill({"ALEXA_SKILL_ID": APP_ID}, persistence_adapter=Exploding())
    from ask_sdk_core.serialize import DefaultSerializer
    from ask_sdk_model import RequestEnvelope
    env = Listener.__new__(Listener)
    env.locale, env.user_id, env.new, env.attributes, env.session_id = "en-GB", "amzn1.ask.account.X", True, {}, "s"
    envelope = DefaultSerializer().deserialize(json.dumps(env.envelope("launch")), RequestEnvelope)
    response = skill.invoke(envelope, None)
    said = ssml.plain_text(response.response.output_speech.ssml)
    assert "something went wrong on my side" in said
    assert response.response.should_end_session is False


@pytest.mark.parametrize("locale", ["en-GB", "en-IN", "xx-XX"])
def test_when_even_the_apology_fails_the_one_rendered_at_start_up_is_said(tmp_path, monkeypatch, locale):
    from ask_sdk_core.dispatch_components import AbstractRequestHandler

    from skill import builder, catalogue

    def broken(*args, **kwargs):
        raise RuntimeError("rendering failed")

    class Failing(AbstractRequestHandler):
        can_handle = staticmethod(lambda handler_input: True)
        handle = staticmethod(broken)

    monkeypatch.setattr(builder, "all_handlers", lambda: [Failing()])
    monkeypatch.setattr(builder, "ask", broken)
    app = create_app({"DEVELOPER_MODE": True, "ALEXA_SKILL_ID": APP_ID, "SKILL_DATA_DIR": str(tmp_path)})
    response = Listener(app.test_client(), locale=locale).say("progress")["response"]
    expected = builder._fallback_apology(locale if locale in catalogue.locales() else "en-US")
    assert response["outputSpeech"]["ssml"] == expected[0]
    assert response["reprompt"]["outputSpeech"]["ssml"] == expected[1]
    assert "something went wrong on my side" in ssml.plain_text(expected[0])


@pytest.mark.parametrize("name,answer,minutes_slot", [
    ("can_fulfill_breathing", "YES", ("YES", "YES")),
    ("can_fulfill_breathing_too_long", "MAYBE", ("YES", "NO")),
    ("can_fulfill_stop", "NO", None),
])
def test_can_fulfill_intent_lets_alexa_offer_the_practices(listener, name, answer, minutes_slot):
    response = listener.say(name)["response"]
    cfi = response["canFulfillIntent"]
    assert cfi["canFulfill"] == answer
    if minutes_slot:
        assert cfi["slots"]["minutes"] == {"canUnderstand": minutes_slot[0], "canFulfill": minutes_slot[1]}
    assert "outputSpeech" not in response or response["outputSpeech"] is None


@pytest.mark.parametrize("name", ["skill_enabled", "skill_permission_accepted", "skill_permission_changed",
                                  "unsubscribed_event"])
def test_skill_events_are_answered_quietly(listener, caplog, name):
    import logging
    if name == "unsubscribed_event":   # one the manifest does not subscribe to: still no stack trace
        env = listener.envelope("skill_enabled")
        env["request"]["type"] = "AlexaSkillEvent.ProactiveSubscriptionChanged"
        env["request"]["body"] = {"subscriptions": []}
        with caplog.at_level(logging.INFO):
            res = listener.client.post("/alexa", json=env)
        assert res.status_code == 200
        response = res.get_json()["response"]
    else:
        with caplog.at_level(logging.INFO):
            response = listener.say(name)["response"]
    assert not response.get("outputSpeech")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def test_practice_renders_know_a_first_time_listener(listener):
    """A listener's first practice says "not while driving" (the scripts' first_time), on
    every turn of it and when it is resumed; once a practice is finished, no more."""
    driving = "don't do this while driving"
    assert driving in text(listener.say("breathing_three_minutes", minutes="20"))
    assert listener.attributes["practice"]["params"].get("first_time") is True
    listener.say("continue")
    assert listener.attributes["practice"]["params"].get("first_time") is True
    listener.say("stop")                  # the place is kept, first_time with it
    listener.say("launch")
    listener.say("yes")
    assert listener.attributes["practice"]["params"].get("first_time") is True
    listener.say("stop")
    listener.say("kind_action")          # finished in one turn
    listener.say("stop")
    body = listener.say("breathing_three_minutes", minutes="20")
    assert driving not in text(body)
    assert "first_time" not in listener.attributes["practice"]["params"]
