"""A local stand-in for https://s3.amazonaws.com/echo.api/: a threaded HTTP server on
127.0.0.1 (port 0) serving PEM chains and misbehaving variants, and the one test
seam of the verification path: a CERT_FETCHER that maps the Amazon URL to this
server and then runs the real ``skill.verify.fetch_certificate_chain``.
"""
from __future__ import annotations

import collections
import posixpath
import socket
import ssl
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, urlunsplit

from skill.verify import fetch_certificate_chain

AMAZON_CERT_HOST = "s3.amazonaws.com"
#: Longest a stalling route holds a connection (the server must shut down promptly).
STALL_MAX_S = 10.0


@dataclass
class Route:
    """How to answer one path.

    kind: pem | pem-no-length | status | stall | drip | redirect; ``delay_s`` holds any
    answer back that long first."""
    kind: str
    body: bytes = b""
    status: int = 200
    interval_s: float = 0.0      # drip: pause between bytes
    location: str = ""           # redirect target
    delay_s: float = 0.0


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):
        path = posixpath.normpath(urlsplit(self.path).path)
        owner = self.server.owner
        with owner.lock:
            owner.hits[path] += 1
            route = owner.routes.get(path)
        if route is None:
            return self._send(404, b"no such object")
        if route.delay_s and owner.stop.wait(route.delay_s):
            return None
        if route.kind == "pem":
            return self._send(200, route.body, "application/x-pem-file")
        if route.kind == "pem-no-length":  # body delimited by closing the connection
            self.close_connection = True
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(route.body)
            return None
        if route.kind == "status":
            return self._send(route.status, route.body)
        if route.kind == "redirect":
            self.send_response(302)
            self.send_header("Location", route.location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if route.kind == "stall":  # accept, then say nothing
            owner.stop.wait(STALL_MAX_S)
            return None
        if route.kind == "drip":  # headers at once, then one byte per interval
            self.send_response(200)
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            for i in range(len(route.body)):
                if owner.stop.wait(route.interval_s):
                    return None
                try:
                    self.wfile.write(route.body[i:i + 1])
                    self.wfile.flush()
                except OSError:
                    return None
            return None
        raise AssertionError(f"unknown route kind {route.kind}")

    def _send(self, status: int, body: bytes, content_type: str = "text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stalled handlers must not hold up shutdown
    owner: "CertServer"


class CertServer:
    def __init__(self, tls_files: tuple[str, str] | None = None):
        self.routes: dict[str, Route] = {}
        self.hits: collections.Counter = collections.Counter()
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self.port = self._httpd.server_address[1]
        self.scheme = "http"
        if tls_files is not None:  # HTTPS, for the download's TLS code path
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls_files)
            self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
            self.scheme = "https"
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> "CertServer":
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def route(self, path: str, route: Route) -> str:
        """Serve ``route`` at ``path`` (e.g. "/echo.api/good.pem"); returns the Amazon URL."""
        with self.lock:
            self.routes[path] = route
        return f"https://{AMAZON_CERT_HOST}{path}"

    def hits_for(self, path: str) -> int:
        with self.lock:
            return self.hits[path]

    def local_url(self, url: str, port: int | None = None, any_host: bool = False) -> str:
        """https://s3.amazonaws.com/... -> http://127.0.0.1:<port>/...; other URLs unchanged
        unless ``any_host`` (then every host maps here, whatever the scheme and port)."""
        parts = urlsplit(url)
        if not any_host and (parts.hostname or "").lower() != AMAZON_CERT_HOST:
            return url
        return urlunsplit((self.scheme, f"127.0.0.1:{port or self.port}", parts.path,
                           parts.query, ""))

    def fetcher(self, port: int | None = None, any_host: bool = False):
        """CERT_FETCHER for create_app: host mapping only; the real download code runs.

        ``any_host=True`` serves a good chain for URLs the verifier must refuse, so a test
        shows the URL rule, not a failed download, is what refuses them."""
        def fetch(url: str, timeout_s: float, max_bytes: int) -> bytes:
            return fetch_certificate_chain(self.local_url(url, port, any_host), timeout_s,
                                           max_bytes)
        return fetch


def closed_port() -> int:
    """A loopback port with nothing listening (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
