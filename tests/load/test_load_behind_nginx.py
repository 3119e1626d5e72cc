"""(d) Slow clients against the production deployment: nginx with deploy/nginx's proxy
settings in front of gunicorn (production settings). The same dribbling clients that hold
gunicorn threads when they reach it directly (test_load_slow_clients.py) now wait in
nginx, and everyone else is answered promptly."""
from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from load_support import envelope
from test_load_slow_clients import PROMPT_S, Dribbler, _describe, _run

pytestmark = pytest.mark.load

REPO = Path(__file__).resolve().parents[2]
PROXY_SNIPPET = REPO / "deploy" / "nginx" / "compassion-coach-proxy.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
START_TIMEOUT_S = 10


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: The upstream here runs in developer mode (unsigned requests), which refuses anything
#: that came through a proxy, and the snippet says so (X-Forwarded-For). The slow-client
#: test is about nginx's buffering and timeouts, so its location passes no proxy headers
#: (a location's own proxy_set_header replaces every inherited one; Host becomes the
#: upstream's loopback address).
WITHOUT_PROXY_HEADERS = 'proxy_set_header X-Forwarded-For "";'


@pytest.fixture
def nginx_in_front(start_nginx, gunicorn_server):
    return start_nginx(gunicorn_server(workers=2, threads=4), WITHOUT_PROXY_HEADERS)


@pytest.fixture
def start_nginx(tmp_path):
    if not os.path.exists(NGINX):
        if os.environ.get("CI"):
            pytest.fail("nginx is missing: scripts/setup installs it for the tests (apt-get install nginx-light)")
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    procs = []

    def start(upstream, location_lines: str = "") -> int:
        port, proc = _start_nginx(tmp_path / f"nginx{len(procs)}", upstream, location_lines)
        procs.append(proc)
        return port

    yield start
    for proc in procs:
        proc.send_signal(signal.SIGQUIT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _start_nginx(prefix, upstream, location_lines):
    port = _free_port()
    prefix.mkdir()
    temp = "\n".join(f"  {kind}_temp_path {prefix / kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                                        "uwsgi", "scgi"))
    (prefix / "nginx.conf").write_text(f"""
{"user root;" if os.geteuid() == 0 else ""}
worker_processes 1;
error_log {prefix / "error.log"} warn;
pid {prefix / "nginx.pid"};
events {{ worker_connections 512; }}
http {{
  access_log off;
{temp}
  server {{
    listen 127.0.0.1:{port};
    include {PROXY_SNIPPET};
    location = /alexa {{
      {location_lines}
      proxy_pass http://127.0.0.1:{upstream.port};
    }}
  }}
}}
""")
    proc = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("nginx did not start: " + proc.stderr.read().decode(errors="replace"))
            time.sleep(0.1)
    return port, proc


def test_developer_mode_behind_the_snippet_serves_nobody(start_nginx, gunicorn_server):
    # The snippet marks proxied requests (X-Forwarded-For), so an unverified developer
    # server put behind it by mistake refuses the world, even one that names localhost.
    port = start_nginx(gunicorn_server(workers=1, threads=2))
    for host in ("localhost", "127.0.0.1", "skill.example.org"):
        body = json.dumps(envelope("help", "amzn1.ask.account.NGINXTEST", "s-nginx", {}, True)).encode()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("POST", "/alexa", body=body,
                     headers={"Host": host, "Content-Type": "application/json"})
        response = conn.getresponse()
        assert response.status == 403, (host, response.status, response.read()[:200])
        conn.close()


def test_many_slow_clients_wait_in_nginx_not_in_gunicorn(nginx_in_front):
    dribblers = ([Dribbler(nginx_in_front, True, f"head{i}") for i in range(16)]
                 + [Dribbler(nginx_in_front, False, f"body{i}") for i in range(8)])
    results = _run(nginx_in_front, dribblers)
    print(f"\n24 dribbling clients behind nginx: {_describe(results)}")
    assert len(results) >= 20
    assert all(status == 200 for status, _ in results), results
    assert max(lat for _, lat in results) < PROMPT_S, _describe(results)
    # nginx cut them off at its timeouts (408) or let the slowest finish; none got through
    # to hold a worker, and none got a 5xx
    assert all(d.status is None or d.status < 500 for d in dribblers), [d.status for d in dribblers]
