"""A small DynamoDB client over the standard library: its JSON protocol (POST /, one
X-Amz-Target per operation) signed with AWS Signature Version 4.

Why not boto3: on Lambda, importing boto3 and building a client (the service model, the
endpoint rules, the event system) was about half of the cold start, for the five calls
the adapter makes: GetItem, PutItem, DeleteItem, Scan (Limit 1) and DescribeTable (plus
CreateTable when asked to). The protocol and the signature are AWS's stable, documented
ones; tests/persistence/test_dynamodb_client.py checks the signature against botocore's.

Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN from the
environment (what Lambda gives every function), read on each call as botocore's first
provider does; without them, botocore's own chain (profiles, the container or instance
role), imported only then. One client per thread: it keeps one keep-alive connection.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import http.client
import json
import os
import random
import ssl
import time
from decimal import Decimal
from urllib.parse import urlsplit

SERVICE = "dynamodb"
TARGET_PREFIX = "DynamoDB_20120810."
CONTENT_TYPE = "application/x-amz-json-1.0"
# Retried (with a short jittered pause) within the attempts the caller allows: throttling,
# DynamoDB's own 5xx, and a keep-alive connection the server had already closed.
RETRYABLE_ERRORS = frozenset({"ProvisionedThroughputExceededException", "ThrottlingException",
                              "RequestLimitExceeded", "InternalServerError",
                              "ServiceUnavailable", "LimitExceededException"})
RETRY_PAUSE_MAX_S = 0.05


class DynamoDbError(Exception):
    """DynamoDB refused the call (`code`, e.g. ConditionalCheckFailedException), or it
    could not be reached (`code` is the exception's class name)."""

    def __init__(self, code: str, message: str = ""):
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code


# -------------------------------------------------------------- values <-> AttributeValue


def to_attribute(value) -> dict:
    """A JSON value (numbers as int or Decimal) as a DynamoDB AttributeValue."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, (int, Decimal)):
        return {"N": str(value)}
    if isinstance(value, float):
        raise TypeError("floats are not exact in DynamoDB: pass a Decimal")
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, dict):
        return {"M": {str(k): to_attribute(v) for k, v in value.items()}}
    if isinstance(value, (list, tuple)):
        return {"L": [to_attribute(v) for v in value]}
    raise TypeError(f"cannot store a {type(value).__name__} in DynamoDB")


def from_attribute(attribute: dict):
    """A DynamoDB AttributeValue as Python (numbers as Decimal, sets as sets), as boto3's
    resource layer gives it (items written by other tools may hold sets or binary)."""
    (kind, value), = attribute.items()
    if kind == "S":
        return value
    if kind == "N":
        return Decimal(value)
    if kind == "BOOL":
        return bool(value)
    if kind == "NULL":
        return None
    if kind == "M":
        return {k: from_attribute(v) for k, v in value.items()}
    if kind == "L":
        return [from_attribute(v) for v in value]
    if kind == "B":
        return base64.b64decode(value)
    if kind == "SS":
        return set(value)
    if kind == "NS":
        return {Decimal(v) for v in value}
    if kind == "BS":
        return {base64.b64decode(v) for v in value}
    raise ValueError(f"unknown DynamoDB type {kind}")


def to_item(values: dict) -> dict:
    return {k: to_attribute(v) for k, v in values.items()}


def from_item(item: dict) -> dict:
    return {k: from_attribute(v) for k, v in item.items()}


# ------------------------------------------------------------------------- Signature V4


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def sign(headers: dict[str, str], body: bytes, *, region: str, access_key: str,
         secret_key: str, now: dt.datetime) -> dict[str, str]:
    """`headers` (with Host and the rest, for POST /) plus X-Amz-Date and Authorization."""
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    signed = {k.lower(): " ".join(str(v).split()) for k, v in headers.items()}
    signed["x-amz-date"] = amz_date
    names = sorted(signed)
    canonical = "\n".join([
        "POST", "/", "",
        "".join(f"{n}:{signed[n]}\n" for n in names),
        ";".join(names),
        hashlib.sha256(body).hexdigest()])
    scope = f"{day}/{region}/{SERVICE}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode("utf-8")).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret_key}".encode("utf-8"), day), region),
                      SERVICE), "aws4_request")
    signature = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return {**headers, "X-Amz-Date": amz_date,
            "Authorization": f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
                             f"SignedHeaders={';'.join(names)}, Signature={signature}"}


def credentials() -> tuple[str, str, str | None]:
    """(access key, secret key, session token or None)."""
    access, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
    if access and secret:
        return access, secret, os.environ.get("AWS_SESSION_TOKEN") or None
    try:
        import botocore.session
    except ImportError:
        raise DynamoDbError("NoCredentials", "no AWS credentials in the environment") from None
    found = botocore.session.get_session().get_credentials()   # refreshes a role's keys
    if found is None:
        raise DynamoDbError("NoCredentials", "no AWS credentials found")
    frozen = found.get_frozen_credentials()
    return frozen.access_key, frozen.secret_key, frozen.token


def default_endpoint(region: str) -> str:
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://dynamodb.{region}.{suffix}"


# ------------------------------------------------------------------------------ client


class DynamoDbClient:
    """Calls one region's DynamoDB (or `endpoint_url`) over one keep-alive connection.
    Not thread-safe: one per thread."""

    def __init__(self, region: str, endpoint_url: str | None, *, connect_timeout_s: float,
                 read_timeout_s: float, max_attempts: int):
        parts = urlsplit(endpoint_url or default_endpoint(region))
        self.region = region
        self.https = parts.scheme == "https"
        self.host, self.port = parts.hostname, parts.port
        self.host_header = parts.netloc.rpartition("@")[2]
        self.connect_timeout_s, self.read_timeout_s = connect_timeout_s, read_timeout_s
        self.max_attempts = max_attempts
        self._connection: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            if self.https:
                conn = http.client.HTTPSConnection(self.host, self.port,
                                                   timeout=self.connect_timeout_s,
                                                   context=ssl.create_default_context())
            else:
                conn = http.client.HTTPConnection(self.host, self.port,
                                                  timeout=self.connect_timeout_s)
            conn.connect()
            conn.sock.settimeout(self.read_timeout_s)
            self._connection = conn
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _post(self, operation: str, body: bytes) -> tuple[int, bytes]:
        access, secret, token = credentials()
        headers = {"Host": self.host_header, "Content-Type": CONTENT_TYPE,
                   "X-Amz-Target": TARGET_PREFIX + operation}
        if token:
            headers["X-Amz-Security-Token"] = token
        headers = sign(headers, body, region=self.region, access_key=access, secret_key=secret,
                       now=dt.datetime.now(dt.timezone.utc))
        conn = self._connect()
        try:
            conn.request("POST", "/", body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise

    def call(self, operation: str, **params) -> dict:
        """One API call with its JSON parameters; the decoded answer. DynamoDbError on a
        refusal or when every attempt failed."""
        body = json.dumps(params, separators=(",", ":")).encode("utf-8")
        for attempt in range(1, self.max_attempts + 1):
            last = attempt == self.max_attempts
            try:
                status, data = self._post(operation, body)
            except (OSError, http.client.HTTPException) as e:
                if last:
                    raise DynamoDbError(type(e).__name__) from e
            else:
                answer = json.loads(data) if data else {}
                if status == 200:
                    return answer
                code = str(answer.get("__type", f"HTTP{status}")).rpartition("#")[2]
                if last or not (code in RETRYABLE_ERRORS or status >= 500):
                    raise DynamoDbError(code, str(answer.get("message")
                                                  or answer.get("Message") or ""))
            time.sleep(random.uniform(0, RETRY_PAUSE_MAX_S))
        raise AssertionError("unreachable")
