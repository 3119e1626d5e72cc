"""DynamoDB persistence for scale-out: the SDK's DynamoDbAdapter with keyed listener ids,
plus the same merge-on-save as SQLite done as an optimistic conditional write."""
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
DYNAMODB_MAX_ATTEMPTS = 2   # botocore's own retries (throttling, 5xx), first try included
DYNAMODB_TABLE_WAIT_DELAY_S = 1
DYNAMODB_TABLE_WAIT_ATTEMPTS = 4


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
    """Uses ask_sdk_dynamodb's DynamoDbAdapter (create_table=True, keyed partition ids),
    built on first use, not at start-up, so an unreachable endpoint costs one failed
    request (PersistenceException) instead of a crashed worker; a failed build is retried."""

    def __init__(self, table_name: str, region: str, endpoint_url: str | None,
                 keys: ListenerKeys, history_max_records: int = HISTORY_MAX_RECORDS,
                 base_memory_max_requests: int = BASE_MEMORY_MAX_REQUESTS):
        self.table_name = table_name
        self.region = region
        self.endpoint_url = endpoint_url
        self.keys = keys
        keys.guard_records(self._has_records)
        self.history_max_records = history_max_records
        self.bases = LoadedBases(base_memory_max_requests)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._table_ready_pid: int | None = None   # table created/confirmed by this process

    def sdk_adapter(self):
        """This thread's SDK adapter. boto3 resources (and sessions) are not thread-safe
        and their connection pools must not cross fork(), so each thread of each process
        gets its own; only the first in a process asks DynamoDB to create the table."""
        local = self._local
        if getattr(local, "adapter", None) is not None and local.pid == os.getpid():
            return local.adapter
        # ask_sdk_dynamodb.adapter builds a default boto3 resource at import time, which
        # fails without a region; give it ours if none is set.
        os.environ.setdefault("AWS_DEFAULT_REGION", self.region)
        import boto3
        session = boto3.session.Session()
        if boto3.DEFAULT_SESSION is None:
            # That default resource is never used; built in this thread's session, it
            # shares the parsed service model, which a cold start (Lambda) then reads once.
            boto3.DEFAULT_SESSION = session
        from ask_sdk_dynamodb.adapter import DynamoDbAdapter
        from botocore.config import Config

        resource = session.resource(
            "dynamodb", region_name=self.region, endpoint_url=self.endpoint_url or None,
            config=Config(connect_timeout=DYNAMODB_CONNECT_TIMEOUT_S,
                          read_timeout=DYNAMODB_READ_TIMEOUT_S,
                          retries={"mode": "standard",
                                   "total_max_attempts": DYNAMODB_MAX_ATTEMPTS}))
        with self._lock:
            create = self._table_ready_pid != os.getpid()
            adapter = DynamoDbAdapter(
                table_name=self.table_name,
                partition_key_name=DYNAMODB_PARTITION_KEY_NAME,
                attribute_name=DYNAMODB_ATTRIBUTES_NAME,
                create_table=create,   # CreateTable; "already exists" is fine
                partition_keygen=self.keys.key_for,
                dynamodb_resource=resource)
            if create:
                # A new table is CREATING for a few seconds; wait a little (cold start
                # only) so the first request can usually use it. Longer: that request
                # fails kindly and the next one waits again.
                resource.meta.client.get_waiter("table_exists").wait(
                    TableName=self.table_name,
                    WaiterConfig={"Delay": DYNAMODB_TABLE_WAIT_DELAY_S,
                                  "MaxAttempts": DYNAMODB_TABLE_WAIT_ATTEMPTS})
            self._table_ready_pid = os.getpid()
        local.adapter, local.pid = adapter, os.getpid()
        return adapter

    def _table(self):
        sdk = self.sdk_adapter()
        return sdk.dynamodb.Table(sdk.table_name)

    def _run(self, operation: str, work):
        try:
            return work()
        except PersistenceException as e:
            log.error("persistence: DynamoDB %s failed: %s", operation, e)
            raise
        except Exception as e:  # botocore has many error classes; all mean "storage failed"
            response = getattr(e, "response", None)
            code = response.get("Error", {}).get("Code", "") if isinstance(response, dict) else ""
            log.error("persistence: DynamoDB %s failed: %s %s", operation, type(e).__name__, code)
            raise PersistenceException(f"Could not {operation} listener data.") from e

    def _has_records(self) -> bool:
        items = self._table().scan(Limit=1, ProjectionExpression="#k", ExpressionAttributeNames={
            "#k": DYNAMODB_PARTITION_KEY_NAME}).get("Items")
        return bool(items)

    # -- AbstractPersistenceAdapter ------------------------------------------------------

    def get_attributes(self, request_envelope) -> dict:
        def work():
            key = self.keys.key_for(request_envelope)
            item = self._table().get_item(Key={DYNAMODB_PARTITION_KEY_NAME: key},
                                          ConsistentRead=True).get("Item")
            attributes = from_dynamodb(item.get(DYNAMODB_ATTRIBUTES_NAME, {})) if item else {}
            self.bases.remember(request_id_of(request_envelope), key, dumps(attributes))
            return attributes
        return self._run("load", work)

    def save_attributes(self, request_envelope, attributes) -> None:
        def work():
            from boto3.dynamodb.conditions import Attr
            from botocore.exceptions import ClientError

            key = self.keys.key_for(request_envelope)
            mine = json.loads(dumps(attributes if attributes is not None else {}))
            request_id = request_id_of(request_envelope)
            base = self.bases.recall(request_id, key)
            if base is not None and same_json(mine, base):
                return
            table = self._table()
            pk, rev = DYNAMODB_PARTITION_KEY_NAME, DYNAMODB_REVISION_NAME
            for attempt in range(DYNAMODB_SAVE_MAX_ATTEMPTS):
                item = table.get_item(Key={pk: key}, ConsistentRead=True).get("Item")
                theirs = from_dynamodb(item.get(DYNAMODB_ATTRIBUTES_NAME, {})) if item else {}
                merged = merge_attributes(base, mine, theirs if isinstance(theirs, dict) else {},
                                          self.history_max_records)
                merged_text = dumps(merged)
                # Write only if the item is still the one we merged against.
                if item is None:
                    condition = Attr(pk).not_exists()
                elif rev not in item:   # written by a plain SDK adapter
                    condition = Attr(pk).exists() & Attr(rev).not_exists()
                else:
                    condition = Attr(rev).eq(item[rev])
                try:
                    if merged:
                        revision = int(item.get(rev, 0)) + 1 if item else 1
                        table.put_item(Item={pk: key, rev: revision,
                                             DYNAMODB_ATTRIBUTES_NAME: to_dynamodb(merged_text)},
                                       ConditionExpression=condition)
                    elif item is not None:
                        table.delete_item(Key={pk: key}, ConditionExpression=condition)
                except ClientError as e:
                    if e.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
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
            self.sdk_adapter().delete_attributes(request_envelope)
            key = self.keys.key_for(request_envelope)
            # Other requests' remembered bases stay: a racing save needs them to tell what it
            # merely carried over (stays deleted) from what it changed.
            self.bases.remember(request_id_of(request_envelope), key, "{}")
        self._run("delete", work)

    def health_check(self) -> bool:
        """One DescribeTable call plus the secret."""
        def work():
            self.keys.secret()
            sdk = self.sdk_adapter()
            status = sdk.dynamodb.meta.client.describe_table(
                TableName=sdk.table_name)["Table"]["TableStatus"]
            return status in ("ACTIVE", "UPDATING")
        try:
            return bool(self._run("check", work))
        except PersistenceException:
            return False
