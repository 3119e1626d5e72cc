"""Request verification through create_app's test client: the real SkillAdapter, the
real SDK and skill.verify, verification ON, the local CA as the only extra trust root.
The only seam is the certificate host mapping (support.cert_server.CertServer.fetcher).
"""
from __future__ import annotations

import logging

import pytest

from support.cert_server import Route, closed_port
from support.envelopes import OTHER_SKILL_ID, USER_ID_MARKER, envelope, raw
from support.pki import alexa_headers, pem_of
from support.http import TEST_CERT_FETCH_TIMEOUT_S, assert_json_error

S3 = "https://s3.amazonaws.com"


@pytest.mark.filterwarnings("error")  # e.g. CryptographyDeprecationWarning for naive datetimes
def test_good_signed_request_is_answered(client, post_signed):
    response = post_signed(client, envelope())
    assert response.status_code == 200
    assert response.get_json()["response"]["outputSpeech"]["type"] == "SSML"


def test_unknown_extra_fields_are_accepted(client, post_signed):
    body = envelope(newFieldFromTheFuture={"x": 1})
    body["anotherTopLevelField"] = [1, 2]
    body["context"]["System"]["someNewInterface"] = {"enabled": True}
    assert post_signed(client, body).status_code == 200


@pytest.mark.parametrize("missing", ["Signature-256", "SignatureCertChainUrl", "both"])
def test_missing_signature_headers(client, pki, good_cert_url, missing):
    data = raw(envelope())
    headers = alexa_headers(data, pki.leaf_key, good_cert_url)
    for name in (["Signature-256", "SignatureCertChainUrl"] if missing == "both" else [missing]):
        del headers[name]
    response = client.post("/alexa", data=data, headers=headers, content_type="application/json")
    assert_json_error(response, 400)


def test_legacy_sha1_signature_header_alone_is_not_enough(client, pki, good_cert_url):
    data = raw(envelope())
    headers = alexa_headers(data, pki.leaf_key, good_cert_url)
    headers["Signature"] = headers.pop("Signature-256")
    response = client.post("/alexa", data=data, headers=headers, content_type="application/json")
    assert_json_error(response, 400)


@pytest.mark.parametrize("cert_url", [
    "http://s3.amazonaws.com/echo.api/good.pem",              # scheme
    "ftp://s3.amazonaws.com/echo.api/good.pem",
    "https://s3.amazonaws.com.evil.example/echo.api/good.pem",  # host
    "https://evil.example/echo.api/good.pem",
    "https://s3.amazonaws.com@evil.example/echo.api/good.pem",
    "https://s3.amazonaws.com/EcHo.aPi/good.pem",              # path (case-sensitive)
    "https://s3.amazonaws.com/echo.api/../good.pem",
    "https://s3.amazonaws.com/invalid/echo.api/good.pem",
    "https://s3.amazonaws.com:563/echo.api/good.pem",           # port
    "https://s3.amazonaws.com:80/echo.api/good.pem",
    "https://s3.amazonaws.com:notaport/echo.api/good.pem",
    "not a url",
    # dot segments hidden by percent-encoding, decoded before the path rule
    "https://s3.amazonaws.com/echo.api/%2e%2e/good.pem",
    "https://s3.amazonaws.com/echo.api/%2E%2E/invalid/echo.api/good.pem",
    "https://s3.amazonaws.com/echo.api/..%2Fgood.pem",
    # userinfo, whatever the host after it
    "https://user@s3.amazonaws.com/echo.api/good.pem",
    "https://user:secret@s3.amazonaws.com/echo.api/good.pem",
    "https://s3.amazonaws.com@s3.amazonaws.com/echo.api/good.pem",
    "https://s3.amazonaws.com/echo.api/good.pem\x00",
    "https://s3.amazonaws.com/echo.api/ good.pem",
])
def test_bad_certificate_url_is_refused_before_any_download(
        make_app, post_signed, cert_server, pki, cert_url):
    # Whatever host, scheme or port, the fetcher would get a good chain from the local
    # server (also at the paths outside /echo.api/): only the URL rule can refuse these.
    for path in ("/good.pem", "/invalid/echo.api/good.pem", "/EcHo.aPi/good.pem",
                 "/echo.api/%2e%2e/good.pem", "/echo.api/..%2Fgood.pem"):
        cert_server.route(path, Route("pem", pki.chains["good"]))
    client = make_app(CERT_FETCHER=cert_server.fetcher(any_host=True)).test_client()
    hits_before = sum(cert_server.hits.values())
    response = post_signed(client, envelope(), cert_url=cert_url)
    assert_json_error(response, 400)
    assert sum(cert_server.hits.values()) == hits_before


def test_the_permissive_fetcher_would_serve_these_urls(make_app, post_signed, cert_server, pki):
    # Control for the test above: with the rule satisfied, the same fetcher gives 200.
    client = make_app(CERT_FETCHER=cert_server.fetcher(any_host=True)).test_client()
    assert post_signed(client, envelope(), cert_url=f"{S3}/echo.api/good.pem").status_code == 200


@pytest.mark.parametrize("cert_url", [
    "HTTPS://S3.AMAZONAWS.COM/echo.api/good.pem",   # scheme and host are case-insensitive
    "https://s3.amazonaws.com:443/echo.api/good.pem",
    "https://s3.amazonaws.com/echo.api/../echo.api/good.pem",
])
def test_certificate_url_variants_amazon_allows(client, post_signed, cert_url):
    assert post_signed(client, envelope(), cert_url=cert_url).status_code == 200


@pytest.mark.parametrize("chain", [
    "expired", "not-yet-valid", "untrusted-root", "wrong-san", "no-san",
    "no-digital-signature", "leaf-only"])
def test_bad_certificate_chain(client, post_signed, chain):
    # Signed with the right key: only the certificate property under test is wrong.
    response = post_signed(client, envelope(), cert_url=f"{S3}/echo.api/{chain}.pem")
    assert_json_error(response, 400)


def test_untrusted_root_is_trusted_once_configured(make_app, post_signed, pki, tmp_path):
    # Control for the case above: the rogue chain fails only for want of a trust root.
    roots = tmp_path / "roots.pem"
    roots.write_bytes(pki.root_pem + pem_of(pki.rogue_root))
    client = make_app(ALEXA_TRUST_ROOTS=str(roots)).test_client()
    assert post_signed(client, envelope(),
                       cert_url=f"{S3}/echo.api/untrusted-root.pem").status_code == 200


def test_body_altered_after_signing(client, pki, good_cert_url):
    signed = raw(envelope())
    altered = signed.replace(b'"locale":"en-US"', b'"locale":"en-GB"')
    assert altered != signed
    headers = alexa_headers(signed, pki.leaf_key, good_cert_url)
    response = client.post("/alexa", data=altered, headers=headers,
                           content_type="application/json")
    assert_json_error(response, 400)


def test_signature_by_another_key(client, post_signed, pki):
    assert_json_error(post_signed(client, envelope(), key=pki.other_key), 400)


@pytest.mark.parametrize("signature", ["not base64 !!", "", "AAAA"])
def test_garbage_signature(client, post_signed, signature):
    response = post_signed(client, envelope(), headers={"Signature-256": signature})
    assert_json_error(response, 400)


@pytest.mark.parametrize("age_s", [300, -300])
def test_stale_or_future_timestamp(client, post_signed, age_s):
    assert_json_error(post_signed(client, envelope(age_s=age_s)), 400)


def test_other_application_id(client, post_signed):
    response = post_signed(client, envelope(application_id=OTHER_SKILL_ID))
    assert_json_error(response, 400)


def test_application_id_is_taken_from_context_like_the_sdk(client, post_signed):
    body = envelope()
    body["context"]["System"]["application"]["applicationId"] = OTHER_SKILL_ID
    assert_json_error(post_signed(client, body), 400)


def test_signed_request_without_context_is_400_not_500(client, post_signed):
    body = envelope()
    del body["context"]
    assert_json_error(post_signed(client, body), 400)


# --------------------------------------------------------------------------- cost of a forgery

FORGED_BODY_BYTES = 250 * 1024   # just under MAX_REQUEST_BYTES


class _Counter:
    """Counts the app's JSON parses, depth walks and SDK deserializations of big bodies."""

    def __init__(self, monkeypatch, app):
        import skill.app as app_module
        self.calls = {"json.loads": 0, "depth walk": 0, "deserialize": 0}
        real_loads, real_depth = app_module.json.loads, app_module._depth
        serializer = app.extensions["compassion_coach"]["skill"].serializer
        real_from_json, real_deserialize = serializer.from_json, serializer.deserialize

        def count(name, real, big=lambda *a, **k: True):
            def counted(*args, **kwargs):
                if big(*args, **kwargs):
                    self.calls[name] += 1
                return real(*args, **kwargs)
            return counted
        is_big = lambda text, *a, **k: len(text) > FORGED_BODY_BYTES // 2  # noqa: E731
        monkeypatch.setattr(app_module, "json", type("CountingJson", (), {
            "loads": staticmethod(count("json.loads", real_loads, is_big)),
            "dumps": staticmethod(app_module.json.dumps)}))
        monkeypatch.setattr(app_module, "_depth", count("depth walk", real_depth))
        monkeypatch.setattr(serializer, "from_json", count("deserialize", real_from_json))
        monkeypatch.setattr(serializer, "deserialize", count("deserialize", real_deserialize))

    @property
    def total(self) -> int:
        return sum(self.calls.values())


def _big_body() -> bytes:
    body = envelope()
    body["session"]["attributes"] = {"padding": [[i, {"k": [i]}] for i in range(9000)]}
    data = raw(body)
    data += b" " * (FORGED_BODY_BYTES - len(data))
    assert len(data) == FORGED_BODY_BYTES and data.count(b"[") > 64   # the depth walk applies
    return data


@pytest.mark.parametrize("forgery", ["another key", "tampered", "no signature"])
def test_a_forged_big_body_is_never_parsed(app, post_signed, pki, monkeypatch, forgery):
    # Unsigned work must not grow with the body: no JSON parse, no depth walk, no
    # deserialization before the signature over the raw bytes has been checked.
    client = app.test_client()
    assert post_signed(client, envelope()).status_code == 200    # the chain is cached now
    counter = _Counter(monkeypatch, app)
    data = _big_body()
    if forgery == "another key":
        response = post_signed(client, data, key=pki.other_key)
    elif forgery == "tampered":
        response = post_signed(client, data, send=data.replace(b'"en-US"', b'"en-GB"'))
    else:
        response = client.post("/alexa", data=data, content_type="application/json")
    assert_json_error(response, 400)
    assert counter.calls == {"json.loads": 0, "depth walk": 0, "deserialize": 0}
    # Control: the same body, signed, is parsed (so the counters do count).
    assert post_signed(client, data).status_code == 200
    assert counter.calls["json.loads"] >= 1 and counter.calls["deserialize"] >= 1


# --------------------------------------------------------------------------- labels

def test_metrics_and_access_log_labels_come_only_from_verified_requests(
        app, post_signed, pki, caplog):
    client = app.test_client()
    chosen = envelope()
    chosen["request"]["type"] = "Attacker.ChosenType"
    chosen["request"]["intent"] = {"name": "AttackerChosenIntent"}
    chosen["request"]["requestId"] = "attacker-chosen-id"
    caplog.set_level(logging.INFO, "skill.access")
    for case in ({}, {"key": pki.other_key}):
        assert post_signed(client, chosen, **case).status_code == 400
    # Signed, but for another skill (anyone can get Amazon to sign their own skill's
    # requests): labels chosen by that skill's author are not ours to keep either.
    other_skill = envelope(application_id=OTHER_SKILL_ID)
    other_skill["request"]["type"] = "IntentRequest"
    other_skill["request"]["intent"] = {"name": "OtherSkillsIntent"}
    assert post_signed(client, other_skill).status_code == 400
    client.post("/alexa", data=raw(chosen), content_type="application/json")  # unsigned
    metrics = client.get("/metrics").get_data(as_text=True)
    for label in ("Attacker", "OtherSkillsIntent", "attacker-chosen-id"):
        assert label not in metrics and label not in caplog.text
    assert 'request_type="unverified",intent="none",outcome="rejected"} 4' in metrics
    # Control: a verified request's labels are recorded.
    assert post_signed(client, envelope()).status_code == 200
    assert 'request_type="LaunchRequest"' in client.get("/metrics").get_data(as_text=True)


# --------------------------------------------------------------------------- download faults

def test_certificate_http_404(client, post_signed):
    response = post_signed(client, envelope(), cert_url=f"{S3}/echo.api/no-such-object.pem")
    assert_json_error(response, 400)


def test_certificate_http_500(client, post_signed, cert_server):
    url = cert_server.route("/echo.api/server-error.pem", Route("status", b"oops", status=500))
    assert_json_error(post_signed(client, envelope(), cert_url=url), 400)


def test_certificate_redirect_is_not_followed(client, post_signed, cert_server):
    target = cert_server.local_url(f"{S3}/echo.api/good.pem")
    url = cert_server.route("/echo.api/redirect.pem", Route("redirect", location=target))
    before = cert_server.hits_for("/echo.api/good.pem")
    assert_json_error(post_signed(client, envelope(), cert_url=url), 400)
    assert cert_server.hits_for("/echo.api/good.pem") == before


@pytest.mark.parametrize("body", [b"garbage, not PEM", b"-----BEGIN CERTIFICATE-----\nzz\n"
                                  b"-----END CERTIFICATE-----\n", b""])
def test_certificate_garbage(client, post_signed, cert_server, body):
    url = cert_server.route("/echo.api/garbage.pem", Route("pem", body))
    assert_json_error(post_signed(client, envelope(), cert_url=url), 400)


def test_certificate_larger_than_the_cap(client, post_signed, cert_server, pki):
    # A valid chain padded past 64 KiB (PEM allows text around the blocks): refused for size.
    from skill.verify import CERT_CHAIN_MAX_BYTES
    padded = pki.chains["good"] + b"# padding\n" * (CERT_CHAIN_MAX_BYTES // 10 + 1)
    url = cert_server.route("/echo.api/huge.pem", Route("pem", padded))
    assert_json_error(post_signed(client, envelope(), cert_url=url), 400)
    # Control: the same chain under the cap is fine.
    url = cert_server.route("/echo.api/padded-a-little.pem",
                            Route("pem", pki.chains["good"] + b"# padding\n" * 100))
    assert post_signed(client, envelope(), cert_url=url).status_code == 200


def test_certificate_host_unreachable(make_app, post_signed, cert_server):
    client = make_app(CERT_FETCHER=cert_server.fetcher(port=closed_port())).test_client()
    assert_json_error(post_signed(client, envelope()), 400)


@pytest.mark.parametrize("route", [
    Route("stall"),                                   # accepts, never answers
    Route("drip", body=b"x" * 200, interval_s=0.05),  # answers, one byte every 50 ms (10 s)
], ids=["stall", "drip"])
def test_certificate_download_slower_than_the_timeout(make_app, post_signed, cert_server, route):
    url = cert_server.route(f"/echo.api/slow-{route.kind}.pem", route)
    fetch, given, failures = cert_server.fetcher(), [], []

    def recording(cert_url, timeout_s, max_bytes):
        given.append(timeout_s)
        try:
            return fetch(cert_url, timeout_s, max_bytes)
        except Exception as e:
            failures.append(e)
            raise

    response = post_signed(make_app(CERT_FETCHER=recording).test_client(), envelope(),
                           cert_url=url)
    assert_json_error(response, 400)
    # One download, given the configured deadline, ended by a timeout. The drip never
    # idles as long as that, so no per-read timeout could end it: only the one deadline
    # for the whole download can (without it, it would finish in 10 s, with no error).
    assert given == [TEST_CERT_FETCH_TIMEOUT_S]
    assert len(failures) == 1
    assert isinstance(getattr(failures[0], "reason", failures[0]), TimeoutError)


def test_no_failure_path_leaks_the_body_into_logs(client, post_signed, pki, caplog):
    caplog.set_level(logging.DEBUG)
    cases = [
        dict(cert_url=f"{S3}/echo.api/expired.pem"),
        dict(cert_url=f"{S3}/echo.api/no-such-object.pem"),
        dict(key=pki.other_key),
        dict(headers={"Signature-256": "!!"}),
    ]
    for case in cases:
        assert post_signed(client, envelope(), **case).status_code == 400
    assert post_signed(client, envelope(application_id=OTHER_SKILL_ID)).status_code == 400
    assert "verification" in caplog.text.lower()  # the failures were logged...
    assert USER_ID_MARKER not in caplog.text        # ...without the body's user ID
    assert "LaunchRequest" not in caplog.text
    refusals = [r for r in caplog.records if "verification failed" in r.getMessage()]
    assert len(refusals) == len(cases) + 1          # one line each, saying why, no stack
    for record in refusals:
        assert record.levelno == logging.WARNING and not record.exc_info and not record.exc_text
        assert record.getMessage() != "Request verification failed"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("chain", ["expired", "not-yet-valid"])
def test_signing_certificate_validity_is_rechecked_on_every_request(pki, chain):
    # Path validation rejects these when a chain is first downloaded; the per-request
    # check covers a cached certificate whose window has closed since.
    from cryptography import x509
    from skill.verify import SignatureVerifier, VerificationException
    verifier = SignatureVerifier(trust_roots=[pki.root])
    leaf = x509.load_pem_x509_certificates(pki.chains[chain])[0]
    with pytest.raises(VerificationException, match="validity"):
        verifier._validate_end_certificate(leaf)
    good = x509.load_pem_x509_certificates(pki.chains["good"])[0]
    verifier._validate_end_certificate(good)
