"""Reading what the CLI wrote: WAV samples, transcript lines, the skill's own answers."""
from __future__ import annotations

import array
import re
import subprocess
import sys
import wave
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CLI = REPO / "local_voice.py"
VENV_PYTHON = REPO / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON if VENV_PYTHON.exists() else Path(sys.executable))

SILENCE_THRESHOLD = 100           # |sample| at or below this is quiet (~ -50 dBFS)
TRANSCRIPT_LINE = re.compile(r"^(\d\d):(\d\d\.\d)  (speak|pause|total)(?:  (.*))?$")


def read_wav(path: str | Path) -> tuple[array.array, int]:
    with wave.open(str(path), "rb") as w:
        assert w.getnchannels() == 1, "mono"
        assert w.getsampwidth() == 2, "16-bit"
        rate = w.getframerate()
        samples = array.array("h", w.readframes(w.getnframes()))
    if sys.byteorder == "big":
        samples.byteswap()
    return samples, rate


def quiet_runs(samples, rate: int, min_s: float) -> list[tuple[float, float]]:
    """(start s, length s) of every stretch of quiet at least min_s long."""
    runs, start = [], None
    for i, x in enumerate(samples):
        quiet = -SILENCE_THRESHOLD <= x <= SILENCE_THRESHOLD
        if quiet and start is None:
            start = i
        elif not quiet and start is not None:
            if i - start >= min_s * rate:
                runs.append((start / rate, (i - start) / rate))
            start = None
    if start is not None and len(samples) - start >= min_s * rate:
        runs.append((start / rate, (len(samples) - start) / rate))
    return runs


def transcript(stdout: str) -> list[tuple[float, str, str]]:
    """(start s, kind, rest) for each transcript line in stdout; other lines are skipped."""
    out = []
    for line in stdout.splitlines():
        m = TRANSCRIPT_LINE.match(line)
        if m:
            out.append((int(m.group(1)) * 60 + float(m.group(2)), m.group(3), m.group(4) or ""))
    return out


def total_s(stdout: str) -> float:
    totals = [t for t, kind, _ in transcript(stdout) if kind == "total"]
    assert len(totals) == 1, stdout[-500:]
    return totals[0]


def skill_answer(envelope: dict, data_dir: Path) -> dict:
    """The response body the real app gives for an envelope (to compare the CLI with)."""
    from skill.app import create_app
    app = create_app({"DEVELOPER_MODE": True, "SKILL_DATA_DIR": str(data_dir)})
    res = app.test_client().post("/alexa", json=envelope)
    assert res.status_code == 200
    return res.get_json()


def start_cli(*args, env: dict, cwd) -> subprocess.Popen:
    return subprocess.Popen([PYTHON, str(CLI), *map(str, args)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd)


def fake_player_dir(folder: Path, script: str) -> Path:
    """A directory holding an `aplay` that runs `script` (sh): a stand-in audio player."""
    folder.mkdir(parents=True, exist_ok=True)
    player = folder / "aplay"
    player.write_text("#!/bin/sh\n" + script + "\n")
    player.chmod(0o755)
    return folder
