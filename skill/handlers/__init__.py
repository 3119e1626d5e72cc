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


def all_handlers() -> list[Handler]:
    from skill.handlers import builtins, checkin, crisis, launch, listener, practice, fulfil
    modules = [crisis, fulfil, launch, practice, checkin, listener, builtins]
    out = []
    for module in modules:
        for fn in module.HANDLERS:
            out.append(fn.handler)
    return out


def handled_intents() -> set[str]:
    from skill.handlers import builtins, checkin, crisis, launch, listener, practice, fulfil
    return {i for m in (crisis, fulfil, launch, practice, checkin, listener, builtins)
            for fn in m.HANDLERS for i in getattr(fn, "intents", ())}
