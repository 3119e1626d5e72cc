"""PCM audio as the voice package passes it around, and the sample-level helpers it needs.

Everything is normalised to mono 16-bit little-endian PCM, the format espeak-ng produces
and WAV players accept; other formats are converted once on the way in.
"""
from __future__ import annotations

import array
import sys
import wave
from dataclasses import dataclass
from pathlib import Path

PCM16_SAMPLE_WIDTH_BYTES = 2
PCM16_MAX_AMPLITUDE = 32767
# Samples at or below this absolute amplitude count as silence when trimming a speech
# segment: about -54 dBFS, far below speech yet above espeak's low-level decay tails.
SPEECH_FLOOR_AMPLITUDE = 64
_BIG_ENDIAN_HOST = sys.byteorder == "big"


@dataclass(frozen=True)
class Audio:
    """Interleaved little-endian PCM frames and their format."""

    frames: bytes
    sample_rate: int
    channels: int = 1
    sample_width: int = PCM16_SAMPLE_WIDTH_BYTES

    @property
    def n_frames(self) -> int:
        return len(self.frames) // (self.channels * self.sample_width)

    @property
    def duration_s(self) -> float:
        return self.n_frames / self.sample_rate

    def samples(self) -> array.array:
        """Mono 16-bit samples (converting first if needed)."""
        return _frames_to_array(to_mono16(self).frames)


def empty(sample_rate: int) -> Audio:
    return Audio(b"", sample_rate)


def from_samples(samples: array.array, sample_rate: int) -> Audio:
    return Audio(_array_to_frames(samples), sample_rate)


def _frames_to_array(frames: bytes) -> array.array:
    a = array.array("h")
    a.frombytes(frames)
    if _BIG_ENDIAN_HOST:  # WAV data is little-endian whatever the host
        a.byteswap()
    return a


def _array_to_frames(samples: array.array) -> bytes:
    if _BIG_ENDIAN_HOST:
        samples = array.array("h", samples)
        samples.byteswap()
    return samples.tobytes()


def _decode_sample(frames: bytes, offset: int, width: int) -> int:
    """One sample as a signed int scaled to 16 bits (8-bit WAV is unsigned)."""
    if width == 1:
        return (frames[offset] - 128) << 8
    value = int.from_bytes(frames[offset:offset + width], "little", signed=True)
    return value >> (8 * (width - 2))


def to_mono16(audio: Audio) -> Audio:
    """Same audio as mono 16-bit PCM; channels are averaged."""
    if audio.channels == 1 and audio.sample_width == PCM16_SAMPLE_WIDTH_BYTES:
        return audio
    width, channels = audio.sample_width, audio.channels
    if width not in (1, 2, 3, 4):
        raise ValueError(f"unsupported PCM sample width: {width} bytes")
    out = array.array("h")
    frame_bytes = width * channels
    for start in range(0, audio.n_frames * frame_bytes, frame_bytes):
        total = sum(_decode_sample(audio.frames, start + c * width, width) for c in range(channels))
        out.append(max(-32768, min(PCM16_MAX_AMPLITUDE, round(total / channels))))
    return from_samples(out, audio.sample_rate)


def resample(audio: Audio, sample_rate: int) -> Audio:
    """Mono 16-bit audio at `sample_rate`, by linear interpolation.

    Good enough for speech cues (espeak-ng already speaks at 22.05 kHz, so this only runs
    for unusual voices); the length becomes round(n * new_rate / old_rate) samples.
    """
    audio = to_mono16(audio)
    if audio.sample_rate == sample_rate:
        return audio
    src = audio.samples()
    n_out = round(len(src) * sample_rate / audio.sample_rate)
    out = array.array("h", bytes(2 * n_out))
    if len(src) == 0:
        return from_samples(out, sample_rate)
    step = audio.sample_rate / sample_rate
    last = len(src) - 1
    for i in range(n_out):
        pos = i * step
        j = int(pos)
        if j >= last:
            out[i] = src[last]
            continue
        frac = pos - j
        out[i] = round(src[j] + (src[j + 1] - src[j]) * frac)
    return from_samples(out, sample_rate)


def trim_silence(audio: Audio, floor: int = SPEECH_FLOOR_AMPLITUDE) -> Audio:
    """Mono 16-bit audio without the leading and trailing samples at or below `floor`.

    Why: espeak-ng pads each utterance with silence (about 0.4 s at the end); the pacing
    must measure the words themselves so a pause is silence we control to the sample.
    """
    samples = to_mono16(audio).samples()
    first = next((i for i, x in enumerate(samples) if abs(x) > floor), None)
    if first is None:
        return empty(audio.sample_rate)
    last = next(i for i in range(len(samples) - 1, -1, -1) if abs(samples[i]) > floor)
    return from_samples(samples[first:last + 1], audio.sample_rate)


def read_wav(path: str | Path) -> Audio:
    with wave.open(str(path), "rb") as w:
        return Audio(w.readframes(w.getnframes()), w.getframerate(), w.getnchannels(),
                     w.getsampwidth())


def write_wav(path: str | Path, audio: Audio) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(audio.channels)
        w.setsampwidth(audio.sample_width)
        w.setframerate(audio.sample_rate)
        w.writeframes(audio.frames)
