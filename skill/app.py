"""The HTTP edge: ``create_app(config) -> Flask`` serving the skill at ``POST /alexa``.

* ``POST /alexa``: flask-ask-sdk's SkillAdapter with this project's verifiers
  (skill.verify) in place of the SDK's defaults. The signature is checked here, before
  the SDK sees the request: headers and certificate URL, the cached chain, then
  Signature-256 over the raw bytes; only then is the body parsed, and the timestamp and
  applicationId checked. So an unsigned request's cost does not grow with its body, and
  metrics and access-log labels come from verified requests only.
* ``GET /audio/<pattern>-<minutes>-<rate>.mp3``: tone tracks for AudioPlayer
  (skill.audio_route; public, no listener data, range requests).
* ``GET /healthz``: 200 ``{"status": "ok"}`` while every registered health check
  passes, else 503 naming the failed ones. Checks live in
  ``app.extensions["compassion_coach"]["health_checks"]`` as ``(name, callable)``;
  ``skill.persistence.health_check`` of the skill's persistence adapter is registered
  automatically (it runs a cheap query on every call).

Every error is a short JSON body ``{"error": ..., "message": ...}``: 400 for a body
that is not an Alexa request envelope or fails verification (signature, certificate,
timestamp, applicationId), 403 in DEVELOPER_MODE for a client that is not loopback, came
through a proxy or names a non-loopback Host, 404, 405,
413 over MAX_REQUEST_BYTES, 415 for a non-JSON content type, 500 (logged, without
the body) if an exception escapes the skill.
"""
from __future__ import annotations

import functools
import ipaddress
import json
import logging
import traceback
from typing import Any, Callable, Mapping, Optional

from ask_sdk_model import RequestEnvelope
from flask import Flask, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from skill import audio_route, observability
from skill.builder import build_skill, import_deferred
from skill.config import (
    ConfigError, audio_cache_dir, database_location, load_config, refuse_verification_off,
    require_skill_id, verification_on)
from skill.sdk_webservice import SkillAdapter, VerificationException, WebserviceSkillHandler
from skill.tones import TrackCache
from skill.verify import build_envelope_verifiers, build_signature_verifier

log = logging.getLogger(__name__)

EXTENSION_NAME = "compassion_coach"
ALEXA_ROUTE = "/alexa"
ALEXA_ENDPOINT = "alexa"
MAX_JSON_DEPTH = 64   # Alexa envelopes nest about 10 deep; APL context a little more
#: Proxies, tunnels and CDNs add these (lower case); in DEVELOPER_MODE any of them means
#: the "loopback" peer is relaying someone else. So does any X-Forwarded-* header.
PROXY_HEADERS = frozenset({"forwarded", "via", "x-real-ip", "x-client-ip", "true-client-ip",
                           "cf-connecting-ip", "fastly-client-ip", "x-cluster-client-ip"})
PROXY_HEADER_PREFIX = "x-forwarded-"
LOOPBACK_HOST_NAME = "localhost"

#: status -> (error code, default message) for the JSON error bodies.
_ERRORS = {
    400: ("bad_request", "bad request"),
    403: ("forbidden", "forbidden"),
    404: ("not_found", "not found"),
    405: ("method_not_allowed", "method not allowed"),
    413: ("request_too_large", "request body too large"),
    415: ("unsupported_media_type", "expected Content-Type: application/json"),
    500: ("internal_error", "internal error"),
}


class _OnceDeserializedHandler(WebserviceSkillHandler):
    """The SDK's handler, reusing the envelope _check_alexa_request deserialized from the
    bytes whose signature it checked (deserializing twice was a third of a short turn's
    cost), and running the envelope's verifiers (timestamp, applicationId) on it."""

    def verify_request_and_dispatch(self, http_request_headers, http_request_body):
        envelope = g.pop("request_envelope", None)
        if envelope is None:  # never here without _check_alexa_request: refuse, not trust
            raise VerificationException("Request did not pass the edge checks")
        for verifier in self._verifiers:
            verifier.verify(headers=http_request_headers, serialized_request_env=http_request_body,
                            deserialized_request_env=envelope)
        # Verified: now its request type and intent may label metrics and the access log.
        observability.note_envelope(g.pop("request_body", None))
        response = self._skill.invoke(request_envelope=envelope, context=None)
        return self._skill.serializer.serialize(response)


class _VerifyingSkillAdapter(SkillAdapter):
    """SkillAdapter whose handler runs only our verifiers.

    flask-ask-sdk would add the SDK's RequestVerifier (no download timeout, 500 on
    network errors, unbounded cache) whenever ASK_SDK_VERIFY_SIGNATURE is true, on top
    of any verifiers passed in. flask-ask-sdk 1.0.0 is frozen (2019); this override
    mirrors its ``_create_webservice_handler`` with the SDK defaults switched off.
    """

    def _create_webservice_handler(self, skill, verifiers):
        self._webservice_handler = _OnceDeserializedHandler(
            skill=skill, verify_signature=False, verify_timestamp=False,
            verifiers=list(verifiers or []))
        self._webservice_handler._add_custom_user_agent("flask-ask-sdk")


class _RedactExceptionText(logging.Filter):
    """Log exceptions as type and stack only, never their message.

    Messages can quote the request: the SDK's serializer quotes the body, and a handler's
    error may carry a slot value. flask-ask-sdk logs with exc_info on this app's logger.
    Our VerificationException messages are written not to, so they are kept, and a failed
    verification becomes one warning line.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and type(record.exc_info[1]) is VerificationException:
            # A refused request is the caller's fault, and junk traffic is common: one
            # warning line saying why, not an error with a stack, per request.
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg, record.args = f"{record.getMessage()}: {record.exc_info[1]}", None
            record.exc_info, record.exc_text = None, None
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            shown = str(exc) if type(exc) is VerificationException else "(message withheld)"
            record.exc_text = ("Traceback (most recent call last):\n"
                               + "".join(traceback.format_tb(exc.__traceback__))
                               + f"{type(exc).__module__}.{type(exc).__qualname__}: {shown}")
            record.exc_info = None
        return True


def _error(status: int, message: Optional[str] = None, headers: Optional[dict] = None):
    code, default_message = _ERRORS.get(status, ("error", "error"))
    response = jsonify({"error": code, "message": message or default_message})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _is_loopback(address: Optional[str]) -> bool:
    try:
        ip = ipaddress.ip_address((address or "").split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return bool(ip.is_loopback or (mapped is not None and mapped.is_loopback))


def _host_name(host: str) -> str:
    """The name or address in a Host header value, without port or IPv6 brackets."""
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _developer_mode_refusal() -> Optional[str]:
    """Why developer mode (no verification) must not answer this request, or None.

    Loopback peers only, and only for themselves: not through a proxy or tunnel (any
    proxy header), and not for a page whose own name resolves to 127.0.0.1 (DNS
    rebinding: the browser sends that name as Host)."""
    if not _is_loopback(request.remote_addr):
        return "developer mode serves loopback clients only"
    if any(name.lower() in PROXY_HEADERS or name.lower().startswith(PROXY_HEADER_PREFIX)
           for name in request.headers.keys()):
        return "developer mode serves loopback clients only, not through a proxy"
    name = _host_name(request.host).lower()
    if name != LOOPBACK_HOST_NAME and not _is_loopback(name):
        return "developer mode serves a loopback Host only (localhost, 127.0.0.1, [::1])"
    return None


def _envelope_problem(body: Any) -> Optional[str]:
    """Why ``body`` is not an Alexa request envelope, or None. Unknown extra fields are fine."""
    if not isinstance(body, dict):
        return "request body is not a JSON object"
    if not isinstance(body.get("version"), str):
        return "version missing or not a string"
    req = body.get("request")
    if not isinstance(req, dict):
        return "request missing or not an object"
    for field in ("type", "requestId", "timestamp"):
        if not isinstance(req.get(field), str) or not req.get(field):
            return f"request.{field} missing or not a string"
    for field in ("session", "context"):
        if field in body and not isinstance(body[field], dict):
            return f"{field} is not an object"
    return None


def _depth(value) -> int:
    """How deeply lists and objects nest in parsed JSON (iterative: no recursion limit)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest


def _refuse_unverified(e: VerificationException):
    # The same one warning line flask-ask-sdk's refusals become (_RedactExceptionText).
    current_app.logger.warning("Request verification failed: %s", e)
    return _error(400, "Incoming request failed verification")


def _check_alexa_request():
    """Check the signature over the raw bytes, then refuse what the SDK cannot
    deserialize, before it turns it into a 500.

    The SDK's deserializer raises AskSdkException (500 in flask-ask-sdk) for bad JSON,
    and its message quotes the body, which must not reach the logs.
    """
    if request.mimetype != "application/json":
        return _error(415)
    signatures = current_app.extensions[EXTENSION_NAME]["signature_verifier"]
    if signatures is not None:
        try:  # headers, URL rule, the cached chain: before the body is even read
            cert = signatures.signing_certificate(request.headers)
        except VerificationException as e:
            return _refuse_unverified(e)
    try:
        raw = request.get_data(cache=True)  # 413 past MAX_CONTENT_LENGTH
    except HTTPException:
        raise
    except Exception as e:  # noqa: BLE001 - the server's body reader (bad chunking, a cut-off body)
        log.info("Unreadable request body (%s)", type(e).__name__)
        return _error(400, "request body could not be read")
    if request.content_length is None and len(raw) >= current_app.config["MAX_CONTENT_LENGTH"]:
        # A chunked body has no length up front; werkzeug stops reading at the limit
        # instead of refusing, so a body that reached it was too large.
        return _error(413)
    if signatures is not None:
        try:  # one SHA-256 of the raw bytes and one RSA check: nothing parsed yet
            signatures.check_signature(cert, request.headers, raw)
        except VerificationException as e:
            return _refuse_unverified(e)
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _error(400, "request body is not valid UTF-8 JSON")
    # Nesting never exceeds the count of opening brackets, so most bodies need no walk.
    if raw.count(b"{") + raw.count(b"[") > MAX_JSON_DEPTH and _depth(body) > MAX_JSON_DEPTH:
        # The SDK deep-copies session attributes recursively; refuse before it overflows.
        return _error(400, "request body is nested too deeply")
    problem = _envelope_problem(body)
    if problem:
        return _error(400, f"not an Alexa request envelope: {problem}")
    skill = current_app.extensions[EXTENSION_NAME]["skill"]
    try:
        g.request_envelope = skill.serializer.from_json(body, RequestEnvelope)
    except Exception as e:
        log.info("Unreadable request envelope (%s)", type(e).__name__)
        return _error(400, "request envelope could not be read (unknown request type or bad field)")
    g.request_body = body
    return None


def _before_request():
    observability.start()
    state = current_app.extensions[EXTENSION_NAME]
    if request.endpoint == ALEXA_ENDPOINT:
        g.alexa = observability.unverified_labels()
    if state["config"]["DEVELOPER_MODE"]:
        refusal = _developer_mode_refusal()
        if refusal:
            return _error(403, refusal)
    if request.endpoint == ALEXA_ENDPOINT and request.method == "POST":
        return _check_alexa_request()
    return None


def _handle_http_exception(e: HTTPException):
    status = e.code or 500
    message = None
    if e.description and e.description != type(e).description:
        message = e.description  # set by us or flask-ask-sdk, e.g. "failed verification"
    headers = {}
    if status == 405 and getattr(e, "valid_methods", None):
        headers["Allow"] = ", ".join(e.valid_methods)
    return _error(status, message, headers)


def _handle_unexpected(e: Exception):
    # _RedactExceptionText keeps the message out of the log.
    log.error("Unhandled %s on %s %s", type(e).__name__, request.method, request.path,
              exc_info=e)
    return _error(500)


def _healthz():
    failed = []
    for name, check in current_app.extensions[EXTENSION_NAME]["health_checks"]:
        try:
            ok = check()
        except Exception as e:
            log.warning("Health check %s raised %s", name, type(e).__name__)
            ok = False
        if ok is False:
            failed.append(name)
    if failed:
        return jsonify({"status": "unavailable", "failed": failed}), 503
    return jsonify({"status": "ok"})


def create_app(config: Optional[Mapping[str, Any]] = None) -> Flask:
    """Build the Flask app; ``config`` overrides the environment (see skill.config).

    Raises ConfigError (one line) when a verification switch is off outside
    DEVELOPER_MODE, when verification is on and ALEXA_SKILL_ID is unset, or when a value
    is invalid.
    """
    cfg = load_config(config)
    refuse_verification_off(cfg)
    if verification_on(cfg):
        require_skill_id(cfg)
    try:
        signature_verifier = build_signature_verifier(cfg)
    except (OSError, ValueError) as e:
        raise ConfigError(f"ALEXA_TRUST_ROOTS: cannot load ({type(e).__name__}: {e})") from None
    verifiers = build_envelope_verifiers(cfg)

    app = Flask(__name__)
    if not any(isinstance(f, _RedactExceptionText) for f in app.logger.filters):
        app.logger.addFilter(_RedactExceptionText())  # app.logger is shared per name
    app.config.update(cfg)
    app.config["MAX_CONTENT_LENGTH"] = cfg["MAX_REQUEST_BYTES"]
    app.json.sort_keys = False

    database_location(cfg)  # a bad SKILL_DATABASE is a one-line ConfigError
    skill = build_skill(dict(cfg))
    import_deferred()       # before any request thread: see skill.builder
    health_checks: list[tuple[str, Callable[[], Any]]] = []
    persistence = getattr(skill, "persistence_adapter", None)
    if persistence is not None:
        from skill.persistence import health_check  # True/False, never raises
        health_checks.append(("persistence", functools.partial(health_check, persistence)))
    app.extensions[EXTENSION_NAME] = {
        "config": cfg, "skill": skill, "signature_verifier": signature_verifier,
        "verifiers": verifiers, "health_checks": health_checks}

    adapter = _VerifyingSkillAdapter(
        skill=skill, skill_id=cfg["ALEXA_SKILL_ID"] or "compassion-coach",
        verifiers=verifiers, app=app)
    adapter.register(app=app, route=ALEXA_ROUTE, endpoint=ALEXA_ENDPOINT)
    app.add_url_rule("/healthz", "healthz", _healthz, methods=["GET"])
    audio_route.register(app, TrackCache(audio_cache_dir(cfg)))

    metrics = observability.Metrics()
    app.extensions[EXTENSION_NAME]["metrics"] = metrics
    app.add_url_rule("/metrics", "metrics", lambda: Response(metrics.text(), mimetype="text/plain; version=0.0.4"),
                     methods=["GET"])
    app.before_request(_before_request)
    app.after_request(lambda response: observability.finish(response, metrics))
    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(Exception, _handle_unexpected)
    return app
