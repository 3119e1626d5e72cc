"""The HTTP edge apart from signatures: JSON errors for bad input, sizes, routes, health,
escaping exceptions, start-up refusal, developer mode. Verification is ON unless a test
is about developer mode."""
from __future__ import annotations

import json
import logging

import pytest
from ask_sdk_core.exceptions import AskSdkException

from skill.app import create_app
from skill.config import ConfigError
from support.envelopes import SKILL_ID, USER_ID_MARKER, envelope, raw
from support.http import assert_json_error


# --------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("data", [
    b"{not json", b"", b"\xff\xfe{}", b'{"version": "1.0", "request": ', b"NaN garbage"])
def test_body_that_is_not_json(client, data):
    response = client.post("/alexa", data=data, content_type="application/json")
    assert_json_error(response, 400)


@pytest.mark.parametrize("body", [
    [], 1, "LaunchRequest", None, {},
    {"version": "1.0"},
    {"request": {"type": "LaunchRequest", "requestId": "r", "timestamp": "2026-11-26T03:00:00Z"}},
    {"version": "1.0", "request": "LaunchRequest"},
    {"version": "1.0", "request": {"requestId": "r", "timestamp": "2026-11-26T03:00:00Z"}},
    {"version": "1.0", "request": {"type": "LaunchRequest", "timestamp": "2026-11-26T03:00:00Z"}},
    {"version": "1.0", "request": {"type": "LaunchRequest", "requestId": "r"}},
    {"version": "1.0", "request": {"type": "LaunchRequest", "requestId": "r", "timestamp": 5}},
    {"version": "1.0", "session": 5, "request": {
        "type": "LaunchRequest", "requestId": "r", "timestamp": "2026-11-26T03:00:00Z"}},
], ids=lambda b: json.dumps(b)[:40])
def test_json_that_is_not_a_request_envelope(client, body):
    response = client.post("/alexa", data=json.dumps(body), content_type="application/json")
    assert_json_error(response, 400)


@pytest.mark.parametrize("change", [
    {"type": "Some.FutureRequestType"},     # the SDK cannot deserialize it
    {"timestamp": "yesterday"},
    {"intent": "not an object", "type": "IntentRequest"},
])
def test_envelope_the_sdk_cannot_read_is_400_not_500(client, change):
    body = envelope(**change)
    response = client.post("/alexa", data=raw(body), content_type="application/json")
    assert_json_error(response, 400)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", None])
def test_wrong_content_type(client, content_type):
    kwargs = {"content_type": content_type} if content_type else {}
    response = client.post("/alexa", data=raw(envelope()), **kwargs)
    assert_json_error(response, 415)


def test_body_over_max_request_bytes(make_app, post_signed):
    limit_bytes = 4096
    client = make_app(MAX_REQUEST_BYTES=limit_bytes).test_client()
    body = envelope()
    body["padding"] = "x" * limit_bytes
    assert len(raw(body)) > limit_bytes
    assert_json_error(post_signed(client, body), 413)
    # Control: just under the limit is served.
    body["padding"] = "x" * (limit_bytes - len(raw(envelope())) - 20)
    assert len(raw(body)) <= limit_bytes
    assert post_signed(client, body).status_code == 200


def test_default_size_limit_is_256_kib(make_app, post_signed):
    client = make_app().test_client()
    body = envelope()
    body["padding"] = "x" * (256 * 1024)
    assert_json_error(post_signed(client, body), 413)


@pytest.mark.parametrize("method", ["get", "put", "delete", "patch"])
def test_wrong_method_on_alexa(client, method):
    body = assert_json_error(getattr(client, method)("/alexa"), 405)
    assert body["error"] == "method_not_allowed"


def test_405_names_the_allowed_method(client):
    response = client.get("/alexa")
    assert "POST" in response.headers["Allow"]


def test_unknown_path(client):
    assert_json_error(client.get("/nope"), 404)
    assert_json_error(client.post("/alexa/extra", data=b"{}",
                                  content_type="application/json"), 404)


# --------------------------------------------------------------------------- health

def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_fails_when_the_real_database_cannot_be_opened(make_app, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    app = make_app(SKILL_DATABASE=f"sqlite:///{blocker / 'cc.sqlite3'}")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "failed": ["persistence"]}


def test_healthz_is_503_when_the_secret_file_is_lost_but_records_exist(
        make_app, post_signed, tmp_path):
    from ask_sdk_model import RequestEnvelope
    app = make_app()
    skill = app.extensions["compassion_coach"]["skill"]
    listener = skill.serializer.deserialize(raw(envelope()).decode(), RequestEnvelope)
    skill.persistence_adapter.save_attributes(listener, {"pace": "slow"})
    secret_file = tmp_path / "data" / "user-key.secret"
    secret_file.unlink()
    restarted = make_app().test_client()
    response = restarted.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "failed": ["persistence"]}
    post_signed(restarted, envelope())        # the skill apologises; no stranger is made
    assert not secret_file.exists()


def test_healthz_reports_a_failing_registered_check(app):
    checks = app.extensions["compassion_coach"]["health_checks"]
    checks.append(("database", lambda: False))
    checks.append(("secret", lambda: 1 / 0))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "failed": ["database", "secret"]}


def test_healthz_runs_the_persistence_adapters_check(monkeypatch, trust_roots_file):
    # When build_skill gives the skill a persistence adapter with health_check(), /healthz
    # uses it without further wiring.
    from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
    from ask_sdk_core.skill_builder import CustomSkillBuilder
    import skill.app as app_module

    class Adapter(AbstractPersistenceAdapter):
        healthy = True

        def get_attributes(self, request_envelope):
            return {}

        def save_attributes(self, request_envelope, attributes):
            pass

        def delete_attributes(self, request_envelope):
            pass

        def health_check(self):
            return self.healthy

    adapter = Adapter()

    def build_with_adapter(config):
        builder = CustomSkillBuilder(persistence_adapter=adapter)
        builder.skill_id = config["ALEXA_SKILL_ID"]
        return builder.create()

    monkeypatch.setattr(app_module, "build_skill", build_with_adapter)
    client = create_app({"ALEXA_SKILL_ID": SKILL_ID,
                         "ALEXA_TRUST_ROOTS": trust_roots_file}).test_client()
    assert client.get("/healthz").status_code == 200
    adapter.healthy = False
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["failed"] == ["persistence"]


# --------------------------------------------------------------------------- escaping exceptions

@pytest.mark.parametrize("error", [
    RuntimeError(f"boom {USER_ID_MARKER}"), AskSdkException(f"dispatch failed {USER_ID_MARKER}")])
def test_exception_escaping_the_skill_is_json_500_logged_without_body(
        app, post_signed, caplog, monkeypatch, error):
    # The skill normally apologises through its exception handler; this is the case
    # where something escapes it anyway.
    skill = app.extensions["compassion_coach"]["skill"]

    def explode(request_envelope, context):
        raise error
    monkeypatch.setattr(skill, "invoke", explode)
    caplog.set_level(logging.DEBUG)
    response = post_signed(app.test_client(), envelope())
    assert_json_error(response, 500)
    assert caplog.records, "the failure is logged"
    if isinstance(error, RuntimeError):
        assert "Unhandled RuntimeError on POST /alexa" in caplog.text
    assert type(error).__name__ in caplog.text  # type and stack are logged...
    assert USER_ID_MARKER not in caplog.text     # ...the message (which quotes input) is not
    assert "LaunchRequest" not in caplog.text


# --------------------------------------------------------------------------- start-up

def test_refuses_to_start_with_verification_on_and_no_skill_id(trust_roots_file):
    with pytest.raises(ConfigError) as info:
        create_app({"ALEXA_TRUST_ROOTS": trust_roots_file})
    message = str(info.value)
    assert "ALEXA_SKILL_ID" in message and "\n" not in message


@pytest.mark.parametrize("flags", [
    {"ASK_SDK_VERIFY_SIGNATURE": False}, {"ASK_SDK_VERIFY_TIMESTAMP": False}])
def test_either_verification_alone_still_needs_the_skill_id(flags):
    with pytest.raises(ConfigError):
        create_app(flags)


@pytest.mark.parametrize("flags", [
    {"ASK_SDK_VERIFY_SIGNATURE": False}, {"ASK_SDK_VERIFY_TIMESTAMP": False},
    {"ASK_SDK_VERIFY_SIGNATURE": False, "ASK_SDK_VERIFY_TIMESTAMP": False}])
@pytest.mark.parametrize("given_as", ["config", "environment"])
def test_verification_cannot_be_switched_off_outside_developer_mode(
        monkeypatch, trust_roots_file, flags, given_as):
    # Whatever launches create_app (gunicorn with another config, waitress, a WSGI
    # wrapper), unverified requests or replays are served only in developer mode.
    config = {"ALEXA_SKILL_ID": SKILL_ID, "ALEXA_TRUST_ROOTS": trust_roots_file}
    if given_as == "config":
        config.update(flags)
    else:
        for name, value in flags.items():
            monkeypatch.setenv(name, "1" if value else "0")
    with pytest.raises(ConfigError) as info:
        create_app(config)
    message = str(info.value)
    assert next(iter(flags)) in message and "DEVELOPER_MODE" in message and "\n" not in message


def test_skill_id_from_the_environment(monkeypatch, trust_roots_file, post_signed, cert_server):
    monkeypatch.setenv("ALEXA_SKILL_ID", SKILL_ID)
    monkeypatch.setenv("ALEXA_TRUST_ROOTS", trust_roots_file)
    app = create_app({"CERT_FETCHER": cert_server.fetcher()})
    assert post_signed(app.test_client(), envelope()).status_code == 200


def test_bad_trust_roots_file_is_a_one_line_start_up_error(tmp_path):
    bad = tmp_path / "roots.pem"
    bad.write_text("not a certificate")
    for path in (str(bad), str(tmp_path / "missing.pem")):
        with pytest.raises(ConfigError) as info:
            create_app({"ALEXA_SKILL_ID": SKILL_ID, "ALEXA_TRUST_ROOTS": path})
        assert "ALEXA_TRUST_ROOTS" in str(info.value) and "\n" not in str(info.value)


def test_sdk_default_verifiers_are_replaced_not_added(app):
    # flask-ask-sdk would add its own RequestVerifier (no timeout) next to ours. The
    # signature is checked at the edge, on the raw bytes; the SDK's handler then runs
    # the envelope's checks.
    from ask_sdk_webservice_support.verifier import RequestVerifier, TimestampVerifier
    from skill.verify import ApplicationIdVerifier, RequestTimestampVerifier, SignatureVerifier
    adapter = app.extensions["ASK_SDK_SKILL_ADAPTER"][SKILL_ID]
    kinds = [type(v) for v in adapter._webservice_handler._verifiers]
    assert kinds == [RequestTimestampVerifier, ApplicationIdVerifier]
    assert RequestVerifier not in kinds and TimestampVerifier not in kinds
    assert type(app.extensions["compassion_coach"]["signature_verifier"]) is SignatureVerifier


# --------------------------------------------------------------------------- developer mode

@pytest.fixture
def dev_client():
    app = create_app({"DEVELOPER_MODE": True})
    app.testing = True
    return app.test_client()


@pytest.mark.parametrize("address", ["127.0.0.1", "127.12.34.56", "::1", "::ffff:127.0.0.1"])
def test_developer_mode_serves_loopback_unsigned(dev_client, address):
    response = dev_client.post("/alexa", data=raw(envelope()), content_type="application/json",
                               environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 200
    assert dev_client.get("/healthz", environ_base={"REMOTE_ADDR": address}).status_code == 200


@pytest.mark.parametrize("address", ["203.0.113.7", "10.0.0.2", "192.168.1.10", "::2",
                                     "2001:db8::1", "0.0.0.0", "", "localhost"])
def test_developer_mode_refuses_everyone_else(dev_client, address):
    for response in (
            dev_client.post("/alexa", data=raw(envelope()), content_type="application/json",
                            environ_base={"REMOTE_ADDR": address}),
            dev_client.get("/healthz", environ_base={"REMOTE_ADDR": address}),
            dev_client.get("/nope", environ_base={"REMOTE_ADDR": address})):
        assert_json_error(response, 403)


@pytest.mark.parametrize("header", [
    "X-Forwarded-For", "Forwarded", "X-Real-IP", "Via", "X-Forwarded-Proto",
    "X-Forwarded-Host", "X-Forwarded-Port"])
def test_developer_mode_refuses_proxied_requests(dev_client, header):
    # A tunnel or reverse proxy on this machine makes internet clients look like loopback.
    response = dev_client.post("/alexa", data=raw(envelope()), content_type="application/json",
                               headers={header: "203.0.113.7"},
                               environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert_json_error(response, 403)


@pytest.mark.parametrize("host", [
    "evil.example", "evil.example:5000", "127.0.0.1.nip.io", "localhost.evil.example",
    "skill.example.org", "10.0.0.2:5000", "[2001:db8::1]:5000", "0.0.0.0:5000"])
def test_developer_mode_refuses_a_foreign_host_header(dev_client, host):
    # DNS rebinding: a web page's own name resolving to 127.0.0.1 reaches a loopback
    # server from the browser, with its name in Host; so does a proxy passing Host on.
    for response in (
            dev_client.post("/alexa", data=raw(envelope()), content_type="application/json",
                            headers={"Host": host}, environ_base={"REMOTE_ADDR": "127.0.0.1"}),
            dev_client.get("/healthz", headers={"Host": host},
                           environ_base={"REMOTE_ADDR": "127.0.0.1"})):
        assert_json_error(response, 403)


@pytest.mark.parametrize("host", [
    "localhost", "localhost:5000", "127.0.0.1", "127.0.0.1:5000", "127.3.4.5:80", "[::1]:5000",
    "LOCALHOST:5000"])
def test_developer_mode_serves_loopback_host_names(dev_client, host):
    response = dev_client.post("/alexa", data=raw(envelope()), content_type="application/json",
                               headers={"Host": host}, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert response.status_code == 200


def test_developer_mode_overrides_verification_flags():
    app = create_app({"DEVELOPER_MODE": True, "ASK_SDK_VERIFY_SIGNATURE": True})
    assert app.config["ASK_SDK_VERIFY_SIGNATURE"] is False
    assert app.extensions["compassion_coach"]["signature_verifier"] is None
    assert app.extensions["compassion_coach"]["verifiers"] == []


def test_developer_mode_still_checks_a_configured_skill_id():
    app = create_app({"DEVELOPER_MODE": True, "ALEXA_SKILL_ID": SKILL_ID})
    client = app.test_client()
    ok = client.post("/alexa", data=raw(envelope()), content_type="application/json")
    assert ok.status_code == 200
    other = client.post("/alexa", data=raw(envelope(application_id="amzn1.ask.skill.other")),
                        content_type="application/json")
    assert_json_error(other, 400)


def test_production_refuses_unsigned_requests(client):
    # Control for developer mode: the same unsigned request is refused with verification on.
    response = client.post("/alexa", data=raw(envelope()), content_type="application/json")
    assert_json_error(response, 400)
