"""The webhook imports and verifies without certvalidator or oscrypto.

oscrypto 1.3.0 (certvalidator's dependency, imported by flask-ask-sdk through
ask_sdk_webservice_support.verifier) raises at import on OpenSSL >= 3.0.10. Each test
runs a fresh interpreter in which importing oscrypto fails the way it does there, and
shows the app still starts, verifies signed requests with skill.verify, and that the
SDK's own certvalidator path, if anything used it, refuses rather than accepts.
"""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent

# Makes "import oscrypto" fail as the unpatched release does on this OpenSSL.
_BROKEN_OSCRYPTO = """
import sys
class _BrokenOscrypto:
    def find_spec(self, name, path=None, target=None):
        if name == "oscrypto" or name.startswith("oscrypto."):
            raise OSError("Error detecting the version of libcrypto")
        return None
sys.meta_path.insert(0, _BrokenOscrypto())
for name in [n for n in sys.modules if n.split(".")[0] in ("oscrypto", "certvalidator")]:
    del sys.modules[name]
"""


def _run(code: str) -> subprocess.CompletedProcess:
    program = _BROKEN_OSCRYPTO + textwrap.dedent(code)
    return subprocess.run([sys.executable, "-c", program], cwd=REPO, capture_output=True,
                          text=True, timeout=120,
                          env={"PYTHONPATH": f"{REPO}:{TESTS}", "PATH": "/usr/bin:/bin"})


def test_the_broken_oscrypto_really_breaks_the_sdk_import():
    # Control: without skill.sdk_webservice, flask-ask-sdk does not import here.
    result = _run("import flask_ask_sdk.skill_adapter")
    assert result.returncode != 0 and "libcrypto" in result.stderr


def test_app_serves_signed_requests_without_oscrypto(tmp_path):
    result = _run(f"""
        import sys
        from skill.app import create_app
        from support.cert_server import CertServer, Route
        from support.envelopes import SKILL_ID, envelope, raw
        from support.pki import alexa_headers, build_test_pki
        pki = build_test_pki()
        roots = {str(tmp_path / "roots.pem")!r}
        open(roots, "wb").write(pki.root_pem)
        with CertServer() as server:
            server.route("/echo.api/good.pem", Route("pem", pki.chains["good"]))
            app = create_app({{"ALEXA_SKILL_ID": SKILL_ID, "ALEXA_TRUST_ROOTS": roots,
                              "CERT_FETCHER": server.fetcher(),
                              "SKILL_DATA_DIR": {str(tmp_path / "data")!r}}})
            client = app.test_client()
            data = raw(envelope())
            url = "https://s3.amazonaws.com/echo.api/good.pem"
            ok = client.post("/alexa", data=data, content_type="application/json",
                             headers=alexa_headers(data, pki.leaf_key, url))
            forged = client.post("/alexa", data=data, content_type="application/json",
                                 headers=alexa_headers(data, pki.other_key, url))
        assert ok.status_code == 200, ok.get_data()
        assert forged.status_code == 400, forged.get_data()
        assert not [n for n in sys.modules if n.split(".")[0] == "oscrypto"]
        print("served")
    """)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "served" in result.stdout


def test_the_sdks_own_chain_check_fails_closed_without_certvalidator():
    result = _run("""
        import skill.sdk_webservice
        from ask_sdk_webservice_support.verifier import RequestVerifier, VerificationException
        from support.pki import build_test_pki
        try:
            RequestVerifier()._validate_cert_chain(build_test_pki().chains["good"])
        except VerificationException:
            print("refused")
    """)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "refused" in result.stdout
