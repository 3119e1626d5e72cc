"""Posting one fuzzed request through the real app and judging the answer.

``post(client, ...)`` sends bytes to POST /alexa with the Flask test client (in process,
REMOTE_ADDR 127.0.0.1) and returns an ``Outcome``: status, parsed JSON, every SSML
document in the response, and every exception the skill caught on the way (the
``KindApology`` handler turns a handler crash into a kind 200, so a crash is only visible
in the log; it is captured here from the ``skill`` loggers).

``violations(outcome, envelope)`` lists every broken property:

* never a 5xx;
* a 200 is a JSON response envelope whose outputSpeech and reprompt SSML pass
  ``skill.ssml.check`` for the request's locale (en-US when it is not a supported one);
* anything else is a JSON 400, 413 or 415 with a short ``{"error", "message"}`` body;
* no slot value (or entity-resolution name) carrying markup appears raw in the SSML.

Open product bugs (OPEN_CRASH_BUGS / OPEN_RESPONSE_BUGS; each reproduced in
test_fuzz_product_bugs.py) are tolerated by the fuzz tests, precisely matched, so the
fuzzer keeps looking for new ones; FUZZ_STRICT=1 treats them as failures too.
Counts of everything are kept in ``STATS`` and printed at the end of the run
(conftest.pytest_terminal_summary).
"""
from __future__ import annotations

import collections
import itertools
import json
import logging
import os
import traceback
from dataclasses import dataclass, field
from typing import Any, Optional

from skill import catalogue, ssml

STRICT = os.environ.get("FUZZ_STRICT", "").strip().lower() in ("1", "true", "yes", "on")
ALLOWED_REJECTIONS = frozenset({400, 413, 415})
ERROR_BODY_MAX_BYTES = 300
DEFAULT_LOCALE = "en-US"
#: Every fuzzed slot value that carries markup also carries this marker, so finding the
#: value verbatim in the SSML can only mean it went in unescaped (the skill's own words
#: never contain it).
MARKER_PREFIX = "zqx"

STATS: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
_ids = itertools.count(1)


def next_id(kind: str) -> str:
    """Deterministic unique ids (request ids, user ids) for derandomized runs."""
    return f"{kind}-fuzz-{next(_ids):08d}"


# --------------------------------------------------------------------------- log capture

@dataclass
class Caught:
    """An exception the skill caught and logged (type, innermost frame in skill/)."""
    logger: str
    message: str
    exc_type: str
    site: str

    @property
    def signature(self) -> str:
        return f"{self.exc_type} at {self.site}"


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


_capture = _Capture()


def install_log_capture() -> None:
    """Collect ERROR records of the skill's loggers (idempotent)."""
    for name in ("skill", "flask_ask_sdk", "ask_sdk_core"):
        logger = logging.getLogger(name)
        if _capture not in logger.handlers:
            logger.addHandler(_capture)


def _site(exc: BaseException | None) -> str:
    if exc is None or exc.__traceback__ is None:
        return "?"
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/skill/" in f.filename.replace(os.sep, "/")]
    frame = (ours or frames)[-1]
    path = frame.filename.replace(os.sep, "/")
    short = path.split("/skill/", 1)[-1] if "/skill/" in path else os.path.basename(path)
    return f"{short}:{frame.lineno} {frame.name}"


def _caught(records: list[logging.LogRecord]) -> list[Caught]:
    out = []
    for r in records:
        exc = r.exc_info[1] if r.exc_info else None
        out.append(Caught(r.name, r.getMessage(), type(exc).__name__ if exc else "-", _site(exc)))
    return out


# --------------------------------------------------------------------------- posting

@dataclass
class Outcome:
    status: int
    mimetype: str
    data: bytes
    json: Any
    caught: list[Caught] = field(default_factory=list)

    @property
    def handler_crashes(self) -> list[Caught]:
        """Exceptions that reached the skill's KindApology handler."""
        return [c for c in self.caught if c.message.startswith("unhandled error in a handler")]

    def speeches(self) -> list[tuple[str, str]]:
        """(where, ssml) for outputSpeech and reprompt in a 200 response."""
        out = []
        response = (self.json or {}).get("response") if isinstance(self.json, dict) else None
        if not isinstance(response, dict):
            return out
        speech = response.get("outputSpeech")
        if speech:
            out.append(("outputSpeech", speech))
        reprompt = (response.get("reprompt") or {})
        if isinstance(reprompt, dict) and reprompt.get("outputSpeech"):
            out.append(("reprompt", reprompt["outputSpeech"]))
        return out


def post(client, body: bytes | str, content_type: Optional[str] = "application/json",
         headers: Optional[dict] = None, path: str = "/alexa") -> Outcome:
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogatepass")
    kwargs: dict[str, Any] = {"data": body, "headers": dict(headers or {})}
    if content_type is not None:
        kwargs["content_type"] = content_type
    _capture.records.clear()          # only this request's records (tests run serially)
    res = client.post(path, **kwargs)
    records = list(_capture.records)
    _capture.records.clear()
    data = res.get_data()
    try:
        parsed = json.loads(data) if res.mimetype == "application/json" else None
    except ValueError:
        parsed = None
    outcome = Outcome(res.status_code, res.mimetype, data, parsed, _caught(records))
    STATS["status"][res.status_code] += 1
    STATS["cases"]["requests"] += 1
    for c in outcome.handler_crashes:
        STATS["handler crashes"][c.signature] += 1
    return outcome


def post_json(client, envelope: Any, **kwargs) -> Outcome:
    """JSON-encode like Alexa (ASCII-escaped, so lone surrogates travel as \\udXXX)."""
    return post(client, json.dumps(envelope, ensure_ascii=True, allow_nan=False), **kwargs)


# --------------------------------------------------------------------------- properties

def locale_of(envelope: Any) -> str:
    try:
        loc = envelope["request"]["locale"]
    except (KeyError, TypeError):
        return DEFAULT_LOCALE
    return loc if isinstance(loc, str) and loc in catalogue.locales() else DEFAULT_LOCALE


def slot_strings(envelope: Any) -> list[str]:
    """Every string a listener could have put in the request: slot values and
    entity-resolution names (also under slotValue)."""
    out: list[str] = []

    def walk(node, depth=0):
        if depth > 12:
            return
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("value", "name") and isinstance(v, str):
                    out.append(v)
                walk(v, depth + 1)
        elif isinstance(node, list):
            for v in node:
                walk(v, depth + 1)
    try:
        walk(envelope["request"]["intent"]["slots"])
    except (KeyError, TypeError):
        pass
    return out


def _speech_problems(where: str, speech: Any, locale: str) -> list[str]:
    if not isinstance(speech, dict) or speech.get("type") != "SSML" \
            or not isinstance(speech.get("ssml"), str):
        return [f"{where} is not an SSML outputSpeech: {str(speech)[:200]}"]
    problems = ssml.check(speech["ssml"], locale)
    if problems:
        return [f"{where} SSML fails ssml.check({locale}): "
                f"{'; '.join(str(p) for p in problems[:3])}: {speech['ssml'][:300]!r}"]
    return []


def violations(outcome: Outcome, envelope: Any = None) -> list[str]:
    """Every property this outcome breaks (empty when it is fine)."""
    out: list[str] = []
    if outcome.status >= 500:
        return [f"HTTP {outcome.status}: {outcome.data[:300]!r}; caught: "
                f"{[c.signature for c in outcome.caught]}"]
    if outcome.status == 200:
        if outcome.mimetype != "application/json" or not isinstance(outcome.json, dict):
            return [f"200 is not a JSON object: {outcome.mimetype} {outcome.data[:200]!r}"]
        if not isinstance(outcome.json.get("response"), dict):
            return [f"200 without a response object: {outcome.data[:200]!r}"]
        locale = locale_of(envelope)
        speeches = outcome.speeches()
        for where, speech in speeches:
            out += _speech_problems(where, speech, locale)
        for value in slot_strings(envelope):
            if MARKER_PREFIX in value and any(ch in value for ch in "<>&\"'"):
                for where, speech in speeches:
                    text = speech.get("ssml", "") if isinstance(speech, dict) else ""
                    if value in text:
                        out.append(f"slot value {value[:80]!r} appears unescaped in {where}")
        return out
    if outcome.status not in ALLOWED_REJECTIONS:
        out.append(f"unexpected status {outcome.status}")
    if outcome.mimetype != "application/json":
        out.append(f"{outcome.status} is not JSON but {outcome.mimetype}: {outcome.data[:120]!r}")
    elif not (isinstance(outcome.json, dict) and set(outcome.json) == {"error", "message"}
              and all(isinstance(v, str) for v in outcome.json.values())):
        out.append(f"{outcome.status} body is not {{error, message}}: {outcome.data[:200]!r}")
    if len(outcome.data) >= ERROR_BODY_MAX_BYTES:
        out.append(f"{outcome.status} body is {len(outcome.data)} bytes (not short)")
    if b"<" in outcome.data:
        out.append(f"{outcome.status} body contains markup: {outcome.data[:120]!r}")
    return out


# --------------------------------------------------------------------------- known bugs

# Open product bugs the fuzz tests tolerate (each has a strict-xfail reproduction in
# test_fuzz_product_bugs.py), so the fuzzer keeps hunting for new ones. Fixed bugs are
# removed from here at once: from then on the fuzzer fails on a regression.
# Fixed so far: BUG-1 to BUG-7 (commit 6a5c8a2).

def _crashed_in(outcome: Outcome, *functions: str, exc_type: str = "TypeError") -> bool:
    return bool(outcome.handler_crashes) and all(
        c.exc_type == exc_type and c.site.rsplit(" ", 1)[-1] in functions
        for c in outcome.handler_crashes)


#: id -> (what, predicate(outcome, envelope, tampered) for a handler crash). "tampered":
#: the request's session attributes, or the listener's stored memory, were fuzzed.
OPEN_CRASH_BUGS: dict = {}   # none open: fixed bugs stay as regression tests in test_fuzz_product_bugs.py
#: id -> (what, predicate(outcome, envelope, problems)) for a broken response property
OPEN_RESPONSE_BUGS: dict = {}


def known_bug(outcome: Outcome, envelope: Any, problems: list[str]) -> Optional[str]:
    """The id of the open product bug that explains these problems, or None."""
    if STRICT or not problems:
        return None
    for bug, (_, applies) in OPEN_RESPONSE_BUGS.items():
        if applies(outcome, envelope, problems):
            return bug
    return None


def crash_is_known(outcome: Outcome, envelope: Any, tampered_session: bool) -> Optional[str]:
    """The open product bug behind a handler crash (kind apology), or None."""
    if STRICT or not outcome.handler_crashes:
        return None
    for bug, (_, applies) in OPEN_CRASH_BUGS.items():
        if applies(outcome, envelope, tampered_session):
            return bug
    return None


def record_known(bug: Optional[str]) -> None:
    if bug:
        STATS["known product bugs seen"][bug] += 1


def assert_ok(outcome: Outcome, envelope: Any = None, *, tampered_session: bool = False,
              crashes_allowed: bool = False, tolerate_known: bool = True) -> None:
    """Fail with a readable message when the outcome breaks a property not explained
    by a known bug. ``crashes_allowed``: a handler crash (kind apology) is not by itself
    a failure (used where the request itself is malformed on purpose).
    ``tolerate_known=False``: known bugs fail too (the reproductions use it)."""
    problems = violations(outcome, envelope)
    bug = known_bug(outcome, envelope, problems) if tolerate_known else None
    record_known(bug)
    if problems and not bug:
        raise AssertionError("\n".join(problems) + f"\nrequest: {_short(envelope)}")
    if outcome.handler_crashes and not crashes_allowed:
        crash_bug = crash_is_known(outcome, envelope, tampered_session) if tolerate_known else None
        record_known(crash_bug)
        if not crash_bug:
            raise AssertionError(
                "a handler crashed (the listener heard the kind apology): "
                f"{[c.signature for c in outcome.handler_crashes]}\nrequest: {_short(envelope)}")


def _short(envelope: Any, limit: int = 1500) -> str:
    try:
        text = json.dumps(envelope, ensure_ascii=True)
    except (TypeError, ValueError):
        text = repr(envelope)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"
