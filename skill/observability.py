"""One JSON log line per request, and Prometheus metrics, with nothing the listener said.

Each line carries the request id, request type, intent name, latency, HTTP status and
outcome. Slot values, spoken words, session attributes and user ids never reach a log
line: the fields are picked from the envelope one by one, never copied wholesale.
Metrics are per process (each gunicorn worker counts its own requests; scrape each, or
sum them in the collector).
"""
from __future__ import annotations

import bisect
import contextvars
import json
import logging
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Response

ACCESS_LOGGER = "skill.access"
# Seconds: Alexa waits about 8 s for an answer, most turns take a few milliseconds.
LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 8.0)
MAX_LABEL_CHARS = 64        # request types and intent names are bounded in length
MAX_LABEL_SERIES = 200      # ... and so is the number of distinct label sets
#: What a request is labelled until it passes verification: unverified requests all
#: count under this one label set, so their senders choose no label (skill.app).
UNVERIFIED_REQUEST_TYPE = "unverified"

_outcome: contextvars.ContextVar[str | None] = contextvars.ContextVar("skill_outcome", default=None)


def mark(outcome: str) -> None:
    """Let the skill say how a request went (e.g. "apology") for this request's log line."""
    _outcome.set(outcome)


class JsonFormatter(logging.Formatter):
    """Log records as one JSON object a line. Extra fields come from `record.fields`."""

    _second = (None, "")   # (whole second, its text): one strftime a second, not a line

    def format(self, record: logging.LogRecord) -> str:
        second = int(record.created)
        if self._second[0] != second:
            self._second = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
        out = {"time": f"{self._second[1]}.{int(record.msecs):03d}Z",
               "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        out.update(getattr(record, "fields", {}))
        if record.exc_info:
            out["exception"] = record.exc_info[0].__name__
        return json.dumps(out, ensure_ascii=False)


def configure_logging(level: int = logging.INFO) -> None:
    """JSON lines on stderr for the skill's loggers (once; servers call this, tests need not)."""
    logger = logging.getLogger("skill")
    if any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    logger.setLevel(level)


def _label(value) -> str:
    return value[:MAX_LABEL_CHARS] if isinstance(value, str) and value else "none"


class Metrics:
    """Requests by type, intent and outcome, and a latency histogram, in Prometheus text."""

    def __init__(self):
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str, str], int] = {}
        self._buckets = [0] * (len(LATENCY_BUCKETS_S) + 1)
        self._sum_s = 0.0

    def observe(self, request_type: str, intent: str, outcome: str, seconds: float) -> None:
        key = (request_type, intent, outcome)
        with self._lock:
            if key not in self._counts and len(self._counts) >= MAX_LABEL_SERIES:
                key = ("other", "other", outcome)
            self._counts[key] = self._counts.get(key, 0) + 1
            self._buckets[bisect.bisect_left(LATENCY_BUCKETS_S, seconds)] += 1
            self._sum_s += seconds

    def text(self) -> str:
        with self._lock:
            counts, buckets, total_s = dict(self._counts), list(self._buckets), self._sum_s
        lines = ["# HELP compassion_coach_requests_total Alexa requests answered, by kind and outcome.",
                 "# TYPE compassion_coach_requests_total counter"]
        for (rtype, intent, outcome), n in sorted(counts.items()):
            lines.append(f'compassion_coach_requests_total{{request_type="{_esc(rtype)}",'
                         f'intent="{_esc(intent)}",outcome="{outcome}"}} {n}')
        lines += ["# HELP compassion_coach_request_seconds Time to answer an Alexa request.",
                  "# TYPE compassion_coach_request_seconds histogram"]
        running = 0
        for le, n in zip([*map(str, LATENCY_BUCKETS_S), "+Inf"], buckets):
            running += n
            lines.append(f'compassion_coach_request_seconds_bucket{{le="{le}"}} {running}')
        lines += [f"compassion_coach_request_seconds_sum {total_s:.6f}",
                  f"compassion_coach_request_seconds_count {running}"]
        return "\n".join(lines) + "\n"


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def unverified_labels() -> dict:
    return {"request_id": None, "request_type": UNVERIFIED_REQUEST_TYPE, "intent": "none"}


def note_envelope(body) -> None:
    """Remember the few fields a log line may carry, from a parsed and verified request
    body (skill.app calls this only once every verifier has passed)."""
    from flask import g   # here, not at import: the Lambda handler logs without Flask
    req = body.get("request") if isinstance(body, dict) else None
    req = req if isinstance(req, dict) else {}
    intent = req.get("intent") if isinstance(req.get("intent"), dict) else {}
    g.alexa = {"request_id": _label(req.get("requestId")) if isinstance(req.get("requestId"), str) else None,
               "request_type": _label(req.get("type")), "intent": _label(intent.get("name"))}


def start() -> None:
    from flask import g
    g.started = time.perf_counter()
    _outcome.set(None)


def finish(response: Response, metrics: Metrics) -> Response:
    from flask import g, request
    alexa = getattr(g, "alexa", None)
    if alexa is None:           # not an Alexa request (health check, metrics, 404...)
        return response
    seconds = time.perf_counter() - getattr(g, "started", time.perf_counter())
    status = response.status_code
    outcome = _outcome.get() or ("ok" if status < 400 else "rejected" if status < 500 else "error")
    metrics.observe(alexa["request_type"], alexa["intent"], outcome, seconds)
    logging.getLogger(ACCESS_LOGGER).info("request", extra={"fields": {
        **alexa, "status": status, "outcome": outcome, "latency_ms": round(seconds * 1000, 2),
        "method": request.method, "path": request.path}})
    return response
