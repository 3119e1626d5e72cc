"""The tone track, measured on its samples: every cycle on time over 20 minutes, tones that
rise and fall, and an MP3 of the right length."""
import array

import pytest

from benchmarks.common import onsets_s
from skill import breathing, catalogue, tones

PATTERNS = catalogue.get("breathing").params["pattern"]["choices"]
CYCLE_LIMIT_PCT = 0.5
ONSET_LIMIT_S = 0.015      # the onset detector finds a tone within its soft 60 ms attack


def _samples(track):
    return array.array("h", tones.pcm(track))


@pytest.mark.parametrize("pattern", PATTERNS)
def test_every_cycle_of_a_20_minute_track_is_on_time(pattern):
    track = tones.spec(pattern, 20)
    samples = _samples(track)
    found = onsets_s(samples, track.sample_rate)
    cycles = breathing.cycles(pattern, 20 * 60)
    # expected sound onsets, straight from the pattern: each in/out/top-up phase, then the bell
    expected, t = [], tones.LEAD_IN_S
    starts = []
    for c in cycles:
        starts.append(len(expected))
        for p in c.phases:
            if p.breath in ("in", "out", "top-up"):
                expected.append(t)
            t += p.s
    expected.append(t + tones.BELL_GAP_S)
    assert len(found) == len(expected)
    assert max(abs(f - e) for f, e in zip(found, expected)) < ONSET_LIMIT_S
    worst = 0.0
    for k in range(len(cycles) - 1):
        measured = found[starts[k + 1]] - found[starts[k]]
        worst = max(worst, abs(measured - cycles[k].s) / cycles[k].s * 100)
    assert worst <= CYCLE_LIMIT_PCT, f"{pattern}: worst cycle off by {worst:.3f} %"


def _crossings_hz(samples, start, n, rate):
    chunk = samples[start:start + n]
    flips = sum(1 for a, b in zip(chunk, chunk[1:]) if (a < 0) != (b < 0))
    return flips / 2 / (n / rate)


def test_in_breath_rises_out_breath_falls_and_holds_are_silent():
    track = tones.spec("box", 1)
    samples, rate = _samples(track), track.sample_rate
    marks, _ = tones.layout(track)
    window = round(0.3 * rate)
    by_kind = {}
    for m in marks:
        by_kind.setdefault(m.kind, m)
    for kind, rising in (("in", True), ("out", False)):
        m = by_kind[kind]
        tone_n = round((m.phase_s - tones.TONE_GAP_S) * rate)
        first = _crossings_hz(samples, m.start + round(tones.ATTACK_S * rate), window, rate)
        last = _crossings_hz(samples, m.start + tone_n - round(tones.RELEASE_S * rate) - window, window, rate)
        assert (last > first * 1.15) if rising else (last < first / 1.15), (kind, first, last)
    hold = next(m for m in marks if m.kind == "in")
    hold_start = hold.start + round(4 * rate)        # box: in 4 s, then hold 4 s
    assert max(abs(x) for x in samples[hold_start:hold_start + round(3.5 * rate)]) == 0


def _mp3_frames(data: bytes):
    """(frames, samples per frame, sample rate) from MPEG audio frame headers."""
    rates = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
    kbps = {3: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
            2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)}
    i, frames, rate, per = 0, 0, None, None
    if data[:3] == b"ID3":
        i = 10 + ((data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9])
    while i + 4 <= len(data):
        h = int.from_bytes(data[i:i + 4], "big")
        assert h >> 21 == 0x7FF, f"lost frame sync at byte {i}"
        version = (h >> 19) & 3
        rate = rates[version][(h >> 10) & 3]
        per = 1152 if version == 3 else 576
        bitrate = kbps[3 if version == 3 else 2][(h >> 12) & 15] * 1000
        padding = (h >> 9) & 1
        size = (144 if version == 3 else 72) * bitrate // rate + padding
        frames, i = frames + 1, i + size
    return frames, per, rate


def test_the_mp3_is_the_track_at_the_right_rate_and_length():
    track = tones.spec("even", 3)
    samples = tones.pcm(track)
    data = tones.mp3(samples, track.sample_rate)
    frames, per_frame, rate = _mp3_frames(data)
    assert rate == track.sample_rate
    pcm_s, mp3_s = len(samples) / 2 / rate, frames * per_frame / rate
    # LAME adds its encoder delay and pads the last frame: a constant, under two frames
    assert 0 <= mp3_s - pcm_s < 2 * per_frame / rate + 0.06
    bitrate_kbps = len(data) * 8 / mp3_s / 1000
    assert abs(bitrate_kbps - tones.MP3_BITRATE_KBPS) < 2


@pytest.mark.parametrize("bad", [("yoga", 5, 24000), ("even", 0, 24000), ("even", 21, 24000),
                                 ("even", 5, 44100), ("even", "x", 24000)])
def test_only_known_tracks_can_be_made(bad):
    with pytest.raises(tones.TrackError):
        tones.spec(*bad)


def test_the_cache_builds_once_and_keeps_few_tracks(tmp_path):
    cache = tones.TrackCache(tmp_path, max_tracks=2)
    first = cache.get(tones.spec("even", 1))
    stamp = first.stat().st_mtime_ns
    assert cache.get(tones.spec("even", 1)).stat().st_mtime_ns == stamp     # kept, not rebuilt
    cache.get(tones.spec("even", 2))
    cache.get(tones.spec("sigh", 1))
    assert len(list(tmp_path.glob("*.mp3"))) == 2 and not first.exists()
    assert not list(tmp_path.glob(".building-*"))
