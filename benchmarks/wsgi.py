"""The apps as gunicorn serves them in the benchmarks: 'benchmarks.wsgi:ours()' is
'skill.app:create_app()' (configured from the environment, as in production) behind
the loopback-only guard; 'benchmarks.wsgi:baseline()' is the hello skill."""
from benchmarks.common import baseline_app, loopback_only


def ours():
    loopback_only()
    from skill.app import create_app
    return create_app()


def baseline():
    loopback_only()
    return baseline_app()
