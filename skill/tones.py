"""The tone track: a breathing practice as one audio file, for hands-free listening.

A gentle rising tone for each in-breath, a falling one for each out-breath (a short higher
rise for the sigh's top-up), silence for holds and rests, and a bell at the end. Built from
the same pattern data as the spoken practice (skill.breathing.cycles), and exact to the
sample: phase k starts at sample round(start_k * sample_rate), counted from the track's
start, so nothing drifts however long the practice. Encoded to MP3 (lameenc: LAME, for
AudioPlayer's formats) and kept in a small cache of files by pattern, length and sample rate.
"""
from __future__ import annotations

import array
import math
import os
import tempfile
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from skill import breathing, catalogue

SAMPLE_RATES_HZ = (16000, 22050, 24000)    # also what SSML <audio> accepts
DEFAULT_SAMPLE_RATE_HZ = 24000
MP3_BITRATE_KBPS = 48                      # AudioPlayer: 16-384 kbps
MP3_QUALITY = 5                            # LAME's 0 (best, slowest) .. 9
LEAD_IN_S = 1.0          # quiet before the first tone, after the spoken introduction
TONE_GAP_S = 0.3         # a tone ends this long before its phase does
ATTACK_S = 0.06          # a soft start, still a clear onset to breathe by
RELEASE_S = 0.4
TONE_PEAK = 0.22         # of full scale: soft
TOP_UP_MAX_S = 1.2       # the sigh's extra sip is a short tone
BELL_GAP_S = 2.0         # after the last out-breath, then the bell
BELL_S = 6.0
TAIL_S = 1.0
# (start Hz, end Hz) by phase kind: in rises, out falls, top-up rises a little higher.
GLIDES_HZ = {"in": (196.0, 262.0), "out": (262.0, 175.0), "top-up": (262.0, 311.0)}
BELL_HZ = 528.0
BELL_PARTIALS = ((1.0, 1.0), (2.0, 0.45), (2.76, 0.3), (5.4, 0.12))   # (ratio, weight)
BELL_DECAY_S = 1.6
HARMONIC_WEIGHT = 0.18   # a second harmonic: warmer than a bare sine
CACHE_MAX_TRACKS = 24


class TrackError(ValueError):
    """A track that cannot be made (unknown pattern, length or sample rate)."""


@dataclass(frozen=True)
class TrackSpec:
    pattern: str
    minutes: int
    sample_rate: int = DEFAULT_SAMPLE_RATE_HZ

    @property
    def name(self) -> str:
        return f"{self.pattern}-{self.minutes}-{self.sample_rate}"


def spec(pattern: str, minutes, sample_rate=DEFAULT_SAMPLE_RATE_HZ) -> TrackSpec:
    """A checked TrackSpec: every value from a bounded list or range (never listener data),
    its minutes those the pattern really runs (box: at most its max_minutes)."""
    limits = catalogue.get("breathing").minutes
    if pattern not in breathing.patterns():
        raise TrackError(f"unknown pattern {pattern!r}")
    try:
        minutes, sample_rate = int(minutes), int(sample_rate)
    except (TypeError, ValueError):
        raise TrackError("minutes and sample rate must be whole numbers") from None
    if not limits["min"] <= minutes <= limits["max"]:
        raise TrackError(f"minutes must be {limits['min']:g} to {limits['max']:g}")
    if sample_rate not in SAMPLE_RATES_HZ:
        raise TrackError(f"sample rate must be one of {', '.join(map(str, SAMPLE_RATES_HZ))}")
    cap_s = breathing.max_seconds(pattern)
    if cap_s is not None:
        # box stops at its cap whatever was asked: the track is named, and said, as it plays
        minutes = min(minutes, math.ceil(cap_s / 60))
    return TrackSpec(pattern, minutes, sample_rate)


@dataclass(frozen=True)
class Mark:
    """A sound in the track: what (in, out, top-up, bell) and its first sample."""
    kind: str
    start: int
    phase_s: float


def layout(track: TrackSpec) -> tuple[list[Mark], int]:
    """Where every tone starts, in samples, and the track's length: the one timing rule."""
    rate = track.sample_rate
    marks, t = [], LEAD_IN_S
    for cycle in breathing.cycles(track.pattern, track.minutes * 60):
        for phase in cycle.phases:
            if phase.breath in GLIDES_HZ:
                marks.append(Mark(phase.breath, round(t * rate), phase.s))
            t += phase.s
    t += BELL_GAP_S
    marks.append(Mark("bell", round(t * rate), BELL_S))
    return marks, round((t + BELL_S + TAIL_S) * rate)


def _attack(i: int, rate: int) -> float:
    attack = ATTACK_S * rate
    return 0.5 - 0.5 * math.cos(math.pi * i / attack) if i < attack else 1.0


def _envelope(i: int, n: int, rate: int) -> float:
    attack, release = ATTACK_S * rate, RELEASE_S * rate
    if i < attack:
        return _attack(i, rate)
    if i > n - release:
        return 0.5 + 0.5 * math.cos(math.pi * (i - (n - release)) / release)
    return 1.0


@lru_cache(maxsize=64)
def _tone(kind: str, phase_s: float, rate: int) -> bytes:
    """One tone as 16-bit mono PCM: a glide for a breath, a decaying chord for the bell.
    Frequencies and decays advance by one multiplication a sample (no exp per sample)."""
    sin, tau = math.sin, 2 * math.pi
    if kind == "bell":
        n = round(BELL_S * rate)
        total = [0.0] * n
        for ratio, weight in BELL_PARTIALS:
            step, decay = tau * BELL_HZ * ratio / rate, math.exp(-ratio / BELL_DECAY_S / rate)
            amp = weight
            for i in range(n):
                total[i] += amp * sin(step * i)
                amp *= decay
        scale = 32767 * TONE_PEAK / 1.5
        samples = array.array("h", (int(scale * v * _attack(i, rate)) for i, v in enumerate(total)))
        return samples.tobytes()
    length_s = phase_s - TONE_GAP_S
    if kind == "top-up":
        length_s = min(length_s, TOP_UP_MAX_S)
    n = max(1, round(length_s * rate))
    f0, f1 = GLIDES_HZ[kind]
    growth = (f1 / f0) ** (1 / n)            # f(i) = f0 * growth^i: an exponential glide
    step, phase = tau * f0 / rate, 0.0
    scale = 32767 * TONE_PEAK / (1 + HARMONIC_WEIGHT)
    attack, release = round(ATTACK_S * rate), round(RELEASE_S * rate)
    samples = array.array("h", bytes(2 * n))
    for i in range(n):
        v = sin(phase) + HARMONIC_WEIGHT * sin(2 * phase)
        if i < attack or i > n - release:
            v *= _envelope(i, n, rate)
        samples[i] = int(scale * v)
        phase += step
        step *= growth
    return samples.tobytes()


def pcm(track: TrackSpec) -> bytes:
    """The whole track as 16-bit mono PCM at track.sample_rate."""
    marks, total = layout(track)
    out = bytearray(2 * total)
    for m in marks:
        tone = _tone(m.kind, m.phase_s, track.sample_rate)
        out[2 * m.start: 2 * m.start + len(tone)] = tone
    return bytes(out)


def mp3(samples: bytes, sample_rate: int) -> bytes:
    import lameenc     # imported here: only track building needs the encoder
    enc = lameenc.Encoder()
    enc.set_bit_rate(MP3_BITRATE_KBPS)
    enc.set_in_sample_rate(sample_rate)
    enc.set_channels(1)
    enc.set_quality(MP3_QUALITY)
    return bytes(enc.encode(samples)) + bytes(enc.flush())


class TrackCache:
    """Encoded tracks on disk, at most `max_tracks` of them (the oldest go first). Safe
    across threads and worker processes: a file appears whole, by rename, or not at all."""

    def __init__(self, directory: str | Path, max_tracks: int = CACHE_MAX_TRACKS):
        self.directory = Path(directory)
        self.max_tracks = max_tracks
        self._lock = threading.Lock()
        self._building: dict[str, threading.Event] = {}

    def path(self, track: TrackSpec) -> Path:
        return self.directory / f"{track.name}.mp3"

    def get(self, track: TrackSpec) -> Path:
        """The track's file, built first if it is not there yet."""
        path = self.path(track)
        if path.exists():
            return path
        with self._lock:
            event = self._building.get(track.name)
            mine = event is None
            if mine:
                event = self._building[track.name] = threading.Event()
        if not mine:
            event.wait()
            if path.exists():
                return path
        try:
            self._build(track, path)
        finally:
            if mine:
                with self._lock:
                    self._building.pop(track.name, None)
                event.set()
        return path

    def warm(self, track: TrackSpec) -> None:
        """Build in the background, so the track is ready when the device asks for it."""
        if not self.path(track).exists():
            threading.Thread(target=self.get, args=(track,), name="tone-track", daemon=True).start()

    def _build(self, track: TrackSpec, path: Path) -> None:
        data = mp3(pcm(track), track.sample_rate)
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".building-", suffix=".mp3")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._trim(keep=path)

    def _trim(self, keep: Path) -> None:
        files = sorted((p for p in self.directory.glob("*.mp3") if p != keep),
                       key=lambda p: p.stat().st_mtime)
        for old in files[: max(0, len(files) + 1 - self.max_tracks)]:
            old.unlink(missing_ok=True)


def write_mp3(track: TrackSpec, path: str | Path) -> float:
    """The track as the MP3 the skill serves, byte for byte; returns its length in s."""
    data = pcm(track)
    Path(path).write_bytes(mp3(data, track.sample_rate))
    return len(data) / 2 / track.sample_rate


def write_wav(track: TrackSpec, path: str | Path) -> float:
    """The track as a mono 16-bit WAV (the offline runner's export); returns its length in s."""
    import wave
    data = pcm(track)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(track.sample_rate)
        w.writeframes(data)
    return len(data) / 2 / track.sample_rate
