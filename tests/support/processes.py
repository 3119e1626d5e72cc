"""Run a server command in a subprocess and wait for a line of its output."""
from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
from pathlib import Path

from skill.config import SETTINGS

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any skill setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in {s.name for s in SETTINGS}}
    env.update(extra)
    return env


class Server:
    """A started process; its stdout and stderr lines are collected in order."""

    def __init__(self, args: list[str], env: dict[str, str]):
        self.proc = subprocess.Popen(args, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self._pump_thread = threading.Thread(target=self._pump, daemon=True)
        self._pump_thread.start()

    def _pump(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout_s: float = 15.0) -> re.Match:
        regex = re.compile(pattern)
        while True:
            try:
                line = self.lines.get(timeout=timeout_s)
            except queue.Empty:
                raise AssertionError(f"no line matching {pattern!r}; saw: {self.seen}") from None
            self.seen.append(line)
            match = regex.search(line)
            if match:
                return match

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()  # this process only, by its own handle
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._pump_thread.join(timeout=5)  # EOF once the process is gone
        self.proc.stdout.close()
