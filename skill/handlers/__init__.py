"""Every request handler, in the order the SDK tries them: crisis first, always."""
from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.utils import is_intent_name, is_request_type


class Handler(AbstractRequestHandler):
    """A handler from a predicate and a function: keeps each module a list of small functions."""

    def __init__(self, can_handle, handle, name: str):
        self._can, self._handle, self.name = can_handle, handle, name

    def can_handle(self, handler_input):
        return self._can(handler_input)

    def handle(self, handler_input):
        return self._handle(handler_input)

    def __repr__(self):
        return f"Handler({self.name})"


def on_intent(*names):
    def deco(fn):
        fn.handler = Handler(lambda hi: any(is_intent_name(n)(hi) for n in names), fn, "/".join(names))
        fn.intents = names
        return fn
    return deco


def on_request(*types):
    def deco(fn):
        fn.handler = Handler(lambda hi: any(is_request_type(t)(hi) for t in types), fn, "/".join(types))
        fn.requests = types
        return fn
    return deco


def _modules():
    # Imported here: the modules import this one for Handler and the decorators.
    from skill.handlers import (answers, audio_player, builtins, checkin, crisis, everyday, fulfil, launch,
                                listener, practice)
    # crisis first, always; the tone track's controls (no session, so no question); then an
    # answer to the question just asked, whatever its intent
    return [crisis, fulfil, audio_player, answers, launch, practice, checkin, everyday, listener, builtins]


def all_handlers() -> list[Handler]:
    return [fn.handler for module in _modules() for fn in module.HANDLERS]


def handled_intents() -> set[str]:
    return {i for module in _modules() for fn in module.HANDLERS for i in getattr(fn, "intents", ())}
