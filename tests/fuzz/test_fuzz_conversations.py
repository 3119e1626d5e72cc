"""Whole conversations, fuzzed: a Hypothesis state machine plays a listener who says
anything in any order (every request fixture, realistic and hostile slot values, new
sessions), carrying session attributes from turn to turn exactly as Alexa does.

Properties, on every turn: those of fuzz_harness.violations, and no handler crash at
all while the session attributes are the skill's own (what it sent back last turn). A
"tamper" step replaces one session attribute with a shape the skill never wrote, as a
forged or corrupted request would; from then until the session ends a crash is put
down to known BUG-2 (see test_fuzz_product_bugs.py), never a 5xx or invalid SSML.
"""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule, \
    run_state_machine_as_test

import fuzz_strategies as fs
from ask_sdk_model import RequestEnvelope

from fuzz_harness import STATS, assert_ok, next_id, post_json

pytestmark = pytest.mark.fuzz

SAYABLE = [n for n in fs.FIXTURE_NAMES]
REALISTIC_SLOTS = {
    "minutes": st.sampled_from(["1", "2", "3", "5", "10", "20", "0", "21", "two", "?"]),
    "rating": st.sampled_from([str(i) for i in range(11)] + ["11", "-1", "7.5", "?"]),
    "pattern": st.sampled_from(["soothing", "even", "sigh", "box", "4-7-8", "fire"]),
    "feeling": st.sampled_from(["anxious", "self-critical", "sad", "lonely", "angry"]),
    "speed": st.sampled_from(["slower", "normal", "faster"]),
    "toggle": st.sampled_from(["on", "off"]),
}


class Conversation(RuleBasedStateMachine):
    client = app = None   # set by the test below

    @initialize(locale=st.sampled_from(fs.LOCALES))
    def start(self, locale):
        self.locale = locale
        self.user_id = next_id("amzn1.ask.account.CONVERSATION")
        self.turns = 0
        self._new_session()

    def _new_session(self):
        self.session_id = next_id("amzn1.echo-api.session")
        self.attributes, self.new, self.tampered = {}, True, False

    def _say(self, name: str, slot_values: dict | None = None):
        env = fs.fresh_envelope(name, user_id=self.user_id, locale=self.locale)
        if "session" in env:
            env["session"].update({"new": self.new, "sessionId": self.session_id,
                                   "attributes": json.loads(json.dumps(self.attributes))})
        slots = (env["request"].get("intent") or {}).get("slots") or {}
        for slot_name, value in (slot_values or {}).items():
            if slot_name in slots:
                slots[slot_name]["value"] = value
                slots[slot_name].pop("resolutions", None)
                slots[slot_name].pop("slotValue", None)
        outcome = post_json(self.client, env)
        assert_ok(outcome, env, tampered_session=self.tampered)
        self.turns += 1
        if outcome.status != 200 or "session" not in env:
            return
        body = outcome.json
        self.attributes = body.get("sessionAttributes") or {}
        self.new = False
        if body["response"].get("shouldEndSession", True) is not False \
                and env["request"]["type"] != "CanFulfillIntentRequest":
            self._new_session()

    @rule(name=st.sampled_from(SAYABLE), data=st.data())
    def say(self, name, data):
        slot_values = {}
        env = json.loads(fs._fixture_text(name))
        for slot_name in ((env["request"].get("intent") or {}).get("slots") or {}):
            choice = data.draw(st.integers(0, 5))
            if choice == 0:
                slot_values[slot_name] = data.draw(fs.slot_value_text)
            elif choice <= 2 and slot_name in REALISTIC_SLOTS:
                slot_values[slot_name] = data.draw(REALISTIC_SLOTS[slot_name])
        self._say(name, slot_values)

    @precondition(lambda self: "practice" in self.attributes)
    @rule(word=st.sampled_from(["continue", "continue", "continue", "next", "tell_me_more",
                                "repeat", "start_over", "pause", "resume"]))
    def go_on(self, word):
        """Weighted towards finishing practices, so history and ratings are exercised."""
        self._say(word)

    @precondition(lambda self: (self.attributes.get("rating") or {}).get("stage") in ("before", "after")
                  if isinstance(self.attributes.get("rating"), dict) else False)
    @rule(value=REALISTIC_SLOTS["rating"])
    def give_rating(self, value):
        self._say("rating_seven", {"rating": value})

    @rule(feeling=st.sampled_from(["checkin_anxious", "checkin_self_critical"]),
          before=REALISTIC_SLOTS["rating"], after=REALISTIC_SLOTS["rating"],
          max_turns=st.integers(0, 12))
    def check_in_and_rate(self, feeling, before, after, max_turns):
        """The whole check-in path (feeling, yes, rating before, the practice, rating
        after), which random steps alone rarely complete."""
        self._say(feeling)
        self._say("yes")
        self._say("rating_seven", {"rating": before})
        for _ in range(max_turns):
            if "practice" not in self.attributes:
                break
            self._say("continue")
        self._say("rating_seven", {"rating": after})

    @rule()
    def hang_up(self):
        self._say("session_ended")
        self._new_session()

    def teardown(self):
        """Count what the conversations left in storage (shown in the run's summary)."""
        skill = self.app.extensions["compassion_coach"]["skill"]
        env = fs.fresh_envelope("help", user_id=getattr(self, "user_id", "nobody"))
        stored = skill.persistence_adapter.get_attributes(
            skill.serializer.deserialize(json.dumps(env), RequestEnvelope))
        history = stored.get("history") or []
        STATS["conversations"]["history records stored"] += len(history)
        STATS["conversations"]["rated before and after"] += sum(
            1 for h in history if isinstance(h, dict) and h.get("before") is not None
            and h.get("after") is not None)
        STATS["conversations"]["conversations"] += 1

    @rule(key=st.sampled_from(sorted(fs.SESSION_KEYS)), data=st.data())
    def tamper(self, key, data):
        if data.draw(st.integers(0, 3)) != 0:   # rare: most conversations stay honest
            return
        self.attributes[key] = data.draw(fs.SESSION_KEYS[key])
        self.tampered = True


def test_fuzzed_conversations(dev_app, dev_client):
    Conversation.client, Conversation.app = dev_client, dev_app
    run_state_machine_as_test(Conversation, settings=settings(
        max_examples=150, stateful_step_count=20, derandomize=True, database=None,
        deadline=None, print_blob=False, suppress_health_check=list(HealthCheck)))
