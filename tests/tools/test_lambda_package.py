"""The Lambda deployment zip (python -m skill.tools.lambda_package), unpacked and run in a
fresh interpreter that sees only the zip and the standard library (support.lambda_runtime),
against moto's DynamoDB server on 127.0.0.1. Slow: it installs the locked dependencies
for Lambda's platform (from pip's cache after the first time)."""
from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import subprocess
import sys
import zipfile

import pytest

from support.lambda_runtime import invoke, unpack
from support.processes import REPO_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.moto]

moto_server = pytest.importorskip("moto.server", reason="moto[server] is not installed")
boto3 = pytest.importorskip("boto3")

SKILL_ID = "amzn1.ask.skill.00000000-0000-4000-8000-00000c0ac4c1"   # the fixtures' skill
SECRET = "lambda test secret, 32 bytes or more"
REGION = "eu-west-1"
TABLES = ("cc-lambda-zip", "cc-lambda-zip-other", "cc-lambda-zip-floor")
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "requests"


def fixture(name: str, user_id: str) -> dict:
    env = json.loads((FIXTURES / f"{name}.json").read_text())
    env["context"]["System"].pop("apiEndpoint", None)     # no time-zone lookup leaves the host
    env["context"]["System"].pop("apiAccessToken", None)
    env["context"]["System"]["user"]["userId"] = user_id
    if "session" in env:
        env["session"]["user"]["userId"] = user_id
    return env


@pytest.fixture(scope="module")
def built_zip(tmp_path_factory):
    out = tmp_path_factory.mktemp("lambda") / "compassion-coach-lambda.zip"
    done = subprocess.run([sys.executable, "-m", "skill.tools.lambda_package", "--out", str(out)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    assert f"wrote {out}" in done.stdout
    return out


@pytest.fixture(scope="module")
def unpacked(built_zip, tmp_path_factory):
    return unpack(built_zip, tmp_path_factory.mktemp("task"))


@pytest.fixture(scope="module")
def dynamodb():
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    client = boto3.client("dynamodb", region_name=REGION, endpoint_url=url,
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    for table in TABLES:      # as the deployment makes them: the handler creates none
        client.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    yield url
    server.stop()


def lambda_env(endpoint_url: str, table: str) -> dict[str, str]:
    """What the function's configuration would hold: no PATH tricks, no PYTHONPATH."""
    return {"ALEXA_SKILL_ID": SKILL_ID, "USER_KEY_SECRET": SECRET,
            "SKILL_DATABASE": f"dynamodb://{table}?region={REGION}&endpoint_url={endpoint_url}",
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing", "LANG": "C.UTF-8"}


def test_the_zip_holds_the_handler_its_data_and_no_test_or_build_tools(built_zip):
    names = set(zipfile.ZipFile(built_zip).namelist())
    tops = {n.split("/")[0] for n in names}
    assert "skill/lambda_function.py" in names
    assert "skill/data/helplines.json" in names
    assert "skill/data/ssml/catalogue.json" in names
    assert any(n.startswith("skill/data/ssml/dialog/") for n in names)
    assert "skill/data/interaction_model/ask-resources.json" in names
    assert "skill/__pycache__/lambda_function.cpython-311.pyc" in names
    assert sum(n.startswith("skill/data/compiled-templates/") for n in names) > 50
    for absent in ("pytest", "hypothesis", "moto", "docker", "gunicorn", "hatchling", "pip",
                   "setuptools", "bin", "boto3", "botocore"):
        assert absent not in tops, absent
    assert not any(n.startswith("skill/tools/") for n in names)   # the webhook never needs them
    assert built_zip.stat().st_size < 50 * 1024 * 1024          # Lambda's direct-upload limit


def test_the_unpacked_zip_answers_and_remembers_in_dynamodb(unpacked, dynamodb):
    user = "amzn1.ask.account.AELAMBDAZIPTEST000000000000000000000000000000000000000000000"
    env = lambda_env(dynamodb, "cc-lambda-zip")
    first = invoke(unpacked, [fixture("launch", user), fixture("speak_slower", user)], env)
    assert first.modules_outside == []          # everything came from the zip or the stdlib
    launch, slower = (a["response"]["outputSpeech"]["ssml"] for a in first.answers)
    assert "Welcome to Compassion Coach" in launch and 'rate="90%"' in launch
    assert 'rate="80%"' in slower

    client = boto3.client("dynamodb", region_name=REGION, endpoint_url=dynamodb,
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    items = client.scan(TableName="cc-lambda-zip")["Items"]
    key = hmac.new(SECRET.encode(), user.encode(), hashlib.sha256).hexdigest()
    assert [item["id"]["S"] for item in items] == [key]       # keyed, never the user ID
    assert user not in repr(items)

    # A new container (another cold start) speaks at the pace the first one stored.
    again = invoke(unpacked, [fixture("launch", user)], env)
    assert 'rate="80%"' in again.answers[0]["response"]["outputSpeech"]["ssml"]


def test_the_unpacked_zip_refuses_another_skill(unpacked, dynamodb):
    env = dict(lambda_env(dynamodb, "cc-lambda-zip-other"), ALEXA_SKILL_ID=SKILL_ID[:-1] + "0")
    user = "amzn1.ask.account.AELAMBDAZIPOTHER00000000000000000000000000000000000000000000"
    with pytest.raises(AssertionError, match="Skill ID"):
        invoke(unpacked, [fixture("launch", user)], env)


def test_the_unpacked_zip_will_not_start_without_its_settings(unpacked, dynamodb):
    env = lambda_env(dynamodb, "cc-lambda-zip-unset")
    for name in ("ALEXA_SKILL_ID", "SKILL_DATABASE", "USER_KEY_SECRET"):
        with pytest.raises(AssertionError, match=name):
            invoke(unpacked, [fixture("launch", "amzn1.ask.account.X")],
                   {k: v for k, v in env.items() if k != name})


def test_every_package_in_the_zip_is_the_locked_version(built_zip):
    lock = (REPO_ROOT / "requirements" / "lambda.txt").read_text()
    pins = {line.split("==")[0].lower().replace("_", "-"): line.split("==")[1].split()[0]
            for line in lock.splitlines() if "==" in line and not line.startswith("#")}
    found = {}
    for name in zipfile.ZipFile(built_zip).namelist():
        top = name.split("/")[0]
        if top.endswith(".dist-info") and name.endswith("/METADATA"):
            dist, version = top[: -len(".dist-info")].rsplit("-", 1)
            found[dist.lower().replace("_", "-")] = version
    found.pop("compassion-coach")
    assert found == pins


def test_the_cold_start_benchmarks_contenders_answer_from_the_same_folder(unpacked, dynamodb):
    """benchmarks/lambda_cold_start.py copies these two beside the skill: the hello skill keeps
    nothing; the floor keeps a record, keyed, as ours does."""
    for contender in ("baseline_lambda.py", "floor_lambda.py"):
        shutil.copy(REPO_ROOT / "benchmarks" / contender, unpacked / contender)
    env = lambda_env(dynamodb, "cc-lambda-zip-floor")
    user = "amzn1.ask.account.AELAMBDAZIPFLOOR00000000000000000000000000000000000000000000"
    launch = fixture("launch", user)
    hello = invoke(unpacked, [launch], env, handler="baseline_lambda.handler")
    floor = invoke(unpacked, [launch, launch], env, handler="floor_lambda.handler")
    assert hello.modules_outside == floor.modules_outside == []
    said = [a["response"]["outputSpeech"]["ssml"] for a in hello.answers + floor.answers]
    assert said == ["<speak>hello</speak>", "<speak>hello</speak>", "<speak>hello again</speak>"]
    items = boto3.client("dynamodb", region_name=REGION, endpoint_url=dynamodb,
                         aws_access_key_id="testing", aws_secret_access_key="testing").scan(
        TableName="cc-lambda-zip-floor")["Items"]
    assert len(items) == 1 and user not in repr(items)
