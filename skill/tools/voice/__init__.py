"""Offline voice for the practices: speak a timeline live, or render it to a WAV file.

    from skill.tools.voice import render_wav, play
    report = render_wav(steps, "practice.wav")          # no audio device needed
    play(steps, on_progress=lambda i, elapsed, remaining: ...)

Both measure each distinct cue with the real voice once and give the difference between
its estimate and its real length to the following pause (see pacing.py).
"""
from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from skill.timeline import Step

from .audio import Audio
from .cache import SpeechCache
from .engine import (BASE_RATE_WPM, Engine, Pyttsx3Engine, SynthesisError, VoiceInfo,
                     VoiceNotFound)
from .pacing import PacingClock, StepTime
from .player import (AudioOutput, AudioOutputError, NoAudioOutput, PlayReport, ProgressCallback,
                     find_audio_output, play_timeline)
from .wav import WavReport, write_timeline_wav

__all__ = [
    "Audio", "AudioOutput", "AudioOutputError", "BASE_RATE_WPM", "Engine", "NoAudioOutput",
    "PacingClock", "PlayReport", "ProgressCallback", "Pyttsx3Engine", "SpeechCache", "StepTime",
    "SynthesisError", "VoiceInfo", "VoiceNotFound", "WavReport", "find_audio_output",
    "list_voices", "play", "render_wav",
]


def _speech(engine: Engine | None, voice: str | None, cache_dir, speech: SpeechCache | None) -> SpeechCache:
    if speech is not None:
        return speech
    return SpeechCache(engine if engine is not None else Pyttsx3Engine(voice=voice), cache_dir)


def render_wav(steps: Sequence[Step], path: str | Path, engine: Engine | None = None, *,
               voice: str | None = None, cache_dir: str | Path | None = None,
               speech: SpeechCache | None = None, sample_rate: int | None = None) -> WavReport:
    """Write the timeline to a mono 16-bit WAV with corrected pauses.

    engine: default Pyttsx3Engine(voice). speech: a SpeechCache to reuse across calls
    (overrides engine/voice/cache_dir). cache_dir: keep measured cues on disk.
    """
    return write_timeline_wav(steps, path, _speech(engine, voice, cache_dir, speech), sample_rate)


def play(steps: Sequence[Step], engine: Engine | None = None, *, voice: str | None = None,
         cache_dir: str | Path | None = None, speech: SpeechCache | None = None,
         output: AudioOutput | None = None, on_progress: ProgressCallback | None = None,
         stop: threading.Event | None = None) -> PlayReport:
    """Speak the timeline now. Raises NoAudioOutput before any synthesis when no player is
    found or none can play; Ctrl-C stops the sound at once and raises KeyboardInterrupt."""
    output = output or find_audio_output(probe=True)
    return play_timeline(steps, _speech(engine, voice, cache_dir, speech), output, on_progress, stop)


def list_voices(engine: Engine | None = None) -> list[VoiceInfo]:
    return (engine or Pyttsx3Engine()).voices()
