"""A whole timeline to one WAV file: speech from the engine, pauses as exact zero samples.

No audio device is involved and nothing waits on the clock, so it runs far faster than
real time (the speech cache does the slow part once per distinct cue).
"""
from __future__ import annotations

import os
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from skill.timeline import Step

from .audio import PCM16_SAMPLE_WIDTH_BYTES
from .cache import SpeechCache
from .pacing import Schedule, StepTime, schedule

# Used when the timeline has no speech to take the rate from (espeak-ng's native rate).
DEFAULT_SAMPLE_RATE_HZ = 22050
# Silence is written in blocks of this many samples, so a long pause needs no big buffer.
SILENCE_BLOCK_SAMPLES = 1 << 16


@dataclass(frozen=True)
class WavReport:
    path: Path
    duration_s: float
    sample_rate: int
    step_times: list[StepTime]

    @property
    def n_samples(self) -> int:
        return round(self.duration_s * self.sample_rate)


def write_timeline_wav(steps: Sequence[Step], path: str | Path, speech: SpeechCache,
                       sample_rate: int | None = None) -> WavReport:
    """Render `steps` to a mono 16-bit WAV at `path`.

    sample_rate: None takes the rate of the first speech the engine returns.
    """
    speech.prefetch(steps)
    if sample_rate is None:
        sample_rate = speech.sample_rate(steps, DEFAULT_SAMPLE_RATE_HZ)
    plan = schedule(steps, speech.audio, sample_rate)
    path = Path(path)
    # Written beside the target and renamed at the end: Ctrl-C or an error never leaves
    # a truncated WAV under the name the user asked for.
    part = path.with_name(path.name + ".part")
    try:
        _write(part, plan, sample_rate)
        os.replace(part, path)
    finally:
        if part.exists():
            part.unlink()
    return WavReport(path, plan.duration_s, sample_rate, plan.step_times)


def _write(path: Path, plan: Schedule, sample_rate: int) -> None:
    silence_block = bytes(SILENCE_BLOCK_SAMPLES * PCM16_SAMPLE_WIDTH_BYTES)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(PCM16_SAMPLE_WIDTH_BYTES)
        w.setframerate(sample_rate)
        for segment in plan.segments:
            if segment.audio is not None:
                w.writeframes(segment.audio.frames)
                continue
            left = segment.n_samples
            while left > 0:
                n = min(left, SILENCE_BLOCK_SAMPLES)
                w.writeframes(silence_block[:n * PCM16_SAMPLE_WIDTH_BYTES])
                left -= n
