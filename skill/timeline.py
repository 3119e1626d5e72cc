"""The timeline: what an SSML turn sounds like, as speech and silence steps.

Alexa speaks the SSML itself; the offline runner plays this timeline. Both come from
one parse (skill.ssml.to_timeline), so a pause is the same length on either player.
"""
from __future__ import annotations

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


Step = Speak | Pause


def duration_s(steps: list[Step]) -> float:
    """Estimated length of a timeline, speech and silence together."""
    return sum(s.est_s if isinstance(s, Speak) else s.seconds for s in steps)
