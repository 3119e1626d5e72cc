"""build_skill(config): the ASK skill with every handler, interceptor and the persistence adapter.

PLACEHOLDER while the conversation is written: answers a LaunchRequest only.
"""
from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.skill_builder import CustomSkillBuilder
from ask_sdk_core.utils import is_request_type


class _Launch(AbstractRequestHandler):
    def can_handle(self, handler_input):
        return is_request_type("LaunchRequest")(handler_input)

    def handle(self, handler_input):
        return handler_input.response_builder.speak("Welcome.").ask("What would you like?").response


def build_skill(config: dict):
    sb = CustomSkillBuilder()
    sb.add_request_handler(_Launch())
    sb.skill_id = config.get("ALEXA_SKILL_ID") or None
    return sb.create()
