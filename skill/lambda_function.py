"""AWS Lambda entry point: set the function's handler to ``skill.lambda_function.handler``.

Lambda needs no signature check (the Alexa trigger invokes the function directly), but
the applicationId check stays on: ALEXA_SKILL_ID must be set in the function's
environment, or the import fails with a one-line ConfigError. So must SKILL_DATABASE and
USER_KEY_SECRET: Lambda's filesystem is read-only and short-lived, so neither the default
SQLite file nor a generated secret file can work (a secret made per container would make
every listener a stranger to the next one); use dynamodb://TABLE?region=... and a secret
of 32 or more random bytes. Build the zip with ``python -m skill.tools.lambda_package``.
"""
from __future__ import annotations

import json
from typing import Any

from ask_sdk_model import RequestEnvelope

from skill.builder import build_skill
from skill.observability import configure_logging
from skill.config import ConfigError, load_config, require_skill_id

configure_logging()
_config = load_config()
require_skill_id(_config, why="the Lambda handler checks the applicationId")
if not _config.get("SKILL_DATABASE"):
    raise ConfigError("SKILL_DATABASE is not set: on Lambda the filesystem is read-only, "
                      "so set it to dynamodb://TABLE?region=REGION")
if not _config.get("USER_KEY_SECRET"):
    raise ConfigError("USER_KEY_SECRET is not set: on Lambda a generated secret would not "
                      "outlive the container; set it to 32 or more random bytes")
_skill = build_skill(dict(_config))


def handler(event: dict, context: Any) -> dict:
    """What SkillBuilder.lambda_handler() returns, for the CustomSkill build_skill makes.

    The skill is built once per container, not per invocation.
    """
    request_envelope = _skill.serializer.deserialize(
        payload=json.dumps(event), obj_type=RequestEnvelope)
    response_envelope = _skill.invoke(request_envelope=request_envelope, context=context)
    return _skill.serializer.serialize(response_envelope)
