"""Signed requests for the production-path throughput run, with the tests' own CA
(tests/support/pki.py: root -> intermediate -> an echo-api.amazon.com signing leaf).

The parent writes the root and the chain to files; each gunicorn worker trusts the root
the way its app is configured to (ours: ALEXA_TRUST_ROOTS; the baseline's certvalidator:
SSL_CERT_FILE) and starts with the chain already in its certificate cache (nothing is
downloaded, as after a worker's first request). Bodies get a fresh timestamp and their
Signature-256 before each concurrency level, so every request is one Alexa could send.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path

from benchmarks.common import REPO

CERT_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-bench.pem"
CHAIN_ENV = "BENCH_CERT_CHAIN"


class Signer:
    """Holds the leaf key; writes trust.pem and chain.pem into `directory`."""

    def __init__(self, directory: str):
        sys.path.insert(0, str(REPO / "tests"))   # tests/support, as the tests import it
        from support.pki import build_test_pki, pem_of
        self._pki = build_test_pki()
        self.trust_file = os.path.join(directory, "trust.pem")
        self.chain_file = os.path.join(directory, "chain.pem")
        Path(self.trust_file).write_bytes(pem_of(self._pki.root))
        Path(self.chain_file).write_bytes(self._pki.chains["good"])

    def env(self, app: str) -> dict[str, str]:
        """The gunicorn environment that makes `app` trust the test root."""
        trust = {"ALEXA_TRUST_ROOTS": self.trust_file} if app == "ours" else \
            {"SSL_CERT_FILE": self.trust_file}
        return {CHAIN_ENV: self.chain_file, **trust}

    def sign(self, envelopes: list[dict]) -> list[dict]:
        """Loadgen entries {"body", "headers"}: each envelope stamped now and signed."""
        from support.pki import alexa_headers
        now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        out = []
        for env in envelopes:
            env = {**env, "request": {**env["request"], "timestamp": now}}
            body = json.dumps(env)
            out.append({"body": body,
                        "headers": alexa_headers(body.encode(), self._pki.leaf_key, CERT_URL)})
        return out


def preloaded_chain() -> bytes:
    """In a worker: the chain the parent wrote (CHAIN_ENV)."""
    return Path(os.environ[CHAIN_ENV]).read_bytes()


def preload_baseline(app) -> None:
    """flask-ask-sdk's RequestVerifier keeps downloaded chains in a dict by URL (and checks
    the chain again on every request); start it with the chain in that dict."""
    from ask_sdk_webservice_support.verifier import RequestVerifier
    handler = app.extensions["baseline_adapter"]._webservice_handler
    verifiers = [v for v in handler._verifiers if isinstance(v, RequestVerifier)]
    if not verifiers:
        raise RuntimeError("the baseline has no RequestVerifier: is verification on?")
    for verifier in verifiers:
        verifier._cert_cache[CERT_URL] = preloaded_chain()
