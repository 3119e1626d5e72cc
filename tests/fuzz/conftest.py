"""Fixtures for the request fuzzer: the real app (create_app) on a fresh SQLite file.

Module-scoped (Hypothesis runs many examples per test function; function-scoped
fixtures would be shared across them anyway). The Alexa settings API is never called:
ALEXA_API_ORIGINS is empty, so no fuzzed request can make the skill reach the network.
"""
from __future__ import annotations

import threading

import pytest

from fuzz_harness import STATS, STRICT, install_log_capture
from skill.app import create_app
from skill.config import SETTINGS
from skill.tools.devserver import make_dev_server

APP_ID = "amzn1.ask.skill.00000000-0000-4000-8000-00000c0ac4c1"


@pytest.fixture(scope="module", autouse=True)
def _clean_environment():
    mp = pytest.MonkeyPatch()
    for setting in SETTINGS:
        mp.delenv(setting.name, raising=False)
    yield
    mp.undo()


@pytest.fixture(scope="module")
def dev_app(tmp_path_factory):
    install_log_capture()
    return create_app({"DEVELOPER_MODE": True, "ALEXA_SKILL_ID": APP_ID,
                       "SKILL_DATA_DIR": str(tmp_path_factory.mktemp("fuzz-data")),
                       "ALEXA_API_ORIGINS": frozenset()})


@pytest.fixture(scope="module")
def dev_client(dev_app):
    return dev_app.test_client()


@pytest.fixture(scope="module")
def dev_server(dev_app):
    """The development server (skill.tools.devserver) on 127.0.0.1, port 0, serving
    dev_app; yields the port."""
    httpd = make_dev_server("127.0.0.1", 0, dev_app)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield httpd.server_port
    httpd.shutdown()
    httpd.server_close()


def pytest_terminal_summary(terminalreporter):
    if not STATS:
        return
    tr = terminalreporter
    tr.section("request fuzzer")
    tr.write_line(f"requests sent: {STATS['cases']['requests']}"
                  f"{' (FUZZ_STRICT: known bugs fail)' if STRICT else ''}")
    tr.write_line("status codes: " + ", ".join(f"{k}: {v}" for k, v in sorted(STATS["status"].items())))
    for title in sorted(k for k in STATS if k not in ("cases", "status")):
        if STATS[title]:
            tr.write_line(f"{title}:")
            for key, n in STATS[title].most_common(25):
                tr.write_line(f"  {n:6d}  {key}")
