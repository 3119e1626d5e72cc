"""Hands-free breathing: the tone track through AudioPlayer.

For breathing longer than one turn, on a device that plays audio streams, the listener is
asked: voice-guided (the spoken turns) or tone-guided (one track, skill.tones). The choice
is the question "guide" in skill/questions.py, answered through skill/handlers/answers.py. While the
track plays, "Alexa, pause / resume / start over / stop" and the device's buttons come here;
the playback events keep the listener's place (memory "tones") and record the practice when
the track finishes, or how far it got when it stops. "Stop" keeps the place as "pause" does,
as it does in the spoken turns: the next launch offers to play on, and "Alexa, resume" does.

AudioPlayer and PlaybackController requests have no session, and their responses carry no
speech or card: only AudioPlayer directives, or nothing.
"""
from __future__ import annotations

import logging

from skill import audio_route, breathing, catalogue, helplines, interfaces, render, state, tones
from skill.handlers import on_request
from skill.respond import ask, dialog, help_dialog, reply

log = logging.getLogger(__name__)
TOKEN_PREFIX = "tones:"          # our stream tokens: the track's name and a random nonce
MIN_RECORDED_S = 60              # a stopped track counts as practice after this much
STOP_INTENTS = ("AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.PauseIntent")
RESUME_INTENTS = ("AMAZON.ResumeIntent",)
RESTART_INTENTS = ("AMAZON.StartOverIntent", "AMAZON.PreviousIntent")
# While a track plays these may arrive without the invocation name; one track has none of them.
IDLE_INTENTS = ("AMAZON.NextIntent", "AMAZON.RepeatIntent", "AMAZON.LoopOnIntent",
                "AMAZON.LoopOffIntent", "AMAZON.ShuffleOnIntent", "AMAZON.ShuffleOffIntent")


# ---------------------------------------------------------------- the choice

def tones_possible(hi) -> bool:
    """The device plays streams, and this service says where its tracks are."""
    base = hi.attributes_manager.request_attributes.get("audio_base_url")
    return bool(base) and interfaces.audio_player(hi)


def offer(hi, params: dict, *before: str):
    """Ask voice or tones, for a breathing practice longer than one turn; None: don't ask."""
    if not tones_possible(hi):
        return None
    if len(render.render("breathing", state.locale(hi), state.rate(hi), **params)) < 2:
        return None
    holds = "yes" if breathing.holds_breath(params["pattern"]) else ""
    return ask(hi, "guide", *before, help_dialog(hi, "body_alarm"), params=params, holds=holds)


def _params(action: dict) -> dict:
    try:
        return catalogue.get("breathing").resolve(**(action.get("params") or {}))
    except (catalogue.ParamError, TypeError):
        return catalogue.get("breathing").resolve()


def start_tones(hi, action: dict):
    asked = _params(action)
    track = tones.spec(asked["pattern"], asked["minutes"])
    params = {**asked, "minutes": track.minutes}     # as long as the track is (box: its cap)
    _cache(hi).warm(track)        # built while the introduction is said
    state.session(hi).pop("practice", None)
    token = _remember(hi, track, params, 0)
    hi.response_builder.add_directive(_play(hi, track, token, 0))
    holds = breathing.holds_breath(params["pattern"])
    capped = track.minutes < asked["minutes"]
    return reply(hi, dialog(hi, "tones_intro", minutes=track.minutes, holds=holds, capped=capped,
                            help=helplines.for_locale(state.locale(hi)),
                            pattern_title=breathing.patterns()[track.pattern]["title"]),
                 card_title=catalogue.get("breathing").title, card_text=catalogue.get("breathing").summary)


def start_voice(hi, action: dict):
    from skill.handlers.practice import start
    return start(hi, "breathing", _params(action))


def resume_paused(hi, params: dict, offset_ms: int, *before: str):
    """'Yes' to the launch's offer of a track paused last time: play on from its offset. A
    device that cannot play streams gets the spoken turns, from the one the offset fell in."""
    if not tones_possible(hi):
        from skill.handlers.practice import play_turn
        turns = render.render("breathing", state.locale(hi), state.rate(hi), **params)
        elapsed_s, turn = offset_ms / 1000, 0
        while turn < len(turns) - 1 and elapsed_s >= turns[turn].est_s:
            elapsed_s -= turns[turn].est_s
            turn += 1
        return play_turn(hi, "breathing", params, turn, *before)
    track = tones.spec(params["pattern"], params["minutes"])
    _cache(hi).warm(track)
    token = _remember(hi, track, params, offset_ms)
    hi.response_builder.add_directive(_play(hi, track, token, offset_ms))
    return reply(hi, *before, card_title=catalogue.get("breathing").title,
                 card_text=catalogue.get("breathing").summary)



# ---------------------------------------------------------------- playing

def _cache(hi) -> tones.TrackCache:
    return hi.attributes_manager.request_attributes["track_cache"]


def _play(hi, track: tones.TrackSpec, token: str, offset_ms: int):
    # Imported here, not at the top: a Lambda cold start (a launch) never plays a track.
    from ask_sdk_model.interfaces.audioplayer import (AudioItem, AudioItemMetadata,
                                                      PlayBehavior, PlayDirective, Stream)
    base = hi.attributes_manager.request_attributes["audio_base_url"]
    title = catalogue.get("breathing").title
    return PlayDirective(play_behavior=PlayBehavior.REPLACE_ALL, audio_item=AudioItem(
        stream=Stream(token=token, url=base + audio_route.track_path(track.name),
                      offset_in_milliseconds=max(0, int(offset_ms))),
        metadata=AudioItemMetadata(title=title, subtitle=breathing.patterns()[track.pattern]["title"])))


def _remember(hi, track: tones.TrackSpec, params: dict, offset_ms: int) -> str:
    """A new stream token for the track, from `offset_ms`. Playing on from a place keeps the
    history entry of the listening so far (one practice, however often paused); from the
    start, a new one begins."""
    import uuid   # here: uuid imports platform, which a cold start's launch does not need
    token = f"{TOKEN_PREFIX}{track.name}.{uuid.uuid4().hex[:12]}"
    mem = state.memory(hi)
    if mem is not None:
        before = mem.get("tones") if isinstance(mem.get("tones"), dict) else {}
        mem["tones"] = {"token": token, "track": track.name, "params": params, "offset_ms": offset_ms}
        if offset_ms > 0 and before.get("track") == track.name and isinstance(before.get("entry"), str):
            mem["tones"]["entry"] = before["entry"]
    return token


def _playing(hi) -> dict | None:
    """What the listener's tone track is: the stored record, if it is well-formed."""
    rec = (state.memory(hi) or {}).get("tones")
    if not isinstance(rec, dict) or not isinstance(rec.get("token"), str):
        return None
    params = rec.get("params")
    try:
        params = catalogue.get("breathing").resolve(**params)
        tones.spec(params["pattern"], params["minutes"])
    except (catalogue.ParamError, tones.TrackError, TypeError):
        return None
    return {**rec, "params": params, "offset_ms": int(rec.get("offset_ms") or 0)}


def _context_token(hi) -> str | None:
    player = getattr(hi.request_envelope.context, "audio_player", None)
    token = getattr(player, "token", None)
    return token if isinstance(token, str) and token.startswith(TOKEN_PREFIX) else None


def _context_offset(hi) -> int | None:
    player = getattr(hi.request_envelope.context, "audio_player", None)
    offset = getattr(player, "offset_in_milliseconds", None)
    return int(offset) if isinstance(offset, int) and offset >= 0 else None


def _ours(hi) -> bool:
    """The device's player last played our tone track."""
    return _context_token(hi) is not None


def _request_offset(hi) -> int:
    offset = getattr(hi.request_envelope.request, "offset_in_milliseconds", None)
    return int(offset) if isinstance(offset, int) and offset >= 0 else 0


def _stop():
    from ask_sdk_model.interfaces.audioplayer import StopDirective
    return StopDirective()


def _empty(hi):
    state.save(hi)
    return hi.response_builder.response


def _resume_from(hi, offset_ms: int):
    rec = _playing(hi)
    if rec is None:
        return _empty(hi)
    track = tones.spec(rec["params"]["pattern"], rec["params"]["minutes"])
    _forget_place(hi)
    token = _remember(hi, track, rec["params"], offset_ms)
    hi.response_builder.add_directive(_play(hi, track, token, offset_ms))
    hi.response_builder.set_should_end_session(True)
    return _empty(hi)


def _keep_place(hi, rec: dict, offset_ms: int) -> None:
    """The track stopped partway (a pause, the device's button, another sound taking over,
    a failure): the next launch offers to play on from here, as for the spoken turns."""
    state.memory(hi)["tones"]["offset_ms"] = offset_ms
    state.keep_place(hi, "breathing", rec["params"], 0, offset_ms=offset_ms)


def _forget_place(hi) -> None:
    """The track plays again: its paused place is no longer needed (a spoken one stays)."""
    mem = state.memory(hi) or {}
    paused = mem.get("paused")
    if isinstance(paused, dict) and "offset_ms" in paused:
        mem.pop("paused", None)


def _record(hi, played_ms: int | None, finished: bool) -> None:
    """Progress: a finished track is a finished practice; a stopped one counts how far it
    got, in the same history entry each time it stops (skill.state.record_minutes)."""
    rec = _playing(hi)
    if rec is None:
        return
    mem = state.memory(hi)
    entry = rec.get("entry") if isinstance(rec.get("entry"), str) else None
    if finished:
        state.record_practice(hi, "breathing", rec["params"], None, entry_id=entry)
        mem.pop("tones", None)
    elif played_ms is not None and played_ms >= MIN_RECORDED_S * 1000:
        minutes = round(played_ms / 60000, 1)
        mem["tones"]["entry"] = state.record_minutes(hi, "breathing", minutes, entry)


def _stopped_at(hi, rec: dict, offset_ms: int) -> None:
    """The track stopped at `offset_ms`, for whatever reason: count it, keep the place."""
    _record(hi, offset_ms, finished=False)
    _keep_place(hi, rec, offset_ms)


# ---------------------------------------------------------------- intents while playing

def _intent(hi) -> str | None:
    req = hi.request_envelope.request
    return getattr(getattr(req, "intent", None), "name", None) if req.object_type == "IntentRequest" else None


def _is(names):
    """The track's controls: the player last played our track, and no question of ours is
    waiting (in a conversation, "pause" or "stop" answers it: skill/handlers/answers.py)."""
    return lambda hi: _intent(hi) in names and _ours(hi) and state.asked(hi) is None


def stop_intent(hi):
    """Pause, stop and cancel while the track is ours: stop the stream, count what was
    played and keep the place, as a stop does in the spoken turns (the PlaybackStopped
    that follows, or came first, keeps the same place, to the device's millisecond)."""
    rec, offset = _playing(hi), _context_offset(hi)
    if rec is not None and offset is not None:
        _stopped_at(hi, rec, offset)
    hi.response_builder.add_directive(_stop())
    hi.response_builder.set_should_end_session(True)
    return _empty(hi)


def resume_intent(hi):
    rec = _playing(hi)
    offset = _context_offset(hi)
    return _resume_from(hi, offset if offset is not None else (rec or {}).get("offset_ms", 0))


def restart_intent(hi):
    rec, offset = _playing(hi), _context_offset(hi)
    if rec is not None and offset is not None:
        _record(hi, offset, finished=False)    # the listening so far counts; a new one begins
    return _resume_from(hi, 0)


def idle_intent(hi):
    """Next, repeat, loop, shuffle: one track has none of them. A few words say so (silence
    would sound unheard, and Amazon's audio samples answer so too); with no AudioPlayer
    directive in the response, the track plays on."""
    hi.response_builder.speak(render.speech(dialog(hi, "tones_one_track"), rate=state.rate(hi)))
    hi.response_builder.set_should_end_session(True)
    return _empty(hi)


# ---------------------------------------------------------------- AudioPlayer events

@on_request("AudioPlayer.PlaybackStarted")
def playback_started(hi):
    rec = _playing(hi)
    if rec is not None and getattr(hi.request_envelope.request, "token", None) == rec["token"]:
        _forget_place(hi)
    return _empty(hi)


@on_request("AudioPlayer.PlaybackStopped")
def playback_stopped(hi):
    rec = _playing(hi)
    token = getattr(hi.request_envelope.request, "token", None)
    if rec is not None and token == rec["token"]:
        _stopped_at(hi, rec, _request_offset(hi))
    return _empty(hi)    # no directives allowed in answer to PlaybackStopped


@on_request("AudioPlayer.PlaybackNearlyFinished")
def playback_nearly_finished(hi):
    return _empty(hi)    # one track: nothing to enqueue


@on_request("AudioPlayer.PlaybackFinished")
def playback_finished(hi):
    rec = _playing(hi)
    if rec is not None and getattr(hi.request_envelope.request, "token", None) == rec["token"]:
        _record(hi, None, finished=True)
    return _empty(hi)


@on_request("AudioPlayer.PlaybackFailed")
def playback_failed(hi):
    error = getattr(hi.request_envelope.request, "error", None)
    kind = getattr(getattr(error, "object_type", None), "value", None)
    log.error("tone track failed to play: %s", kind or "unknown")
    rec = _playing(hi)
    if rec is not None:
        _stopped_at(hi, rec, _request_offset(hi))   # "resume", or the next launch, tries again from here
    return _empty(hi)


# ---------------------------------------------------------------- buttons

@on_request("PlaybackController.PauseCommandIssued")
def button_pause(hi):
    hi.response_builder.add_directive(_stop())
    return _empty(hi)


@on_request("PlaybackController.PlayCommandIssued")
def button_play(hi):
    return resume_intent(hi)


@on_request("PlaybackController.PreviousCommandIssued")
def button_previous(hi):
    return restart_intent(hi)


@on_request("PlaybackController.NextCommandIssued")
def button_next(hi):
    return _empty(hi)


def _handler(predicate, fn, name):
    from skill.handlers import Handler
    fn.handler = Handler(predicate, fn, name)
    return fn


_handler(_is(STOP_INTENTS), stop_intent, "tones:stop")
_handler(_is(RESUME_INTENTS), resume_intent, "tones:resume")
_handler(_is(RESTART_INTENTS), restart_intent, "tones:restart")
_handler(_is(IDLE_INTENTS), idle_intent, "tones:idle")

HANDLERS = [stop_intent, resume_intent, restart_intent, idle_intent, playback_started, playback_stopped,
            playback_nearly_finished, playback_finished, playback_failed, button_pause, button_play,
            button_previous, button_next]
