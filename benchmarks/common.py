"""Shared helpers: request envelopes, the two apps, statistics, a loopback-only guard,
speech onsets in PCM samples, and the Figure every measurement returns."""
from __future__ import annotations

import array
import copy
import json
import os
import socket
import tempfile
import wave
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "requests"
APP_ID = "amzn1.ask.skill.00000000-0000-4000-8000-00000c0ac4c1"
LOOPBACK = "127.0.0.1"

#: The turn kinds measured, and the fixture each starts from (slot values applied below).
TURN_KINDS = ("launch", "breathing_5min", "continue", "checkin", "crisis")
BREATHING_MINUTES = 5


# --------------------------------------------------------------------------- network
def loopback_only() -> None:
    """Refuse, in this process, any connection or name lookup that is not loopback.

    The skill asks Amazon's settings API for the device's time zone when a request carries
    an apiEndpoint and token; the envelopes here carry neither, and this guard makes sure.
    """
    if getattr(socket, "_benchmarks_guarded", False):
        return
    real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def is_local(host) -> bool:
        return host in (None, "", "localhost", "::1") or str(host).startswith("127.")

    def connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_local(address[0]):
            raise PermissionError(f"benchmarks: refused non-loopback connection to {address[0]}")
        return real_connect(sock, address)

    def getaddrinfo(host, *args, **kwargs):
        if not is_local(host):
            raise PermissionError(f"benchmarks: refused name lookup of {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect
    socket.getaddrinfo = getaddrinfo
    socket._benchmarks_guarded = True


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- envelopes
def fixture(name: str) -> dict:
    env = json.loads((FIXTURES / f"{name}.json").read_text())
    system = env["context"]["System"]
    system.pop("apiEndpoint", None)       # no time-zone lookup: nothing leaves the machine
    system.pop("apiAccessToken", None)
    return env


def envelope(name: str, user: str, *, attributes: dict | None = None, new: bool = True,
             request_id: str = "amzn1.echo-api.request.bench", **slots) -> dict:
    env = copy.deepcopy(fixture(name))
    env["request"]["requestId"] = request_id
    env["context"]["System"]["user"]["userId"] = user
    if "session" in env:
        env["session"].update({"new": new, "sessionId": f"amzn1.echo-api.session.{user[-12:]}",
                               "attributes": attributes or {}})
        env["session"]["user"]["userId"] = user
    for slot, value in slots.items():
        env["request"]["intent"]["slots"][slot]["value"] = value
    return env


def user_id(i: int) -> str:
    return f"amzn1.ask.account.BENCH{i:012d}"


def turn_envelopes(client, user: str) -> dict[str, dict]:
    """One envelope per turn kind for `user`; "continue" carries the session a real
    5-minute breathing first turn left (obtained through `client`, our app)."""
    first = envelope("breathing_no_slots", user, minutes=str(BREATHING_MINUTES))
    res = client.post("/alexa", json=first)
    assert res.status_code == 200, res.get_data(as_text=True)
    attrs = res.get_json().get("sessionAttributes") or {}
    return {
        "launch": envelope("launch", user),
        "breathing_5min": first,
        "continue": envelope("continue", user, attributes=attrs, new=False),
        "checkin": envelope("checkin_anxious", user),
        "crisis": envelope("crisis", user),
    }


# --------------------------------------------------------------------------- apps
def our_config(data_dir: str | os.PathLike) -> dict:
    """Developer mode (signature and timestamp checks off), SQLite in `data_dir`."""
    return {"DEVELOPER_MODE": True, "ALEXA_SKILL_ID": APP_ID, "SKILL_DATA_DIR": str(data_dir),
            "SKILL_DATABASE": ""}


def our_app(data_dir):
    from skill.app import create_app
    return create_app(our_config(data_dir))


def baseline_app():
    from benchmarks.baseline_skill import create_app
    return create_app()


def temp_dir(prefix: str) -> str:
    return tempfile.mkdtemp(prefix=f"cc-bench-{prefix}-")


# --------------------------------------------------------------------------- statistics
def percentile(values, pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))   # ceil
    return ordered[int(rank) - 1]


def median(values) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


# --------------------------------------------------------------------------- audio
AUDIO_FRAME_S = 0.005          # amplitude is looked at in 5 ms frames
SILENCE_AMPLITUDE = 200        # |sample| at or below this (about -44 dBFS) is silence
MIN_GAP_S = 0.25               # a sound after at least this much silence is an onset


def read_mono16(path) -> tuple[array.array, int]:
    with wave.open(str(path), "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1, "expected mono 16-bit PCM"
        samples = array.array("h", w.readframes(w.getnframes()))
        return samples, w.getframerate()


def onsets_s(samples, sample_rate: int, *, floor: int = SILENCE_AMPLITUDE,
             min_gap_s: float = MIN_GAP_S) -> list[float]:
    """Times (s) where sound starts after at least `min_gap_s` of silence (and the first
    sound), to the sample: 5 ms frames find the region, then the first loud sample."""
    frame = max(1, round(AUDIO_FRAME_S * sample_rate))
    gap_frames = round(min_gap_s / AUDIO_FRAME_S)
    out, quiet = [], gap_frames
    for start in range(0, len(samples), frame):
        chunk = samples[start:start + frame]
        if max(chunk) > floor or -min(chunk) > floor:
            if quiet >= gap_frames:
                first = next(i for i, x in enumerate(chunk) if abs(x) > floor)
                out.append((start + first) / sample_rate)
            quiet = 0
        else:
            quiet += 1
    return out


# --------------------------------------------------------------------------- results
@dataclass
class Figure:
    """One row of the report: ours against a baseline, as a ratio (or error), with a target."""

    section: str
    name: str
    ours: float | None
    baseline: float | None
    unit: str
    ratio: float | None = None
    target: str = ""              # e.g. "<= 3.0x"; empty: informational
    passed: bool | None = None
    note: str = ""

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def ratio_figure(section, name, ours, baseline, unit, limit=None, higher_is_better=False,
                 note="") -> Figure:
    ratio = ours / baseline if ours is not None and baseline else None
    target, passed = "", None
    if limit is not None and ratio is not None:
        if higher_is_better:
            target, passed = f">= {limit:g}x", ratio >= limit
        else:
            target, passed = f"<= {limit:g}x", ratio <= limit
    return Figure(section, name, ours, baseline, unit, ratio, target, passed, note)


@dataclass
class Section:
    title: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
