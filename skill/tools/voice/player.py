"""Live playback: speech through a command-line WAV player, pauses timed on the wall clock.

Speech is synthesized (and measured) before the first word, then each cue is played as a
file; every pause ends at its nominal time on the timeline, so player start-up latency and
the real length of the words are absorbed the same way the WAV writer absorbs them.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from skill.timeline import Pause, Speak, Step

from .audio import Audio, write_wav
from .cache import SpeechCache, speech_key
from .pacing import JOIN_GAP_S, PacingClock, StepTime, pause_floor_s, schedule
from .wav import DEFAULT_SAMPLE_RATE_HZ

# Players tried in order, with the arguments that make them play one file and exit quietly.
# (pyttsx3's own espeak driver shells out to aplay, and stays silent when it is missing.)
PLAYER_COMMANDS: tuple[tuple[str, ...], ...] = (
    ("aplay", "-q"),
    ("paplay",),
    ("pw-play",),
    ("ffplay", "-nodisp", "-autoexit", "-loglevel", "error"),
    ("afplay",),
)
NO_AUDIO_OUTPUT_MESSAGE = (
    "no audio player found (looked for "
    + ", ".join(c[0] for c in PLAYER_COMMANDS)
    + "); use --out FILE.wav to save the practice to a file instead"
)
# How often on_progress is called while a cue plays or a pause runs.
PROGRESS_INTERVAL_S = 0.25
# Grace time for a player to exit after being asked to stop, before it is killed.
PLAYER_STOP_TIMEOUT_S = 1.0
# Before a practice starts, each player found plays this much silence to prove it has a
# device (aplay is often installed where there is no sound card).
PROBE_SILENCE_S = 0.05
PROBE_SAMPLE_RATE_HZ = 22050
PROBE_TIMEOUT_S = 5.0

ProgressCallback = Callable[[int, float, float], None]  # (step index, elapsed s, remaining s)


class NoAudioOutput(RuntimeError):
    """No way to play sound on this machine."""


class AudioOutputError(RuntimeError):
    """The audio player failed (no device, bad file...)."""


@dataclass(frozen=True)
class AudioOutput:
    """A command that plays the WAV file whose path is appended to it."""

    command: tuple[str, ...]

    @property
    def name(self) -> str:
        return Path(self.command[0]).name

    def start(self, wav_path: Path) -> subprocess.Popen:
        return subprocess.Popen([*self.command, str(wav_path)], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def probe(self) -> str | None:
        """Play a moment of silence. None if that worked, else why not (one line)."""
        with tempfile.TemporaryDirectory(prefix="cc-probe-") as tmp:
            path = Path(tmp) / "probe.wav"
            write_wav(path, Audio(bytes(2 * round(PROBE_SILENCE_S * PROBE_SAMPLE_RATE_HZ)),
                                  PROBE_SAMPLE_RATE_HZ))
            proc = self.start(path)
            try:
                proc.wait(timeout=PROBE_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                return f"{self.name} did not finish playing {PROBE_SILENCE_S} s of silence"
            finally:
                err = _end(proc)
            return None if proc.returncode == 0 else f"{self.name}: {err or f'exit status {proc.returncode}'}"


def find_audio_output(search_path: str | None = None, probe: bool = False) -> AudioOutput:
    """The first player found on `search_path` (default: $PATH); with probe, the first
    that can actually play. Raises NoAudioOutput (one-line message) when there is none."""
    failures = []
    for name, *args in PLAYER_COMMANDS:
        exe = shutil.which(name, path=search_path)
        if not exe:
            continue
        output = AudioOutput((exe, *args))
        why = output.probe() if probe else None
        if why is None:
            return output
        failures.append(why)
    if failures:
        raise NoAudioOutput(f"cannot play audio ({'; '.join(failures)}); "
                            "use --out FILE.wav to save the practice to a file instead")
    raise NoAudioOutput(NO_AUDIO_OUTPUT_MESSAGE)


@dataclass
class PlayReport:
    duration_s: float
    step_times: list[StepTime] = field(default_factory=list)
    stopped: bool = False   # True when `stop` was set before the end


def play_timeline(steps: Sequence[Step], speech: SpeechCache, output: AudioOutput,
                  on_progress: ProgressCallback | None = None,
                  stop: threading.Event | None = None) -> PlayReport:
    """Play `steps` now. Ctrl-C (KeyboardInterrupt) stops the sound at once and propagates;
    setting `stop` ends playback early and returns a report with stopped=True."""
    stop = stop or threading.Event()
    speech.prefetch(steps)  # all synthesis up front: nothing slow once the practice starts
    plan = schedule(steps, speech.audio, speech.sample_rate(steps, DEFAULT_SAMPLE_RATE_HZ))
    total_s = plan.duration_s
    with tempfile.TemporaryDirectory(prefix="cc-play-") as tmp:
        files = _cue_files(steps, speech, plan, Path(tmp))
        return _Playback(output, on_progress, stop, total_s).run(steps, files)


def _cue_files(steps, speech: SpeechCache, plan, folder: Path) -> dict[int, Path]:
    """One WAV per distinct cue (as converted by the schedule), by step index."""
    by_key: dict[tuple, Path] = {}
    files: dict[int, Path] = {}
    for segment in plan.segments:
        if segment.audio is None or not segment.n_samples:
            continue
        key = speech_key(speech.engine.cache_key, steps[segment.step_index])
        if key not in by_key:
            by_key[key] = folder / f"cue{len(by_key)}.wav"
            write_wav(by_key[key], segment.audio)
        files[segment.step_index] = by_key[key]
    return files


class _Playback:
    def __init__(self, output, on_progress, stop, total_s):
        self.output, self.on_progress, self.stop, self.total_s = output, on_progress, stop, total_s
        self.t0 = 0.0
        self.index = 0

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def progress(self) -> None:
        if self.on_progress:
            elapsed = self.elapsed()
            self.on_progress(self.index, elapsed, max(0.0, self.total_s - elapsed))

    def run(self, steps, files) -> PlayReport:
        clock = PacingClock()
        times: list[StepTime] = []
        previous_was_speech = False
        self.t0 = time.monotonic()
        for index, step in enumerate(steps):
            self.index = index
            if self.stop.is_set():
                return PlayReport(self.elapsed(), times, stopped=True)
            if isinstance(step, Speak):
                path = files.get(index)
                if path is None:  # nothing to say (empty text)
                    clock.spoke(step.est_s, 0.0)
                    continue
                if previous_was_speech:
                    self.wait_until(self.elapsed() + JOIN_GAP_S)
                start = self.elapsed()
                self.play(path)
                clock.spoke(step.est_s, 0.0)
                clock.sync(self.elapsed())
                times.append(StepTime(index, start, self.elapsed() - start))
                previous_was_speech = True
            elif isinstance(step, Pause):
                start = self.elapsed()
                clock.sync(start)
                due = clock.pause(step.seconds, pause_floor_s(step))
                self.wait_until(start + due)
                times.append(StepTime(index, start, self.elapsed() - start))
                previous_was_speech = False
        self.progress()
        return PlayReport(self.elapsed(), times, stopped=self.stop.is_set())

    def wait_until(self, t_s: float) -> None:
        self.progress()
        while not self.stop.is_set():
            left = t_s - self.elapsed()
            if left <= 0:
                return
            self.stop.wait(min(left, PROGRESS_INTERVAL_S))  # interruptible by Ctrl-C
            self.progress()

    def play(self, path: Path) -> None:
        self.progress()
        proc = self.output.start(path)
        try:
            while True:
                try:
                    proc.wait(timeout=PROGRESS_INTERVAL_S)
                    break
                except subprocess.TimeoutExpired:
                    self.progress()
                    if self.stop.is_set():
                        return
        finally:
            err = _end(proc)
        if proc.returncode != 0:
            detail = err or f"exit status {proc.returncode}"
            raise AudioOutputError(f"{self.output.name} could not play audio: {detail}")


def _end(proc: subprocess.Popen) -> str:
    """Stop a player that is still sounding (Ctrl-C, stop, error), reap it, and return the
    last line it wrote to stderr."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=PLAYER_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if not proc.stderr:
        return ""
    lines = proc.stderr.read().decode("utf-8", "replace").strip().splitlines()
    proc.stderr.close()
    return lines[-1].strip() if lines else ""
