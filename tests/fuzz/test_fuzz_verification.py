"""Fuzzing with request verification ON (production's create_app): no fuzzed request
gets past the edge. Every one must be a short JSON 400, never a 200, never a 5xx.

The app trusts a local test root (support.pki) and downloads its signing chain from a
local server (support.cert_server), so fuzzed requests reach every verification step:
missing and garbage headers, certificate URLs Amazon would not use, and signatures that
are real (made with the leaf key) but over a request with one defect: a stale or future
timestamp, another skill's applicationId, a body changed after signing, or a key that is
not the certificate's. Bodies are valid envelopes, mutated envelopes and raw bytes.
The fetcher refuses anything that would leave 127.0.0.1.
"""
from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fuzz_strategies as fs
from fuzz_harness import STATS, assert_ok, install_log_capture, post
from skill.app import create_app
from support.cert_server import CertServer, Route
from support.pki import build_test_pki, sign_body

pytestmark = pytest.mark.fuzz

SKILL_ID = fs.APP_ID
GOOD_URL = "https://s3.amazonaws.com/echo.api/good.pem"
BAD_URLS = [
    "", "http://s3.amazonaws.com/echo.api/good.pem", "https://s3.amazonaws.com/EcHo.aPi/good.pem",
    "https://s3.amazonaws.com/invalid.path/good.pem", "https://s3.amazonaws.com/echo.api/../good.pem",
    "https://s3.amazonaws.com:563/echo.api/good.pem", "https://s3.amazonaws.com:443x/echo.api/good.pem",
    "https://evil.example/echo.api/good.pem", "https://s3.amazonaws.com.evil.example/echo.api/good.pem",
    "https://s3.amazonaws.com@127.0.0.1/echo.api/good.pem", "file:///etc/passwd",
    "https://s3.amazonaws.com/echo.api/missing.pem", "https://s3.amazonaws.com/echo.api/expired.pem",
    "https://s3.amazonaws.com/echo.api/wrong-san.pem", "https://s3.amazonaws.com/echo.api/untrusted-root.pem",
    "https://[::1]/echo.api/good.pem", "https://s3.amazonaws.com/echo.api/good.pem\x00",
    "https://s3.amazonaws.com/echo.api/good.pem?x=1#y", "\u202ehttps://s3.amazonaws.com/echo.api/good.pem",
]
DEFECTS = ["stale", "future", "other_app", "tampered", "wrong_key", "no_context"]


class _LoopbackOnlyFetcher:
    """cert_server.fetcher(), but asserting every download stays on 127.0.0.1."""

    def __init__(self, server: CertServer):
        self.server, self.inner = server, server.fetcher()

    def __call__(self, url, timeout_s, max_bytes):
        local = self.server.local_url(url)
        if not local.startswith("http://127.0.0.1:"):
            STATS["verification"]["download refused (not Amazon's host)"] += 1
            raise OSError("test fetcher: refusing a non-loopback download")
        STATS["verification"]["chain downloads"] += 1
        return self.inner(url, timeout_s, max_bytes)


@pytest.fixture(scope="module")
def pki():
    return build_test_pki()


@pytest.fixture(scope="module")
def verifying_client(pki, tmp_path_factory):
    install_log_capture()
    roots = tmp_path_factory.mktemp("trust") / "roots.pem"
    roots.write_bytes(pki.root_pem)
    with CertServer() as server:
        for name, chain in pki.chains.items():
            server.route(f"/echo.api/{name}.pem", Route("pem", chain))
        app = create_app({"ALEXA_SKILL_ID": SKILL_ID, "ALEXA_TRUST_ROOTS": str(roots),
                          "CERT_FETCHER": _LoopbackOnlyFetcher(server),
                          "CERT_FETCH_TIMEOUT_S": 0.5,
                          "SKILL_DATA_DIR": str(tmp_path_factory.mktemp("verify-data")),
                          "ALEXA_API_ORIGINS": frozenset()})
        yield app.test_client()


def _stamp(age_s: float) -> str:
    moment = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=age_s)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@st.composite
def signed_with_a_defect(draw, pki):
    """(body bytes, headers): a real signature over a request that must still be refused."""
    env = fs.fresh_envelope(draw(st.sampled_from(fs.FIXTURE_NAMES)))
    for holder in (env.get("session"), env["context"]["System"]):
        if holder is not None:
            holder["application"]["applicationId"] = SKILL_ID
    defect = draw(st.sampled_from(DEFECTS))
    STATS["verification defects"][defect] += 1
    # Skill events may be an hour old; other requests 150 s.
    ages = [3700, 10**6] if env["request"]["type"].startswith("AlexaSkillEvent.") \
        else [155, 600, 3700, 10**6]
    if defect == "stale":
        env["request"]["timestamp"] = _stamp(draw(st.sampled_from(ages)))
    elif defect == "future":
        env["request"]["timestamp"] = _stamp(-draw(st.sampled_from(ages)))
    elif defect == "other_app":
        env["context"]["System"]["application"]["applicationId"] = draw(st.sampled_from(
            ["amzn1.ask.skill.99999999-9999-9999-9999-999999999999", "", SKILL_ID + " ",
             SKILL_ID.upper()]))
    elif defect == "no_context":
        del env["context"]
    body = json.dumps(env, separators=(",", ":")).encode()
    key = pki.other_key if defect == "wrong_key" else pki.leaf_key
    signature = sign_body(body, key)
    if defect == "tampered":
        body = body.replace(b'"locale":"en-US"', b'"locale":"en-GB"', 1) \
            if b'"locale":"en-US"' in body else body + b" "
    return body, {"Signature-256": signature, "SignatureCertChainUrl": GOOD_URL}


@st.composite
def unsigned(draw):
    body = draw(st.one_of(
        st.builds(lambda e: json.dumps(e).encode(), st.sampled_from(fs.FIXTURE_NAMES).map(fs.fresh_envelope)),
        st.builds(lambda e: json.dumps(e).encode(), fs.structurally_mutated()),
        fs.truncated_envelope(), st.binary(max_size=200)))
    headers = {}
    if draw(st.booleans()):
        headers["Signature-256"] = draw(st.one_of(
            st.text(max_size=400), st.binary(min_size=1, max_size=300).map(
                lambda b: __import__("base64").b64encode(b).decode()),
            st.sampled_from(["", "=", "====", "AAAA", "\u00e9\u00e9"])))
    if draw(st.booleans()):
        headers["Signature"] = draw(st.text(max_size=50))   # legacy SHA-1 header alone
    if draw(st.integers(0, 3)) != 0:
        headers["SignatureCertChainUrl"] = draw(st.one_of(st.sampled_from(BAD_URLS + [GOOD_URL]),
                                                          st.text(max_size=80)))
    # Header values must be latin-1 for the WSGI environ; others cannot be sent anyway.
    headers = {k: v for k, v in headers.items() if _latin1(v) and "\n" not in v and "\r" not in v}
    return body, headers


def _latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def test_a_good_signature_is_answered(verifying_client, pki):
    """Control: the set-up really verifies (else every 400 below would prove nothing)."""
    env = fs.fresh_envelope("launch")
    body = json.dumps(env, separators=(",", ":")).encode()
    outcome = post(verifying_client, body, headers={
        "Signature-256": sign_body(body, pki.leaf_key), "SignatureCertChainUrl": GOOD_URL})
    assert outcome.status == 200, outcome.data[:300]
    assert_ok(outcome, env)


@settings(derandomize=True, database=None, deadline=None, print_blob=False,
          suppress_health_check=list(HealthCheck), max_examples=500)
@given(data=st.data())
def test_no_fuzzed_request_gets_past_verification(verifying_client, pki, data):
    body, headers = data.draw(st.one_of(signed_with_a_defect(pki), unsigned()))
    outcome = post(verifying_client, body, headers=headers)
    assert outcome.status == 400, (outcome.status, outcome.data[:300], headers, body[:300])
    assert_ok(outcome, None)
