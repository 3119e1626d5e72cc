"""Helpers for the load tests: a gunicorn server started from gunicorn_load.conf.py (the
production settings in developer mode) on 127.0.0.1 and a free port, with a private
SQLite directory; loopback HTTP; and reading what reached the database.

Processes: ``GunicornServer.stop()`` ends the master it started (SIGTERM, then SIGKILL)
and then any worker it saw booting that is still alive, by pid, after checking that the
pid still belongs to this server (its environment names this server's data directory).
"""
from __future__ import annotations

import copy
import datetime as dt
import http.client
import json
import os
import re
import signal
import sqlite3
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

from support.processes import REPO_ROOT, VENV_BIN, Server, clean_env

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "requests"
LOAD_CONF = Path(__file__).resolve().parent / "gunicorn_load.conf.py"
APP_ID = "amzn1.ask.skill.00000000-0000-4000-8000-00000c0ac4c1"
START_TIMEOUT_S = 60.0


class GunicornServer:
    def __init__(self, data_dir: Path, workers: int = 2, threads: int = 4, **env: str):
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.env = clean_env(DEVELOPER_MODE="1", ALEXA_SKILL_ID=APP_ID,
                             SKILL_DATA_DIR=str(self.data_dir), SKILL_BIND="127.0.0.1:0",
                             SKILL_WORKERS=str(workers), SKILL_THREADS=str(threads), **env)
        self.workers = workers
        self.server = Server([str(VENV_BIN / "gunicorn"), "-c", str(LOAD_CONF),
                              "skill.app:create_app()"], self.env)
        self.worker_pids: list[int] = []
        self._scanned = 0
        self.port = 0

    # -- start, watch -------------------------------------------------------------------

    def start(self) -> "GunicornServer":
        try:
            url = self.wait_for_line(r"Listening at: http://127\.0\.0\.1:(\d+)", START_TIMEOUT_S)
            self.port = int(url.group(1))
            while len(self.worker_pids) < self.workers:
                self.wait_for_line(r"Booting worker with pid: (\d+)", START_TIMEOUT_S)
            self.wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def _scan(self) -> None:
        """Note every worker the master has booted (from its log)."""
        for line in self.server.seen[self._scanned:]:
            m = re.search(r"Booting worker with pid: (\d+)", line)
            if m and int(m.group(1)) not in self.worker_pids:
                self.worker_pids.append(int(m.group(1)))
        self._scanned = len(self.server.seen)

    def drain_log(self) -> list[str]:
        """Log lines printed since the last call."""
        start = len(self.server.seen)
        while not self.server.lines.empty():
            self.server.seen.append(self.server.lines.get_nowait())
        self._scan()
        return self.server.seen[start:]

    def wait_for_line(self, pattern: str, timeout_s: float = 30.0) -> re.Match:
        try:
            return self.server.wait_for(pattern, timeout_s)
        finally:
            self._scan()

    def live_workers(self) -> list[int]:
        return [p for p in self.worker_pids if self.owns(p)]

    def owns(self, pid: int) -> bool:
        """pid is alive and is this server's master or worker (not a recycled pid)."""
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            return False
        return f"SKILL_DATA_DIR={self.data_dir}".encode() in environ

    def wait_healthy(self, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                status, _ = request(self.port, "GET", "/healthz", timeout_s=5)
                if status == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"server not healthy; log: {self.server.seen[-20:]}")
            time.sleep(0.1)

    # -- stop ---------------------------------------------------------------------------

    def stop(self) -> None:
        try:
            self.server.stop()     # the master: SIGTERM, then SIGKILL after 10 s
        finally:
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and any(self.owns(p) for p in self.worker_pids):
                time.sleep(0.1)
            for pid in self.worker_pids:
                if self.owns(pid):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# --------------------------------------------------------------------------- HTTP

def request(port: int, method: str, path: str, body: bytes | None = None,
            headers: dict | None = None, timeout_s: float = 30.0) -> tuple[int, bytes]:
    """One request on a fresh connection (Connection: close, as Alexa may do)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
    try:
        hdrs = {"Connection": "close", **(headers or {})}
        if body is not None:
            hdrs.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=body, headers=hdrs)
        res = conn.getresponse()
        return res.status, res.read()
    finally:
        conn.close()


_FIXTURE_CACHE: dict[str, dict] = {}


def envelope(name: str, user_id: str, session_id: str, attributes: dict, new: bool,
             locale: str = "en-US", **slot_values: str) -> dict:
    """A fixture as Alexa would send it for this listener and session. No apiAccessToken:
    the skill then never calls the Alexa settings API (streaks count in UTC), so the
    server stays off the network."""
    if name not in _FIXTURE_CACHE:
        _FIXTURE_CACHE[name] = json.loads((FIXTURES / f"{name}.json").read_text())
    env = copy.deepcopy(_FIXTURE_CACHE[name])
    env["request"]["requestId"] = f"amzn1.echo-api.request.{uuid.uuid4()}"
    env["request"]["timestamp"] = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    env["request"]["locale"] = locale
    system = env["context"]["System"]
    system.pop("apiAccessToken", None)
    system.pop("apiEndpoint", None)
    system["user"]["userId"] = user_id
    if "session" in env:
        env["session"].update({"new": new, "sessionId": session_id, "attributes": attributes})
        env["session"]["user"]["userId"] = user_id
    for slot, value in slot_values.items():
        env["request"]["intent"]["slots"][slot]["value"] = value
    return env


# --------------------------------------------------------------------------- database

def database_file(data_dir: Path) -> Path:
    return Path(data_dir) / "compassion-coach.sqlite3"


def stored_attributes(data_dir: Path, user_ids) -> dict[str, dict]:
    """What the skill stored for each listener, read through the persistence adapter
    (the same HMAC key file the server generated in data_dir)."""
    from skill.persistence import make_persistence_adapter
    adapter = make_persistence_adapter({"SKILL_DATA_DIR": str(data_dir)})
    out = {}
    try:
        for uid in user_ids:
            env = SimpleNamespace(
                context=SimpleNamespace(system=SimpleNamespace(user=SimpleNamespace(user_id=uid))),
                session=None, request=SimpleNamespace(request_id=f"check-{uuid.uuid4()}"))
            out[uid] = adapter.get_attributes(env)
    finally:
        adapter.close()
    return out


def integrity_check(data_dir: Path) -> str:
    conn = sqlite3.connect(database_file(data_dir), timeout=10)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def total_history_records(data_dir: Path) -> int:
    """Every history record in the file, over all listeners (plain SQL over the JSON)."""
    conn = sqlite3.connect(database_file(data_dir), timeout=10)
    try:
        rows = conn.execute("SELECT attributes_json FROM listener_attributes").fetchall()
    finally:
        conn.close()
    return sum(len(json.loads(r[0]).get("history") or []) for r in rows)


def check_database_matches(data_dir, report) -> dict:
    """Every completed practice is stored, nothing else is; ratings as given."""
    users = set(report.completed) | set(report.unknown) | {e[0] for e in report.entries}
    stored = stored_attributes(data_dir, sorted(users))
    lost, extra = {}, {}
    for user in users:
        n = len(stored[user].get("history") or [])
        low, high = report.completed[user], report.completed[user] + report.unknown[user]
        if n < low:
            lost[user] = low - n
        if n > high:
            extra[user] = n - high
    assert not lost, f"LOST RECORDS: {sum(lost.values())} completed practices missing ({lost})"
    assert not extra, f"records no client completed: {extra}"
    by_id = {h["id"]: h for user in users for h in stored[user].get("history") or []}
    for user, entry_id, before, after in report.entries:
        assert entry_id in by_id, f"check-in practice {entry_id} of {user} not stored"
        assert by_id[entry_id]["before"] == before
        if after is not None:
            assert by_id[entry_id]["after"] == after, (entry_id, by_id[entry_id], after)
    return stored
