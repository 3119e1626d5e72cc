"""Speech measured once: each distinct Speak step is synthesized one time, trimmed to its
words, and kept in memory (and on disk when a cache directory is given)."""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
import wave
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from skill.timeline import Speak

from .audio import Audio, read_wav, trim_silence, write_wav
from .engine import Engine

# Bump when the stored audio would change for the same request (e.g. new trimming).
CACHE_FORMAT_VERSION = 1
# Synthesis runs in worker processes, so a couple in flight use both cores.
PREFETCH_WORKERS = max(1, min(4, os.cpu_count() or 1))


def speech_key(engine_key: str, step: Speak) -> tuple:
    """Everything that changes how a Speak step sounds (est_s does not)."""
    return (engine_key, step.text, round(float(step.rate_pct), 3), round(float(step.volume_db), 3),
            bool(step.whispered))


class SpeechCache:
    """Trimmed speech audio per (engine+voice, text, rate, volume, whisper).

    Thread-safe; the same object can be shared by many renders (tests share one per session).
    """

    def __init__(self, engine: Engine, cache_dir: str | Path | None = None) -> None:
        self.engine = engine
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self._memory: dict[tuple, Audio] = {}
        self._lock = threading.Lock()
        self.syntheses = 0  # how many times the engine was asked (for tests and stats)

    def audio(self, step: Speak) -> Audio:
        key = speech_key(self.engine.cache_key, step)
        with self._lock:
            hit = self._memory.get(key)
        if hit is not None:
            return hit
        audio = self._load(key)
        if audio is None:
            raw = self.engine.synthesize(step.text, step.rate_pct, step.volume_db, step.whispered)
            audio = trim_silence(raw)
            with self._lock:
                self.syntheses += 1
            self._store(key, audio)
        with self._lock:
            return self._memory.setdefault(key, audio)

    def duration_s(self, step: Speak) -> float:
        """How long the words really take with this engine and voice."""
        return self.audio(step).duration_s

    def sample_rate(self, steps, default_hz: int) -> int:
        """The rate the engine speaks these steps at (of the first one with words)."""
        for step in steps:
            if isinstance(step, Speak) and step.text.strip():
                audio = self.audio(step)
                if audio.n_frames:
                    return audio.sample_rate
        return default_hz

    def prefetch(self, steps) -> None:
        """Synthesize every distinct Speak in `steps` now, a few at a time."""
        todo = {speech_key(self.engine.cache_key, s): s for s in steps if isinstance(s, Speak)}
        with ThreadPoolExecutor(PREFETCH_WORKERS) as pool:
            list(pool.map(self.audio, todo.values()))

    def _path(self, key: tuple) -> Path | None:
        if self.cache_dir is None:
            return None
        digest = hashlib.sha256(json.dumps([CACHE_FORMAT_VERSION, *key]).encode("utf-8")).hexdigest()
        return self.cache_dir / f"{digest[:32]}.wav"

    def _load(self, key: tuple) -> Audio | None:
        path = self._path(key)
        if path is None or not path.exists():
            return None
        try:
            return read_wav(path)
        except (OSError, EOFError, ValueError, wave.Error):  # a damaged entry is re-synthesized
            return None

    def _store(self, key: tuple, audio: Audio) -> None:
        path = self._path(key)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a crash or a parallel run never leaves half a file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        os.close(fd)
        try:
            write_wav(tmp, audio)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
