"""The listener's time zone, from the Alexa device settings API, for streaks and dates.

Asked only when a date matters (a finished practice, "how am I doing?"), once a session,
with a short timeout; when the device does not say, or Amazon cannot be reached, the skill
counts days in UTC and says so. Only Amazon's own API origins are ever called: the origin
comes from the request, so an allowlist keeps a forged request from sending us elsewhere.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
import urllib.parse

AMAZON_API_ORIGINS = frozenset({"https://api.amazonalexa.com", "https://api.eu.amazonalexa.com",
                                "https://api.fe.amazonalexa.com"})
LOOKUP_TIMEOUT_S = 1.0        # inside Alexa's ~8 s for the whole answer
RETRY_AFTER_FAILURE_S = 300   # after a failure, don't make every request wait on a dead API
MAX_RESPONSE_BYTES = 1024
log = logging.getLogger(__name__)

_failed_at = 0.0
_lock = threading.Lock()


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}".lower()


def offset_minutes(envelope, origins=AMAZON_API_ORIGINS, now: dt.datetime | None = None) -> int | None:
    """Minutes east of UTC for the device that sent `envelope`, or None if unknown."""
    global _failed_at
    system = getattr(getattr(envelope, "context", None), "system", None)
    endpoint = getattr(system, "api_endpoint", None)
    token = getattr(system, "api_access_token", None)
    device = getattr(getattr(system, "device", None), "device_id", None)
    if not (endpoint and token and device) or _origin(endpoint) not in origins:
        return None
    with _lock:
        if time.monotonic() - _failed_at < RETRY_AFTER_FAILURE_S and _failed_at:
            return None
    # Imported only when asked: urllib.request (mime types, temp files, compression) and
    # zoneinfo weigh on a cold start whose first turn needs no date.
    import urllib.request
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    url = f"{endpoint.rstrip('/')}/v2/devices/{urllib.parse.quote(device, safe='')}/settings/System.timeZone"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}",
                                                   "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=LOOKUP_TIMEOUT_S) as res:
            name = json.loads(res.read(MAX_RESPONSE_BYTES))
        zone = ZoneInfo(name)
    except (OSError, ValueError, ZoneInfoNotFoundError, TypeError) as err:
        log.warning("device time zone unavailable: %s", type(err).__name__)
        with _lock:
            _failed_at = time.monotonic()
        return None
    offset = (now or dt.datetime.now(dt.timezone.utc)).astimezone(zone).utcoffset()
    return int(offset.total_seconds() // 60)


def reset() -> None:
    """Forget a past failure (tests; a long-running process recovers by itself)."""
    global _failed_at
    with _lock:
        _failed_at = 0.0
