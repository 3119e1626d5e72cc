"""Pause correction: the timeline's clock, kept exact whatever the real voice does.

A Speak step's est_s is a guess; the real words take actual_s. The difference goes to the
next pause, so "cue + pause" lasts exactly as written. A pause never goes negative: an
overrun is carried forward and taken from later pauses until the clock has caught up.
Equivalently, every pause ends at its nominal time on the timeline, or as soon as it can
when late (after a short floor, so two phrases never run together).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from skill.timeline import Pause, Speak, Step

from .audio import Audio, resample

# Speech is trimmed to its sound, so without a gap two phrases would run together. This
# much silence goes between two Speak steps with no Pause between them (a change of prosody
# or whisper mid-sentence), and a late pause is not squeezed below it (or its own length).
# The clock carries this time forward like any overrun.
JOIN_GAP_S = 0.1


class PacingClock:
    """Nominal time (what the timeline says) against actual time (what was output).

    With a sample_rate, actual time is counted in whole samples and pauses are rounded so
    each ends on the sample nearest its nominal end: no drift however long the practice.
    """

    def __init__(self, sample_rate: int | None = None) -> None:
        self.sample_rate = sample_rate
        self.nominal_s = 0.0
        self._actual = 0 if sample_rate else 0.0  # samples, or seconds

    @property
    def actual_s(self) -> float:
        return self._actual / self.sample_rate if self.sample_rate else self._actual

    @property
    def lag_s(self) -> float:
        """How far behind the timeline the output is (negative: ahead)."""
        return self.actual_s - self.nominal_s

    def spoke(self, est_s: float, actual_s: float) -> None:
        self.nominal_s += est_s
        self._advance(actual_s)

    def extra(self, actual_s: float) -> None:
        """Output that is not on the timeline (a join gap); a later pause absorbs it."""
        self._advance(actual_s)

    def sync(self, actual_s: float) -> None:
        """Set the actual time from a wall clock (live playback)."""
        self._actual = round(actual_s * self.sample_rate) if self.sample_rate else actual_s

    def pause(self, seconds: float, floor_s: float = 0.0) -> float:
        """The corrected length of a pause of `seconds` (at least floor_s), and advance both
        clocks."""
        self.nominal_s += seconds
        if self.sample_rate:
            due = max(round(floor_s * self.sample_rate),
                      round(self.nominal_s * self.sample_rate) - self._actual)
            self._actual += due
            return due / self.sample_rate
        due = max(floor_s, self.nominal_s - self._actual)
        self._actual += due
        return due

    def _advance(self, actual_s: float) -> None:
        self._actual += round(actual_s * self.sample_rate) if self.sample_rate else actual_s


def pause_floor_s(step: Pause) -> float:
    """The shortest a pause may become when the clock is late."""
    return min(max(0.0, step.seconds), JOIN_GAP_S)


@dataclass(frozen=True)
class StepTime:
    """When a timeline step happens in the output, and for how long."""

    index: int          # position in the timeline
    start_s: float
    duration_s: float   # speech: its real length; pause: the corrected silence


@dataclass(frozen=True)
class Segment:
    """A piece of output: speech audio, or `n_samples` of silence when audio is None."""

    step_index: int
    n_samples: int
    audio: Audio | None = None


@dataclass(frozen=True)
class Schedule:
    sample_rate: int
    segments: list[Segment]
    step_times: list[StepTime]

    @property
    def n_samples(self) -> int:
        return sum(s.n_samples for s in self.segments)

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.sample_rate


def schedule(steps: Sequence[Step], speech: Callable[[Speak], Audio], sample_rate: int) -> Schedule:
    """The output for `steps` at `sample_rate`, with every pause corrected.

    `speech(step)` gives the (trimmed) audio of a Speak step; it is converted to mono
    16-bit at `sample_rate` if the engine produced something else.
    """
    clock = PacingClock(sample_rate)
    segments: list[Segment] = []
    times: list[StepTime] = []
    previous_was_speech = False
    for index, step in enumerate(steps):
        if isinstance(step, Speak):
            audio = speech(step)
            if audio.sample_rate != sample_rate or audio.channels != 1 or audio.sample_width != 2:
                audio = resample(audio, sample_rate)
            if previous_was_speech and audio.n_frames:
                gap = round(JOIN_GAP_S * sample_rate)
                segments.append(Segment(index, gap))
                clock.extra(gap / sample_rate)
            start = clock.actual_s
            clock.spoke(step.est_s, audio.n_frames / sample_rate)
            segments.append(Segment(index, audio.n_frames, audio))
            times.append(StepTime(index, start, audio.duration_s))
            previous_was_speech = previous_was_speech or audio.n_frames > 0
        elif isinstance(step, Pause):
            start = clock.actual_s
            n = round(clock.pause(step.seconds, pause_floor_s(step)) * sample_rate)
            segments.append(Segment(index, n))
            times.append(StepTime(index, start, n / sample_rate))
            previous_was_speech = False
        else:
            raise TypeError(f"not a timeline step: {step!r}")
    return Schedule(sample_rate, segments, times)
