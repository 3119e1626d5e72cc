"""build_skill(config): the ASK skill with every handler, the error handler and the
persistence adapter. `skill_id` set on the builder is what makes the SDK check the
applicationId of every request."""
from __future__ import annotations

import logging

from ask_sdk_core.dispatch_components import (AbstractExceptionHandler, AbstractRequestInterceptor,
                                              AbstractResponseInterceptor)
from ask_sdk_core.skill_builder import CustomSkillBuilder

from skill import catalogue, device_zone, observability, render, state
from skill.handlers import all_handlers
from skill.respond import dialog, ensure_screen, reply
from skill.serializer import FastSerializer

log = logging.getLogger(__name__)


# The apology in every locale, rendered once when the module loads, for when rendering
# itself fails.
_FALLBACK_APOLOGY = {
    locale: (render.speech(render.dialog("error", locale)),
             render.speech(render.dialog("choices_reprompt", locale)))
    for locale in catalogue.locales()}


class ApiOrigins(AbstractRequestInterceptor):
    """Tells handlers which Alexa API origins they may call (Amazon's, unless configured)."""

    def __init__(self, origins):
        self.origins = frozenset(origins)

    def process(self, handler_input):
        handler_input.attributes_manager.request_attributes["api_origins"] = self.origins


class CleanSession(AbstractRequestInterceptor):
    """Session attributes of the wrong shape are dropped before any handler reads them."""

    def process(self, handler_input):
        state.clean_session(handler_input)


class ScreenOnEveryAnswer(AbstractResponseInterceptor):
    """On a device with a screen, an answer that came without one gets the calm screen."""

    def process(self, handler_input, response):
        ensure_screen(handler_input, response)


class KindApology(AbstractExceptionHandler):
    """Any unexpected error: a kind apology and a way on, never silence."""

    def can_handle(self, handler_input, exception):
        return True

    def handle(self, handler_input, exception):
        log.error("unhandled error in a handler: %s", type(exception).__name__, exc_info=exception)
        observability.mark("apology")
        try:
            state.session(handler_input)["memory_off"] = True   # storage may be what failed
            return reply(handler_input, dialog(handler_input, "error"),
                         reprompt=dialog(handler_input, "choices_reprompt"))
        except Exception:  # noqa: BLE001 - even the apology failed: the one rendered at start-up
            speech, reprompt = _FALLBACK_APOLOGY[state.locale(handler_input)]
            return handler_input.response_builder.speak(speech).ask(reprompt).response


def build_skill(config: dict, persistence_adapter=None):
    if persistence_adapter is None:
        from skill.persistence import make_persistence_adapter
        persistence_adapter = make_persistence_adapter(config)
    sb = CustomSkillBuilder(persistence_adapter=persistence_adapter)
    for handler in all_handlers():
        sb.add_request_handler(handler)
    sb.add_exception_handler(KindApology())
    sb.add_global_request_interceptor(CleanSession())
    sb.add_global_response_interceptor(ScreenOnEveryAnswer())
    # Python-only: tests add a loopback origin; the environment can't point us elsewhere.
    sb.add_global_request_interceptor(ApiOrigins(config.get("ALEXA_API_ORIGINS", device_zone.AMAZON_API_ORIGINS)))
    sb.skill_id = config.get("ALEXA_SKILL_ID") or None
    skill = sb.create()
    skill.serializer = FastSerializer()
    skill.persistence_adapter = persistence_adapter
    return skill


__all__ = ["build_skill", "state"]
