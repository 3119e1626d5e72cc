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
class Stage:
    """How much the voice guides, from `from_s` into the paced breathing (the "fade" list
    in ssml/breathing_patterns.json): guidance fades so the listener keeps their own rhythm."""
    from_s: float
    breaths: frozenset[str]     # the phases that get a spoken cue
    every_cycles: int           # cue one cycle in this many
    volume: str                 # SSML prosody volume of the cues
    reminder_every_blocks: int  # a reminder line in one block (about a minute) in this many


FULL_GUIDANCE = Stage(0.0, frozenset({"in", "top-up", "out", "hold", "hold-empty"}), 1, "medium", 1)


@dataclass(frozen=True)
class Cycle:
    index: int
    phases: tuple[Phase, ...]
    start_s: float   # from the start of the paced breathing
    stage: Stage = FULL_GUIDANCE
    stage_first: bool = False   # the first cycle of a stage that says less than the one before
    spoken: tuple[bool, ...] = ()   # per phase: whether its cue is said

    @property
    def s(self) -> float:
        return sum(p.s for p in self.phases)


def _file() -> dict:
    return json.loads((SSML_DIR / "breathing_patterns.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def patterns() -> dict[str, dict]:
    return {k: v for k, v in _file().items() if not k.startswith("_") and k != "fade"}


@lru_cache(maxsize=1)
def fade() -> tuple[Stage, ...]:
    """The guidance stages of a pattern that fades, in order of `from_s`."""
    rows = sorted(_file()["fade"], key=lambda r: r["from_s"])
    return tuple(Stage(float(r["from_s"]), frozenset(r["breaths"]), int(r["every_cycles"]), r["volume"],
                       int(r["reminder_every_blocks"])) for r in rows)


def max_seconds(pattern: str) -> float | None:
    """The longest a pattern runs whatever was asked (box: its holds), or None."""
    minutes = patterns()[pattern].get("max_minutes")
    return None if minutes is None else minutes * 60.0


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
    cap = max_seconds(pattern)
    if cap is not None:
        seconds = min(seconds, cap)
    stages = fade() if spec.get("fades") else (FULL_GUIDANCE,)
    out: list[Cycle] = []
    t = 0.0
    stage, since = stages[0], 0     # the stage in force and the index of its first cycle
    while True:
        phases = ramp[len(out)] if len(out) < len(ramp) else steady
        length = sum(p.s for p in phases)
        if len(out) >= MIN_CYCLES and t + length > seconds + 1e-9:
            break
        if limit is not None and len(out) >= limit:
            break
        now = [st for st in stages if st.from_s <= t + 1e-9][-1]
        first = now is not stage
        if first:
            stage, since = now, len(out)
        said = (len(out) - since) % stage.every_cycles == 0
        spoken = tuple(said and p.breath in stage.breaths for p in phases)
        out.append(Cycle(len(out), phases, t, stage, first, spoken))
        t += length
    return out
