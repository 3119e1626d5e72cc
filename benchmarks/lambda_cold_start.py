"""3b. Lambda cold start: the deployment zip built by python -m skill.tools.lambda_package,
unpacked, and a fresh interpreter that sees only the zip and the standard library
(tests/support/lambda_runtime.py) importing the handler and answering one launch: ours
(skill.lambda_function.handler, DynamoDB through moto's server on 127.0.0.1) against the
hello skill's Lambda handler (benchmarks/baseline_lambda.py, copied into the same folder so
both load the same SDK files), and the floor (benchmarks/floor_lambda.py): the hello skill
plus Jinja and our DynamoDB client, the two libraries a launch of ours cannot answer without.

Timed from the parent, from just before the process is spawned to its answer line; the
child's CPU time is shown too, as the figure least moved by other load on a shared machine.
The table exists, as the deployment made it (a new container, not a first deployment);
one untimed run of each comes first; the two alternate.
"""
from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

from benchmarks.common import (APP_ID, REPO, Section, envelope, median, ratio_figure,
                               temp_dir, user_id)

REPEATS_FULL, REPEATS_QUICK = 9, 3
RATIO_LIMIT_X = 1.5
BUILD_TIMEOUT_S = 900
TABLE, REGION = "cc-bench", "eu-west-1"
HANDLERS = {"ours": "skill.lambda_function.handler", "baseline": "baseline_lambda.handler",
            "floor": "floor_lambda.handler"}


def _children_cpu_s() -> float:
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


def _build(work: Path) -> tuple[Path, int]:
    out = work / "lambda.zip"
    subprocess.run([sys.executable, "-m", "skill.tools.lambda_package", "--out", str(out)],
                   cwd=REPO, check=True, capture_output=True, timeout=BUILD_TIMEOUT_S)
    return out, out.stat().st_size


def _create_table(endpoint_url: str) -> None:
    """As the deployment does once; the handler never creates it (README, Lambda)."""
    import boto3
    boto3.client("dynamodb", region_name=REGION, endpoint_url=endpoint_url,
                 aws_access_key_id="bench", aws_secret_access_key="bench").create_table(
        TableName=TABLE, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])


def measure(quick: bool) -> Section:
    sys.path.insert(0, str(REPO / "tests"))
    from moto.server import ThreadedMotoServer
    from support.lambda_runtime import invoke, unpack

    work = Path(temp_dir("lambda"))
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    times = {app: [] for app in HANDLERS}
    cpu = {app: [] for app in HANDLERS}
    try:
        built, zip_bytes = _build(work)
        root = unpack(built, work / "task")
        for contender in ("baseline_lambda.py", "floor_lambda.py"):
            shutil.copy(REPO / "benchmarks" / contender, root / contender)
        server.start()
        host, port = server.get_host_and_port()
        _create_table(f"http://{host}:{port}")
        env = {"ALEXA_SKILL_ID": APP_ID, "USER_KEY_SECRET": "benchmark secret, 32 bytes or more",
               "SKILL_DATABASE": f"dynamodb://{TABLE}?region={REGION}&endpoint_url=http://{host}:{port}",
               "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
               "LANG": "C.UTF-8", "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        event = envelope("launch", user_id(0))

        def once(app: str) -> tuple[float, float]:
            before = _children_cpu_s()
            run = invoke(root, [event], env, handler=HANDLERS[app])
            if "response" not in run.answers[0] or run.modules_outside:
                raise RuntimeError(f"Lambda cold start of {app}: {run.answers[0]!r} "
                                   f"{run.modules_outside}")
            return run.first_answer_ms, (_children_cpu_s() - before) * 1000

        for app in times:                    # untimed: the page cache
            once(app)
        for _ in range(REPEATS_QUICK if quick else REPEATS_FULL):
            for app in times:
                wall_ms, cpu_ms = once(app)
                times[app].append(wall_ms)
                cpu[app].append(cpu_ms)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    section = Section("3b. Lambda cold start (the built zip, a bare interpreter, first launch)")
    section.figures.append(ratio_figure(section.title, "median time to first answer",
                                        median(times["ours"]), median(times["baseline"]), "ms",
                                        RATIO_LIMIT_X))
    section.figures.append(ratio_figure(section.title, "median CPU time to first answer",
                                        median(cpu["ours"]), median(cpu["baseline"]), "ms"))
    section.figures.append(ratio_figure(section.title, "the floor's median time to first answer "
                                        "(floor / baseline)", median(times["floor"]),
                                        median(times["baseline"]), "ms"))
    section.figures.append(ratio_figure(section.title, "median time to first answer, ours / the "
                                        "floor", median(times["ours"]), median(times["floor"]), "ms"))
    section.notes.append(f"{len(times['ours'])} runs each, in turn; "
                         + "; ".join(f"{app} " + ", ".join(f"{t:.0f}" for t in times[app]) + " ms"
                                     for app in HANDLERS) + ".")
    section.notes.append(
        "The floor is the hello skill plus Jinja (one template) and our DynamoDB client (one "
        "read, one write): what any skill that answers from Jinja templates and keeps a record "
        "in DynamoDB pays at least. Ours over the floor is our own modules; the floor over the "
        "hello skill is those two libraries. Both runtimes first import what Lambda's "
        "bootstrap has imported before any handler (tests/support/lambda_runtime.py).")
    section.notes.append(
        f"The zip: {zip_bytes / 1e6:.1f} MB. Ours reads and writes the listener's record in "
        "DynamoDB (moto's server, in the benchmark's process, stands in for it); the hello "
        "skill keeps nothing. Not shown: Lambda's own start (download, unzip, the rest "
        "of the runtime's bootstrap), its CPU share at a given memory size, real DynamoDB's latency.")
    return section
