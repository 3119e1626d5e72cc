"""DynamoDB persistence for scale-out: items in the ASK SDK DynamoDbAdapter's layout, keyed
by the listener key, with the same merge-on-save as SQLite done as an optimistic
conditional write, through the small standard-library client (dynamodb_client)."""
from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
from decimal import Decimal

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.exceptions import PersistenceException

from skill.listener_key import ListenerKeys
from skill.persistence.dynamodb_client import DynamoDbClient, DynamoDbError, from_item, to_item
from skill.persistence.merge import (
    BASE_MEMORY_MAX_REQUESTS, HISTORY_MAX_RECORDS, LoadedBases, dumps, merge_attributes,
    request_id_of, same_json,
)

log = logging.getLogger("skill.persistence")

DYNAMODB_PARTITION_KEY_NAME = "id"          # the SDK adapter's defaults, so items stay
DYNAMODB_ATTRIBUTES_NAME = "attributes"     # readable by a plain DynamoDbAdapter
DYNAMODB_REVISION_NAME = "revision"         # ours: bumped by every save, for the condition
# A save re-reads and re-merges when another writer got in between; a handful of tries
# is plenty for one listener, whose requests rarely overlap at all.
DYNAMODB_SAVE_MAX_ATTEMPTS = 10
# Full-jitter exponential backoff between those tries: base * 2**attempt, capped; worst
# case about 1 s in all, well inside Alexa's 8 s.
DYNAMODB_RETRY_BACKOFF_BASE_S = 0.01
DYNAMODB_RETRY_BACKOFF_MAX_S = 0.2
# Alexa waits 8 s for the whole answer: fail fast and speak the kind apology instead.
DYNAMODB_CONNECT_TIMEOUT_S = 2.0
DYNAMODB_READ_TIMEOUT_S = 3.0
DYNAMODB_MAX_ATTEMPTS = 2   # per call (throttling, 5xx, a dropped connection), first included
# Only with create_table=1 (local use): a new table is CREATING for a few seconds.
DYNAMODB_TABLE_WAIT_DELAY_S = 1
DYNAMODB_TABLE_WAIT_ATTEMPTS = 4
_NAMES = {"#k": DYNAMODB_PARTITION_KEY_NAME, "#r": DYNAMODB_REVISION_NAME}


def to_dynamodb(attributes_text: str):
    """JSON text -> DynamoDB-safe values (boto3 rejects Python floats; Decimal is exact)."""
    return json.loads(attributes_text, parse_float=Decimal)


def from_dynamodb(value):
    """DynamoDB values -> plain JSON values (Decimal -> int when integral, else float)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: from_dynamodb(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [from_dynamodb(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return [from_dynamodb(v) for v in sorted(value, key=str)]
    return value


class DynamoDbPersistenceAdapter(AbstractPersistenceAdapter):
    """Listener records in an existing table (the deployment creates it: see README), or,
    with create_table, in one this process creates on first use (local use). Nothing is
    contacted until the first request, so an unreachable endpoint costs one failed request
    (PersistenceException) instead of a crashed worker."""

    def __init__(self, table_name: str, region: str, endpoint_url: str | None,
                 keys: ListenerKeys, history_max_records: int = HISTORY_MAX_RECORDS,
                 base_memory_max_requests: int = BASE_MEMORY_MAX_REQUESTS,
                 create_table: bool = False):
        self.table_name = table_name
        self.region = region
        self.endpoint_url = endpoint_url
        self.keys = keys
        keys.guard_records(self._has_records)
        self.history_max_records = history_max_records
        self.bases = LoadedBases(base_memory_max_requests)
        self.create_table = create_table
        self._local = threading.local()
        self._lock = threading.Lock()
        self._table_ready_pid: int | None = None   # table created/confirmed by this process

    def client(self) -> DynamoDbClient:
        """This thread's client (its connection must not cross fork() or be shared)."""
        local = self._local
        if getattr(local, "client", None) is not None and local.pid == os.getpid():
            return local.client
        client = DynamoDbClient(self.region, self.endpoint_url,
                                connect_timeout_s=DYNAMODB_CONNECT_TIMEOUT_S,
                                read_timeout_s=DYNAMODB_READ_TIMEOUT_S,
                                max_attempts=DYNAMODB_MAX_ATTEMPTS)
        if self.create_table:
            with self._lock:
                if self._table_ready_pid != os.getpid():
                    self._create_table(client)
                    self._table_ready_pid = os.getpid()
        local.client, local.pid = client, os.getpid()
        return client

    def _create_table(self, client: DynamoDbClient) -> None:
        try:
            client.call("CreateTable", TableName=self.table_name, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": DYNAMODB_PARTITION_KEY_NAME,
                                    "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": DYNAMODB_PARTITION_KEY_NAME,
                                               "AttributeType": "S"}])
        except DynamoDbError as e:
            if e.code != "ResourceInUseException":   # it exists already: fine
                raise
        for attempt in range(DYNAMODB_TABLE_WAIT_ATTEMPTS):
            if self._status(client) == "ACTIVE":
                return
            time.sleep(DYNAMODB_TABLE_WAIT_DELAY_S)

    def _status(self, client: DynamoDbClient) -> str:
        return client.call("DescribeTable", TableName=self.table_name)["Table"]["TableStatus"]

    def _get(self, key: str) -> dict | None:
        item = self.client().call("GetItem", TableName=self.table_name, ConsistentRead=True,
                                  Key=to_item({DYNAMODB_PARTITION_KEY_NAME: key})).get("Item")
        return from_item(item) if item is not None else None

    def _run(self, operation: str, work):
        try:
            return work()
        except PersistenceException as e:
            log.error("persistence: DynamoDB %s failed: %s", operation, e)
            raise
        except Exception as e:  # refused, unreachable, malformed: all mean "storage failed"
            code = getattr(e, "code", "")
            log.error("persistence: DynamoDB %s failed: %s %s", operation, type(e).__name__, code)
            raise PersistenceException(f"Could not {operation} listener data.") from e

    def _has_records(self) -> bool:
        return bool(self.client().call("Scan", TableName=self.table_name, Limit=1,
                                       ProjectionExpression="#k",
                                       ExpressionAttributeNames={"#k": _NAMES["#k"]}
                                       ).get("Items"))

    # -- AbstractPersistenceAdapter ------------------------------------------------------

    def get_attributes(self, request_envelope) -> dict:
        def work():
            key = self.keys.key_for(request_envelope)
            item = self._get(key)
            attributes = from_dynamodb(item.get(DYNAMODB_ATTRIBUTES_NAME, {})) if item else {}
            self.bases.remember(request_id_of(request_envelope), key, dumps(attributes))
            return attributes
        return self._run("load", work)

    def save_attributes(self, request_envelope, attributes) -> None:
        def work():
            key = self.keys.key_for(request_envelope)
            mine = json.loads(dumps(attributes if attributes is not None else {}))
            request_id = request_id_of(request_envelope)
            base = self.bases.recall(request_id, key)
            if base is not None and same_json(mine, base):
                return
            client, pk, rev = self.client(), DYNAMODB_PARTITION_KEY_NAME, DYNAMODB_REVISION_NAME
            for attempt in range(DYNAMODB_SAVE_MAX_ATTEMPTS):
                item = self._get(key)
                theirs = from_dynamodb(item.get(DYNAMODB_ATTRIBUTES_NAME, {})) if item else {}
                merged = merge_attributes(base, mine, theirs if isinstance(theirs, dict) else {},
                                          self.history_max_records)
                merged_text = dumps(merged)
                # Write only if the item is still the one we merged against.
                guard = {"ExpressionAttributeNames": dict(_NAMES)}
                if item is None:
                    guard["ConditionExpression"] = "attribute_not_exists(#k)"
                    del guard["ExpressionAttributeNames"]["#r"]
                elif rev not in item:   # written by a plain SDK adapter
                    guard["ConditionExpression"] = "attribute_exists(#k) AND attribute_not_exists(#r)"
                else:
                    guard["ConditionExpression"] = "#r = :r"
                    guard["ExpressionAttributeValues"] = to_item({":r": item[rev]})
                    del guard["ExpressionAttributeNames"]["#k"]
                try:
                    if merged:
                        revision = int(item.get(rev, 0)) + 1 if item else 1
                        client.call("PutItem", TableName=self.table_name, **guard, Item=to_item(
                            {pk: key, rev: revision,
                             DYNAMODB_ATTRIBUTES_NAME: to_dynamodb(merged_text)}))
                    elif item is not None:
                        client.call("DeleteItem", TableName=self.table_name, **guard,
                                    Key=to_item({pk: key}))
                except DynamoDbError as e:
                    if e.code != "ConditionalCheckFailedException":
                        raise
                    time.sleep(random.uniform(0, min(DYNAMODB_RETRY_BACKOFF_MAX_S,
                                                     DYNAMODB_RETRY_BACKOFF_BASE_S * 2 ** attempt)))
                    continue
                self.bases.remember(request_id, key, merged_text)
                return
            raise PersistenceException("Could not save listener data: too many concurrent writes.")
        self._run("save", work)

    def delete_attributes(self, request_envelope) -> None:
        def work():
            key = self.keys.key_for(request_envelope)
            self.client().call("DeleteItem", TableName=self.table_name,
                               Key=to_item({DYNAMODB_PARTITION_KEY_NAME: key}))
            # Other requests' remembered bases stay: a racing save needs them to tell what it
            # merely carried over (stays deleted) from what it changed.
            self.bases.remember(request_id_of(request_envelope), key, "{}")
        self._run("delete", work)

    def health_check(self) -> bool:
        """One DescribeTable call plus the secret."""
        def work():
            self.keys.secret()
            return self._status(self.client()) in ("ACTIVE", "UPDATING")
        try:
            return bool(self._run("check", work))
        except PersistenceException:
            return False
