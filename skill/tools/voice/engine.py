"""The speech engine interface the runner uses, and its pyttsx3 implementation."""
from __future__ import annotations

import functools
import importlib.metadata
import json
import math
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from skill.timeline import NORMAL_RATE_PCT

from .audio import Audio, read_wav

# espeak-ng words per minute for rate 100 %, so the real voice keeps the pace the SSML was
# written for: the player keeps time by the renderer's estimate (skill.ssml.estimate_speech_s,
# fitted to espeak-ng at its default 175 wpm), and a voice slower than the estimate squeezes
# the pauses after it. Over the 156 practice sentences of 6+ words at 90 %, real length /
# estimate is (python -m benchmarks.calibrate_speech prints it): 175 wpm 0.97 median but
# 1.05 at p90, 185 wpm 0.92 median, 1.01 at p90: pauses grow a little, rarely shrink.
BASE_RATE_WPM = 185
# espeak-ng's accepted range; outside it the rate is silently clamped by espeak anyway.
MIN_RATE_WPM = 80
MAX_RATE_WPM = 450
# pyttsx3's volume property is 0..1, where 1 is the driver's normal loudness (0 dB).
MAX_PYTTSX3_VOLUME = 1.0
# espeak-ng voice variant used for <amazon:effect name="whispered">.
WHISPER_VARIANT = "whisper"
# Each worker process gets this long, plus a little per character of text; espeak-ng
# synthesizes ~100x faster than real time, so hitting it means pyttsx3 hung.
SYNTH_TIMEOUT_BASE_S = 15.0
SYNTH_TIMEOUT_PER_CHAR_S = 0.02
# The rate pyttsx3's espeak driver writes its WAV files at.
PYTTSX3_SAMPLE_RATE_HZ = 22050
SYNTH_ATTEMPTS = 2  # one retry: a hang is rare and does not repeat in a fresh process
WORKER_EXIT_RETRY = 75  # the worker's "stalled, try again" status (EX_TEMPFAIL)

_WORKER = Path(__file__).with_name("_pyttsx3_worker.py")


class SynthesisError(RuntimeError):
    """The engine could not produce audio for a text."""


class VoiceNotFound(LookupError):
    """No installed voice matches the requested id or name."""


@dataclass(frozen=True)
class VoiceInfo:
    id: str
    name: str
    languages: tuple[str, ...] = ()
    gender: str | None = None


@runtime_checkable
class Engine(Protocol):
    """What the player and the WAV writer need from a text-to-speech engine."""

    @property
    def cache_key(self) -> str:
        """Identifies everything besides the step that changes the audio (engine, voice)."""

    def synthesize(self, text: str, rate_pct: float = NORMAL_RATE_PCT, volume_db: float = 0.0,
                   whispered: bool = False) -> Audio:
        """The words as audio, exactly as the engine renders them (not trimmed)."""

    def voices(self) -> list[VoiceInfo]:
        """Installed voices."""


def rate_wpm(rate_pct: float) -> int:
    """Words per minute for an SSML rate percentage, around BASE_RATE_WPM."""
    return max(MIN_RATE_WPM, min(MAX_RATE_WPM, round(BASE_RATE_WPM * rate_pct / NORMAL_RATE_PCT)))


def pyttsx3_volume(volume_db: float) -> float:
    """pyttsx3 volume (0..1, linear amplitude) for a gain in dB relative to normal.

    Louder than normal is capped: pyttsx3 defines 1.0 as its maximum.
    """
    if volume_db == -math.inf:
        return 0.0
    return round(min(MAX_PYTTSX3_VOLUME, 10 ** (volume_db / 20)), 4)


def select_voice(voices: list[VoiceInfo], wanted: str) -> VoiceInfo:
    """The voice whose id, id without its group ("en-us" for "gmw/en-us") or name is
    `wanted` (case-insensitive), else the only one containing it. Raises VoiceNotFound
    when none or several match."""
    key = wanted.strip().lower()
    for exact in (lambda v: v.id.lower() == key, lambda v: v.id.lower().rsplit("/", 1)[-1] == key,
                  lambda v: v.name.lower() == key):
        hits = [v for v in voices if exact(v)]
        if hits:
            return hits[0]
    hits = [v for v in voices if key in v.id.lower() or key in v.name.lower()]
    if len(hits) == 1:
        return hits[0]
    if not hits:
        raise VoiceNotFound(f"no voice matches {wanted!r}; list the voices to see what is installed")
    shown = ", ".join(f"{v.id} ({v.name})" for v in hits[:6])
    more = f" and {len(hits) - 6} more" if len(hits) > 6 else ""
    raise VoiceNotFound(f"{len(hits)} voices match {wanted!r}: {shown}{more}; be more specific")


@functools.cache
def _pyttsx3_version() -> str:
    try:
        return importlib.metadata.version("pyttsx3")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


class Pyttsx3Engine:
    """pyttsx3 (espeak-ng on Linux), one short-lived worker process per utterance.

    `voice` is an id or name (substring) from voices(); None means the driver's default.
    `driver` is a pyttsx3 driver name (None: the platform default).
    """

    def __init__(self, voice: str | None = None, driver: str | None = None,
                 python: str = sys.executable) -> None:
        self._driver = driver
        self._python = python
        self._voices: list[VoiceInfo] | None = None
        self.voice_id: str | None = select_voice(self.voices(), voice).id if voice else None

    @property
    def is_espeak(self) -> bool:
        return self._driver == "espeak" or (self._driver is None and sys.platform.startswith("linux"))

    @property
    def cache_key(self) -> str:
        # The pyttsx3 version is part of it: a new driver may render differently.
        return f"pyttsx3-{_pyttsx3_version()}:{self._driver or 'default'}:{self.voice_id or 'default'}"

    def voices(self) -> list[VoiceInfo]:
        if self._voices is None:
            with tempfile.TemporaryDirectory(prefix="cc-voice-") as tmp:
                out = Path(tmp) / "voices.json"
                self._run({"op": "voices", "driver": self._driver, "out": str(out)}, SYNTH_TIMEOUT_BASE_S)
                raw = json.loads(out.read_text(encoding="utf-8"))
            self._voices = [VoiceInfo(v["id"], v["name"], tuple(v["languages"]), v["gender"]) for v in raw]
        return self._voices

    def synthesize(self, text: str, rate_pct: float = NORMAL_RATE_PCT, volume_db: float = 0.0,
                   whispered: bool = False) -> Audio:
        if not text.strip():
            return Audio(b"", PYTTSX3_SAMPLE_RATE_HZ)  # pyttsx3 asserts on empty text; silence has no words
        # Other drivers have no whisper variant: they speak whispered text in the normal voice.
        whisper = WHISPER_VARIANT if whispered and self.is_espeak else None
        with tempfile.TemporaryDirectory(prefix="cc-voice-") as tmp:
            out = Path(tmp) / "speech.wav"
            request = {"op": "synth", "driver": self._driver, "text": text, "out": str(out),
                       "rate_wpm": rate_wpm(rate_pct), "volume": pyttsx3_volume(volume_db),
                       "voice": self.voice_id, "variant": whisper, "check_voice": self.is_espeak}
            timeout_s = SYNTH_TIMEOUT_BASE_S + SYNTH_TIMEOUT_PER_CHAR_S * len(text)
            # The worker gives up a little before it would be killed, to say why.
            request["finish_timeout_s"] = max(0.1, timeout_s - 2.0)
            self._run(request, timeout_s)
            if not out.exists() or out.stat().st_size == 0:
                raise SynthesisError(f"pyttsx3 wrote no audio for {text[:40]!r}")
            return read_wav(out)

    def _run(self, request: dict, timeout_s: float) -> None:
        args = [self._python, str(_WORKER), json.dumps(request)]
        error = ""
        for _attempt in range(SYNTH_ATTEMPTS):
            try:
                done = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                      stdin=subprocess.DEVNULL, timeout=timeout_s,
                                      env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
            except subprocess.TimeoutExpired:  # run() has killed the worker
                error = f"pyttsx3 did not finish within {timeout_s:.0f} s"
                continue
            if done.returncode == 0:
                return
            lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
            error = f"pyttsx3 failed: {lines[-1] if lines else f'exit status {done.returncode}'}"
            if done.returncode != WORKER_EXIT_RETRY:
                break
        raise SynthesisError(error)
