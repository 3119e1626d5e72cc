"""DynamoDB adapter against moto's server over real HTTP on 127.0.0.1 (its own client, as in
prod; boto3 only sets up tables and looks at items the way other tools would)."""
from __future__ import annotations

import hashlib
import hmac
import itertools
import logging
import threading

import pytest
from ask_sdk_core.exceptions import PersistenceException

from persistence_helpers import OTHER_USER_ID, USER_ID, append_from_threads, envelope
from skill.persistence import health_check, make_persistence_adapter
from skill.persistence.dynamodb_adapter import DynamoDbPersistenceAdapter

pytestmark = pytest.mark.moto

moto_server = pytest.importorskip(
    "moto.server", reason="moto[server] is not installed: DynamoDB adapter untested")
boto3 = pytest.importorskip("boto3")

REGION = "eu-west-1"
SECRET = "dynamodb test secret"
_tables = itertools.count()


class _OneRequestAtATime:
    """moto checks a ConditionExpression and then writes without a lock, so two
    concurrent conditional puts can both pass (real DynamoDB is atomic per item).
    Serialising the server's requests restores that guarantee for the thread test."""

    def __init__(self, app):
        self.app, self.lock = app, threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            return [b"".join(self.app(environ, start_response))]


@pytest.fixture(scope="module")
def moto(request):
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    wsgi_server = getattr(server, "_server", None)   # moto internals; see _OneRequestAtATime
    serialised = wsgi_server is not None and hasattr(wsgi_server, "app")
    if serialised:
        wsgi_server.app = _OneRequestAtATime(wsgi_server.app)
    yield {"endpoint_url": f"http://{host}:{port}", "serialised": serialised}
    server.stop()


@pytest.fixture
def endpoint_url(moto):
    return moto["endpoint_url"]


@pytest.fixture
def aws_env(monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)   # the adapter needs none


def create_table(endpoint_url: str, table: str) -> None:
    """What the deployment does once (README): the adapter never creates it unasked."""
    boto3.client("dynamodb", region_name=REGION, endpoint_url=endpoint_url).create_table(
        TableName=table, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])


@pytest.fixture
def dynamo_config(endpoint_url, aws_env, tmp_path):
    table = f"compassion-coach-test-{next(_tables)}"   # a fresh table per test
    create_table(endpoint_url, table)
    return {"SKILL_DATA_DIR": str(tmp_path / "data"), "USER_KEY_SECRET": SECRET,
            "SKILL_DATABASE": f"dynamodb://{table}?region={REGION}&endpoint_url={endpoint_url}"}


def scan_items(config, endpoint_url):
    table = config["SKILL_DATABASE"].split("://")[1].split("?")[0]
    client = boto3.client("dynamodb", region_name=REGION, endpoint_url=endpoint_url)
    return client.scan(TableName=table)["Items"]


def counting_calls(client) -> list[str]:
    """The operations `client` sends from now on, in order."""
    real_call, calls = client.call, []
    client.call = lambda operation, **kw: calls.append(operation) or real_call(operation, **kw)
    return calls


def test_makes_one_client_per_thread_lazily_and_no_table(dynamo_config):
    adapter = make_persistence_adapter(dynamo_config)
    assert isinstance(adapter, DynamoDbPersistenceAdapter)
    assert getattr(adapter._local, "client", None) is None   # nothing at start-up
    client = adapter.client()
    calls = counting_calls(client)
    assert adapter.client() is client                        # reused within a thread
    other = []
    thread = threading.Thread(target=lambda: other.append(adapter.client()))
    thread.start()
    thread.join()
    assert other[0] is not client
    assert f"http://{client.host}:{client.port}" == dynamo_config["SKILL_DATABASE"].split(
        "endpoint_url=")[1]
    adapter.get_attributes(envelope())
    assert calls == ["GetItem"]          # a cold start's whole cost: no CreateTable, no Describe


def test_a_missing_table_fails_the_request_and_is_not_created(endpoint_url, aws_env, tmp_path):
    config = {"SKILL_DATA_DIR": str(tmp_path), "USER_KEY_SECRET": SECRET,
              "SKILL_DATABASE": f"dynamodb://cc-absent?region={REGION}&endpoint_url={endpoint_url}"}
    adapter = make_persistence_adapter(config)
    with pytest.raises(PersistenceException):
        adapter.get_attributes(envelope())
    assert health_check(adapter) is False
    tables = boto3.client("dynamodb", region_name=REGION, endpoint_url=endpoint_url).list_tables()
    assert "cc-absent" not in tables["TableNames"]


def test_create_table_opt_in_makes_it_on_first_use_once_per_process(endpoint_url, aws_env,
                                                                       tmp_path):
    config = {"SKILL_DATA_DIR": str(tmp_path), "USER_KEY_SECRET": SECRET,
              "SKILL_DATABASE": f"dynamodb://cc-made?region={REGION}&endpoint_url={endpoint_url}"
                                "&create_table=1"}
    adapter = make_persistence_adapter(config)
    adapter.save_attributes(envelope(), {"pace": "slow"})
    assert adapter.get_attributes(envelope()) == {"pace": "slow"}
    again = make_persistence_adapter(config)     # another worker: the table exists, fine
    assert again.get_attributes(envelope()) == {"pace": "slow"}
    other = []
    thread = threading.Thread(target=lambda: other.append(counting_calls(again.client())))
    thread.start()
    thread.join()
    assert other == [[]]                         # a second thread asks nothing more


def test_round_trip_delete_and_keyed_hash(dynamo_config, endpoint_url):
    adapter = make_persistence_adapter(dynamo_config)
    assert adapter.get_attributes(envelope()) == {}
    saved = {"pace": "slow", "volume": 0.75, "streak": 3, "empty": "", "nested": {"a": [1, 2.5]},
             "history": [{"id": "h1", "ts": 1764126000.5, "practice": "soften-soothe-allow"}]}
    adapter.save_attributes(envelope(), saved)
    adapter.save_attributes(envelope(OTHER_USER_ID), {"pace": "fast"})
    assert make_persistence_adapter(dynamo_config).get_attributes(envelope()) == saved

    items = scan_items(dynamo_config, endpoint_url)
    raw = repr(items)
    assert USER_ID not in raw and OTHER_USER_ID not in raw and "AETESTLISTENER" not in raw
    expected_key = hmac.new(SECRET.encode(), USER_ID.encode(), hashlib.sha256).hexdigest()
    assert expected_key in {item["id"]["S"] for item in items}
    assert "slow" in raw   # the scan really shows item content

    env = envelope()
    adapter.get_attributes(env)
    adapter.delete_attributes(env)
    assert adapter.get_attributes(envelope()) == {}
    assert adapter.get_attributes(envelope(OTHER_USER_ID)) == {"pace": "fast"}
    assert len(scan_items(dynamo_config, endpoint_url)) == 1


def test_overlapping_requests_both_survive(dynamo_config):
    a_adapter = make_persistence_adapter(dynamo_config)
    b_adapter = make_persistence_adapter(dynamo_config)
    a_adapter.save_attributes(envelope(), {"pace": "normal", "history": [{"id": "h0", "ts": 0}]})
    env_a, env_b = envelope(), envelope()
    a, b = a_adapter.get_attributes(env_a), b_adapter.get_attributes(env_b)
    a["pace"] = "slow"
    b["history"].append({"id": "h1", "ts": 1})
    a_adapter.save_attributes(env_a, a)
    b_adapter.save_attributes(env_b, b)
    assert a_adapter.get_attributes(envelope()) == {
        "pace": "slow", "history": [{"id": "h0", "ts": 0}, {"id": "h1", "ts": 1}]}


def test_item_written_by_plain_sdk_adapter_is_merged(dynamo_config, endpoint_url, monkeypatch):
    adapter = make_persistence_adapter(dynamo_config)
    env = envelope()
    adapter.get_attributes(env)                                # base {}
    table = dynamo_config["SKILL_DATABASE"].split("://")[1].split("?")[0]
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)   # its module makes a resource on import
    from ask_sdk_dynamodb.adapter import DynamoDbAdapter
    plain = DynamoDbAdapter(table_name=table, partition_key_name="id", attribute_name="attributes",
                            partition_keygen=adapter.keys.key_for, dynamodb_resource=boto3.resource(
                                "dynamodb", region_name=REGION, endpoint_url=endpoint_url))
    plain.save_attributes(envelope(), {"voice": "soft", "tags": {"a", "b"}})  # no "revision"
    adapter.save_attributes(env, {"pace": "slow"})
    assert adapter.get_attributes(envelope()) == {"voice": "soft", "tags": ["a", "b"],
                                                  "pace": "slow"}
    assert plain.get_attributes(envelope())["pace"] == "slow"   # and still readable by it


def test_lost_race_is_retried_and_merged(dynamo_config, monkeypatch):
    """Another writer lands between this save's read and its conditional put: the put
    fails its condition, and the retry re-reads and merges instead of overwriting."""
    adapter = make_persistence_adapter(dynamo_config)
    rival = make_persistence_adapter(dynamo_config)
    adapter.save_attributes(envelope(), {"history": [{"id": "h0", "ts": 0}]})
    env = envelope()
    mine = adapter.get_attributes(env)
    mine["history"].append({"id": "mine", "ts": 2})
    client = adapter.client()
    real_call, puts = client.call, []

    def put_after_rival(operation, **kwargs):
        if operation == "PutItem":
            if not puts:   # first attempt: the rival writes just before it
                renv = envelope()
                theirs = rival.get_attributes(renv)
                theirs["history"].append({"id": "rival", "ts": 1})
                rival.save_attributes(renv, theirs)
            puts.append(kwargs)
        return real_call(operation, **kwargs)

    monkeypatch.setattr(client, "call", put_after_rival)
    adapter.save_attributes(env, mine)
    assert len(puts) == 2
    assert [r["id"] for r in adapter.get_attributes(envelope())["history"]] == [
        "h0", "rival", "mine"]


def test_threads_conditional_writes_lose_nothing(dynamo_config, moto):
    if not moto["serialised"]:
        pytest.skip("cannot serialise this moto version's server; its conditional "
                    "writes are not atomic under concurrent requests")
    adapter = make_persistence_adapter(dynamo_config)
    adapter.get_attributes(envelope())
    written = append_from_threads(adapter, 4, 8)
    assert {r["id"] for r in adapter.get_attributes(envelope())["history"]} == written


def test_health_check(dynamo_config):
    assert health_check(make_persistence_adapter(dynamo_config)) is True


def test_unreachable_endpoint_fails_per_request_not_at_start(aws_env, tmp_path, caplog):
    import socket
    with socket.socket() as s:       # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = {"SKILL_DATA_DIR": str(tmp_path), "USER_KEY_SECRET": SECRET,
              "SKILL_DATABASE": f"dynamodb://cc-down?region={REGION}"
                                f"&endpoint_url=http://127.0.0.1:{port}"}
    adapter = make_persistence_adapter(config)
    caplog.clear()
    with caplog.at_level(logging.ERROR, "skill.persistence"), pytest.raises(PersistenceException):
        adapter.get_attributes(envelope())
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and USER_ID not in caplog.text
    assert health_check(adapter) is False


def test_generated_secret_with_dynamodb_warns(endpoint_url, aws_env, tmp_path, caplog):
    config = {"SKILL_DATA_DIR": str(tmp_path),
              "SKILL_DATABASE": f"dynamodb://cc-warn?region={REGION}&endpoint_url={endpoint_url}"}
    with caplog.at_level(logging.WARNING, "skill.persistence"):
        make_persistence_adapter(config)
    assert "USER_KEY_SECRET" in caplog.text


def test_lost_secret_file_with_records_in_the_table_is_refused(dynamo_config, tmp_path):
    config = {**dynamo_config, "USER_KEY_SECRET": ""}   # the generated-secret set-up
    make_persistence_adapter(config).save_attributes(envelope(), {"pace": "slow"})
    secret_file = tmp_path / "data" / "user-key.secret"
    secret_file.unlink()
    adapter = make_persistence_adapter(config)
    with pytest.raises(PersistenceException, match="secret"):
        adapter.get_attributes(envelope())
    assert not secret_file.exists()
    assert health_check(adapter) is False
