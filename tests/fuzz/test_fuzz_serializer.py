"""skill.serializer.FastSerializer against the SDK's DefaultSerializer on fuzzed envelopes:
the same model (models compare by attributes) or both a SerializationException, and the
same JSON when the model is written back."""
from __future__ import annotations

import json

import pytest
from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fuzz_strategies as fs
from skill.serializer import FastSerializer

pytestmark = pytest.mark.fuzz

FUZZ = settings(derandomize=True, database=None, deadline=None, print_blob=False,
                suppress_health_check=list(HealthCheck), max_examples=1500)
SDK, OURS = DefaultSerializer(), FastSerializer()   # shared: our caches fill as they would


def _read(serializer, text):
    try:
        return serializer.deserialize(text, RequestEnvelope)
    except SerializationException:
        return SerializationException


@FUZZ
@given(st.one_of(fs.structurally_mutated(), fs.slot_fuzzed(), fs.session_fuzzed(),
                 fs.kinds_fuzzed()))
def test_fuzzed_envelopes_read_and_write_the_same(envelope):
    text = json.dumps(envelope)
    theirs, ours = _read(SDK, text), _read(OURS, text)
    assert ours == theirs
    if theirs is not SerializationException:
        assert json.dumps(OURS.serialize(ours)) == json.dumps(SDK.serialize(theirs))
