"""The floor for the Lambda cold start: the hello skill (benchmarks/baseline_lambda.py) plus
the two libraries our launch cannot answer without, and nothing else of ours: Jinja renders
the greeting from a template (ours renders every answer from ssml/ templates), and
skill.persistence.dynamodb_client reads and writes the listener's item over TLS-capable
http.client (ours keeps a record; boto3 would cost far more). Ours against this floor is what
our own modules cost; this floor against the hello skill is what those two choices cost.
Copied into the unpacked zip's folder as ``floor_lambda.handler``, beside the skill it borrows
the client from. Standard library, ask-sdk-core, Jinja and that one module only."""
import hashlib
import hmac
import os
from urllib.parse import parse_qs, urlsplit

import jinja2
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_core.utils import is_request_type

from skill.persistence.dynamodb_client import DynamoDbClient

TIMEOUT_S = 5.0
_db = urlsplit(os.environ["SKILL_DATABASE"])
_query = parse_qs(_db.query)
_client = DynamoDbClient(_query["region"][0], _query.get("endpoint_url", [None])[0],
                         connect_timeout_s=TIMEOUT_S, read_timeout_s=TIMEOUT_S, max_attempts=1)
_secret = os.environ["USER_KEY_SECRET"].encode()
_greeting = jinja2.Environment(autoescape=True).from_string("hello{% if back %} again{% endif %}")

sb = SkillBuilder()


@sb.request_handler(can_handle_func=is_request_type("LaunchRequest"))
def hello(handler_input):
    user_id = handler_input.request_envelope.context.system.user.user_id
    key = {"id": {"S": hmac.new(_secret, user_id.encode(), hashlib.sha256).hexdigest()}}
    back = "Item" in _client.call("GetItem", TableName=_db.netloc, Key=key)
    _client.call("PutItem", TableName=_db.netloc, Item={**key, "visits": {"N": "1"}})
    return handler_input.response_builder.speak(_greeting.render(back=back)).response


handler = sb.lambda_handler()
