"""Pause correction and the measurement cache, as pure logic.

The fake engine here only stands in for synthesis so the arithmetic can be checked with
known durations; every test of real pacing and audio uses espeak-ng (test_wav, test_player).
"""
from __future__ import annotations

import pytest

from skill.timeline import Pause, Speak
from skill.tools.voice import SpeechCache
from skill.tools.voice.audio import Audio
from skill.tools.voice.pacing import JOIN_GAP_S, PacingClock, schedule

RATE_HZ = 1000  # one sample per millisecond keeps expected values readable


class FakeEngine:
    """Returns a constant non-silent tone lasting durations_s[text] seconds."""

    cache_key = "fake"

    def __init__(self, durations_s: dict[str, float]):
        self.durations_s = durations_s
        self.calls: list[tuple] = []

    def synthesize(self, text, rate_pct=100, volume_db=0.0, whispered=False) -> Audio:
        self.calls.append((text, rate_pct, volume_db, whispered))
        n = round(self.durations_s[text] * 100 / rate_pct * RATE_HZ)
        pad = bytes(2 * 50)  # leading/trailing silence, as espeak-ng has; must be trimmed
        return Audio(pad + (1000).to_bytes(2, "little", signed=True) * n + pad, RATE_HZ)

    def voices(self):
        return []


class Plan:
    def __init__(self, steps, durations):
        self.steps = steps
        self.cache = SpeechCache(FakeEngine(durations))
        self.schedule = schedule(steps, self.cache.audio, RATE_HZ)
        self.duration_s = self.schedule.duration_s
        self.step_times = self.schedule.step_times
        self.segments = self.schedule.segments


def plan(steps, durations):
    result = Plan(steps, durations)
    return result, result.cache


def pauses(result):
    """Corrected length of each Pause step, in order."""
    return [round(t.duration_s, 6) for t in result.step_times if isinstance(result.steps[t.index], Pause)]


def test_shorter_speech_gives_its_time_to_the_next_pause():
    result, _ = plan([Speak("in", 1.0), Pause(3.0), Speak("out", 1.0), Pause(5.0)],
                     {"in": 0.4, "out": 1.5})
    assert pauses(result) == [3.6, 4.5]
    assert result.duration_s == 10.0


def test_overrun_is_carried_forward_until_caught_up():
    steps = [Speak("long", 1.0), Pause(0.5), Speak("in", 1.0), Pause(1.0), Pause(2.0),
             Speak("in", 1.0), Pause(3.0)]
    result, _ = plan(steps, {"long": 3.0, "in": 1.0})
    floor = JOIN_GAP_S
    # 2 s over. Late pauses shrink to the floor (so phrases do not run together) and the
    # floor joins the debt: pause 1 absorbs 0.5 - floor, pause 2 1.0 - floor, pause 3 the rest.
    assert pauses(result) == [floor, floor, pytest.approx(1.5 - 2 * floor), 3.0]
    starts = {t.index: t.start_s for t in result.step_times}
    assert starts[5] == pytest.approx(0.0 + 1.0 + 0.5 + 1.0 + 1.0 + 2.0)  # back on time
    assert result.duration_s == pytest.approx(9.5)


def test_a_zero_pause_stays_zero_and_floors_never_exceed_the_pause():
    steps = [Speak("long", 1.0), Pause(0.0), Speak("in", 1.0), Pause(0.05), Speak("in", 1.0)]
    result, _ = plan(steps, {"long": 3.0, "in": 1.0})
    assert pauses(result) == [0.0, 0.05]


def test_overrun_at_the_end_makes_the_output_longer():
    result, _ = plan([Speak("long", 1.0), Pause(0.5)], {"long": 3.0})
    assert pauses(result) == [JOIN_GAP_S] and result.duration_s == pytest.approx(3.0 + JOIN_GAP_S)


def test_consecutive_speech_is_corrected_at_the_next_pause():
    steps = [Speak("a", 1.0), Speak("b", 1.0), Pause(2.0)]
    result, _ = plan(steps, {"a": 0.5, "b": 0.7})
    # Both estimates' error and the join gap come out of the one pause: 2 + 2 - 0.5 - 0.7 - gap.
    assert pauses(result) == [pytest.approx(4.0 - 1.2 - JOIN_GAP_S)]
    gap = [s for s in result.segments if s.audio is None][0]
    assert gap.n_samples == round(JOIN_GAP_S * RATE_HZ)  # words do not run together
    assert result.duration_s == pytest.approx(4.0)  # the pause absorbed speech and gap


def test_clock_rounds_to_samples_without_drift():
    clock = PacingClock(sample_rate=22050)
    for _ in range(1000):
        clock.spoke(0.5, 0.4321)
        clock.pause(1 / 3)
    # Each pause ends on the sample nearest its nominal time, so no error accumulates.
    assert round(clock.actual_s * 22050) == round(1000 * (0.5 + 1 / 3) * 22050)


def test_clock_synced_to_a_wall_clock():
    clock = PacingClock()
    clock.spoke(1.0, 0.0)
    clock.sync(1.25)  # the player took 1.25 s
    assert clock.pause(2.0) == pytest.approx(1.75)
    clock.spoke(0.5, 0.0)
    clock.sync(4.0)   # 0.5 s late
    assert clock.pause(0.25) == 0.0 and clock.lag_s == pytest.approx(0.25)
    assert clock.pause(0.5, floor_s=0.1) == pytest.approx(0.25)  # catches up
    assert clock.pause(1.0, floor_s=0.1) == pytest.approx(1.0)


def test_speech_is_trimmed_before_measuring():
    cache = SpeechCache(FakeEngine({"in": 0.4}))
    assert cache.duration_s(Speak("in", 1.0)) == pytest.approx(0.4)


def test_cache_hits_per_text_rate_volume_and_whisper():
    engine = FakeEngine({"in": 0.4, "out": 0.6})
    cache = SpeechCache(engine)
    for est in (1.0, 2.0, 3.0):  # the estimate does not change the audio
        cache.audio(Speak("in", est))
    assert len(engine.calls) == 1
    cache.audio(Speak("in", 1.0, rate_pct=80))
    cache.audio(Speak("in", 1.0, volume_db=-3.0))
    cache.audio(Speak("in", 1.0, whispered=True))
    cache.audio(Speak("out", 1.0))
    assert len(engine.calls) == 5 and cache.syntheses == 5
    cache.prefetch([Speak("in", 9.0), Pause(1), Speak("out", 9.0), Speak("in", 1.0, rate_pct=80)])
    assert len(engine.calls) == 5


def test_disk_cache_survives_a_new_process_cache(tmp_path):
    engine = FakeEngine({"in": 0.4})
    SpeechCache(engine, tmp_path).audio(Speak("in", 1.0))
    again = SpeechCache(engine, tmp_path)
    assert again.duration_s(Speak("in", 1.0)) == pytest.approx(0.4)
    assert len(engine.calls) == 1 and again.syntheses == 0


def test_damaged_disk_entry_is_synthesized_again(tmp_path):
    engine = FakeEngine({"in": 0.4})
    SpeechCache(engine, tmp_path).audio(Speak("in", 1.0))
    for f in tmp_path.glob("*.wav"):
        f.write_bytes(b"RIFF garbage")
    assert SpeechCache(engine, tmp_path).duration_s(Speak("in", 1.0)) == pytest.approx(0.4)
    assert len(engine.calls) == 2


def test_voice_is_part_of_the_key(tmp_path):
    a, b = FakeEngine({"in": 0.4}), FakeEngine({"in": 0.8})
    b.cache_key = "fake-other-voice"
    SpeechCache(a, tmp_path).audio(Speak("in", 1.0))
    assert SpeechCache(b, tmp_path).duration_s(Speak("in", 1.0)) == pytest.approx(0.8)
