"""Conversation tests written as dialogues (tests/dialogues/*.txt), run through the real
Flask webhook, the real ASK SDK and a real SQLite file.

Format, one line each:
    # a comment                     ignored
    locale: en-GB                   before the first turn (default en-US)
    device: audio                   before the first turn: the device plays streams (AudioPlayer);
                                    it answers Play and Stop directives with PlaybackStarted and
                                    PlaybackStopped, as a device does
    > open compassion coach         the listener speaks: routed to an intent the way Alexa would
    > ask compassion coach for three minutes of breathing     a one-shot: a new session
    > (silence)                     once: Alexa plays the reprompt; twice: the session ends
                                    (SessionEndedRequest, EXCEEDED_MAX_REPROMPTS)
    > (session ended)               SessionEndedRequest, USER_INITIATED (or "(session ended: ERROR)")
    > (later: 3 hours)              time passes: the listener's paused place moves back
    > (plays for 90 seconds)        the tone track plays on (device: audio); "pause", "resume"
                                    and the like said while it plays go to the skill without
                                    its name, in a new session, as on Alexa
    < q:turn_break                  the response asks that question (skill/questions.py)
    < intent:RatingIntent           the words were routed to that intent
    < practice:breathing minutes=10 a practice is under way, with those parameters
    < paused:breathing              the listener's memory holds a paused place in it
    < ends                          the session ended
    < elicit:minutes                the response asks Alexa to elicit that slot
    < audio:play offset=90000       the response plays the tone track (from that offset)
    < audio:stop   audio:none       the response stops it / has no AudioPlayer directive
    < "words"   or   < !"words"     the speech (or the reprompt just played) says / does not say them
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from skill import catalogue, ssml
from skill.tools import envelopes

try:   # the safety work's stand-in for Alexa's understanding
    from skill.tools.nlu_standin import route as _standin_route
except ImportError:   # not merged yet: the offline matcher's exact samples and built-ins
    _standin_route = None
from skill.tools import interaction_model as im
from skill.tools import utterances

DIALOGUES_DIR = Path(__file__).resolve().parent
APP_ID = "amzn1.ask.skill.00000000-0000-4000-8000-00000c0ac4c1"
INVOCATION = "compassion coach"
LAUNCH_RE = re.compile(rf"^(?:alexa,? )?(?:open|launch|start|talk to) {INVOCATION}$")
ONE_SHOT_RE = re.compile(rf"^(?:alexa,? )?(?:ask|tell) {INVOCATION}(?: (?:to|for|about|if|whether|and))? (.+)$")
LATER_RE = re.compile(r"^\(later: (\d+) (minute|minutes|hour|hours|day|days)\)$")
PLAYS_RE = re.compile(r"^\(plays for (\d+) (second|seconds|minute|minutes)\)$")
UNIT_MS = {"second": 1000, "seconds": 1000, "minute": 60_000, "minutes": 60_000}
AUDIO_DEVICE = {"AudioPlayer": {}}
UNIT_MIN = {"minute": 1, "minutes": 1, "hour": 60, "hours": 60, "day": 1440, "days": 1440}


@dataclass
class Routed:
    intent: str
    slots: dict = field(default_factory=dict)


def route(text: str, locale: str) -> Routed:
    """The intent and slots Alexa would most likely send. Built-in phrases ("yes", "sure",
    "skip", "never mind") first: Alexa's built-in intents know them without samples."""
    norm = im.normalize_sample(text)
    for intent, phrases in im.builtin_phrases(locale).items():
        if norm in {im.normalize_sample(p) for p in phrases}:
            return Routed(intent)
    if _standin_route is not None:
        r = _standin_route(text, locale)
        return Routed(r.intent, dict(r.slots))
    m = utterances.match(text, locale)
    if m is None:
        return Routed("LaunchRequest")
    return Routed(m.intent, dict(m.slots))


@dataclass
class Turn:
    said: str
    expect: list[str]
    line: int


@dataclass
class Dialogue:
    name: str
    locale: str
    turns: list[Turn]
    device: str = ""


def parse(path: Path) -> Dialogue:
    locale, device, turns = "en-US", "", []
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("locale:"):
            locale = line.split(":", 1)[1].strip()
        elif line.startswith("device:"):
            device = line.split(":", 1)[1].strip()
        elif line.startswith(">"):
            turns.append(Turn(line[1:].strip(), [], n))
        elif line.startswith("<"):
            if not turns:
                raise ValueError(f"{path.name}:{n}: an expectation before anything was said")
            turns[-1].expect.append(line[1:].strip())
        else:
            raise ValueError(f"{path.name}:{n}: lines start with >, <, #, locale: or device:")
    return Dialogue(path.stem, locale, turns, device)


def all_dialogues() -> list[Path]:
    return sorted(DIALOGUES_DIR.glob("*.txt"))


class Runner:
    """One listener on one device, through the app's test client."""

    def __init__(self, app, locale: str, device: str = ""):
        self.app, self.client, self.locale = app, app.test_client(), locale
        self.audio = device == "audio"
        self.player = {"token": None, "offset_ms": 0, "activity": "IDLE"}   # the device's AudioPlayer
        self.user_id = "amzn1.ask.account.DIALOGUE" + re.sub(r"\W", "", str(id(self)))
        self.session = None          # envelopes.Session while a session is open
        self.body = None             # the last response body
        self.routed = None
        self.heard = ""              # what the listener last heard (speech or reprompt)
        self.silences = 0
        self.sent_intent = None
        self.broken = []             # responses that break a session rule (session_rule_problems)

    # -------------------------------------------------------------- sending

    def _post(self, env: dict) -> dict:
        if self.audio:
            env["context"]["System"]["device"]["supportedInterfaces"] = dict(AUDIO_DEVICE)
            if self.player["token"]:
                env["context"]["AudioPlayer"] = {"token": self.player["token"], "playerActivity":
                                                 self.player["activity"], "offsetInMilliseconds": self.player["offset_ms"]}
        res = self.client.post("/alexa", json=env)
        assert res.status_code == 200, res.get_data(as_text=True)[:300]
        body = res.get_json()
        self._player_follows(body)
        return body

    # -------------------------------------------------------------- the device's player

    def _player_follows(self, body: dict):
        """Play and Stop directives, answered the way a device answers them."""
        for d in (body.get("response") or {}).get("directives") or []:
            if d.get("type") == "AudioPlayer.Play":
                stream = d["audioItem"]["stream"]
                self.player.update(token=stream["token"], offset_ms=stream.get("offsetInMilliseconds", 0),
                                   activity="PLAYING")
                self._event("AudioPlayer.PlaybackStarted")
            elif d.get("type") == "AudioPlayer.Stop" and self.player["activity"] == "PLAYING":
                self.player["activity"] = "STOPPED"
                self._event("AudioPlayer.PlaybackStopped")

    def _event(self, kind: str):
        env = envelopes.launch_request(self.locale, user_id=self.user_id, application_id=APP_ID)
        env.pop("session")
        env["request"] = {"type": kind, "requestId": env["request"]["requestId"], "locale": self.locale,
                          "timestamp": env["request"]["timestamp"], "token": self.player["token"],
                          "offsetInMilliseconds": self.player["offset_ms"]}
        body = self._post(env)
        response = body.get("response") or {}
        assert not response.get("outputSpeech") and not response.get("reprompt"), f"{kind} answered with speech"

    def _plays(self, ms: int):
        assert self.player["activity"] == "PLAYING", f"the track is not playing: {self.player['activity']}"
        self.player["offset_ms"] += ms

    def _respond(self, env: dict):
        body = self._post(env)
        self.body, self.silences = body, 0
        self.broken += session_rule_problems(body["response"])
        said = (body["response"].get("outputSpeech") or {}).get("ssml")
        self.heard = ssml.plain_text(said) if said else ""   # the track's controls say nothing
        if body["response"].get("shouldEndSession", True):
            self.session = None
        else:
            self.session.attributes = body.get("sessionAttributes") or {}

    def say(self, text: str):
        lowered = " ".join(text.lower().replace(",", " ").split())
        if text == "(silence)":
            return self._silence()
        if text.startswith("(session ended"):
            reason = "ERROR" if "error" in text.lower() else "USER_INITIATED"
            return self._end(reason)
        later = LATER_RE.match(text)
        if later:
            return self._later(int(later.group(1)) * UNIT_MIN[later.group(2)])
        plays = PLAYS_RE.match(text)
        if plays:
            return self._plays(int(plays.group(1)) * UNIT_MS[plays.group(2)])
        if LAUNCH_RE.match(lowered):
            self.session = envelopes.new_session(self.locale, user_id=self.user_id, application_id=APP_ID)
            self.routed, self.sent_intent = Routed("LaunchRequest"), "LaunchRequest"
            return self._respond(envelopes.launch_request(self.locale, session=self.session))
        one_shot = ONE_SHOT_RE.match(lowered)
        if one_shot:
            self.session = envelopes.new_session(self.locale, user_id=self.user_id, application_id=APP_ID)
            text = one_shot.group(1)
        if self.session is None and self.player["token"]:
            # the player's controls need no invocation name: a new session, as on Alexa
            self.session = envelopes.new_session(self.locale, user_id=self.user_id, application_id=APP_ID)
        if self.session is None:
            raise AssertionError(f"{text!r} said with no session open: start with 'open compassion coach'")
        self.routed = route(text, self.locale)
        self.sent_intent = self.routed.intent
        if self.routed.intent == "LaunchRequest":
            return self._respond(envelopes.launch_request(self.locale, session=self.session))
        env = envelopes.intent_request(self.routed.intent, self.routed.slots, self.locale, session=self.session)
        return self._respond(env)

    def _silence(self):
        assert self.session is not None and self.body is not None, "(silence) with no session open"
        self.silences += 1
        if self.silences == 1:   # Alexa says the reprompt and listens again
            reprompt = (self.body["response"].get("reprompt") or {}).get("outputSpeech", {}).get("ssml", "")
            assert reprompt, "the session was open with no reprompt"
            self.heard = ssml.plain_text(reprompt)
            return
        self._end("EXCEEDED_MAX_REPROMPTS")

    def _end(self, reason: str):
        assert self.session is not None, "(session ended) with no session open"
        env = envelopes.session_ended_request(reason, self.locale, session=self.session)
        body = self._post(env)
        assert not (body.get("response") or {}).get("outputSpeech"), "no speech after the session ends"
        self.session, self.body, self.heard, self.silences = None, body, "", 0

    def _memory(self) -> dict:
        adapter = self.app.extensions["compassion_coach"]["skill"].persistence_adapter
        return adapter, SimpleNamespace(
            context=SimpleNamespace(system=SimpleNamespace(user=SimpleNamespace(user_id=self.user_id))),
            session=None, request=SimpleNamespace(request_id="amzn1.echo-api.request.dialogue"))

    def memory(self) -> dict:
        adapter, env = self._memory()
        return adapter.get_attributes(env)

    def _later(self, minutes: int):
        adapter, env = self._memory()
        attrs = adapter.get_attributes(env)
        paused = attrs.get("paused")
        if isinstance(paused, dict) and paused.get("at"):
            at = dt.datetime.fromisoformat(paused["at"]) - dt.timedelta(minutes=minutes)
            paused["at"] = at.isoformat(timespec="seconds")
            adapter.save_attributes(env, attrs)

    # -------------------------------------------------------------- checking

    def check(self, expectation: str) -> str | None:
        """None if the expectation holds, else what was found instead."""
        body = self.body or {}
        response = body.get("response") or {}
        attrs = body.get("sessionAttributes") or {}
        kind, _, rest = expectation.partition(":")
        if expectation.startswith('!"'):
            words = expectation[2:-1]
            return None if words.lower() not in self.heard.lower() else f"said {words!r}: {self.heard!r}"
        if expectation.startswith('"'):
            words = expectation[1:-1]
            return None if words.lower() in self.heard.lower() else f"heard {self.heard!r}"
        if expectation == "ends":
            return None if response.get("shouldEndSession", True) else f"open, asking {attrs.get('asked')}"
        if kind == "q":
            asked = (attrs.get("asked") or {}).get("q") if response.get("shouldEndSession") is False else None
            return None if asked == rest.strip() else f"asked {asked!r}: {self.heard!r}"
        if kind == "intent":
            return None if self.sent_intent == rest.strip() else f"routed to {self.sent_intent}"
        if kind == "practice":
            name, *params = rest.split()
            p = attrs.get("practice") or {}
            if not p and (response.get("card") or {}).get("title") == catalogue.get(name).title:
                return None   # a one-turn practice: spoken whole, already finished
            if p.get("id") != name:
                return f"practice {p.get('id')!r}"
            for kv in params:
                k, v = kv.split("=")
                got = p.get("turn") if k == "turn" else (p.get("params") or {}).get(k)
                if str(got) != v:
                    return f"{k}={got}"
            return None
        if kind == "paused":
            paused = self.memory().get("paused") or {}
            want = rest.strip()
            if want == "none":
                return None if not paused else f"paused {paused.get('id')}"
            return None if paused.get("id") == want else f"paused {paused.get('id')!r}"
        if kind == "elicit":
            for d in response.get("directives") or []:
                if d.get("type") == "Dialog.ElicitSlot" and d.get("slotToElicit") == rest.strip():
                    return None
            return f"directives {json.dumps(response.get('directives'))}"
        if kind == "audio":
            want, *params = rest.split()
            found = [d for d in response.get("directives") or [] if d.get("type", "").startswith("AudioPlayer.")]
            types = [d["type"] for d in found]
            if want == "none":
                return None if not found else f"directives {types}"
            if want == "stop":
                return None if types == ["AudioPlayer.Stop"] else f"directives {types}"
            if want == "play":
                if types != ["AudioPlayer.Play"]:
                    return f"directives {types}"
                stream = found[0]["audioItem"]["stream"]
                for kv in params:
                    k, v = kv.split("=")
                    got = stream.get("offsetInMilliseconds") if k == "offset" else stream.get(k)
                    if str(got) != v:
                        return f"{k}={got}"
                return None
        raise ValueError(f"unknown expectation {expectation!r}")


def session_rule_problems(response: dict) -> list[str]:
    """Amazon's session management test, on every response: a response that keeps the session
    open asks a question and has a reprompt that asks it too; one that ends the session asks
    nothing; a card is plain text."""
    said = (response.get("outputSpeech") or {}).get("ssml")
    text = ssml.plain_text(said).strip() if said else ""
    again = ((response.get("reprompt") or {}).get("outputSpeech") or {}).get("ssml")
    card = response.get("card") or {}
    problems = []
    if response.get("shouldEndSession") is False:
        if not again or not ssml.plain_text(again).strip().endswith("?"):
            problems.append(f"open without a question in the reprompt: {again!r}")
        if said and not text.endswith("?"):
            problems.append(f"open, but the speech asks nothing: ...{text[-60:]!r}")
    elif text.endswith("?"):
        problems.append(f"asks a question and ends the session: ...{text[-60:]!r}")
    if re.search(r"<[a-zA-Z/]", card.get("content") or card.get("text") or ""):
        problems.append("a card shows markup")
    return problems


def run(app, dialogue: Dialogue) -> list[str]:
    """Every failed expectation, as 'line N: expectation: found'."""
    runner = Runner(app, dialogue.locale, dialogue.device)
    failures = []
    for turn in dialogue.turns:
        try:
            runner.say(turn.said)
        except AssertionError as err:
            return failures + [f"line {turn.line}: {turn.said!r}: {err}"]
        for expectation in turn.expect:
            problem = runner.check(expectation)
            if problem:
                failures.append(f"line {turn.line} {turn.said!r} -> {expectation}: {problem}")
        failures += [f"line {turn.line} {turn.said!r}: {p}" for p in runner.broken]
        runner.broken = []
    return failures
