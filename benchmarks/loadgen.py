"""A small HTTP/1.1 load generator, run in its own process (so it never shares the GIL
with the server), loopback only.

    python -m benchmarks.loadgen --port P --bodies FILE.json --concurrency C
                                 (--duration-s D | --requests N) [--warmup-s W] [--unique-users]

FILE.json is a list of request bodies (JSON text), or of {"body", "headers"} (a signed
request: Signature-256 and SignatureCertChainUrl), POSTed to /alexa in turn. With
--unique-users, user_id(0) in a body becomes a new listener each time the list starts
over (same length, so Content-Length holds). C keep-alive
connections each send one request, read the whole answer, and send the next. Prints one
JSON line: requests, errors, elapsed_s, rps, p50_ms, p99_ms (warm-up excluded).
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import time

from benchmarks.common import LOOPBACK, percentile, user_id

CONNECT_TIMEOUT_S = 5.0
RESPONSE_TIMEOUT_S = 10.0


def _requests(bodies: list, port: int) -> list[bytes]:
    out = []
    for entry in bodies:
        body, headers = (entry, {}) if isinstance(entry, str) else (entry["body"], entry["headers"])
        raw = body.encode()
        extra = b"".join(b"%s: %s\r\n" % (k.encode(), v.encode()) for k, v in headers.items())
        out.append(b"POST /alexa HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
                   b"%sContent-Length: %d\r\n\r\n%s" % (LOOPBACK.encode(), port, extra, len(raw), raw))
    return out


async def _exchange(reader, writer, request: bytes) -> int:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


async def _run(port, requests, concurrency, duration_s, total, warmup_s, unique_users=False):
    latencies_ms: list[float] = []
    errors = 0
    sent = itertools.count()
    t_start = time.perf_counter()
    t_measure = t_start + warmup_s
    deadline = None if duration_s is None else t_measure + duration_s
    order = itertools.count()
    marker = user_id(0).encode()

    async def worker(k: int):
        nonlocal errors
        conn = None
        while True:
            if deadline is not None and time.perf_counter() >= deadline:
                break
            if total is not None and next(sent) >= total:
                break
            n = next(order)
            request = requests[n % len(requests)]
            if unique_users:
                request = request.replace(marker, user_id(1 + n // len(requests)).encode())
            t0 = time.perf_counter()
            try:
                if conn is None:
                    conn = await asyncio.wait_for(asyncio.open_connection(LOOPBACK, port),
                                                  CONNECT_TIMEOUT_S)
                status = await asyncio.wait_for(_exchange(*conn, request), RESPONSE_TIMEOUT_S)
                ok = status == 200
            except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError):
                ok, status = False, None
                if conn is not None:
                    conn[1].close()
                conn = None
            t1 = time.perf_counter()
            if t0 >= t_measure:
                if ok:
                    latencies_ms.append((t1 - t0) * 1000)
                else:
                    errors += 1
        if conn is not None:
            conn[1].close()

    await asyncio.gather(*(worker(k) for k in range(concurrency)))
    elapsed = time.perf_counter() - t_measure
    return latencies_ms, errors, elapsed


def run(port: int, bodies: list[str], concurrency: int, duration_s=None, total=None,
        warmup_s: float = 0.0, unique_users: bool = False) -> dict:
    latencies, errors, elapsed = asyncio.run(_run(
        port, _requests(bodies, port), concurrency, duration_s, total, warmup_s, unique_users))
    return {"concurrency": concurrency, "requests": len(latencies), "errors": errors,
            "elapsed_s": round(elapsed, 3),
            "rps": len(latencies) / elapsed if elapsed > 0 else 0.0,
            "p50_ms": percentile(latencies, 50) if latencies else None,
            "p99_ms": percentile(latencies, 99) if latencies else None}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.loadgen")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--bodies", required=True)
    p.add_argument("--concurrency", type=int, default=1)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--duration-s", type=float)
    g.add_argument("--requests", type=int)
    p.add_argument("--warmup-s", type=float, default=0.0)
    p.add_argument("--unique-users", action="store_true")
    a = p.parse_args(argv)
    with open(a.bodies, encoding="utf-8") as f:
        bodies = json.load(f)
    print(json.dumps(run(a.port, bodies, a.concurrency, a.duration_s, a.requests, a.warmup_s,
                         a.unique_users)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
