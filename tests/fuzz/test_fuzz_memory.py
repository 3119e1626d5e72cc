"""Stored memory of the wrong shape, fuzzed: a listener's record holds what an older
version, a hand edit or a bug could have left (a paused practice with odd params,
preferences of the wrong type, history entries that are not entries). Then the listener
comes back and talks: launch, yes, resume, continue, "how am I doing?", a practice, a
check-in, pause, "forget me". Every answer keeps the properties of
fuzz_harness.violations, and no handler crashes (a crash here would repeat in every
session, since the record stays).
"""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from ask_sdk_core.exceptions import PersistenceException
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

import fuzz_strategies as fs
from fuzz_harness import assert_ok, next_id, post_json

pytestmark = pytest.mark.fuzz

WORDS = ["launch", "yes", "no", "resume", "continue", "progress", "breathing_no_slots",
         "breathing_three_minutes", "checkin_anxious", "rating_seven", "pause", "speak_slower",
         "checkin_preference_off", "repeat", "start_over", "forget_me", "help", "stop"]


@settings(derandomize=True, database=None, deadline=None, print_blob=False,
          suppress_health_check=list(HealthCheck), max_examples=400)
@given(memory=fs.stored_memory(), words=st.lists(st.sampled_from(WORDS), min_size=2, max_size=6),
       locale=st.sampled_from(fs.LOCALES))
def test_stored_memory_of_the_wrong_shape(dev_app, dev_client, memory, words, locale):
    user = next_id("amzn1.ask.account.MEMORY")
    adapter = dev_app.extensions["compassion_coach"]["skill"].persistence_adapter
    try:
        adapter.save_attributes(SimpleNamespace(
            context=SimpleNamespace(system=SimpleNamespace(user=SimpleNamespace(user_id=user))),
            session=None, request=SimpleNamespace(request_id=next_id("seed"))), memory)
    except PersistenceException:
        reject()   # not storable at all (e.g. a lone surrogate): no record can hold it
    session_id, attributes, new = next_id("amzn1.echo-api.session"), {}, True
    for word in ["launch", *words]:
        env = fs.fresh_envelope(word, user_id=user, locale=locale)
        env["session"].update({"new": new, "sessionId": session_id, "attributes": attributes})
        outcome = post_json(dev_client, env)
        assert_ok(outcome, env, tampered_session=True)
        attributes = outcome.json.get("sessionAttributes") or {}
        new = False
        if outcome.json["response"].get("shouldEndSession", True) is not False:
            session_id, attributes, new = next_id("amzn1.echo-api.session"), {}, True
