"""The standard-library DynamoDB client against botocore's own pieces: the same Signature V4
for the same request, the same AttributeValues as boto3's serializer. Fast (no server);
the calls themselves are tested against moto in test_dynamodb.py."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from skill.persistence.dynamodb_client import (DynamoDbClient, DynamoDbError, from_attribute,
                                               sign, to_attribute)

botocore_auth = pytest.importorskip("botocore.auth")
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer  # noqa: E402

NOW = dt.datetime(2026, 11, 26, 5, 53, 7, tzinfo=dt.timezone.utc)
VALUE = {"pace": "slow", "streak": 3, "volume": Decimal("0.75"), "empty": "", "on": True,
         "none": None, "nested": {"a": [1, Decimal("2.5"), {"b": "c"}]}, "list": []}


@pytest.mark.parametrize("token", [None, "session-token/with+odd=chars"])
@pytest.mark.parametrize("host", ["dynamodb.eu-west-1.amazonaws.com", "127.0.0.1:8123"])
def test_signature_is_botocores(token, host, monkeypatch):
    body = json.dumps({"TableName": "cc", "Key": {"id": {"S": "k"}}}).encode()
    headers = {"Host": host, "Content-Type": "application/x-amz-json-1.0",
               "X-Amz-Target": "DynamoDB_20120810.GetItem"}
    if token:
        headers["X-Amz-Security-Token"] = token
    ours = sign(headers, body, region="eu-west-1", access_key="AKIDEXAMPLE",
                secret_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", now=NOW)

    request = AWSRequest(method="POST", url=f"https://{host}/", data=body, headers=dict(headers))
    auth = botocore_auth.SigV4Auth(Credentials("AKIDEXAMPLE",
                                               "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token),
                                   "dynamodb", "eu-west-1")
    monkeypatch.setattr(botocore_auth, "get_current_datetime",   # botocore's clock, fixed
                        lambda: NOW.replace(tzinfo=None))
    auth.add_auth(request)
    assert ours["X-Amz-Date"] == request.headers["X-Amz-Date"]
    assert ours["Authorization"] == request.headers["Authorization"]


def test_attribute_values_are_boto3s_both_ways():
    ours = to_attribute(VALUE)
    assert ours == TypeSerializer().serialize(VALUE)
    assert from_attribute(ours) == TypeDeserializer().deserialize(ours) == VALUE
    for attribute in {"SS": ["a", "b"]}, {"NS": ["1", "2.5"]}:     # as other tools write
        assert from_attribute(attribute) == TypeDeserializer().deserialize(attribute)
    assert from_attribute({"B": "aGk="}) == b"hi"     # base64 on the wire
    with pytest.raises(TypeError):
        to_attribute(0.5)     # inexact: the adapter passes Decimals


class _Answers(DynamoDbClient):
    """A client whose HTTP exchange is a list of canned (status, body) answers."""

    def __init__(self, answers, max_attempts=2):
        super().__init__("eu-west-1", "http://127.0.0.1:9", connect_timeout_s=1,
                         read_timeout_s=1, max_attempts=max_attempts)
        self.answers, self.sent = list(answers), []

    def _post(self, operation, body):
        self.sent.append(operation)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def _error(code):
    return 400, json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}",
                            "message": "m"}).encode()


def test_throttling_and_dropped_connections_are_retried_within_the_attempts(monkeypatch):
    monkeypatch.setattr("skill.persistence.dynamodb_client.RETRY_PAUSE_MAX_S", 0)
    client = _Answers([_error("ThrottlingException"), (200, b'{"Item": {"id": {"S": "k"}}}')])
    assert client.call("GetItem", TableName="cc") == {"Item": {"id": {"S": "k"}}}
    assert client.sent == ["GetItem", "GetItem"]
    client = _Answers([ConnectionResetError(), (500, b"{}"), (200, b"{}")], max_attempts=2)
    with pytest.raises(DynamoDbError) as info:
        client.call("GetItem", TableName="cc")
    assert info.value.code == "HTTP500" and len(client.sent) == 2


def test_a_refusal_is_not_retried_and_names_its_code():
    client = _Answers([_error("ConditionalCheckFailedException")])
    with pytest.raises(DynamoDbError) as info:
        client.call("PutItem", TableName="cc")
    assert info.value.code == "ConditionalCheckFailedException" and client.sent == ["PutItem"]
