"""WAV export with the real voice: pacing measured on the samples written to disk."""
from __future__ import annotations

import resource

import pytest

from skill.timeline import Pause, Speak
from skill.tools.voice import Pyttsx3Engine, SpeechCache, SynthesisError, render_wav
from skill.tools.voice.audio import read_wav
from skill.tools.voice.pacing import JOIN_GAP_S

from voice_helpers import read_mono16, speech_onsets, zero_runs

pytestmark = pytest.mark.espeak

CYCLE_S = 10.0
IN_PHASE_S, OUT_PHASE_S = 4.0, 6.0
CYCLES = 6
# A deliberately poor estimate (the real cues take ~0.5-0.7 s), so that pacing which
# ignored the real length would be off by far more than the 1 % tolerance.
CUE_EST_S = 1.2
TOLERANCE = 0.01


def breathing(rate_pct: int, cycles: int = CYCLES) -> list:
    steps = []
    for _ in range(cycles):
        steps += [Speak("Breathe in", CUE_EST_S, rate_pct), Pause(IN_PHASE_S - CUE_EST_S),
                  Speak("and out", CUE_EST_S, rate_pct), Pause(OUT_PHASE_S - CUE_EST_S)]
    return steps


@pytest.mark.parametrize("rate_pct", [80, 100, 120])
def test_breathing_cycles_are_ten_seconds(tmp_path, speech, rate_pct):
    steps = breathing(rate_pct)
    report = render_wav(steps, tmp_path / "breath.wav", speech=speech)
    samples, rate = read_mono16(tmp_path / "breath.wav")

    onsets = speech_onsets(samples, rate)
    assert len(onsets) == 2 * CYCLES  # every cue found, nothing else
    in_onsets, out_onsets = onsets[0::2], onsets[1::2]
    cycles = [(b - a) / rate for a, b in zip(in_onsets, in_onsets[1:])]
    cycles += [(b - a) / rate for a, b in zip(out_onsets, out_onsets[1:])]
    assert len(cycles) == 2 * (CYCLES - 1)
    for c in cycles:
        assert abs(c - CYCLE_S) <= TOLERANCE * CYCLE_S, cycles
    # In-phase (in-cue onset to out-cue onset) is exact too, not only the whole cycle.
    for a, b in zip(in_onsets, out_onsets):
        assert abs((b - a) / rate - IN_PHASE_S) <= TOLERANCE * IN_PHASE_S

    # The test has teeth: without correction the cycle would be off by more than 1 %.
    real = speech.duration_s(steps[0]) + speech.duration_s(steps[2])
    assert abs(real - 2 * CUE_EST_S) > TOLERANCE * CYCLE_S
    # Whole file: nominal length to the sample (the last pause ends on time).
    assert len(samples) == round(CYCLES * CYCLE_S * rate)
    assert report.duration_s == pytest.approx(CYCLES * CYCLE_S, abs=1 / rate)


def test_slower_rate_speaks_longer_cues(tmp_path, speech):
    slow = speech.duration_s(Speak("Breathe in", 1, 80))
    fast = speech.duration_s(Speak("Breathe in", 1, 120))
    assert slow > 1.3 * fast


def test_pause_longer_than_ten_seconds(tmp_path, speech):
    long_pause_s = 12.5
    first = Speak("Rest here for a while.", 1.0)
    steps = [first, Pause(long_pause_s), Speak("Welcome back.", 1.0), Pause(0.5)]
    render_wav(steps, tmp_path / "long.wav", speech=speech)
    samples, rate = read_mono16(tmp_path / "long.wav")
    onsets = speech_onsets(samples, rate, min_pause_s=2.0)
    assert len(onsets) == 2
    gap_s = (onsets[1] - onsets[0]) / rate
    assert abs(gap_s - (first.est_s + long_pause_s)) <= TOLERANCE * (first.est_s + long_pause_s)
    assert len(samples) == round((1.0 + long_pause_s + 1.0 + 0.5) * rate)


def test_silence_between_cues_is_exact_to_the_sample(tmp_path, speech):
    est_s, pause_s = 0.9, 2.25
    steps = [Speak("Gently in", est_s), Pause(pause_s), Speak("out, softly", est_s)]
    render_wav(steps, tmp_path / "exact.wav", speech=speech)
    samples, rate = read_mono16(tmp_path / "exact.wav")
    assert samples[0] != 0 and samples[-1] != 0  # speech is trimmed to its sound
    # The pause is the one long run of exact zeros; speech before it is everything before.
    runs = zero_runs(samples, min_len=round(0.5 * rate))
    assert len(runs) == 1
    start, length = runs[0]
    first_speech_samples = start
    expected = round((est_s + pause_s) * rate) - first_speech_samples
    assert length == expected
    assert start + length == round((est_s + pause_s) * rate)  # second cue on its nominal sample


def test_overrun_is_carried_to_later_pauses(tmp_path, speech):
    long_cue = Speak("If your mind wanders, that's fine. Come back to the breath.", 0.5)
    real_s = speech.duration_s(long_cue)
    assert real_s > 0.5 + 1.0 + 0.5  # overruns its own phase by more than a second
    steps = [long_cue, Pause(1.0), Speak("In", 0.3), Pause(6.0), Speak("and out", 0.5), Pause(5.0)]
    report = render_wav(steps, tmp_path / "overrun.wav", speech=speech)
    times = {t.index: t for t in report.step_times}
    assert times[1].duration_s == pytest.approx(JOIN_GAP_S)  # no time left: only the floor
    lag = real_s + JOIN_GAP_S - 1.5 + speech.duration_s(steps[2]) - 0.3
    assert 0 < lag < 6.0  # the second pause can absorb what is left
    assert times[3].duration_s == pytest.approx(6.0 - lag, abs=1 / report.sample_rate)
    # From the third cue on the clock is back on the timeline.
    assert times[4].start_s == pytest.approx(0.5 + 1.0 + 0.3 + 6.0, abs=1 / report.sample_rate)
    samples, rate = read_mono16(tmp_path / "overrun.wav")
    assert speech_onsets(samples, rate)[-1] == round(7.8 * rate)


def test_other_sample_rate_is_resampled(tmp_path, speech):
    steps = breathing(100, cycles=3)
    report = render_wav(steps, tmp_path / "16k.wav", speech=speech, sample_rate=16000)
    samples, rate = read_mono16(tmp_path / "16k.wav")
    assert rate == report.sample_rate == 16000
    onsets = speech_onsets(samples, rate)[0::2]
    assert len(onsets) == 3
    for a, b in zip(onsets, onsets[1:]):
        assert abs((b - a) / rate - CYCLE_S) <= TOLERANCE * CYCLE_S
    assert len(samples) == 3 * CYCLE_S * 16000


def test_faster_than_real_time_with_a_cold_cache(tmp_path, real_engine):
    cache = SpeechCache(real_engine)
    steps = []
    for i in range(6):  # 6 distinct cues, never synthesized before in this cache
        steps += [Speak(f"Breath number {i + 1}, in", 1.0), Pause(4.0), Speak("and out", 1.0), Pause(4.0)]
    before_s = cpu_s()
    report = render_wav(steps, tmp_path / "fast.wav", speech=cache)
    took_s = cpu_s() - before_s
    assert cache.syntheses == 7
    assert took_s < report.duration_s / 10, took_s


def cpu_s() -> float:
    """CPU seconds of this process and its finished children (the synthesis workers): a
    ratio of these to the audio's length holds however busy the rest of the machine is."""
    return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),
                                                 resource.getrusage(resource.RUSAGE_CHILDREN)))


def test_disk_cache_gives_the_same_file_without_synthesis(tmp_path, real_engine):
    steps = breathing(100, cycles=2)
    first = SpeechCache(real_engine, tmp_path / "cache")
    render_wav(steps, tmp_path / "a.wav", speech=first)
    assert first.syntheses == 2 and len(list((tmp_path / "cache").glob("*.wav"))) == 2
    second = SpeechCache(real_engine, tmp_path / "cache")
    render_wav(steps, tmp_path / "b.wav", speech=second)
    assert second.syntheses == 0
    assert read_wav(tmp_path / "a.wav") == read_wav(tmp_path / "b.wav")


def test_failed_render_leaves_no_partial_file(tmp_path):
    fail = tmp_path / "python"
    fail.write_text("#!/bin/sh\necho 'no espeak here' >&2\nexit 1\n")
    fail.chmod(0o755)
    target = tmp_path / "out.wav"
    target.write_bytes(b"previous render")
    with pytest.raises(SynthesisError, match="no espeak here"):
        render_wav(breathing(100, cycles=1), target, engine=Pyttsx3Engine(python=str(fail)))
    assert target.read_bytes() == b"previous render"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.wav", "python"]
