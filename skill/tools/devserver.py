"""Local development server: ``python -m skill.tools.devserver [--port N] [--host 127.0.0.1]``.

Serves ``create_app({"DEVELOPER_MODE": True})``: no signature or timestamp checks, so
it listens on loopback only and the app answers 403 to anything else. Other settings
(ALEXA_SKILL_ID, SKILL_DATA_DIR, ...) come from the environment as usual. For
production use gunicorn.conf.py.
"""
from __future__ import annotations

import argparse
import ipaddress
import json
import socket
import sys
from typing import Optional, Sequence

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from skill.app import create_app
from skill.observability import configure_logging
from skill.config import ConfigError, database_location

DEFAULT_PORT = 5000
DEFAULT_HOST = "127.0.0.1"
LINGER_S = 1.0                 # how long a refused request's body is drained
LINGER_MAX_BYTES = 1 << 20


def _loopback_host(host: str) -> Optional[str]:
    """The address to bind for ``host`` if it is loopback, else None."""
    if host == "localhost":
        return DEFAULT_HOST
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    return host if ip.is_loopback else None


class _LengthRequired(WSGIRequestHandler):
    """Refuses chunked bodies (411) before werkzeug reads one.

    werkzeug's DechunkedInput does not check for a short chunk, and CPython 3.11's
    RawIOBase.read then copies as many bytes as the chunk header claimed: a request whose
    header says "ffffffff" and sends two bytes reads heap memory, or crashes the server.
    Alexa always sends Content-Length; gunicorn, the production server, dechunks safely.
    """

    def run_wsgi(self) -> None:
        if "chunked" not in self.headers.get("Transfer-Encoding", "").lower():
            return super().run_wsgi()
        body = json.dumps({"error": "length_required",
                           "message": "send Content-Length, not a chunked body"}).encode()
        self.close_connection = True  # the body is never read
        self.send_response(411)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self._linger()

    def _linger(self) -> None:
        # Closing with the body unread would reset the connection and could lose the 411
        # on its way; discard what is still coming, raw, for a bounded time.
        try:
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(LINGER_S)
            for _ in range(LINGER_MAX_BYTES // 65536):
                if not self.connection.recv(65536):
                    break
        except OSError:
            pass


def make_dev_server(host: str, port: int, app) -> BaseWSGIServer:
    """werkzeug's threaded server for ``app``, refusing chunked bodies."""
    return make_server(host, port, app, threaded=True, request_handler=_LengthRequired)


def banner(url: str, config: dict) -> str:
    skill_id = config.get("ALEXA_SKILL_ID") or "not set (any applicationId accepted)"
    return "\n".join([
        "Compassion Coach development server",
        "  DEVELOPER MODE: request signature and timestamp verification are OFF",
        "  loopback only: requests from other machines get 403",
        f"  skill endpoint: {url}/alexa   (health: {url}/healthz)",
        f"  skill ID check: {skill_id}",
        f"  database:       {database_location(config)}",
        "  Do not expose this server (no tunnels, no proxies); use gunicorn.conf.py in production.",
    ])


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m skill.tools.devserver", description="Serve the skill locally, unverified.")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"TCP port (default {DEFAULT_PORT}; 0 picks a free one)")
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help="loopback address to bind (default 127.0.0.1)")
    args = parser.parse_args(argv)

    if not 0 <= args.port <= 65535:
        print(f"devserver: --port must be 0-65535, not {args.port}", file=sys.stderr)
        return 2
    host = _loopback_host(args.host)
    if host is None:
        print(f"devserver: refusing non-loopback host {args.host!r}: developer mode has "
              "verification off; use 127.0.0.1 or ::1", file=sys.stderr)
        return 2
    configure_logging()
    try:
        app = create_app({"DEVELOPER_MODE": True})
    except ConfigError as e:
        print(f"devserver: {e}", file=sys.stderr)
        return 2

    try:
        server = make_dev_server(host, args.port, app)
    except OSError as e:  # port in use, no IPv6, ...
        print(f"devserver: cannot listen on {host} port {args.port}: {e.strerror or e}",
              file=sys.stderr)
        return 1
    shown_host = f"[{host}]" if ":" in host else host
    print(banner(f"http://{shown_host}:{server.server_port}",
                 app.extensions["compassion_coach"]["config"]), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
