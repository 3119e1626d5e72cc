"""The real breathing practice, every pattern, exported to WAV with the real voice: every
cycle, found from the samples, lasts its pattern's length within 1 %."""
from __future__ import annotations

import json

import pytest

from skill import breathing, catalogue, render, ssml
from skill.catalogue import SSML_DIR
from skill.timeline import Speak
from skill.tools.voice import render_wav

from voice_helpers import read_mono16, speech_onsets

pytestmark = pytest.mark.espeak

PATTERNS = catalogue.get("breathing").params["pattern"]["choices"]
IN_CUES = set(json.loads((SSML_DIR / "breathing_cues.json").read_text())["in"])
TOLERANCE = 0.01
MATCH_S = 0.05       # a detected onset belongs to the cue the runner placed this close to it
MIN_QUIET_S = 0.3    # shortest silence between two cues (the sigh's top-up phase)


@pytest.mark.parametrize("pattern", PATTERNS)
def test_every_cycle_of_the_exported_practice_is_on_time(tmp_path, speech, pattern):
    minutes = 1
    turns = render.render("breathing", "en-GB", minutes=minutes, pattern=pattern)
    steps = [s for t in turns for s in ssml.to_timeline(render.speech(t.body))]
    report = render_wav(steps, tmp_path / f"{pattern}.wav", speech=speech)
    samples, rate = read_mono16(report.path)
    onsets_s = [i / rate for i in speech_onsets(samples, rate, min_pause_s=MIN_QUIET_S)]

    # The in-breath cues, where the runner put them; then the onset the samples show there.
    placed = [t.start_s for t in report.step_times
              if isinstance(steps[t.index], Speak) and steps[t.index].text in IN_CUES]
    heard = []
    for at in placed:
        near = [o for o in onsets_s if abs(o - at) <= MATCH_S]
        assert near, f"no speech starts near {at:.2f} s"
        heard.append(near[0])

    cycles = breathing.cycles(pattern, minutes * 60)
    assert len(heard) == len(cycles)
    for cycle, start, nxt in zip(cycles, heard, heard[1:]):
        assert nxt - start == pytest.approx(cycle.s, rel=TOLERANCE), (pattern, cycle.index)
