"""Raw HTTP/1.1 over a loopback socket, for what http.client will not send (chunked
bodies with bad framing, ...)."""
from __future__ import annotations

import socket
from support.raw_http import dechunk


def raw_request(port: int, head: bytes, chunks=(), timeout_s: float = 10.0) -> tuple[int, dict, bytes]:
    """Send raw bytes, read the whole answer (the server closes); (status, headers, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as s:
        s.sendall(head)
        for c in chunks:
            s.sendall(c)
        s.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            part = s.recv(65536)
            if not part:
                break
            data += part
    head_text, _, body = data.partition(b"\r\n\r\n")
    lines = head_text.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:] if ":" in l)}
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = dechunk(body)
    return status, headers, body



def chunked(body: bytes, size: int) -> list[bytes]:
    parts = [body[i:i + size] for i in range(0, len(body), size)]
    return [b"%x\r\n%s\r\n" % (len(p), p) for p in parts] + [b"0\r\n\r\n"]


CHUNKED_HEAD = (b"POST /alexa HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
