"""The timeline: what a turn sounds like, as speech, silence and timed breath phases.

Alexa speaks the SSML; APL-A plays a document; the offline runner plays this timeline. All
come from one parse of one render (skill.render), so a pause is the same on every player.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

NORMAL_RATE_PCT = 100


@dataclass(frozen=True)
class Speak:
    """Words to say. `est_s` is the renderer's estimate of how long they take;
    a player that measures the real length gives the difference back to the next pause."""

    text: str
    est_s: float
    rate_pct: int = NORMAL_RATE_PCT   # 100 = the voice's normal speed
    volume_db: float = 0.0            # relative to normal loudness
    whispered: bool = False


@dataclass(frozen=True)
class Pause:
    seconds: float


@dataclass(frozen=True)
class Phase:
    """A timed breath phase: `cue` is said at its start and the phase lasts `seconds` in all.

    SSML can only say the cue and then be quiet for `rest_s` (the phase less the cue's
    estimate, to the millisecond), so there its length is an estimate; an APL-A Mixer of the
    cue and a Silence of `seconds` makes it exact, whatever speed the voice speaks at."""

    cue: Speak | None       # None: a silent phase (the practice says less as it goes on)
    seconds: float
    breath: str = ""        # in, top-up, out, hold, hold-empty (skill.breathing)
    rest_s: float = 0.0     # the silence after the cue in the SSML form


Step = Speak | Pause            # what a player plays
Item = Speak | Pause | Phase    # what a turn's timeline holds


def flat(items: Iterable[Item]) -> list[Step]:
    """The timeline as the SSML says it: each phase its cue, then its rest; adjacent pauses
    joined, as the SSML parse joins adjacent <break>s."""
    out: list[Step] = []

    def pause(seconds: float) -> None:
        if seconds <= 0:
            return
        if out and isinstance(out[-1], Pause):
            out[-1] = Pause(round(out[-1].seconds + seconds, 3))
        else:
            out.append(Pause(round(seconds, 3)))

    for item in items:
        if isinstance(item, Phase):
            if item.cue is not None:
                out.append(item.cue)
            pause(item.rest_s)
        elif isinstance(item, Pause):
            pause(item.seconds)
        else:
            out.append(item)
    return out


def item_s(item: Item) -> float:
    """Estimated length of one item (a phase: its exact length)."""
    if isinstance(item, Phase):
        return item.seconds
    return item.est_s if isinstance(item, Speak) else item.seconds


def duration_s(steps: Sequence[Item]) -> float:
    """Estimated length of a timeline, speech and silence together."""
    return sum(item_s(s) for s in steps)


def phase_starts_s(items: Sequence[Item]) -> list[tuple[float, Phase]]:
    """(start, phase) of every breath phase, from the start of the timeline: exact between
    phases, estimated for the speech before the first one."""
    t, out = 0.0, []
    for item in items:
        if isinstance(item, Phase):
            out.append((round(t, 3), item))
        t += item_s(item)
    return out
