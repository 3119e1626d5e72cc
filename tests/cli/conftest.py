"""Run local_voice.py as a user would: a subprocess of the project's Python, real voice."""
from __future__ import annotations

import os
import subprocess

import pytest
from cli_helpers import CLI, PYTHON

RUN_TIMEOUT_S = 60


@pytest.fixture
def cli_env(tmp_path) -> dict:
    """The environment of a run: its own skill data directory, nothing else changed."""
    env = dict(os.environ)
    env["SKILL_DATA_DIR"] = str(tmp_path / "skill-data")
    env.pop("ALEXA_SKILL_ID", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture
def run_cli(cli_env, tmp_path):
    def run(*args, input: str | None = None, env: dict | None = None,
            timeout: float = RUN_TIMEOUT_S) -> subprocess.CompletedProcess:
        stdin = {"input": input} if input is not None else {"stdin": subprocess.DEVNULL}
        return subprocess.run([PYTHON, str(CLI), *map(str, args)], capture_output=True, text=True,
                              env=env or cli_env, cwd=tmp_path, timeout=timeout, **stdin)
    return run

