"""The apps as gunicorn serves them in the benchmarks: 'benchmarks.wsgi:ours()' is
'skill.app:create_app()' (configured from the environment, as in production) behind
the loopback-only guard; 'benchmarks.wsgi:baseline()' is the hello skill.

The production run's two: 'benchmarks.wsgi:ours_verified()' is the same create_app with
verification on, its certificate download answered from the chain the benchmark wrote
(benchmarks/signing.py); 'benchmarks.wsgi:baseline_verified()' is the hello skill with
flask-ask-sdk's default verifiers on, its certificate cache holding that chain."""
from benchmarks.common import baseline_app, loopback_only


def ours():
    loopback_only()
    from skill.app import create_app
    return create_app()


def baseline():
    loopback_only()
    return baseline_app()


def ours_verified():
    loopback_only()
    from benchmarks.signing import preloaded_chain
    from skill.app import create_app
    chain = preloaded_chain()
    return create_app({"CERT_FETCHER": lambda url, timeout_s, max_bytes: chain})


def baseline_verified():
    loopback_only()
    from benchmarks.baseline_skill import create_app
    from benchmarks.signing import preload_baseline
    app = create_app(verify=True)
    preload_baseline(app)
    return app
