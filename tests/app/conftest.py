"""Fixtures for the HTTP edge: a local CA, a local certificate server, and apps built by
the real create_app with verification ON and the local root in ALEXA_TRUST_ROOTS."""
from __future__ import annotations

import pytest

from skill.app import create_app
from skill.config import SETTINGS
from support.cert_server import CertServer, Route
from support.envelopes import SKILL_ID, raw
from support.http import TEST_CERT_FETCH_TIMEOUT_S
from support.pki import alexa_headers, build_test_pki


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch, tmp_path):
    """The app reads the environment: keep a developer's shell settings out of the tests,
    and the skill's SQLite file and secret in this test's own directory."""
    for setting in SETTINGS:
        monkeypatch.delenv(setting.name, raising=False)
    monkeypatch.setenv("SKILL_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture(scope="session")
def pki():
    return build_test_pki()


@pytest.fixture(scope="session")
def trust_roots_file(pki, tmp_path_factory):
    path = tmp_path_factory.mktemp("trust") / "roots.pem"
    path.write_bytes(pki.root_pem)
    return str(path)


@pytest.fixture(scope="session")
def cert_server(pki):
    with CertServer() as server:
        for name, chain in pki.chains.items():
            server.route(f"/echo.api/{name}.pem", Route("pem", chain))
        yield server


@pytest.fixture
def good_cert_url(cert_server):
    return "https://s3.amazonaws.com/echo.api/good.pem"


@pytest.fixture
def make_app(trust_roots_file, cert_server):
    """create_app with verification on; keyword overrides go into the config dict."""
    def make(**overrides):
        config = {
            "ALEXA_SKILL_ID": SKILL_ID,
            "ALEXA_TRUST_ROOTS": trust_roots_file,
            "CERT_FETCHER": cert_server.fetcher(),
            "CERT_FETCH_TIMEOUT_S": TEST_CERT_FETCH_TIMEOUT_S,
        }
        config.update(overrides)
        app = create_app(config)
        app.testing = True
        return app
    return make


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def post_signed(pki, good_cert_url):
    """POST an envelope signed like Alexa signs it. ``body`` may be a dict or raw bytes."""
    def post(client, body, *, cert_url=None, key=None, headers=None, send=None):
        data = body if isinstance(body, bytes) else raw(body)
        signed = alexa_headers(data, key or pki.leaf_key, cert_url or good_cert_url)
        signed.update(headers or {})
        return client.post("/alexa", data=data if send is None else send,
                           headers=signed, content_type="application/json; charset=utf-8")
    return post
