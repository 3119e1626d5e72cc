"""The recording meter (python -m benchmarks.pacing --recording), proven on recordings it
makes itself before a real one arrives: the exported practice and the tone track, with a
spoken lead-in, noise, level changes and "continue" gaps; and a mis-paced one it must catch."""
import math
import random
import subprocess
import sys
import wave

import pytest

from benchmarks import pacing, recording
from skill import breathing, render, tones
from skill.tools.voice import Pyttsx3Engine, SpeechCache, render_wav

REPO_PY = sys.executable
# Slow: minutes of audio made, written and read back sample by sample in Python (5 to 10 s a
# test); the ones from the exported practice also speak through espeak-ng.
pytestmark = pytest.mark.slow


def _write(path, samples, rate):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(int(max(-1, min(1, x)) * 32767).to_bytes(2, "little", signed=True)
                               for x in samples))


def as_a_phone_hears(samples, rate, seed=7):
    """Lead-in of room noise, then the sound with noise under it and the level changing:
    down to a quarter in the second third (the phone moved), up by half in the last."""
    rnd = random.Random(seed)
    noise = 10 ** (-45 / 20)
    lead = [rnd.gauss(0, noise) for _ in range(round(4.0 * rate))]
    n = len(samples)
    out = []
    for i, x in enumerate(samples):
        gain = 0.25 if n / 3 <= i < 2 * n / 3 else (1.5 if i >= 2 * n / 3 else 1.0)
        out.append(x * gain + rnd.gauss(0, noise))
    return lead + out


def _floats(path):
    return recording.read_audio(path)


@pytest.fixture(scope="module")
def spoken(tmp_path_factory):
    """The 2-minute soothing practice as the offline runner exports it (real espeak-ng)."""
    path = tmp_path_factory.mktemp("rec") / "spoken.wav"
    steps = [s for t in render.render("breathing", "en-US", minutes=2, pattern="soothing") for s in t.steps]
    render_wav(steps, path, speech=SpeechCache(Pyttsx3Engine()))
    return path


@pytest.mark.espeak
def test_a_noisy_level_changing_recording_of_the_exported_practice(spoken, tmp_path):
    samples, rate = _floats(spoken)
    noisy = tmp_path / "phone.wav"
    _write(noisy, as_a_phone_hears(samples, rate), rate)
    results = recording.measure_recording(noisy, "soothing", minutes=2)
    expected = len(breathing.cycles("soothing", 120)) - 1
    assert len(results) >= expected - 1
    assert max(abs(r.error_pct) for r in results) < 1.0


@pytest.mark.espeak
def test_turns_with_continue_gaps_are_measured_run_by_run(spoken, tmp_path):
    samples, rate = _floats(spoken)
    cut = round(62.0 * rate)        # into the middle of a quiet, a 9 s "shall we go on?" gap
    for i in range(cut, len(samples)):
        if abs(samples[i]) > 0.01:
            break
    gap = [0.0] * round(9 * rate)
    path = tmp_path / "gaps.wav"
    _write(path, as_a_phone_hears(samples[:cut] + gap + samples[cut:], rate), rate)
    results = recording.measure_recording(path, "soothing", minutes=2)
    # the cycle across the gap is not counted; every other one is, on time
    assert max(abs(r.error_pct) for r in results) < 1.0
    assert len(results) >= len(breathing.cycles("soothing", 120)) - 3


def test_the_tone_track_and_a_slow_device_that_must_be_caught(tmp_path):
    track = tones.spec("box", 3, 16000)
    samples = [v / 32768 for v in __import__("array").array("h", tones.pcm(track))]
    good = tmp_path / "tones.wav"
    _write(good, as_a_phone_hears(samples, track.sample_rate), track.sample_rate)
    results = recording.measure_recording(good, "box", minutes=3, form="tones")
    assert len(results) == len(breathing.cycles("box", 180)) - 1
    assert max(abs(r.error_pct) for r in results) < 0.5
    slow = tmp_path / "slow.wav"           # the same samples played 4 % slow
    _write(slow, as_a_phone_hears(samples, track.sample_rate), round(track.sample_rate / 1.04))
    errors = [r.error_pct for r in recording.measure_recording(slow, "box", minutes=3, form="tones")]
    assert errors and all(3.5 < e < 4.5 for e in errors)


@pytest.mark.espeak
def test_the_command_line(spoken, tmp_path):
    done = subprocess.run([REPO_PY, "-m", "benchmarks.pacing", "--recording", str(spoken), "--pattern",
                           "soothing", "--minutes", "2", "--form", "apla"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith("pattern soothing, apla form:")
    assert "mean error" in done.stdout.splitlines()[-1]
    bad = subprocess.run([REPO_PY, "-m", "benchmarks.pacing", "--recording", str(tmp_path / "none.wav")],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    (tmp_path / "x.m4a").write_bytes(b"not audio")
    odd = subprocess.run([REPO_PY, "-m", "benchmarks.pacing", "--recording", str(tmp_path / "x.m4a")],
                         capture_output=True, text=True, timeout=60)
    assert odd.returncode == 2 and len(odd.stderr.strip().splitlines()) == 1


def test_phases_the_script_leaves_silent_are_expected_silent(tmp_path):
    """A 5-minute practice says less as it goes on: a recording with a short sound where each
    cue of the render starts, and nothing in its silent phases, is read in full."""
    from skill.timeline import Phase
    heard = recording.sounding("soothing", 5, "apla")
    assert not all(heard) and any(heard)
    rate, t, out = 16000, 3.0, []
    rnd = random.Random(3)
    phases = [i for turn in render.render("breathing", "en-US", minutes=5, pattern="soothing")
              for i in turn.timeline if isinstance(i, Phase)]
    starts = []
    for p in phases:
        if p.cue is not None:
            starts.append(t)
        t += p.seconds
    samples = [0.0] * round((t + 2) * rate)
    for s0 in starts:
        for k in range(round(0.25 * rate)):
            samples[round(s0 * rate) + k] = 0.3 * math.sin(2 * math.pi * 300 * k / rate) + rnd.gauss(0, 0.01)
    path = tmp_path / "cues.wav"
    _write(path, as_a_phone_hears(samples, rate), rate)
    results = recording.measure_recording(path, "soothing", minutes=5, form="apla")
    cycles = breathing.cycles("soothing", 300)
    firsts, k = [], 0
    for c in cycles:
        firsts.append(heard[k])
        k += len(c.phases)
    assert len(results) == sum(1 for a, b in zip(firsts, firsts[1:]) if a and b) > 10
    assert max(abs(r.error_pct) for r in results) < 0.5
