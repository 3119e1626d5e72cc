"""gunicorn.conf.py exactly as production runs it, with two changes for the benchmarks:

* ``bind`` comes from BENCH_BIND (a free port on 127.0.0.1);
* ``on_starting`` does not refuse DEVELOPER_MODE: in the developer-mode runs both apps
  have request verification off. The production run keeps production's check for our app
  (BENCH_START_CHECK=production), which verifies every request there.

Workers, threads, worker class, timeouts, keep-alive and the access log are production's.
"""
import os as _os

_PRODUCTION = _os.path.join(_os.path.dirname(_os.path.abspath(__file__)), "..", "gunicorn.conf.py")
with open(_PRODUCTION, encoding="utf-8") as _f:
    exec(compile(_f.read(), _PRODUCTION, "exec"))

bind = _os.environ["BENCH_BIND"]


if _os.environ.get("BENCH_START_CHECK") != "production":
    def on_starting(server):  # noqa: F811 - replaces production's start-up check
        pass
