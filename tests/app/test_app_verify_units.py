"""skill.verify pieces on their own: the download (deadline, size cap, errors, TLS), the
timestamp rule's boundaries with a fixed clock, and the applicationId verifier."""
from __future__ import annotations

import base64
import datetime as dt
import socket
import urllib.error
from pathlib import Path

import pytest
from ask_sdk_model import RequestEnvelope
from cryptography import x509

from skill.builder import build_skill
from skill.verify import (
    CERT_CHAIN_MAX_BYTES, ApplicationIdVerifier, RequestTimestampVerifier, SignatureVerifier,
    VerificationException, fetch_certificate_chain, system_trust_roots)
from support.pki import pem_of
from support.cert_server import Route, closed_port
from support.envelopes import SKILL_ID, envelope, raw

TIMEOUT_S = 0.5


# --------------------------------------------------------------------------- download

def test_fetch_returns_the_chain(cert_server, pki):
    url = cert_server.local_url("https://s3.amazonaws.com/echo.api/good.pem")
    assert fetch_certificate_chain(url, TIMEOUT_S, CERT_CHAIN_MAX_BYTES) == pki.chains["good"]


def test_fetch_without_content_length_is_still_capped(cert_server, pki):
    url = cert_server.route("/echo.api/no-length.pem", Route("pem-no-length", pki.chains["good"]))
    local = cert_server.local_url(url)
    assert fetch_certificate_chain(local, TIMEOUT_S, CERT_CHAIN_MAX_BYTES) == pki.chains["good"]
    with pytest.raises(Exception, match="larger than"):
        fetch_certificate_chain(local, TIMEOUT_S, len(pki.chains["good"]) - 1)


def test_fetch_http_error_raises(cert_server):
    with pytest.raises(urllib.error.HTTPError):
        fetch_certificate_chain(cert_server.local_url(
            "https://s3.amazonaws.com/echo.api/absent.pem"), TIMEOUT_S, CERT_CHAIN_MAX_BYTES)


def test_fetch_refuses_other_schemes(tmp_path):
    secret = tmp_path / "secret.pem"
    secret.write_text("x")
    for url in (secret.as_uri(), "ftp://127.0.0.1/x", "data:,x"):
        with pytest.raises(Exception, match="scheme"):
            fetch_certificate_chain(url, TIMEOUT_S, CERT_CHAIN_MAX_BYTES)


def test_fetch_connection_refused_is_a_refusal_not_a_wait():
    # Nothing listening: the refusal itself is the error, not a timeout after waiting.
    with pytest.raises(urllib.error.URLError) as info:
        fetch_certificate_chain(f"http://127.0.0.1:{closed_port()}/echo.api/x.pem",
                                TIMEOUT_S, CERT_CHAIN_MAX_BYTES)
    assert isinstance(info.value.reason, ConnectionRefusedError)


def test_fetch_over_https_checks_the_server_certificate(pki, tmp_path, monkeypatch):
    # Production downloads over https: the deadline connection class must keep TLS
    # verification. The local root is trusted through SSL_CERT_FILE, which the default
    # context reads per connection.
    from support.cert_server import CertServer
    from support.pki import tls_server_files
    with CertServer(tls_files=tls_server_files(pki, tmp_path)) as server:
        url = server.local_url(server.route("/echo.api/tls.pem", Route("pem", pki.chains["good"])))
        assert url.startswith("https://127.0.0.1:")
        with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
            fetch_certificate_chain(url, TIMEOUT_S * 4, CERT_CHAIN_MAX_BYTES)
        roots = tmp_path / "roots.pem"
        roots.write_bytes(pki.root_pem)
        monkeypatch.setenv("SSL_CERT_FILE", str(roots))
        assert fetch_certificate_chain(url, TIMEOUT_S * 4, CERT_CHAIN_MAX_BYTES) \
            == pki.chains["good"]


def test_fetch_https_handshake_that_never_completes_stops_at_the_deadline(monkeypatch):
    # The kernel completes the TCP handshake for a listening socket nobody accepts on;
    # the TLS ClientHello then waits forever unless the deadline applies to TLS too.
    real_connect, timeouts = socket.create_connection, []

    def connect(address, timeout=None, *args, **kwargs):
        timeouts.append(timeout)
        return real_connect(address, timeout, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", connect)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        with pytest.raises(OSError) as info:
            fetch_certificate_chain(f"https://127.0.0.1:{port}/echo.api/x.pem",
                                    TIMEOUT_S, CERT_CHAIN_MAX_BYTES)
    # One connection, given what is left of the deadline (never none, never more), which
    # the TLS socket inherits: the handshake gives up with a timeout.
    assert len(timeouts) == 1 and 0 < timeouts[0] <= TIMEOUT_S
    assert isinstance(getattr(info.value, "reason", info.value), TimeoutError)


# --------------------------------------------------------------------------- Amazon's own chain

REAL_CHAIN_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "certs" / "echo-api-cert-12.pem"
REAL_CHAIN_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-12.pem"
WHILE_VALID = dt.datetime(2023, 6, 1, tzinfo=dt.timezone.utc)
AFTER_EXPIRY = dt.datetime(2024, 6, 1, tzinfo=dt.timezone.utc)


def _real_chain_verifier(moment, chain=None, trust_roots=None):
    chain = REAL_CHAIN_FILE.read_bytes() if chain is None else chain
    roots = system_trust_roots() if trust_roots is None else trust_roots
    if not any(c.subject.rfc4514_string() == "CN=Amazon Root CA 1,O=Amazon,C=US" for c in roots):
        pytest.skip("this machine's trust store has no Amazon Root CA 1")
    return SignatureVerifier(fetcher=lambda url, timeout_s, max_bytes: chain,
                             trust_roots=roots, now=lambda: moment)


def _real_headers():
    return {"SignatureCertChainUrl": REAL_CHAIN_URL, "Signature-256": "AAAA"}


def test_amazons_published_chain_is_trusted_while_it_was_valid():
    cert = _real_chain_verifier(WHILE_VALID).signing_certificate(_real_headers())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "echo-api.amazon.com" in san.get_values_for_type(x509.DNSName)


def test_amazons_published_chain_is_refused_after_it_expired():
    with pytest.raises(VerificationException):
        _real_chain_verifier(AFTER_EXPIRY).signing_certificate(_real_headers())


def test_amazons_signing_certificate_without_its_intermediate_is_refused():
    leaf_only = x509.load_pem_x509_certificates(REAL_CHAIN_FILE.read_bytes())[0]
    with pytest.raises(VerificationException):
        _real_chain_verifier(WHILE_VALID, chain=pem_of(leaf_only)).signing_certificate(
            _real_headers())


def test_amazons_chain_needs_amazons_root_in_the_trust_store(pki):
    # Only the tests' own root trusted: Amazon's chain leads nowhere.
    verifier = SignatureVerifier(fetcher=lambda *a: REAL_CHAIN_FILE.read_bytes(),
                                 trust_roots=[pki.root], now=lambda: WHILE_VALID)
    with pytest.raises(VerificationException):
        verifier.signing_certificate(_real_headers())


def test_a_real_amazon_chain_cannot_vouch_for_a_body_it_did_not_sign():
    # The chain is good; a signature Amazon never made is still refused.
    verifier = _real_chain_verifier(WHILE_VALID)
    cert = verifier.signing_certificate(_real_headers())
    with pytest.raises(VerificationException):
        verifier.check_signature(cert, {"Signature-256": base64.b64encode(b"x" * 256).decode()},
                                 raw(envelope()))


# --------------------------------------------------------------------------- timestamp

NOW = dt.datetime(2026, 11, 26, 4, 0, 0, tzinfo=dt.timezone.utc)
_serializer = build_skill({}).serializer


def _envelope_at(name: str, moment: dt.datetime, naive: bool = False) -> RequestEnvelope:
    body = envelope(name)
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S")
    body["request"]["timestamp"] = stamp if naive else stamp + "Z"
    return _serializer.deserialize(payload=raw(body).decode(), obj_type=RequestEnvelope)


def _check(name: str, offset_s: float, naive: bool = False) -> None:
    verifier = RequestTimestampVerifier(now=lambda: NOW)
    env = _envelope_at(name, NOW + dt.timedelta(seconds=offset_s), naive)
    verifier.verify(headers={}, serialized_request_env="", deserialized_request_env=env)


@pytest.mark.parametrize("offset_s", [0, -150, 150, -149, 149])
def test_timestamp_within_150_s(offset_s):
    _check("launch_request", offset_s)


@pytest.mark.parametrize("offset_s", [-151, 151, -1800, 3600])
def test_timestamp_beyond_150_s(offset_s):
    with pytest.raises(VerificationException):
        _check("launch_request", offset_s)


@pytest.mark.parametrize("offset_s", [-151, -1800, -3600])
def test_skill_events_get_an_hour(offset_s):
    _check("skill_enabled_event", offset_s)


def test_skill_events_beyond_an_hour():
    with pytest.raises(VerificationException):
        _check("skill_enabled_event", -3601)


def test_naive_timestamp_is_taken_as_utc():
    _check("launch_request", -100, naive=True)
    with pytest.raises(VerificationException):
        _check("launch_request", -200, naive=True)


def test_missing_request_is_a_verification_failure():
    with pytest.raises(VerificationException):
        RequestTimestampVerifier().verify({}, "", RequestEnvelope(version="1.0"))


# --------------------------------------------------------------------------- applicationId

def test_application_id_verifier():
    verifier = ApplicationIdVerifier(SKILL_ID)
    good = _serializer.deserialize(payload=raw(envelope()).decode(), obj_type=RequestEnvelope)
    verifier.verify({}, "", good)
    # Without context the SDK's own check would crash (500): refuse here instead, even
    # though session.application.applicationId matches.
    no_context = envelope()
    del no_context["context"]
    env = _serializer.deserialize(payload=raw(no_context).decode(), obj_type=RequestEnvelope)
    with pytest.raises(VerificationException):
        verifier.verify({}, "", env)
