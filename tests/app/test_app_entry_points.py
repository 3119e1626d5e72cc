"""The ways the skill is started: the dev server, gunicorn with gunicorn.conf.py, and the
Lambda handler. Real processes on 127.0.0.1 where a process is what is started."""
from __future__ import annotations

import importlib
import json
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from ask_sdk_core.exceptions import AskSdkException

from skill.config import ConfigError
from support.envelopes import OTHER_SKILL_ID, SKILL_ID, envelope, raw
from support.processes import REPO_ROOT, VENV_BIN, Server, clean_env

HTTP_TIMEOUT_S = 10


def _post(url: str, body: bytes, content_type: str = "application/json"):
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def _get(url: str):
    with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT_S) as response:
        return response.status, json.loads(response.read())


# --------------------------------------------------------------------------- devserver

@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "example.com"])
def test_devserver_refuses_a_non_loopback_host(host, tmp_path):
    done = subprocess.run([sys.executable, "-m", "skill.tools.devserver", "--host", host],
                          cwd=REPO_ROOT, env=clean_env(SKILL_DATA_DIR=str(tmp_path)),
                          capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1
    assert "loopback" in done.stderr


def test_devserver_bad_or_busy_port_is_a_short_error(tmp_path):
    import socket
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        for args, code, says in ((["--port", "70000"], 2, "--port"),
                                 (["--port", str(port)], 1, "in use")):  # werkzeug's words
            done = subprocess.run([sys.executable, "-m", "skill.tools.devserver", *args],
                                  cwd=REPO_ROOT, env=clean_env(SKILL_DATA_DIR=str(tmp_path)),
                                  capture_output=True, text=True, timeout=30)
            assert done.returncode == code
            assert says in done.stderr and "Traceback" not in done.stderr


def _ipv6_loopback_available() -> bool:
    import socket
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.parametrize("host, shown", [
    ("127.0.0.1", r"127\.0\.0\.1"),
    pytest.param("::1", r"\[::1\]", marks=pytest.mark.skipif(
        not _ipv6_loopback_available(), reason="no IPv6 loopback here")),
])
def test_devserver_serves_unverified_on_loopback(tmp_path, host, shown):
    server = Server([sys.executable, "-m", "skill.tools.devserver", "--port", "0", "--host", host],
                    clean_env(SKILL_DATA_DIR=str(tmp_path / "data")))
    try:
        base = server.wait_for(rf"skill endpoint: (http://{shown}:\d+)/alexa").group(1)
        server.wait_for(r"database:")
        banner = "\n".join(server.seen)
        assert "DEVELOPER MODE" in banner and "verification are OFF" in banner
        assert "loopback only" in banner
        assert str(tmp_path / "data") in banner  # the database path
        assert _get(f"{base}/healthz") == (200, {"status": "ok"})
        status, body = _post(f"{base}/alexa", raw(envelope()))  # unsigned
        assert status == 200 and body["response"]["outputSpeech"]["type"] == "SSML"
        status, body = _post(f"{base}/alexa", b"{oops")
        assert status == 400 and body["error"] == "bad_request"
    finally:
        server.stop()


# --------------------------------------------------------------------------- gunicorn

def _gunicorn(env: dict[str, str]) -> Server:
    return Server([str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py",
                   "skill.app:create_app()"], env)


def test_gunicorn_serves_with_verification_on(tmp_path):
    server = _gunicorn(clean_env(ALEXA_SKILL_ID=SKILL_ID, SKILL_BIND="127.0.0.1:0",
                                 SKILL_WORKERS="1", SKILL_THREADS="2",
                                 SKILL_DATA_DIR=str(tmp_path / "data")))
    try:
        base = server.wait_for(r"Listening at: (http://127\.0\.0\.1:\d+)").group(1)
        server.wait_for(r"Booting worker")
        assert _get(f"{base}/healthz") == (200, {"status": "ok"})
        status, body = _post(f"{base}/alexa", raw(envelope()))  # unsigned: refused
        assert status == 400 and set(body) == {"error", "message"}
    finally:
        server.stop()


def test_gunicorn_settings_keep_slow_clients_short(monkeypatch):
    import runpy
    monkeypatch.delenv("SKILL_BIND", raising=False)
    settings = runpy.run_path(str(REPO_ROOT / "gunicorn.conf.py"))
    assert settings["bind"].startswith("127.0.0.1:")  # behind the HTTPS reverse proxy
    assert settings["worker_class"] == "gthread" and settings["threads"] > 1
    assert settings["timeout"] <= 30 and settings["keepalive"] <= 5
    assert settings["limit_request_line"] <= 8190 and settings["limit_request_fields"] <= 100


@pytest.mark.parametrize("env, expected", [
    ({}, "ALEXA_SKILL_ID"),
    ({"ALEXA_SKILL_ID": SKILL_ID, "DEVELOPER_MODE": "1"}, "DEVELOPER_MODE"),
    ({"ALEXA_SKILL_ID": SKILL_ID, "ASK_SDK_VERIFY_SIGNATURE": "0"}, "ASK_SDK_VERIFY_SIGNATURE"),
    ({"ALEXA_SKILL_ID": SKILL_ID, "SKILL_DATABASE": "mysql://db"}, "SKILL_DATABASE"),
    ({"ALEXA_SKILL_ID": SKILL_ID, "ALEXA_TRUST_ROOTS": "/nonexistent.pem"}, "ALEXA_TRUST_ROOTS"),
])
def test_gunicorn_refuses_an_unsafe_configuration(env, expected, tmp_path):
    done = subprocess.run([str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py",
                           "skill.app:create_app()"],
                          cwd=REPO_ROOT, env=clean_env(SKILL_BIND="127.0.0.1:0",
                                                       SKILL_DATA_DIR=str(tmp_path), **env),
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    ours = [line for line in done.stderr.splitlines() if line.startswith("gunicorn.conf.py:")]
    assert len(ours) == 1 and expected in ours[0]
    assert "Traceback" not in done.stderr


# --------------------------------------------------------------------------- Lambda

@pytest.fixture
def import_lambda(monkeypatch, tmp_path):
    monkeypatch.setenv("SKILL_DATABASE", f"sqlite:///{tmp_path}/lambda.sqlite3")
    monkeypatch.setenv("USER_KEY_SECRET", "lambda entry point test secret")

    def load():
        monkeypatch.delitem(sys.modules, "skill.lambda_function", raising=False)
        return importlib.import_module("skill.lambda_function")
    yield load
    sys.modules.pop("skill.lambda_function", None)


def test_lambda_handler_answers_and_checks_the_skill_id(monkeypatch, import_lambda):
    monkeypatch.setenv("ALEXA_SKILL_ID", SKILL_ID)
    module = import_lambda()
    answer = module.handler(envelope(), None)
    assert answer["response"]["outputSpeech"]["type"] == "SSML"
    with pytest.raises(AskSdkException, match="Skill ID"):
        module.handler(envelope(application_id=OTHER_SKILL_ID), None)


def test_lambda_needs_no_signature(monkeypatch, import_lambda):
    # Signature headers do not exist on Lambda; verification defaults must not matter.
    monkeypatch.setenv("ALEXA_SKILL_ID", SKILL_ID)
    monkeypatch.setenv("ASK_SDK_VERIFY_SIGNATURE", "true")
    assert "response" in import_lambda().handler(envelope(age_s=3600), None)


def test_lambda_refuses_to_load_without_a_skill_id(import_lambda):
    with pytest.raises(ConfigError, match="ALEXA_SKILL_ID"):
        import_lambda()


def test_lambda_refuses_to_load_without_a_database(monkeypatch, import_lambda):
    monkeypatch.setenv("ALEXA_SKILL_ID", SKILL_ID)
    monkeypatch.delenv("SKILL_DATABASE")
    with pytest.raises(ConfigError, match="dynamodb://"):
        import_lambda()


def test_lambda_refuses_to_load_without_a_user_key_secret(monkeypatch, import_lambda):
    monkeypatch.setenv("ALEXA_SKILL_ID", SKILL_ID)
    monkeypatch.delenv("USER_KEY_SECRET")
    with pytest.raises(ConfigError, match="USER_KEY_SECRET"):
        import_lambda()
