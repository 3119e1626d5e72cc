"""Breathing pacing measured on a recording of a real device (or anything else that plays it).

    python -m benchmarks.pacing --recording echo.wav --pattern soothing [--form apla]

A phone on the table records an Echo playing a breathing practice; this finds where each
cue (or tone) starts, lines the onsets up with the pattern (skill.breathing.cycles) and
prints every cycle's length against its target. It copes with a recording as a phone
makes it: background noise, the level changing (the phone moved, the volume turned), a
spoken introduction and silence before the first cue, and gaps where the listener said
"continue" between SSML turns (each run of cycles is measured on its own).

WAV is read directly; MP3 and M4A are converted with ffmpeg when it is installed.
"""
from __future__ import annotations

import array
import bisect
import shutil
import subprocess
import sys
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

FRAME_S = 0.01               # energy is measured in 10 ms frames
LEVEL_WINDOW_S = 20.0        # noise floor and loudness are judged over this much around
LEVEL_BLOCK_S = 1.0          # ... recomputed every this long (level changes are followed)
FLOOR_PCT, LOUD_PCT = 10, 97  # percentiles of frame energy: the noise, and the voice
ON_FRACTION, OFF_FRACTION = 0.45, 0.3   # of the way from floor to loud (hysteresis), in dB
MIN_SPAN_DB = 12.0           # a block quieter than this above its floor holds no sound
MIN_GAP_S = 0.2              # a sound after at least this much quiet is an onset
MATCH_TOLERANCE = 0.2        # an onset within this fraction of a phase of where it is due
MIN_RUN = 5                  # phases matched in a row before a run is trusted
LOOKAHEAD_PHASES = 12        # a new run may start this many phases after the last match
CONVERT_TIMEOUT_S = 120


class RecordingError(Exception):
    """A recording that cannot be read; the message is one line."""


def read_audio(path: str | Path) -> tuple[list[float], int]:
    """Mono samples in -1..1 and the sample rate, from WAV (8/16/24/32-bit PCM, any
    channels) or, with ffmpeg, any format it reads."""
    path = Path(path)
    if not path.is_file():
        raise RecordingError(f"{path}: no such file")
    if path.suffix.lower() != ".wav":
        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg is None:
            raise RecordingError(f"{path}: only WAV can be read without ffmpeg (apt-get install ffmpeg, "
                                 "or convert the recording to WAV)")
        with tempfile.TemporaryDirectory(prefix="cc-recording-") as work:
            wav = Path(work) / "recording.wav"
            done = subprocess.run([ffmpeg, "-v", "error", "-i", str(path), "-ac", "1", "-ar", "16000",
                                   "-c:a", "pcm_s16le", str(wav)], capture_output=True, timeout=CONVERT_TIMEOUT_S)
            if done.returncode != 0:
                raise RecordingError(f"{path}: ffmpeg could not read it")
            return read_audio(wav)
    try:
        with wave.open(str(path), "rb") as w:
            width, channels, rate = w.getsampwidth(), w.getnchannels(), w.getframerate()
            raw = w.readframes(w.getnframes())
    except (wave.Error, EOFError) as err:
        raise RecordingError(f"{path}: not a PCM WAV file ({err})") from None
    if width == 1:
        values = [(b - 128) / 128 for b in raw]
    elif width == 2:
        a = array.array("h", raw)
        if sys.byteorder == "big":
            a.byteswap()
        values = [v / 32768 for v in a]
    elif width in (3, 4):
        values = [int.from_bytes(raw[i:i + width], "little", signed=True) / (1 << (8 * width - 1))
                  for i in range(0, len(raw), width)]
    else:
        raise RecordingError(f"{path}: {8 * width}-bit samples are not supported")
    if channels > 1:
        values = [sum(values[i:i + channels]) / channels for i in range(0, len(values), channels)]
    if not values:
        raise RecordingError(f"{path}: the recording is empty")
    return values, rate


def _energies_db(samples, rate: int) -> list[float]:
    import math
    n = max(1, round(FRAME_S * rate))
    out = []
    for start in range(0, len(samples) - n + 1, n):
        chunk = samples[start:start + n]
        power = sum(x * x for x in chunk) / n
        out.append(10 * math.log10(power + 1e-12))
    return out


def _pct(sorted_values, pct):
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * pct / 100))]


def onsets_s(samples, rate: int) -> list[float]:
    """Where sounds start after a quiet, judged against the local noise floor and loudness."""
    energy = _energies_db(samples, rate)
    frame_s = max(1, round(FRAME_S * rate)) / rate      # a whole number of samples
    per_block = round(LEVEL_BLOCK_S / FRAME_S)
    half = round(LEVEL_WINDOW_S / 2 / FRAME_S)
    gap = round(MIN_GAP_S / FRAME_S)
    out, sounding, quiet = [], False, gap
    for b0 in range(0, len(energy), per_block):
        window = sorted(energy[max(0, b0 - half): b0 + per_block + half])
        floor, loud = _pct(window, FLOOR_PCT), _pct(window, LOUD_PCT)
        span = loud - floor
        for i in range(b0, min(b0 + per_block, len(energy))):
            e = energy[i]
            if span < MIN_SPAN_DB:
                on = False
            elif sounding:
                on = e > floor + OFF_FRACTION * span
            else:
                on = e > floor + ON_FRACTION * span
            if on and not sounding and quiet >= gap:
                out.append(i * frame_s)
            quiet = 0 if on else quiet + 1
            sounding = on
    return out


@dataclass(frozen=True)
class CycleResult:
    index: int          # which cycle of the pattern
    target_s: float
    measured_s: float

    @property
    def error_pct(self) -> float:
        return (self.measured_s - self.target_s) / self.target_s * 100


def events(cycles, form: str = "ssml") -> list[tuple[int, float]]:
    """(cycle index, seconds to the next sound) for each sound the pattern makes: every
    phase's cue when spoken; in the tone track, holds and rests are silent."""
    out: list[list] = []
    for n, c in enumerate(cycles):
        for p in c.phases:
            if form != "tones" or p.breath in ("in", "out", "top-up") or not out:
                out.append([n, p.s])
            else:
                out[-1][1] += p.s
    return [(n, s) for n, s in out]


def align(onsets: list[float], lengths: list[float]) -> dict[int, float]:
    """Event index -> onset time, for every sound found where the pattern says it starts
    (`lengths`: seconds from each expected sound to the next).

    Runs of phases are followed from an anchor onset, re-anchoring on each match; after a
    miss (a cue not heard, or the gap of a "continue") the longest next run is taken, at
    most LOOKAHEAD_PHASES on, and trusted only when MIN_RUN phases in a row fit."""
    if not onsets or not lengths:
        return {}

    def near(t):
        i = bisect.bisect_left(onsets, t)
        return min((onsets[j] for j in (i - 1, i) if 0 <= j < len(onsets)), key=lambda x: abs(x - t))

    def run(t, q, limit=None):
        found = {q: t}
        while q + 1 < len(lengths) and (limit is None or len(found) < limit):
            want = t + lengths[q]
            got = near(want)
            if abs(got - want) > MATCH_TOLERANCE * lengths[q]:
                break
            q, t = q + 1, got
            found[q] = t
        return found

    matched: dict[int, float] = {}
    p, after = 0, -1.0
    while p < len(lengths):
        # the longest run that starts at a later onset, a few phases on at most: a few
        # onsets of the spoken introduction may fit the pattern by chance, but not for long
        best, best_len = None, 0
        for i in range(bisect.bisect_right(onsets, after), len(onsets)):
            for q in range(p, min(len(lengths), p + LOOKAHEAD_PHASES)):
                n = len(run(onsets[i], q))
                if n > best_len:
                    best, best_len = (onsets[i], q), n
        if best is None or best_len < min(MIN_RUN, len(lengths) - p):
            break
        found = run(*best)
        matched.update(found)
        last = max(found)
        p, after = last + 1, found[last] + 0.5 * lengths[last]
    return matched


def cycle_results(matched: dict[int, float], cycles, expected: list[tuple[int, float]]) -> list[CycleResult]:
    """Each cycle whose first sound, every sound in it, and the next cycle's first sound
    were all found (so a "continue" gap never counts as breathing)."""
    firsts: dict[int, int] = {}
    for k, (n, _) in enumerate(expected):
        firsts.setdefault(n, k)
    out = []
    for n in range(len(cycles) - 1):
        a, b = firsts.get(n), firsts.get(n + 1)
        if a is not None and b is not None and all(q in matched for q in range(a, b + 1)):
            out.append(CycleResult(n, cycles[n].s, matched[b] - matched[a]))
    return out


def measure_recording(path, pattern: str, minutes: int = 20, form: str = "ssml") -> list[CycleResult]:
    from skill import breathing
    samples, rate = read_audio(path)
    cycles = breathing.cycles(pattern, minutes * 60)
    expected = events(cycles, form)
    matched = align(onsets_s(samples, rate), [s for _, s in expected])
    return cycle_results(matched, cycles, expected)


def report(results: list[CycleResult], pattern: str, form: str, expected: int) -> list[str]:
    lines = [f"pattern {pattern}, {form} form: {len(results)} cycles measured (of up to {expected})"]
    for r in results:
        lines.append(f"cycle {r.index + 1:3d}  target {r.target_s:6.2f} s  measured {r.measured_s:6.2f} s  "
                     f"{r.error_pct:+6.2f} %")
    if results:
        errors = [abs(r.error_pct) for r in results]
        bias = sum(r.error_pct for r in results) / len(results)
        lines.append(f"mean error {sum(errors) / len(errors):.2f} %, worst {max(errors):.2f} %, bias {bias:+.2f} %")
    else:
        lines.append("no cycle could be measured: is it the right pattern, and can the cues be heard?")
    return lines
