"""Alexa request verification for the web service (alexa_platform.md 3.2).

Amazon's checks, all kept:

* ``SignatureCertChainUrl``: https, host s3.amazonaws.com, path under /echo.api/ (case
  sensitive), port 443 if given. The URL is percent-decoded and its dot segments removed
  before the rule; userinfo is refused; query and fragment are dropped. That normalised
  URL is both what is downloaded and the certificate cache's key, so "#1", "?x" or
  "%2e%2e" variants neither escape the rule nor cost a download each.
* the downloaded PEM chain must lead to a trusted root (the system's trust store, plus
  ALEXA_TRUST_ROOTS), checked by the ``cryptography`` package's X.509 path validation
  (RFC 5280 / CA-B Forum profile, as for a TLS server named echo-api.amazon.com); the
  signing certificate must be inside its validity window, have key usage
  digitalSignature, and carry exactly echo-api.amazon.com in its subjectAltName;
* ``Signature-256`` is an RSA PKCS#1 v1.5 SHA-256 signature of the raw body bytes;
* the request timestamp must be within 150 s (1 h for AlexaSkillEvent.*), and the
  applicationId must be this skill's.

Order, so that an unsigned request costs O(1) in its body (skill.app): headers and URL
rule, then the cached (or downloaded, validated) chain, then the signature over the raw
bytes; only a request Amazon signed is parsed, walked and deserialized, and then checked
for timestamp and applicationId.

Also: the download has a total deadline and a size cap, and never follows redirects;
the cache expires (TTL, never past any certificate's notAfter), is bounded (least
recently used entries go) and thread-safe; only verified chains are cached. Every
failure is a ``VerificationException`` (a 400, never a 500). Timezone-aware datetimes
only. Messages never contain the request body, slot values or user IDs.

This replaces certvalidator + oscrypto (the SDK's path; oscrypto 1.3.0 does not load on
OpenSSL >= 3.0.10, see skill.sdk_webservice).
"""
from __future__ import annotations

import base64
import binascii
import functools
import http.client
import logging
import os
import posixpath
import socket
import ssl
import threading
import time
import urllib.request
import warnings
from collections import OrderedDict
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence
from urllib.parse import quote, unquote, urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.x509 import verification

from skill.sdk_webservice import AbstractVerifier, VerificationException, verifier_constants

log = logging.getLogger(__name__)

__all__ = ["ApplicationIdVerifier", "CertificateCache", "RequestTimestampVerifier",
           "SignatureVerifier", "VerificationException", "build_envelope_verifiers",
           "build_signature_verifier", "fetch_certificate_chain", "load_trust_roots",
           "normalise_certificate_url", "system_trust_roots"]

SIGNATURE_HEADER = verifier_constants.SIGNATURE_HEADER                    # "Signature-256"
CERT_CHAIN_URL_HEADER = verifier_constants.SIGNATURE_CERT_CHAIN_URL_HEADER
CERT_CHAIN_URL_SCHEME = "https"
CERT_CHAIN_URL_HOST = "s3.amazonaws.com"
CERT_CHAIN_URL_PORT = 443
#: URL paths are POSIX paths whatever the OS (the SDK builds this with os.path.sep).
CERT_CHAIN_URL_PATH_PREFIX = "/echo.api/"
CERT_CHAIN_DOMAIN = "echo-api.amazon.com"
NORMAL_REQUEST_TOLERANCE_S = verifier_constants.MAX_NORMAL_REQUEST_TOLERANCE_IN_MILLIS / 1000
SKILL_EVENT_TOLERANCE_S = verifier_constants.MAX_SKILL_EVENT_TOLERANCE_IN_MILLIS / 1000
SKILL_EVENT_TYPES = frozenset(verifier_constants.ALEXA_SKILL_EVENT_LIST)
#: Amazon's chain is about 6 KB; anything much larger is not a certificate chain.
CERT_CHAIN_MAX_BYTES = 64 * 1024
#: Longest URL header considered (Amazon's are about 60 characters).
CERT_CHAIN_URL_MAX_CHARS = 1024
_READ_CHUNK_BYTES = 8 * 1024
#: Locks serialising downloads of one URL (see SignatureVerifier.signing_certificate).
FETCH_LOCK_STRIPES = 16

CertFetcher = Callable[[str, float, int], bytes]
Clock = Callable[[], float]
Now = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


# --------------------------------------------------------------------------- URL rule

def normalise_certificate_url(url: Any) -> str:
    """Amazon's rule for SignatureCertChainUrl, applied to the URL's normal form.

    Returns ``https://s3.amazonaws.com/echo.api/...``: scheme and host lower case, no
    port, query, fragment or userinfo, the path percent-decoded, dot segments removed,
    then re-quoted. Raises VerificationException when the URL breaks the rule.
    """
    if (not isinstance(url, str) or not url or len(url) > CERT_CHAIN_URL_MAX_CHARS
            or any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url)):
        raise VerificationException("Signature Certificate URL is malformed")
    try:
        parts = urlsplit(url)
        port = parts.port  # ValueError for a non-numeric or out-of-range port
    except ValueError as e:
        raise VerificationException("Signature Certificate URL is malformed") from e
    if parts.scheme.lower() != CERT_CHAIN_URL_SCHEME:
        raise VerificationException("Signature Certificate URL has invalid protocol")
    if "@" in parts.netloc:
        raise VerificationException("Signature Certificate URL has userinfo")
    if (parts.hostname or "").lower() != CERT_CHAIN_URL_HOST:
        raise VerificationException("Signature Certificate URL has invalid hostname")
    if port is not None and port != CERT_CHAIN_URL_PORT:
        raise VerificationException("Signature Certificate URL has invalid port")
    try:
        path = unquote(parts.path, errors="strict")
    except UnicodeDecodeError as e:
        raise VerificationException("Signature Certificate URL is malformed") from e
    if "\\" in path or any(ord(c) < 0x20 or ord(c) == 0x7F for c in path):
        raise VerificationException("Signature Certificate URL is malformed")
    path = posixpath.normpath(path)
    if not path.startswith(CERT_CHAIN_URL_PATH_PREFIX):
        raise VerificationException("Signature Certificate URL has invalid path")
    return f"{CERT_CHAIN_URL_SCHEME}://{CERT_CHAIN_URL_HOST}{quote(path, safe='/')}"


# --------------------------------------------------------------------------- download

class CertificateDownloadError(Exception):
    """The certificate chain could not be downloaded; becomes a VerificationException."""


class _Deadline:
    def __init__(self, seconds: float):
        self._end_s = time.monotonic() + seconds

    def remaining_s(self) -> float:
        left_s = self._end_s - time.monotonic()
        if left_s <= 0:
            raise socket.timeout("certificate download exceeded its deadline")
        return left_s


def _deadline_connection(base: type, deadline: _Deadline, sockets: list) -> type:
    """An http.client connection class whose socket timeouts shrink to the deadline.

    urlopen's ``timeout`` bounds each socket operation, not the whole download: a
    server dripping one byte a second would never trip it. This class keeps every
    operation (connect, TLS handshake, headers, body) inside one deadline.
    """
    class DeadlineConnection(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._create_connection = self._create_connection_within_deadline

        @staticmethod
        def _create_connection_within_deadline(address, timeout=None, source_address=None):
            # The TLS socket wrapping this one inherits its timeout for the handshake.
            return socket.create_connection(address, deadline.remaining_s(), source_address)

        def connect(self):
            super().connect()
            self.sock.settimeout(deadline.remaining_s())  # what is left, for the headers
            sockets.append(self.sock)

    return DeadlineConnection


class _DeadlineHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline, sockets: list):
        super().__init__()
        self._conn_class = _deadline_connection(http.client.HTTPConnection, deadline, sockets)

    def http_open(self, req):
        return self.do_open(self._conn_class, req)


class _DeadlineHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline, sockets: list):
        super().__init__()
        self._conn_class = _deadline_connection(http.client.HTTPSConnection, deadline, sockets)

    def https_open(self, req):
        return self.do_open(self._conn_class, req, context=self._context)


def fetch_certificate_chain(url: str, timeout_s: float, max_bytes: int) -> bytes:
    """Download ``url`` (http or https) within ``timeout_s`` in total, at most ``max_bytes``.

    No redirects (S3 serves the chain directly), no file:/ftp:/data: schemes. Raises
    CertificateDownloadError (or an OSError) on any failure.
    """
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise CertificateDownloadError("unsupported URL scheme")
    deadline = _Deadline(timeout_s)
    sockets: list = []
    opener = urllib.request.OpenerDirector()
    for handler in (urllib.request.ProxyHandler(), _DeadlineHTTPHandler(deadline, sockets),
                    _DeadlineHTTPSHandler(deadline, sockets),
                    urllib.request.HTTPDefaultErrorHandler(),
                    urllib.request.HTTPErrorProcessor()):
        opener.add_handler(handler)
    request = urllib.request.Request(url, headers={"User-Agent": "compassion-coach-verifier"})
    with opener.open(request, timeout=deadline.remaining_s()) as response:
        if response.status != 200:  # 1xx/3xx: HTTPErrorProcessor lets 2xx through only
            raise CertificateDownloadError(f"HTTP status {response.status}")
        declared = response.headers.get("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            raise CertificateDownloadError(f"certificate chain larger than {max_bytes} bytes")
        body = bytearray()
        # http.client closes the response (and its socket) once Content-Length is read.
        while not response.isclosed():
            if sockets:
                sockets[-1].settimeout(deadline.remaining_s())
            # read1: one recv at most; read() would loop until the chunk is full.
            chunk = response.read1(min(_READ_CHUNK_BYTES, max_bytes + 1 - len(body)))
            if not chunk:
                break
            body += chunk
            if len(body) > max_bytes:
                raise CertificateDownloadError(f"certificate chain larger than {max_bytes} bytes")
            deadline.remaining_s()
    return bytes(body)


# --------------------------------------------------------------------------- cache

class CertificateCache:
    """URL -> verified signing certificate; TTL, notAfter cap, LRU bound, thread-safe.

    Per process: each gunicorn worker keeps its own (a few downloads per hour).
    """

    def __init__(self, ttl_s: float, max_entries: int, clock: Clock = time.time):
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._clock = clock  # epoch seconds, comparable with certificate dates
        self._entries: OrderedDict[str, tuple[float, x509.Certificate]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, url: str) -> Optional[x509.Certificate]:
        with self._lock:
            entry = self._entries.get(url)
            if entry is None:
                return None
            expires_at_s, cert = entry
            if self._clock() >= expires_at_s:
                del self._entries[url]
                return None
            self._entries.move_to_end(url)
            return cert

    def put(self, url: str, cert: x509.Certificate, not_after_s: float) -> None:
        expires_at_s = min(self._clock() + self._ttl_s, not_after_s)
        with self._lock:
            self._entries[url] = (expires_at_s, cert)
            self._entries.move_to_end(url)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __contains__(self, url: str) -> bool:
        with self._lock:
            return url in self._entries


# --------------------------------------------------------------------------- trust roots

def _certificates_in(pem_data: bytes) -> list[x509.Certificate]:
    """Every certificate in a PEM bundle that parses; others skipped (system bundles
    may hold certificates this cryptography version refuses)."""
    marker = b"-----END CERTIFICATE-----"
    certs = []
    with warnings.catch_warnings():  # e.g. a root's negative serial number
        warnings.simplefilter("ignore")
        for block in pem_data.split(marker)[:-1]:
            try:
                certs.append(x509.load_pem_x509_certificate(block + marker))
            except ValueError:
                continue
    return certs


@functools.lru_cache(maxsize=4)
def _system_trust_roots(cafile: Optional[str], capath: Optional[str]) -> tuple:
    certs: list[x509.Certificate] = []
    if cafile and os.path.isfile(cafile):
        with open(cafile, "rb") as f:
            certs.extend(_certificates_in(f.read()))
    elif capath and os.path.isdir(capath):
        for name in sorted(os.listdir(capath)):
            path = os.path.join(capath, name)
            if os.path.isfile(path):
                with open(path, "rb") as f:
                    certs.extend(_certificates_in(f.read()))
    return tuple(certs)


def system_trust_roots() -> list[x509.Certificate]:
    """The roots OpenSSL trusts on this machine (SSL_CERT_FILE / SSL_CERT_DIR honoured):
    the same store Python's ssl module uses for the chain's download."""
    paths = ssl.get_default_verify_paths()
    return list(_system_trust_roots(paths.cafile, paths.capath))


def load_trust_roots(path: str) -> list[x509.Certificate]:
    """The certificates in a PEM file (ALEXA_TRUST_ROOTS); ValueError if none."""
    with open(path, "rb") as f:
        certs = _certificates_in(f.read())
    if not certs:
        raise ValueError(f"no certificate in {path}")
    return certs


# --------------------------------------------------------------------------- signature

def _header(headers: Any, name: str) -> Optional[str]:
    value = headers.get(name) if hasattr(headers, "get") else None
    if value is None and isinstance(headers, Mapping):  # a plain dict: any case
        value = next((v for k, v in headers.items() if k.lower() == name.lower()), None)
    return value if isinstance(value, str) and value else None


class SignatureVerifier(AbstractVerifier):
    """Checks SignatureCertChainUrl, the certificate chain and Signature-256.

    skill.app calls ``signing_certificate(headers)`` and then ``check_signature(cert,
    headers, body)`` with the raw body, before anything parses it. ``verify`` does both,
    for the SDK's verifier interface.
    """

    def __init__(self, *, trust_roots: Sequence[x509.Certificate],
                 fetcher: Optional[CertFetcher] = None, fetch_timeout_s: float = 2.0,
                 max_chain_bytes: int = CERT_CHAIN_MAX_BYTES,
                 cache: Optional[CertificateCache] = None, now: Now = _utc_now):
        if not trust_roots:
            raise ValueError("no trusted root certificates")
        self._store = verification.Store(list(trust_roots))
        self._fetch = fetcher or fetch_certificate_chain
        self._fetch_timeout_s = fetch_timeout_s
        self._max_chain_bytes = max_chain_bytes
        # "is None", not "or": an empty cache is falsy (it has __len__).
        self.cache = cache if cache is not None else CertificateCache(3600, 16)
        self._now = now
        self._fetch_locks = [threading.Lock() for _ in range(FETCH_LOCK_STRIPES)]

    # -- the SDK's interface

    def verify(self, headers, serialized_request_env, deserialized_request_env):
        body = serialized_request_env
        if isinstance(body, str):
            body = body.encode(verifier_constants.CHARACTER_ENCODING)
        self.check_signature(self.signing_certificate(headers), headers, body)

    # -- the steps

    def signing_certificate(self, headers) -> x509.Certificate:
        """The verified signing certificate the request's headers name (cached)."""
        if _header(headers, SIGNATURE_HEADER) is None or _header(headers, CERT_CHAIN_URL_HEADER) is None:
            raise VerificationException("Missing Signature-256 or SignatureCertChainUrl header")
        url = normalise_certificate_url(_header(headers, CERT_CHAIN_URL_HEADER))
        cert = self.cache.get(url)  # a hit never waits for a lock held across a download
        if cert is None:
            # One download per URL at a time: the threads that arrive together on a cold
            # cache (start-up, a new Amazon certificate) wait for it instead of each
            # fetching. Striped locks, so attacker-chosen URLs cannot grow a lock table.
            with self._fetch_locks[hash(url) % len(self._fetch_locks)]:
                cert = self.cache.get(url)
                if cert is None:
                    cert, not_after_s = self._validate_chain(self._load_cert_chain(url))
                    # Only verified chains are cached: a failure is retried next time.
                    self.cache.put(url, cert, not_after_s)
                    return cert
        self._validate_end_certificate(cert)  # validity window and SAN, every request
        return cert

    def check_signature(self, cert: x509.Certificate, headers, body: bytes) -> None:
        """Signature-256 over the raw body bytes, by ``cert``'s RSA key."""
        signature = _header(headers, SIGNATURE_HEADER)
        try:
            decoded = base64.b64decode(signature or "", validate=True)
        except (binascii.Error, ValueError) as e:
            raise VerificationException("Signature-256 is not base64") from e
        key = cert.public_key()
        if not isinstance(key, RSAPublicKey):
            raise VerificationException("Signing Certificate key is not RSA")
        if len(decoded) != (key.key_size + 7) // 8:  # before hashing the body
            raise VerificationException("Signature-256 has the wrong length")
        try:
            key.verify(decoded, bytes(body), PKCS1v15(), SHA256())
        except InvalidSignature as e:
            raise VerificationException("Request body does not match its signature") from e

    def _load_cert_chain(self, url: str) -> bytes:
        try:
            return self._fetch(url, self._fetch_timeout_s, self._max_chain_bytes)
        except Exception as e:  # URLError, HTTPError, timeout, size cap, anything
            raise VerificationException(
                f"Unable to load certificate chain ({type(e).__name__})") from e

    def _validate_chain(self, cert_chain: bytes) -> tuple[x509.Certificate, float]:
        """Path validation to a trusted root; the signing cert and the path's notAfter."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a cross-signed root's negative serial
                certs = x509.load_pem_x509_certificates(cert_chain)
        except ValueError as e:
            raise VerificationException("Certificate chain is not PEM") from e
        verifier = (verification.PolicyBuilder().store(self._store).time(self._now())
                    .build_server_verifier(x509.DNSName(CERT_CHAIN_DOMAIN)))
        try:
            path = verifier.verify(certs[0], certs[1:])
        except verification.VerificationError as e:
            raise VerificationException("Certificate chain is not valid") from e
        except Exception as e:  # noqa: BLE001 - whatever breaks, the chain is unverified
            raise VerificationException(
                f"Certificate chain could not be checked ({type(e).__name__})") from e
        self._validate_end_certificate(certs[0])
        not_after_s = min(c.not_valid_after_utc.timestamp() for c in path)
        return certs[0], not_after_s

    def _validate_end_certificate(self, cert: x509.Certificate) -> None:
        """Amazon's own rules for the signing certificate, on every request (a cached
        certificate's window may have closed since it was downloaded)."""
        if not cert.not_valid_before_utc <= self._now() <= cert.not_valid_after_utc:
            raise VerificationException("Signing Certificate is outside its validity period")
        try:
            usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound as e:
            raise VerificationException(
                "Signing Certificate has no key usage or subjectAltName") from e
        if not usage.digital_signature:
            raise VerificationException("Signing Certificate is not for digital signatures")
        # Exactly this name: a wildcard that path validation would match is not enough.
        if CERT_CHAIN_DOMAIN not in san.get_values_for_type(x509.DNSName):
            raise VerificationException(
                f"{CERT_CHAIN_DOMAIN} domain missing in Signature Certificate")


# --------------------------------------------------------------------------- envelope

class RequestTimestampVerifier(AbstractVerifier):
    """Amazon's timestamp rule with an injectable clock; naive timestamps are UTC."""

    def __init__(self, tolerance_s: float = NORMAL_REQUEST_TOLERANCE_S, now: Now = _utc_now):
        self._tolerance_s = tolerance_s
        self._now = now

    def verify(self, headers, serialized_request_env, deserialized_request_env):
        request = getattr(deserialized_request_env, "request", None)
        timestamp = getattr(request, "timestamp", None)
        if not isinstance(timestamp, datetime):
            raise VerificationException("Timestamp verification failed: no timestamp")
        if timestamp.tzinfo is None:
            # Alexa sends UTC ("...Z"); subtracting a naive time would crash.
            timestamp = timestamp.replace(tzinfo=timezone.utc)
        diff_s = abs((self._now() - timestamp).total_seconds())
        if diff_s <= self._tolerance_s:
            return
        if (getattr(request, "object_type", None) in SKILL_EVENT_TYPES
                and diff_s <= SKILL_EVENT_TOLERANCE_S):
            return
        raise VerificationException("Timestamp verification failed: request too old or too new")


def application_id_of(envelope: Any) -> Optional[str]:
    """context.System.application.applicationId: the field CustomSkill.invoke compares.

    Not session.application: a request without context would pass here and then crash
    the SDK's own check (AttributeError, a 500).
    """
    value = envelope
    for name in ("context", "system", "application", "application_id"):
        value = getattr(value, name, None)
    return value if isinstance(value, str) else None


class ApplicationIdVerifier(AbstractVerifier):
    """Refuse requests for another skill with 400 (the SDK's own check gives 500)."""

    def __init__(self, skill_id: str):
        self._skill_id = skill_id

    def verify(self, headers, serialized_request_env, deserialized_request_env):
        if application_id_of(deserialized_request_env) != self._skill_id:
            raise VerificationException("Skill ID verification failed: request is for another skill")



def build_signature_verifier(config: Mapping[str, Any]) -> Optional[SignatureVerifier]:
    """The signature verifier for the config (None when ASK_SDK_VERIFY_SIGNATURE is off).
    Raises OSError or ValueError for unusable trust roots."""
    if not config["ASK_SDK_VERIFY_SIGNATURE"]:
        return None
    roots = system_trust_roots()
    if config["ALEXA_TRUST_ROOTS"]:
        roots += load_trust_roots(config["ALEXA_TRUST_ROOTS"])
    if not roots:
        raise ValueError("no trusted root certificates: the system has none "
                         "(SSL_CERT_FILE) and ALEXA_TRUST_ROOTS names none")
    return SignatureVerifier(
        trust_roots=roots, fetcher=config.get("CERT_FETCHER"),
        fetch_timeout_s=config["CERT_FETCH_TIMEOUT_S"],
        cache=CertificateCache(config["CERT_CACHE_TTL_S"], config["CERT_CACHE_MAX_ENTRIES"]))


def build_envelope_verifiers(config: Mapping[str, Any]) -> list[AbstractVerifier]:
    """The checks of a parsed envelope: timestamp, then applicationId."""
    verifiers: list[AbstractVerifier] = []
    if config["ASK_SDK_VERIFY_TIMESTAMP"]:
        verifiers.append(RequestTimestampVerifier())
    if config.get("ALEXA_SKILL_ID"):
        verifiers.append(ApplicationIdVerifier(config["ALEXA_SKILL_ID"]))
    return verifiers
