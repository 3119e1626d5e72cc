"""Shared real-engine fixtures: one pyttsx3/espeak-ng engine and speech cache per session,
so each distinct cue is synthesized once however many tests use it. No skipping when
espeak-ng is missing: these tests exist to prove the real voice works."""
from __future__ import annotations

import pytest

from skill.tools.voice import Pyttsx3Engine, SpeechCache


@pytest.fixture(scope="session")
def real_engine() -> Pyttsx3Engine:
    return Pyttsx3Engine()


@pytest.fixture(scope="session")
def speech(real_engine) -> SpeechCache:
    return SpeechCache(real_engine)
