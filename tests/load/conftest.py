"""Load tests against gunicorn (production settings, developer mode; see
gunicorn_load.conf.py). Every server is started by a test through ``gunicorn_server``
and stopped in teardown, whatever happened."""
from __future__ import annotations

import pytest

from load_support import GunicornServer


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: runs a minute or more (still part of the default run and CI)")


@pytest.fixture
def gunicorn_server(tmp_path):
    """Factory: gunicorn_server(workers=2, threads=4, **env) -> a started GunicornServer
    with its own data directory under tmp_path."""
    started: list[GunicornServer] = []

    def start(workers: int = 2, threads: int = 4, name: str = "data", **env) -> GunicornServer:
        server = GunicornServer(tmp_path / name, workers=workers, threads=threads, **env)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()
