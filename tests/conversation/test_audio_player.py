"""Hands-free breathing through the real webhook: the choice, AudioPlayer.Play, the playback
events, "Alexa, pause / resume / start over / stop", and progress kept."""
from types import SimpleNamespace

import pytest

from skill import helplines, ssml
from skill.app import create_app
from support.conversation import APP_ID, Listener, speech
from support.spoken import numbers

BASE = "https://coach.example.org"
DEVICE = {"AudioPlayer": {}}


@pytest.fixture
def app(tmp_path):
    return create_app({"DEVELOPER_MODE": True, "ALEXA_SKILL_ID": APP_ID, "SKILL_DATA_DIR": str(tmp_path / "data"),
                       "AUDIO_BASE_URL": BASE})


class Player(Listener):
    """A listener whose device plays streams: AudioPlayer events carry its player's state."""

    def __init__(self, client):
        super().__init__(client, interfaces=DEVICE)
        self.token, self.offset_ms, self.activity = None, 0, "IDLE"

    def envelope(self, name, **slots):
        env = super().envelope(name, **slots)
        if self.token:
            env["context"]["AudioPlayer"] = {"token": self.token, "offsetInMilliseconds": self.offset_ms,
                                             "playerActivity": self.activity}
        else:
            env["context"].pop("AudioPlayer", None)
        return env

    def event(self, kind, **extra):
        env = self.envelope("audioplayer_event")
        env["request"].update({"type": kind, "token": self.token, "offsetInMilliseconds": self.offset_ms, **extra})
        res = self.client.post("/alexa", json=env)
        assert res.status_code == 200, res.get_data(as_text=True)
        body = res.get_json()["response"]
        assert "outputSpeech" not in body and "card" not in body and "reprompt" not in body
        return body



def _stop_at(player, offset_ms: int, words: str):
    """The listener stops the track at `offset_ms` with `words`; the device reports it. The
    answer to the words, and to the PlaybackStopped event."""
    player.offset_ms = offset_ms
    said = player.say(words)
    player.activity = "STOPPED"
    return said, player.event("AudioPlayer.PlaybackStopped")

def _play(body):
    plays = [d for d in body["response"].get("directives", []) if d["type"] == "AudioPlayer.Play"]
    assert len(plays) == 1
    return plays[0]


def _directive_types(body):
    return [d["type"] for d in body.get("directives", [])]


def start_tones(player, fixture="breathing_three_minutes"):
    asked = player.say(fixture)
    assert "tones" in speech(asked) and "my voice" in speech(asked)      # says which is which
    assert asked["response"]["shouldEndSession"] is False
    body = player.say("yes")
    play = _play(body)
    player.token, player.activity = play["audioItem"]["stream"]["token"], "PLAYING"
    return body, play


def test_choosing_tones_plays_the_track_after_the_introduction(app):
    player = Player(app.test_client())
    body, play = start_tones(player)
    stream = play["audioItem"]["stream"]
    assert play["playBehavior"] == "REPLACE_ALL"
    assert stream["url"] == f"{BASE}/audio/soothing-3-24000.mp3"     # nothing about the listener
    assert stream["token"].startswith("tones:soothing-3-24000.") and stream["offsetInMilliseconds"] == 0
    assert "rises, breathe in" in speech(body) and "bell" in speech(body)
    text = ssml.plain_text(speech(body))
    assert text.index("chest pain") < text.index("rises, breathe in")
    assert " ".join(helplines.for_locale("en-US")["emergency"]["number"]) in numbers(speech(body))
    assert body["response"]["shouldEndSession"] is True


def test_the_voice_or_tones_question_first_says_to_call_for_chest_pain(app):
    """"My chest has been tight for ten minutes", heard as ten minutes of breathing, is asked
    voice or tones before any practice: the emergency number comes first."""
    player = Player(app.test_client())
    asked = speech(player.say("breathing_three_minutes"))
    text = ssml.plain_text(asked)
    emergency = "".join(helplines.for_locale("en-US")["emergency"]["number"])
    assert text.index(f"If you have chest pain, or it's very hard to breathe, call {emergency}") < text.index("two ways")


def test_choosing_the_voice_gives_the_spoken_turns(app):
    player = Player(app.test_client())
    player.say("breathing_three_minutes")
    body = player.say("no")
    assert "breathe together" in speech(body) and "directives" not in body["response"]


def test_pause_resume_from_the_offset_start_over_and_finish(app):
    player = Player(app.test_client())
    start_tones(player)
    assert player.event("AudioPlayer.PlaybackStarted") == {}
    player.offset_ms = 65_000
    paused = player.say("pause")["response"]
    assert _directive_types(paused) == ["AudioPlayer.Stop"] and "outputSpeech" not in paused
    assert player.event("AudioPlayer.PlaybackStopped") == {}
    player.activity, player.offset_ms = "STOPPED", 65_000
    resumed = _play(player.say("resume"))
    assert resumed["audioItem"]["stream"]["offsetInMilliseconds"] == 65_000
    player.token = resumed["audioItem"]["stream"]["token"]
    again = _play(player.say("start_over"))
    assert again["audioItem"]["stream"]["offsetInMilliseconds"] == 0
    player.token, player.activity = again["audioItem"]["stream"]["token"], "PLAYING"
    assert player.event("AudioPlayer.PlaybackNearlyFinished") == {}
    before = speech(Player(app.test_client()).say("progress"))
    player.event("AudioPlayer.PlaybackFinished")
    progress = Listener(app.test_client(), user_id=player.user_id).say("progress")
    assert "haven't" in before or "yet" in before
    assert "This week, you've made time for yourself on 1 day" in speech(progress)


def test_resume_after_the_device_forgot_uses_the_stored_place(app):
    player = Player(app.test_client())
    start_tones(player)
    player.offset_ms = 42_000
    player.event("AudioPlayer.PlaybackStopped")
    player.offset_ms, player.activity = 0, "STOPPED"
    env = player.envelope("resume")
    env["context"]["AudioPlayer"].pop("offsetInMilliseconds")
    body = player.client.post("/alexa", json=env).get_json()
    assert _play(body)["audioItem"]["stream"]["offsetInMilliseconds"] == 42_000


def test_a_failed_stream_is_logged_and_answered_with_nothing(app, caplog):
    player = Player(app.test_client())
    start_tones(player)
    player.offset_ms = 3_000
    body = player.event("AudioPlayer.PlaybackFailed",
                        error={"type": "MEDIA_ERROR_SERVICE_UNAVAILABLE", "message": "unreachable"})
    assert body == {}
    assert "tone track failed to play" in caplog.text
    player.activity = "STOPPED"
    assert _play(player.say("resume"))["audioItem"]["stream"]["offsetInMilliseconds"] == 3_000


def _memory(app, user_id):
    adapter = app.extensions["compassion_coach"]["skill"].persistence_adapter
    return adapter.get_attributes(SimpleNamespace(
        context=SimpleNamespace(system=SimpleNamespace(user=SimpleNamespace(user_id=user_id))),
        session=None, request=SimpleNamespace(request_id="amzn1.echo-api.request.test")))


def _history(app, user_id):
    return [(e["practice"], e["minutes"]) for e in _memory(app, user_id).get("history", [])]


@pytest.mark.parametrize("words", ["stop", "cancel"])
def test_stop_keeps_the_place_as_pause_does_and_counts_what_was_played(app, words):
    player = Player(app.test_client())
    start_tones(player)
    said, event = _stop_at(player, 125_000, words)
    stopped = said["response"]
    assert _directive_types(stopped) == ["AudioPlayer.Stop"] and "outputSpeech" not in stopped
    assert event == {}
    assert _history(app, player.user_id) == [("breathing", 2.1)]
    # "Alexa, resume" plays on from where it stopped, as after a pause
    resumed = _play(player.say("resume"))
    assert resumed["audioItem"]["stream"]["offsetInMilliseconds"] == 125_000
    # and so does the next launch's offer, after another stop
    player.token, player.activity = resumed["audioItem"]["stream"]["token"], "PLAYING"
    _stop_at(player, 150_000, words)
    again = Player(app.test_client())
    again.user_id = player.user_id
    offer = again.say("launch")
    assert "stopped partway through soothing rhythm breathing" in speech(offer)
    assert _play(again.say("yes"))["audioItem"]["stream"]["offsetInMilliseconds"] == 150_000
    # one practice, however often it stopped: one entry, its minutes as far as it got
    assert _history(app, player.user_id) == [("breathing", 2.5)]


def test_a_pause_counts_what_was_played_and_the_finish_completes_the_same_entry(app):
    player = Player(app.test_client())
    start_tones(player)
    _stop_at(player, 90_000, "pause")
    progress = Listener(app.test_client(), user_id=player.user_id).say("progress")
    assert "This week, you've made time for yourself on 1 day" in speech(progress)
    assert _history(app, player.user_id) == [("breathing", 1.5)]
    resumed = _play(player.say("resume"))
    player.token, player.activity = resumed["audioItem"]["stream"]["token"], "PLAYING"
    player.event("AudioPlayer.PlaybackStarted")
    player.event("AudioPlayer.PlaybackFinished")
    assert _history(app, player.user_id) == [("breathing", 3)]
    assert "paused" not in _memory(app, player.user_id)


def test_starting_over_counts_the_listening_so_far_and_begins_another(app):
    player = Player(app.test_client())
    start_tones(player)
    player.offset_ms = 120_000
    again = _play(player.say("start_over"))
    player.token, player.offset_ms = again["audioItem"]["stream"]["token"], 0
    player.event("AudioPlayer.PlaybackFinished")
    assert _history(app, player.user_id) == [("breathing", 2.0), ("breathing", 3)]


def test_a_stop_before_a_minute_keeps_the_place_but_counts_nothing(app):
    player = Player(app.test_client())
    start_tones(player)
    _stop_at(player, 20_000, "stop")
    assert _history(app, player.user_id) == []
    assert _memory(app, player.user_id)["paused"]["offset_ms"] == 20_000


def test_box_asked_for_longer_plays_and_says_its_five_minutes(app):
    player = Player(app.test_client())
    player.say("breathing_box_pattern", minutes="20")
    body = player.say("yes")
    play = _play(body)
    assert play["audioItem"]["stream"]["url"] == f"{BASE}/audio/box-5-24000.mp3"
    assert "Let's take 5 minutes with the tones" in speech(body)
    assert "20 minutes" not in speech(body) and "best kept to 5 minutes" in speech(body)
    player.token = play["audioItem"]["stream"]["token"]
    player.event("AudioPlayer.PlaybackFinished")
    assert _history(app, player.user_id) == [("breathing", 5)]


def test_buttons_pause_play_and_previous(app):
    player = Player(app.test_client())
    start_tones(player)
    assert _directive_types(player.event("PlaybackController.PauseCommandIssued")) == ["AudioPlayer.Stop"]
    player.offset_ms = 10_000
    player.event("AudioPlayer.PlaybackStopped")
    assert _play({"response": player.event("PlaybackController.PlayCommandIssued")})[
        "audioItem"]["stream"]["offsetInMilliseconds"] == 10_000
    assert _play({"response": player.event("PlaybackController.PreviousCommandIssued")})[
        "audioItem"]["stream"]["offsetInMilliseconds"] == 0
    assert player.event("PlaybackController.NextCommandIssued") == {}


def test_no_choice_without_a_stream_player_or_a_public_address(app, tmp_path):
    assert "breathe together" in speech(Listener(app.test_client()).say("breathing_three_minutes"))
    plain = create_app({"DEVELOPER_MODE": True, "ALEXA_SKILL_ID": APP_ID, "SKILL_DATA_DIR": str(tmp_path / "p")})
    assert "breathe together" in speech(Listener(plain.test_client(), interfaces=DEVICE).say("breathing_three_minutes"))


def test_short_breathing_is_not_offered_tones(app):
    body = Player(app.test_client()).say("breathing_three_minutes", minutes="1")
    assert "breathe together" in speech(body)


def test_on_a_screen_the_track_still_plays(app):
    player = Player(app.test_client())
    player.interfaces = {**DEVICE, "Alexa.Presentation.APL": {"runtime": {"maxVersion": "2023.3"}}}
    body, play = start_tones(player)
    assert play["audioItem"]["stream"]["url"].endswith("/audio/soothing-3-24000.mp3")


def test_a_paused_track_offered_on_a_device_without_audio_gives_the_spoken_turn_it_was_in(app):
    player = Player(app.test_client())
    start_tones(player)
    player.offset_ms = 200_000        # past the first spoken turn's length (107 s): in the last one
    player.say("pause")
    player.event("AudioPlayer.PlaybackStopped")
    speaker = Listener(app.test_client(), user_id=player.user_id)     # e.g. the phone app
    offer = speaker.say("launch")
    assert "stopped partway through soothing rhythm breathing" in speech(offer)
    body = speaker.say("yes")
    assert "directives" not in body["response"] or not _directive_types(body["response"])
    assert "pick up soothing rhythm breathing" in speech(body)
    assert body["sessionAttributes"]["asked"]["q"] == "practice_end"   # the last turn was played
