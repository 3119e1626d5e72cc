"""The pyttsx3 engine with the real espeak-ng voice: repeatable, bounded, correct settings."""
from __future__ import annotations

import os
import stat
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from skill.tools.voice import Pyttsx3Engine, SynthesisError, VoiceNotFound, engine as engine_mod
from skill.tools.voice.audio import trim_silence
from skill.tools.voice.engine import (BASE_RATE_WPM, MAX_RATE_WPM, MIN_RATE_WPM, pyttsx3_volume, rate_wpm,
                                select_voice)

HANG_S = 60          # how long the stand-in for a hung worker would sleep


def worker_runs(monkeypatch) -> list[int]:
    """Counts the engine's worker processes: one per synthesis unless one hung or stalled
    (a retry), which is what a timed bound per call would catch, without the clock."""
    runs = []
    real_run = engine_mod.subprocess.run

    def run(*args, **kwargs):
        runs.append(1)
        return real_run(*args, **kwargs)
    monkeypatch.setattr(engine_mod.subprocess, "run", run)
    return runs


def test_ten_syntheses_in_a_row_in_one_process(real_engine, monkeypatch):
    texts = ["Breathe in", "and out", "Gently in", "and slowly out", "Let your face soften."]
    lengths = {}
    first = None
    runs = worker_runs(monkeypatch)
    for i in range(10):
        text = texts[i % len(texts)]
        audio = real_engine.synthesize(text, rate_pct=100)
        assert len(runs) == i + 1, "a synthesis needed a retry"
        assert audio.sample_rate > 0 and audio.n_frames > audio.sample_rate // 4, text
        lengths.setdefault(text, set()).add(audio.frames)
        if i == 0:
            first = audio.frames
    # The same request gives the same audio every time (no state leaking between calls,
    # which pyttsx3 2.99 has when one engine is reused).
    assert all(len(v) == 1 for v in lengths.values())
    assert real_engine.synthesize(texts[0]).frames == first


def test_parallel_syntheses_give_identical_audio(real_engine):
    # Two workers at once load the machine the way prefetch does; with pyttsx3's queued
    # properties about 1 run in 150 lost its rate under such load (spoken at 200 wpm).
    reference = real_engine.synthesize("and hold, gently").frames
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: real_engine.synthesize("and hold, gently").frames, range(60)))
    assert sum(r != reference for r in results) == 0


def test_long_multi_sentence_text_is_complete(real_engine):
    # pyttsx3 2.99 returns from runAndWait before espeak-ng has finished a text this long;
    # the worker must wait, or the WAV is missing. 56 words at BASE_RATE_WPM.
    text = ("Breathe gently, not deeply. If at any point you feel dizzy or light-headed, stop "
            "following my voice, and return to your natural breathing. Some people find that "
            "focusing on the breath feels uncomfortable. That's not your fault. You can simply "
            "breathe normally and listen, or try grounding instead.")
    words = len(text.split())
    lengths = {trim_silence(real_engine.synthesize(text)).n_frames for _ in range(3)}
    assert len(lengths) == 1
    seconds = lengths.pop() / 22050
    assert seconds == pytest.approx(words * 60 / BASE_RATE_WPM, rel=0.25)


def test_rate_changes_length_in_order(real_engine):
    # Alternate rates so a setting that lags one call behind would show.
    d = {pct: trim_silence(real_engine.synthesize("Let the out-breath be long and easy.", pct)).duration_s
         for pct in (80, 120, 100)}
    assert d[80] > d[100] > d[120]
    # espeak-ng speaks close to proportionally: 80 % is ~1.25x as long as 100 %.
    assert d[80] / d[100] == pytest.approx(100 / 80, rel=0.1)
    assert d[100] / d[120] == pytest.approx(120 / 100, rel=0.1)


def test_volume_db_scales_amplitude(real_engine):
    loud = real_engine.synthesize("and out", volume_db=0.0).samples()
    soft = real_engine.synthesize("and out", volume_db=-6.0).samples()
    assert len(loud) == len(soft)
    ratio = max(map(abs, soft)) / max(map(abs, loud))
    assert ratio == pytest.approx(10 ** (-6 / 20), rel=0.08)


def test_whisper_uses_a_different_voice(real_engine):
    normal = real_engine.synthesize("and out")
    whisper = real_engine.synthesize("and out", whispered=True)
    assert whisper.n_frames > 0 and whisper.frames != normal.frames


def test_empty_text_needs_no_synthesis(real_engine):
    assert real_engine.synthesize("   ").n_frames == 0


def test_rate_and_volume_mapping():
    assert rate_wpm(100) == BASE_RATE_WPM
    assert rate_wpm(80) == round(BASE_RATE_WPM * 0.8)
    assert rate_wpm(1) == MIN_RATE_WPM and rate_wpm(1000) == MAX_RATE_WPM
    assert pyttsx3_volume(0) == 1.0
    assert pyttsx3_volume(-6) == pytest.approx(0.5012, abs=1e-4)
    assert pyttsx3_volume(6) == 1.0  # capped: pyttsx3's scale ends at 1
    assert pyttsx3_volume(float("-inf")) == 0.0


def test_voice_selection_on_installed_voices(real_engine):
    voices = real_engine.voices()
    assert len(voices) > 5
    assert select_voice(voices, "gmw/en-us").id == "gmw/en-us"
    assert select_voice(voices, "EN-US").id == "gmw/en-us"            # id without group
    assert select_voice(voices, "english (america)").id == "gmw/en-us"  # name
    assert select_voice(voices, "new york").id == "gmw/en-us-nyc"     # unique substring
    with pytest.raises(VoiceNotFound, match="voices match"):
        select_voice(voices, "english")
    with pytest.raises(VoiceNotFound, match="no voice"):
        select_voice(voices, "no-such-voice")


def test_engine_with_a_chosen_voice_speaks_it(real_engine):
    us = Pyttsx3Engine(voice="en-us")
    assert us.voice_id == "gmw/en-us" and us.cache_key != real_engine.cache_key
    assert us.synthesize("Breathe in").frames != real_engine.synthesize("Breathe in").frames
    assert us.synthesize("Breathe in", whispered=True).n_frames > 0


def test_hung_worker_is_killed_after_the_timeout(tmp_path, monkeypatch):
    # A "python" that never answers stands in for a runAndWait that never returns.
    hang, pids = tmp_path / "hang", tmp_path / "pids"
    hang.write_text(f"#!/bin/sh\necho $$ >> '{pids}'\nexec sleep {HANG_S}\n")
    hang.chmod(hang.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(engine_mod, "SYNTH_TIMEOUT_BASE_S", 0.3)
    monkeypatch.setattr(engine_mod, "SYNTH_TIMEOUT_PER_CHAR_S", 0.0)
    start = time.monotonic()
    with pytest.raises(SynthesisError, match="did not finish"):
        Pyttsx3Engine(python=str(hang)).synthesize("Breathe in")
    # Each attempt was started and killed, not waited out.
    started = [int(p) for p in pids.read_text().split()]
    assert len(started) == engine_mod.SYNTH_ATTEMPTS
    for pid in started:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert time.monotonic() - start < HANG_S / 4          # a fraction of one hang


def test_stalled_worker_is_retried_once(tmp_path):
    # First run reports a stall (exit 75), the retry runs the real worker.
    flag = tmp_path / "stalled-once"
    python = tmp_path / "python"
    python.write_text(f"#!/bin/sh\nif [ ! -e '{flag}' ]; then touch '{flag}'; echo stalled >&2; exit 75; fi\n"
                      f"exec '{sys.executable}' \"$@\"\n")
    python.chmod(0o755)
    assert Pyttsx3Engine(python=str(python)).synthesize("Breathe in").n_frames > 0
    assert flag.exists()


def test_worker_failure_is_reported(tmp_path):
    fail = tmp_path / "fail"
    fail.write_text("#!/bin/sh\necho 'espeak exploded' >&2\nexit 3\n")
    fail.chmod(fail.stat().st_mode | stat.S_IEXEC)
    with pytest.raises(SynthesisError, match="espeak exploded"):
        Pyttsx3Engine(python=str(fail)).synthesize("Breathe in")
