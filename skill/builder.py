"""build_skill(config): the ASK skill with every handler, the error handler and the
persistence adapter. `skill_id` set on the builder is what makes the SDK check the
applicationId of every request."""
from __future__ import annotations

import importlib
import logging
from functools import cache

from ask_sdk_core.dispatch_components import (AbstractExceptionHandler, AbstractRequestInterceptor,
                                              AbstractResponseInterceptor)
from ask_sdk_core.exceptions import DispatchException
from ask_sdk_core.skill_builder import CustomSkillBuilder

from skill import device_zone, observability, render, state
from skill.config import audio_cache_dir
from skill.handlers import all_handlers
from skill.respond import ask, dialog, ensure_screen
from skill.serializer import FastSerializer
from skill.tones import TrackCache

# Imported by the handlers where first used, so a Lambda cold start does not pay for them. A
# long-running server imports them before it serves (skill.app): a package's first import in
# two request threads at once can hand one of them a partly initialised module.
DEFERRED_MODULES = (
    "skill.apl", "skill.apla", "ask_sdk_model.dialog", "ask_sdk_model.slu.entityresolution",
    "ask_sdk_model.interfaces.alexa.presentation.apl", "ask_sdk_model.interfaces.alexa.presentation.apla",
    "ask_sdk_model.interfaces.audioplayer", "urllib.request", "zoneinfo", "uuid", "wave", "lameenc",
)


def import_deferred() -> None:
    for name in DEFERRED_MODULES:
        importlib.import_module(name)

log = logging.getLogger(__name__)


@cache
def _fallback_apology(locale: str) -> tuple[str, str]:
    """The apology (speech, reprompt) for when the usual one fails to render: rendered the
    first time a locale needs it, not at start-up, where every locale's cost a few
    milliseconds of each Lambda cold start."""
    return (render.speech(render.dialog("error", locale), render.dialog("q_try_again", locale)),
            render.speech(render.dialog("q_try_again_reprompt", locale)))


class ApiOrigins(AbstractRequestInterceptor):
    """Tells handlers which Alexa API origins they may call (Amazon's, unless configured)."""

    def __init__(self, origins):
        self.origins = frozenset(origins)

    def process(self, handler_input):
        handler_input.attributes_manager.request_attributes["api_origins"] = self.origins


class TonesConfig(AbstractRequestInterceptor):
    """Tells the tone-track handlers where tracks are kept and served (skill.tones)."""

    def __init__(self, cache, base_url: str):
        self.cache, self.base_url = cache, base_url

    def process(self, handler_input):
        attrs = handler_input.attributes_manager.request_attributes
        attrs["track_cache"], attrs["audio_base_url"] = self.cache, self.base_url


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
        outside_session = handler_input.request_envelope.session is None
        if outside_session and isinstance(exception, DispatchException):
            # An event or system request no handler expects (e.g. one the manifest does not
            # subscribe to): nothing to say and nobody waiting; one line, no stack.
            log.warning("no handler for a %s request", type(handler_input.request_envelope.request).__name__)
            return handler_input.response_builder.response
        log.error("unhandled error in a handler: %s", type(exception).__name__, exc_info=exception)
        if outside_session:   # events, CanFulfill: speech is not allowed
            return handler_input.response_builder.response
        observability.mark("apology")
        try:
            state.session(handler_input)["memory_off"] = True   # storage may be what failed
            return ask(handler_input, "try_again", dialog(handler_input, "error"), disclaimer=False)
        except Exception:  # noqa: BLE001 - even the apology failed: the plain one, no state
            speech, reprompt = _fallback_apology(state.locale(handler_input))
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
    sb.add_global_request_interceptor(TonesConfig(TrackCache(audio_cache_dir(config)),
                                                  config.get("AUDIO_BASE_URL") or ""))
    sb.skill_id = config.get("ALEXA_SKILL_ID") or None
    skill = sb.create()
    skill.serializer = FastSerializer()
    skill.persistence_adapter = persistence_adapter
    return skill


__all__ = ["build_skill", "state"]
