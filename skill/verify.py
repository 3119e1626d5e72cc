"""Alexa request verification for the web service (alexa_platform.md 3.2).

Amazon's steps are kept, mostly through ask_sdk_webservice_support's own classes:

* ``Signature-256`` is an RSA PKCS#1 v1.5 SHA-256 signature of the raw body;
* ``SignatureCertChainUrl``: https, host s3.amazonaws.com, path under /echo.api/,
  port 443 if given;
* the downloaded PEM chain must lead to a trusted root (certvalidator), with key
  usage digital_signature; the signing certificate must be inside its validity
  window and carry echo-api.amazon.com in its subjectAltName;
* the request timestamp must be within 150 s (1 h for AlexaSkillEvent.*).

What this module fixes in the SDK (ask-sdk-webservice-support 1.3.3):

* the download has a total deadline and a size cap, and never follows redirects;
* the cache expires (TTL, and never past any certificate's notAfter), is bounded
  (least recently used entries go) and thread-safe; only verified chains are
  cached, so failures are retried and cannot fill it;
* every failure (network, HTTP status, timeout, bad PEM, untrusted chain, expiry,
  SAN, signature, timestamp, certvalidator crash) is a ``VerificationException``,
  which flask-ask-sdk answers with 400, never 500;
* timezone-aware datetimes only (no ``utcnow`` / naive ``not_valid_*``);
* the URL path rule uses "/" rather than os.path.sep;
* the applicationId is checked as a verifier, so a request for another skill is a
  400 rather than the 500 that CustomSkill.invoke's AskSdkException becomes.

Messages never contain the request body, slot values or user IDs.
"""
from __future__ import annotations

import base64
import binascii
import http.client
import logging
import posixpath
import socket
import threading
import time
import urllib.request
from collections import OrderedDict
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Mapping, Optional
from urllib.parse import urlparse

from asn1crypto import pem
from certvalidator import CertificateValidator, ValidationContext
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.x509.oid import ExtensionOID

from ask_sdk_webservice_support.verifier import (
    AbstractVerifier, RequestVerifier, TimestampVerifier, VerificationException)
from ask_sdk_webservice_support.verifier_constants import (
    ALEXA_SKILL_EVENT_LIST, CERT_CHAIN_DOMAIN, CERT_CHAIN_URL_HOSTNAME, CERT_CHAIN_URL_PORT,
    CERT_CHAIN_URL_PROTOCOL, CHARACTER_ENCODING, MAX_NORMAL_REQUEST_TOLERANCE_IN_MILLIS,
    MAX_SKILL_EVENT_TOLERANCE_IN_MILLIS)

log = logging.getLogger(__name__)

#: URL paths are POSIX paths whatever the OS (the SDK builds this with os.path.sep).
CERT_CHAIN_URL_PATH_PREFIX = "/echo.api/"
#: Amazon's chain is about 6 KB; anything much larger is not a certificate chain.
CERT_CHAIN_MAX_BYTES = 64 * 1024
_READ_CHUNK_BYTES = 8 * 1024
#: Locks serialising downloads of one URL (see _retrieve_and_validate_certificate_chain).
FETCH_LOCK_STRIPES = 16

CertFetcher = Callable[[str, float, int], bytes]
Clock = Callable[[], float]


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
    if urlparse(url).scheme.lower() not in ("http", "https"):
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


# --------------------------------------------------------------------------- verifiers

def load_trust_roots(path: str) -> list[bytes]:
    """DER certificates from a PEM file (ALEXA_TRUST_ROOTS); ValueError if none."""
    with open(path, "rb") as f:
        data = f.read()
    ders = [der for _, _, der in pem.unarmor(data, multiple=True)]
    for der in ders:
        x509.load_der_x509_certificate(der)  # fail at start-up, not per request
    if not ders:
        raise ValueError(f"no certificate in {path}")
    return ders


class SignatureVerifier(RequestVerifier):
    """The SDK's RequestVerifier with a bounded download, an expiring cache and no 500s."""

    def __init__(self, *, fetcher: Optional[CertFetcher] = None, fetch_timeout_s: float = 2.0,
                 max_chain_bytes: int = CERT_CHAIN_MAX_BYTES,
                 cache: Optional[CertificateCache] = None,
                 extra_trust_roots: Iterable[bytes] = ()):
        super().__init__(padding=PKCS1v15(), hash_algorithm=SHA256())
        self._fetch = fetcher or fetch_certificate_chain
        self._fetch_timeout_s = fetch_timeout_s
        self._max_chain_bytes = max_chain_bytes
        # "is None", not "or": an empty cache is falsy (it has __len__).
        self.cache = cache if cache is not None else CertificateCache(3600, 16)
        self._extra_trust_roots = list(extra_trust_roots)
        self._cert_cache = None  # the SDK's unbounded dict is not used
        self._fetch_locks = [threading.Lock() for _ in range(FETCH_LOCK_STRIPES)]

    def verify(self, headers, serialized_request_env, deserialized_request_env):
        try:
            super().verify(headers, serialized_request_env, deserialized_request_env)
        except VerificationException:
            raise
        except Exception as e:  # whatever breaks, the request is unverified: 400
            raise VerificationException(
                f"Request signature could not be checked ({type(e).__name__})") from e

    def _retrieve_and_validate_certificate_chain(self, cert_url, x509_backend=None):
        self._validate_certificate_url(cert_url)
        cert = self.cache.get(cert_url)  # a hit never waits for a lock held across a download
        if cert is None:
            # One download per URL at a time: the threads that arrive together on a cold
            # cache (start-up, a new Amazon certificate) wait for it instead of each
            # fetching. Striped locks, so attacker-chosen URLs cannot grow a lock table.
            with self._fetch_locks[hash(cert_url) % len(self._fetch_locks)]:
                cert = self.cache.get(cert_url)
                if cert is None:
                    chain = self._load_cert_chain(cert_url)
                    cert, not_after_s = self._validate_chain(chain)
                    self._validate_end_certificate(cert)
                    # Only verified chains are cached: a failure is retried next time.
                    self.cache.put(cert_url, cert, not_after_s)
                    return cert
        self._validate_end_certificate(cert)  # validity window and SAN, every request
        return cert

    def _validate_certificate_url(self, cert_url):
        try:
            parsed = urlparse(cert_url)
            port = parsed.port  # ValueError for a non-numeric or out-of-range port
        except ValueError as e:
            raise VerificationException("Signature Certificate URL is malformed") from e
        if parsed.scheme.lower() != CERT_CHAIN_URL_PROTOCOL:
            raise VerificationException("Signature Certificate URL has invalid protocol")
        if (parsed.hostname or "").lower() != CERT_CHAIN_URL_HOSTNAME:
            raise VerificationException("Signature Certificate URL has invalid hostname")
        if not posixpath.normpath(parsed.path).startswith(CERT_CHAIN_URL_PATH_PREFIX):
            raise VerificationException("Signature Certificate URL has invalid path")
        if port is not None and port != CERT_CHAIN_URL_PORT:
            raise VerificationException("Signature Certificate URL has invalid port")

    def _load_cert_chain(self, cert_url):
        try:
            return self._fetch(cert_url, self._fetch_timeout_s, self._max_chain_bytes)
        except Exception as e:  # URLError, HTTPError, timeout, size cap, anything
            raise VerificationException(
                f"Unable to load certificate chain ({type(e).__name__})") from e

    def _validate_chain(self, cert_chain: bytes) -> tuple[x509.Certificate, float]:
        """certvalidator path validation; returns the signing cert and the chain's notAfter."""
        try:
            ders = [der for _, _, der in pem.unarmor(cert_chain, multiple=True)]
        except (ValueError, TypeError) as e:  # binascii.Error is a ValueError
            raise VerificationException("Certificate chain is not PEM") from e
        if not ders:
            raise VerificationException("Certificate chain is empty")
        try:
            certs = [x509.load_der_x509_certificate(der) for der in ders]
        except ValueError as e:
            raise VerificationException("Certificate chain has an unreadable certificate") from e
        try:
            context = ValidationContext(extra_trust_roots=self._extra_trust_roots or None)
            validator = CertificateValidator(ders[0], ders[1:], validation_context=context)
            validator.validate_usage(key_usage={"digital_signature"})
        except Exception as e:  # PathError/ValidationError, or a certvalidator crash
            raise VerificationException(
                f"Certificate chain is not valid ({type(e).__name__})") from e
        not_after_s = min(c.not_valid_after_utc.timestamp() for c in certs)
        return certs[0], not_after_s

    def _validate_cert_chain(self, cert_chain):
        self._validate_chain(cert_chain)

    def _validate_end_certificate(self, x509_cert):
        now = datetime.now(timezone.utc)
        if not x509_cert.not_valid_before_utc <= now <= x509_cert.not_valid_after_utc:
            raise VerificationException("Signing Certificate is outside its validity period")
        try:
            san = x509_cert.extensions.get_extension_for_oid(
                ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
        except x509.ExtensionNotFound as e:
            raise VerificationException("Signing Certificate has no subjectAltName") from e
        if CERT_CHAIN_DOMAIN not in san.get_values_for_type(x509.DNSName):
            raise VerificationException(
                f"{CERT_CHAIN_DOMAIN} domain missing in Signature Certificate")

    def _valid_request_body(self, cert_chain, signature, serialized_request_env):
        try:
            decoded_signature = base64.b64decode(signature, validate=True)
        except (binascii.Error, ValueError, TypeError) as e:
            raise VerificationException("Signature-256 is not base64") from e
        try:
            cert_chain.public_key().verify(
                decoded_signature, serialized_request_env.encode(CHARACTER_ENCODING),
                self._padding, self._hash_algorithm)
        except InvalidSignature as e:
            raise VerificationException("Request body does not match its signature") from e
        except Exception as e:  # e.g. a non-RSA key
            raise VerificationException(
                f"Request signature could not be checked ({type(e).__name__})") from e


class RequestTimestampVerifier(TimestampVerifier):
    """The SDK's TimestampVerifier with an injectable clock; naive timestamps are UTC."""

    def __init__(self, tolerance_in_millis: float = MAX_NORMAL_REQUEST_TOLERANCE_IN_MILLIS,
                 now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        super().__init__(tolerance_in_millis=tolerance_in_millis)
        self._now = now

    def verify(self, headers, serialized_request_env, deserialized_request_env):
        request = getattr(deserialized_request_env, "request", None)
        timestamp = getattr(request, "timestamp", None)
        if not isinstance(timestamp, datetime):
            raise VerificationException("Timestamp verification failed: no timestamp")
        if timestamp.tzinfo is None:
            # Alexa sends UTC ("...Z"); the SDK would crash subtracting a naive time.
            timestamp = timestamp.replace(tzinfo=timezone.utc)
        diff_s = abs((self._now() - timestamp).total_seconds())
        if diff_s <= self._tolerance_in_millis / 1000:
            return
        if (getattr(request, "object_type", None) in ALEXA_SKILL_EVENT_LIST
                and diff_s <= MAX_SKILL_EVENT_TOLERANCE_IN_MILLIS / 1000):
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


def build_verifiers(config: Mapping[str, Any]) -> list[AbstractVerifier]:
    """Verifiers for the config: signature, timestamp, applicationId (in that order)."""
    verifiers: list[AbstractVerifier] = []
    if config["ASK_SDK_VERIFY_SIGNATURE"]:
        roots = load_trust_roots(config["ALEXA_TRUST_ROOTS"]) if config["ALEXA_TRUST_ROOTS"] else []
        verifiers.append(SignatureVerifier(
            fetcher=config.get("CERT_FETCHER"),
            fetch_timeout_s=config["CERT_FETCH_TIMEOUT_S"],
            cache=CertificateCache(config["CERT_CACHE_TTL_S"], config["CERT_CACHE_MAX_ENTRIES"]),
            extra_trust_roots=roots))
    if config["ASK_SDK_VERIFY_TIMESTAMP"]:
        verifiers.append(RequestTimestampVerifier())
    if config.get("ALEXA_SKILL_ID"):
        verifiers.append(ApplicationIdVerifier(config["ALEXA_SKILL_ID"]))
    return verifiers
