"""Breathing patterns (ssml/breathing_patterns.json) turned into the cycles of a session."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from skill.catalogue import SSML_DIR

MIN_CYCLES = 3


@dataclass(frozen=True)
class Phase:
    breath: str      # in, top-up, out, hold, hold-empty
    s: float         # the whole phase, cue words included


@dataclass(frozen=True)
class Cycle:
    index: int
    phases: tuple[Phase, ...]
    start_s: float   # from the start of the paced breathing

    @property
    def s(self) -> float:
        return sum(p.s for p in self.phases)


@lru_cache(maxsize=1)
def patterns() -> dict[str, dict]:
    data = json.loads((SSML_DIR / "breathing_patterns.json").read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def holds_breath(pattern: str) -> bool:
    """Whether a pattern holds the breath: such patterns run only when asked for by name."""
    return bool(patterns().get(pattern, {}).get("holds"))


def _phases(rows) -> tuple[Phase, ...]:
    return tuple(Phase(r["breath"], float(r["s"])) for r in rows)


def cycles(pattern: str, seconds: float) -> list[Cycle]:
    """Whole cycles that fill `seconds` of paced breathing: the ramp first, then the
    steady cycle; at least MIN_CYCLES, never more than the pattern's max_cycles."""
    spec = patterns()[pattern]
    ramp = [_phases(r) for r in spec.get("ramp", [])]
    steady = _phases(spec["cycle"])
    limit = spec.get("max_cycles")
    out: list[Cycle] = []
    t = 0.0
    while True:
        phases = ramp[len(out)] if len(out) < len(ramp) else steady
        length = sum(p.s for p in phases)
        if len(out) >= MIN_CYCLES and t + length > seconds + 1e-9:
            break
        if limit is not None and len(out) >= limit:
            break
        out.append(Cycle(len(out), phases, t))
        t += length
    return out
