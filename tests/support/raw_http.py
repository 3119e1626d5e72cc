"""Helpers for tests that speak raw HTTP/1.1 to a server on loopback."""
from __future__ import annotations


def dechunk(data: bytes) -> bytes:
    """The body of a chunked HTTP response (chunk extensions and trailers ignored)."""
    out = b""
    while data:
        size_line, _, rest = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out, data = out + rest[:size], rest[size + 2:]
    return out
