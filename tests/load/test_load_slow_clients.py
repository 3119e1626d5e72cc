"""(d) Slow clients against the production settings (2 gthread workers x 4 threads).

A client that sends its headers and then dribbles the body (or dribbles the headers
themselves) holds one gunicorn thread for as long as it keeps sending: gunicorn has no
read timeout (gunicorn.conf.py says so; the README puts a buffering reverse proxy in
front for this reason). What must hold without the proxy: ONE such client never stops
anyone else being answered promptly, because it cannot hold the only worker or thread.

What does not hold, measured and kept here as a strict xfail (DOCUMENTED LIMIT, not a
bug in the code: the deployment needs the proxy): a few dozen bytes a second from a
handful of connections stalls a large share of everyone else's requests. Measured on 2
cores: 4 header-dribbling connections stalled ~40 % of other requests for the whole
dribble, 16 stalled all of them; 8 body-dribbling connections stalled ~45 %.
"""
from __future__ import annotations

import json
import socket
import threading
import time

import pytest

from load_support import envelope, request

pytestmark = pytest.mark.load

DRIBBLE_FOR_S = 6.0
DRIBBLE_INTERVAL_S = 0.3
PROMPT_S = 2.0          # "promptly": well inside Alexa's 8 s, generous for a shared machine
NORMAL_EVERY_S = 0.1


def _body(user: str) -> bytes:
    return json.dumps(envelope("help", user, f"amzn1.echo-api.session.{user}", {}, True)).encode()


class Dribbler(threading.Thread):
    """Headers at once then the body a byte at a time (or everything a byte at a time),
    for DRIBBLE_FOR_S, then the rest; records the status it finally gets."""

    def __init__(self, port: int, headers_too: bool, name: str):
        super().__init__(daemon=True)
        self.port, self.headers_too, self.user = port, headers_too, f"amzn1.ask.account.SLOW{name}"
        self.status: int | None = None
        self.error: str | None = None

    def run(self):
        body = _body(self.user)
        head = (b"POST /alexa HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body))
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=30) as s:
                data = head + body
                if not self.headers_too:
                    s.sendall(head)
                    data = body
                started, i = time.monotonic(), 0
                while time.monotonic() - started < DRIBBLE_FOR_S and i < len(data) - 1:
                    s.sendall(data[i:i + 1])
                    i += 1
                    time.sleep(DRIBBLE_INTERVAL_S)
                s.sendall(data[i:])
                answer = b""
                while b"\r\n" not in answer:
                    part = s.recv(4096)
                    if not part:
                        break
                    answer += part
                self.status = int(answer.split()[1]) if answer else None
        except OSError as e:
            self.error = f"{type(e).__name__}: {e}"


def _normal_traffic_during(port: int, seconds: float) -> list[tuple[int, float]]:
    """Independent requests (one thread each, NORMAL_EVERY_S apart): (status, latency)."""
    results: list[tuple[int, float]] = []
    lock = threading.Lock()

    def one(k):
        started = time.monotonic()
        try:
            status, _ = request(port, "POST", "/alexa", _body(f"amzn1.ask.account.NORMAL{k}"),
                                timeout_s=30)
        except OSError:
            status = -1
        with lock:
            results.append((status, time.monotonic() - started))

    threads, k, end = [], 0, time.monotonic() + seconds
    while time.monotonic() < end:
        t = threading.Thread(target=one, args=(k,), daemon=True)
        t.start()
        threads.append(t)
        k += 1
        time.sleep(NORMAL_EVERY_S)
    for t in threads:
        t.join(timeout=40)
    return results


def _run(port: int, dribblers: list[Dribbler]) -> list[tuple[int, float]]:
    for d in dribblers:
        d.start()
    time.sleep(1.0)                                   # they now hold their threads
    results = _normal_traffic_during(port, DRIBBLE_FOR_S - 2.0)
    for d in dribblers:
        d.join(timeout=DRIBBLE_FOR_S + 30)
    return results


def _describe(results) -> str:
    slow = [lat for _, lat in results if lat > PROMPT_S]
    return (f"{len(results)} requests, {len(slow)} slower than {PROMPT_S:g} s, "
            f"max {max(lat for _, lat in results):.2f} s")


@pytest.mark.parametrize("headers_too", [False, True], ids=["body-dribbled", "headers-dribbled"])
def test_one_slow_client_does_not_hold_up_anyone_else(gunicorn_server, headers_too):
    server = gunicorn_server(workers=2, threads=4)
    slow = Dribbler(server.port, headers_too, "one")
    results = _run(server.port, [slow])
    print(f"\none slow client ({'headers' if headers_too else 'body'} dribbled): {_describe(results)}")
    assert len(results) >= 20
    assert all(status == 200 for status, _ in results), results
    assert max(lat for _, lat in results) < PROMPT_S, _describe(results)
    assert slow.error is None and slow.status == 200, (slow.status, slow.error)


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "DOCUMENTED LIMIT: gunicorn has no read timeout, so a few dribbling connections hold "
    "every thread of a worker and requests it accepts wait behind them; production relies "
    "on the buffering reverse proxy (deploy/nginx), proven in test_load_behind_nginx.py."))
def test_a_handful_of_slow_clients_do_not_hold_up_anyone_else(gunicorn_server):
    server = gunicorn_server(workers=2, threads=4)
    dribblers = [Dribbler(server.port, True, f"many{i}") for i in range(16)]
    results = _run(server.port, dribblers)
    print(f"\n16 header-dribbling clients: {_describe(results)}")
    assert all(status == 200 for status, _ in results), results    # they do get answered...
    assert max(lat for _, lat in results) < PROMPT_S, _describe(results)   # ...but not promptly
