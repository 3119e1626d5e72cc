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
MATCH_TOLERANCE = 0.1        # an onset within this fraction of a phase of where it is due (a ramp
                             # slows by more than this a cycle, so a run one cycle off breaks)
MIN_RUN = 5                  # phases matched in a row before a run is trusted
LOOKAHEAD_PHASES = 12        # a new run may start this many phases after the last match
ANCHOR_WINDOW_S = 30.0       # runs starting this close to the first one found compete
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


def sounding(pattern: str, minutes: int, form: str, locale: str = "en-US", rate: str = "normal") -> list[bool]:
    """Whether each phase of the practice makes a sound: in the tone track, not holds and
    rests; spoken, not the phases the script leaves silent (read from the render itself)."""
    from skill import breathing, render
    from skill.timeline import Phase
    if form == "tones":
        return [p.breath in ("in", "out", "top-up")
                for c in breathing.cycles(pattern, minutes * 60) for p in c.phases]
    return [item.cue is not None for t in render.render("breathing", locale, rate, minutes=minutes, pattern=pattern)
            for item in t.timeline if isinstance(item, Phase)]


def events(cycles, heard: list[bool]) -> list[tuple[int, int, float]]:
    """(cycle index, phase index, seconds to the next sound) for each sound the practice
    makes; a silent phase lengthens the wait after the sound before it."""
    out: list[list] = []
    flags = iter(heard)
    for n, c in enumerate(cycles):
        for k, p in enumerate(c.phases):
            if next(flags, True) or not out:
                out.append([n, k, p.s])
            else:
                out[-1][2] += p.s
    return [(n, k, s) for n, k, s in out]


def align(onsets: list[float], lengths: list[float]) -> dict[int, tuple[float, int]]:
    """Event index -> (onset time, run number), for every sound found where the pattern
    says it starts (`lengths`: seconds from each expected sound to the next).

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

    matched: dict[int, tuple[float, int]] = {}
    p, after, runs = 0, -1.0, 0
    while p < len(lengths):
        # the longest run starting near the first onset that starts one, a few phases on
        # at most: onsets of the spoken introduction may fit the pattern by chance, but
        # not for long; a later run is the next turn's, found in its turn
        best, best_len, until = None, 0, None
        for i in range(bisect.bisect_right(onsets, after), len(onsets)):
            if until is not None and onsets[i] > until:
                break
            for q in range(p, min(len(lengths), p + LOOKAHEAD_PHASES)):
                n = len(run(onsets[i], q))
                if n > best_len:
                    best, best_len = (onsets[i], q), n
            if until is None and best_len >= min(MIN_RUN, len(lengths) - p):
                until = onsets[i] + ANCHOR_WINDOW_S
        if best is None or best_len < min(MIN_RUN, len(lengths) - p):
            break
        found = run(*best)
        runs += 1
        matched.update({q: (t, runs) for q, t in found.items()})
        last = max(found)
        p, after = last + 1, found[last] + 0.5 * lengths[last]
    return matched


def cycle_results(matched: dict[int, tuple[float, int]], cycles,
                  expected: list[tuple[int, int, float]]) -> list[CycleResult]:
    """Each cycle whose start, every sound in it, and the next cycle's start were all found
    in one run (so a "continue" gap never counts as breathing). A cycle whose first phase
    is silent has no heard start, and neither it nor the one before is counted."""
    firsts = {n: e for e, (n, k, _) in enumerate(expected) if k == 0}
    out = []
    for n in range(len(cycles) - 1):
        a, b = firsts.get(n), firsts.get(n + 1)
        if a is None or b is None or not all(q in matched for q in range(a, b + 1)):
            continue
        if len({matched[q][1] for q in range(a, b + 1)}) == 1:
            out.append(CycleResult(n, cycles[n].s, matched[b][0] - matched[a][0]))
    return out


def measure_recording(path, pattern: str, minutes: int = 5, form: str = "ssml",
                      locale: str = "en-US", rate: str = "normal") -> list[CycleResult]:
    """Per-cycle results for a recording of `pattern` at `minutes`, as `form` plays it
    (the spoken forms at `locale` and the speaking `rate`, for which phases are silent)."""
    from skill import breathing
    samples, sample_rate = read_audio(path)
    cycles = breathing.cycles(pattern, minutes * 60)
    expected = events(cycles, sounding(pattern, minutes, form, locale, rate))
    matched = align(onsets_s(samples, sample_rate), [s for _, _, s in expected])
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
