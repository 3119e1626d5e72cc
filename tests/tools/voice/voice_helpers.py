"""Signal analysis for the voice tests: read a WAV back and find speech by its samples."""
from __future__ import annotations

import array
import sys
import wave
from pathlib import Path

# Absolute sample value above which a sample counts as sound (~ -50 dBFS).
SILENCE_THRESHOLD = 100
# Silence shorter than this is a gap inside speech, not a pause between cues.
MIN_PAUSE_S = 0.5


def read_mono16(path: str | Path) -> tuple[array.array, int]:
    with wave.open(str(path), "rb") as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2
        samples = array.array("h", w.readframes(w.getnframes()))
        rate = w.getframerate()
    if sys.byteorder == "big":
        samples.byteswap()
    return samples, rate


def speech_onsets(samples, rate: int, threshold: int = SILENCE_THRESHOLD,
                  min_pause_s: float = MIN_PAUSE_S) -> list[int]:
    """Sample indices where sound starts after at least min_pause_s of silence."""
    min_quiet = round(min_pause_s * rate)
    onsets, quiet = [], min_quiet  # the file start counts as silence
    for i, x in enumerate(samples):
        if -threshold <= x <= threshold:
            quiet += 1
            continue
        if quiet >= min_quiet:
            onsets.append(i)
        quiet = 0
    return onsets


def zero_runs(samples, min_len: int = 1) -> list[tuple[int, int]]:
    """(start, length) of every run of exactly-zero samples at least min_len long."""
    runs, start = [], None
    for i, x in enumerate(samples):
        if x == 0:
            if start is None:
                start = i
        elif start is not None:
            if i - start >= min_len:
                runs.append((start, i - start))
            start = None
    if start is not None and len(samples) - start >= min_len:
        runs.append((start, len(samples) - start))
    return runs
