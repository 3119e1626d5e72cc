"""gunicorn settings for the load tests: the production gunicorn.conf.py, unchanged,
except that its start-up refusal of DEVELOPER_MODE is dropped.

The load tests run unsigned requests (developer mode: no signatures to make or check,
loopback clients only), which production's ``on_starting`` refuses on purpose. Every
other setting (worker class, workers, threads, timeouts, keep-alive, request limits,
logging) and every other hook comes from the repository's gunicorn.conf.py as it is, so
the load runs against the production server configuration.
"""
import os
import runpy

_PRODUCTION = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir,
                           "gunicorn.conf.py")
globals().update({k: v for k, v in runpy.run_path(os.path.normpath(_PRODUCTION)).items()
                  if not k.startswith("__")})


def on_starting(server):
    """Build the app once so a broken configuration stops start-up with one line
    (as production's hook does), without refusing developer mode."""
    import sys

    from skill.app import create_app
    from skill.config import ConfigError

    try:
        create_app()
    except ConfigError as e:
        print(f"gunicorn_load.conf.py: {e}", file=sys.stderr, flush=True)
        sys.exit(2)
