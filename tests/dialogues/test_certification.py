"""Amazon's certification tests that the dialogues do not already show, driven through the
real webhook (interaction_model/CERTIFICATION.md lists every item and where it is checked)."""
import pytest

from skill.tools import interaction_model as im

from dialogue_support import Runner, session_rule_problems
from test_dialogues import AUDIO_BASE_URL, LOCALES, app  # noqa: F401  (the fixture)

AUDIO_PLAYER_REQUIRED = {"AMAZON.PauseIntent", "AMAZON.ResumeIntent"}
# While the tone track plays, these may come without the skill's name (Amazon's list for
# AudioPlayer skills); each must be answered gracefully: never an error, never a spoken menu.
PLAYER_INTENTS_SAID = ("next", "start over", "repeat", "cancel")


@pytest.mark.parametrize("locale", LOCALES)
def test_every_example_phrase_works_for_a_new_listener(app, locale):
    """Functional test: example phrases. Each one, said as the first words of a new listener,
    reaches its intent (not the fallback) and is answered by that intent, not an error."""
    phrases = im.load_manifest()["manifest"]["publishingInformation"]["locales"][locale]["examplePhrases"]
    assert phrases[0].lower().startswith("alexa, open ")
    for phrase in phrases:
        runner = Runner(app, locale)
        runner.say(phrase.lower())
        response = runner.body["response"]
        assert runner.sent_intent not in ("AMAZON.FallbackIntent", None), (phrase, runner.sent_intent)
        assert "I'm not sure I caught that" not in runner.heard and "went wrong" not in runner.heard
        assert response.get("outputSpeech") or response.get("directives"), phrase
        assert not session_rule_problems(response), (phrase, session_rule_problems(response))
        if runner.sent_intent != "LaunchRequest":
            card = response.get("card") or {}
            assert card.get("title") and card.get("title") != "Compassion Coach", (phrase, card)   # the practice's card


@pytest.mark.parametrize("locale", LOCALES)
def test_an_audio_player_skill_has_the_required_intents(locale):
    """AudioPlayer: the model must hold AMAZON.PauseIntent and AMAZON.ResumeIntent."""
    assert AUDIO_PLAYER_REQUIRED <= im.intent_names(locale)


@pytest.mark.parametrize("said", PLAYER_INTENTS_SAID)
def test_built_in_player_intents_while_the_track_plays_are_answered_gracefully(app, said):
    runner = Runner(app, "en-US", "audio")
    for line in ("open compassion coach", "three minutes of breathing", "yes", "(plays for 20 seconds)"):
        runner.say(line)
    assert runner.player["activity"] == "PLAYING"
    runner.say(said)
    response = runner.body["response"]
    assert "went wrong" not in runner.heard and "What would you like" not in runner.heard, runner.heard
    assert response.get("shouldEndSession", True) is True or not session_rule_problems(response)
    types = [d["type"] for d in response.get("directives") or []]
    if said == "start over":
        assert types == ["AudioPlayer.Play"]
    elif said == "cancel":
        assert types == ["AudioPlayer.Stop"]
    else:   # a few words, as Amazon's audio samples answer what they cannot do; the track plays on
        assert types == [] and "simply plays on" in runner.heard and response["shouldEndSession"] is True
        assert runner.player["activity"] == "PLAYING"


def test_session_ended_in_every_way_is_answered_without_speech(app):
    """Session management: a SessionEndedRequest (user, error, silence) gets no speech; the
    runner asserts that on every one; here all three reasons, mid-practice."""
    for reason in ("(session ended)", "(session ended: ERROR)", "(silence)"):
        runner = Runner(app, "en-US")
        for line in ("open compassion coach", "ten minutes of breathing", reason, "(silence)"):
            if line == "(silence)" and runner.session is None:
                break
            runner.say(line)
        runner.say("open compassion coach")
        assert (runner.body["sessionAttributes"].get("asked") or {}).get("q") == "resume", (reason, runner.heard)
