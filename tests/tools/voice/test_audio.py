"""Sample-level helpers: format conversion, resampling, trimming, WAV round trip."""
from __future__ import annotations

import array
import math

import pytest

from skill.tools.voice.audio import (SPEECH_FLOOR_AMPLITUDE, Audio, from_samples, read_wav, resample,
                               to_mono16, trim_silence, write_wav)


def tone(n: int, rate: int = 8000, amplitude: int = 10000, hz: float = 440.0) -> array.array:
    return array.array("h", (round(amplitude * math.sin(2 * math.pi * hz * i / rate)) or 1
                             for i in range(n)))


def test_stereo_24_bit_becomes_mono_16_bit():
    left, right = 0x123456, -0x010000  # 24-bit values
    frame = left.to_bytes(3, "little", signed=True) + right.to_bytes(3, "little", signed=True)
    audio = Audio(frame * 10, 48000, channels=2, sample_width=3)
    mono = to_mono16(audio)
    assert (mono.channels, mono.sample_width, mono.sample_rate, mono.n_frames) == (1, 2, 48000, 10)
    assert set(mono.samples()) == {round(((left >> 8) + (right >> 8)) / 2)}


def test_8_bit_unsigned_is_centred():
    audio = Audio(bytes([128, 255, 0]), 8000, sample_width=1)
    assert list(to_mono16(audio).samples()) == [0, 127 << 8, -128 << 8]


def test_resample_keeps_duration_and_pitch():
    src = from_samples(tone(8000), 8000)  # 1 s of 440 Hz
    out = resample(src, 22050)
    assert out.sample_rate == 22050 and out.n_frames == 22050
    s = out.samples()
    crossings = sum(1 for a, b in zip(s, s[1:]) if a < 0 <= b)
    assert crossings == pytest.approx(440, abs=2)


def test_trim_removes_only_the_quiet_ends():
    quiet = array.array("h", [0, 3, -SPEECH_FLOOR_AMPLITUDE, 0] * 100)
    body = tone(500)
    body[250] = 0  # silence inside speech stays
    audio = from_samples(quiet + body + quiet, 8000)
    trimmed = trim_silence(audio).samples()
    first = next(i for i, x in enumerate(body) if abs(x) > SPEECH_FLOOR_AMPLITUDE)
    last = max(i for i, x in enumerate(body) if abs(x) > SPEECH_FLOOR_AMPLITUDE)
    assert trimmed == body[first:last + 1]
    assert trim_silence(from_samples(quiet, 8000)).n_frames == 0


def test_wav_round_trip(tmp_path):
    audio = from_samples(tone(1234), 16000)
    write_wav(tmp_path / "t.wav", audio)
    assert read_wav(tmp_path / "t.wav") == audio
