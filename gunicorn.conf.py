"""Production server: gunicorn -c gunicorn.conf.py 'skill.app:create_app()'

Alexa only calls HTTPS on port 443 with a certificate it trusts (alexa_platform.md 3.1),
so gunicorn sits behind a TLS-terminating reverse proxy (nginx, Caddy, a load balancer)
and listens on loopback. Keep the proxy's request buffering on (nginx's default
``proxy_request_buffering on``): then a client trickling its request reaches the proxy,
not a gunicorn thread.

Request verification is always on here: start-up stops with one line when
ALEXA_SKILL_ID is missing, when DEVELOPER_MODE is set, or when a verification switch
is off (create_app refuses that itself, whatever the launcher). Settings come from the environment (see skill/config.py); the server's
own from SKILL_BIND, SKILL_WORKERS, SKILL_THREADS.
"""
import os
import sys

# Loopback by default: the reverse proxy on this host forwards to it.
bind = os.environ.get("SKILL_BIND", "127.0.0.1:8000")

# gthread: idle keep-alive connections wait in the worker's poller, not in a thread, and
# a new connection that sends nothing gives its thread back after 5 s (gunicorn's
# DEFAULT_WORKER_DATA_TIMEOUT) and waits in the poller until `keepalive` runs out. A
# client that trickles bytes would still hold a thread: gunicorn has no read timeout,
# which is why the buffering proxy in front matters. Skill requests are short and mostly
# wait on the database, which threads suit.
worker_class = "gthread"
workers = int(os.environ.get("SKILL_WORKERS", "2"))
threads = int(os.environ.get("SKILL_THREADS", "4"))

# Alexa abandons a request after 8 s, so nothing useful runs longer. A worker silent for
# 15 s is wedged and gets replaced (gthread's heartbeat comes from its main loop, so this
# catches a stuck process, not one slow request; per-request bounds are the 2 s
# certificate download deadline and the proxy's timeouts).
timeout = 15
graceful_timeout = 10
# Short keep-alive: Alexa reuses connections quickly or not at all.
keepalive = 2

# Alexa sends a handful of short headers (Signature-256 is 344 base64 characters), the
# proxy adds a few more; anything far larger is not Alexa. Bodies are capped by MAX_REQUEST_BYTES in the app.
limit_request_line = 4094
limit_request_fields = 32
limit_request_field_size = 8190

# gunicorn >= 24 opens a control socket in $HOME by default; this service needs none,
# and two instances on one host would collide on the path.
control_socket_disable = True

# The skill writes its own JSON access line per Alexa request (skill.observability), with
# intent and outcome; gunicorn's line adds the client and byte counts.
accesslog = "-"   # method, path, status, time: no bodies or user IDs

# Before any app exists (on_starting builds one in this master process, and workers
# inherit its loggers), so Flask never adds its plain-text handler.
from skill.observability import configure_logging  # noqa: E402

configure_logging()
errorlog = "-"
# Never add request headers (%({name})i) or bodies to this format.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'


def on_starting(server):
    """Refuse an unsafe or broken configuration before any worker starts.

    Building the app once here checks everything create_app checks (skill ID, trust
    roots, SKILL_DATABASE, ...) with a one-line message instead of a worker traceback.
    Storage is not touched: the persistence adapter opens it on first use.
    """
    from skill.app import create_app
    from skill.config import ConfigError, load_config

    try:
        config = load_config()
        if config["DEVELOPER_MODE"]:
            raise ConfigError("DEVELOPER_MODE is for python -m skill.tools.devserver, not gunicorn")
        create_app()
    except ConfigError as e:
        print(f"gunicorn.conf.py: {e}", file=sys.stderr, flush=True)
        sys.exit(2)
