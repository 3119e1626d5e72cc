"""Helpers for the persistence tests: request envelopes for a test listener."""
from __future__ import annotations

import itertools
import os

from ask_sdk_model import Context, LaunchRequest, RequestEnvelope, Session, User
from ask_sdk_model.interfaces.system import SystemState

# Looks like a real Amazon userId; the tests grep for it in files and logs.
USER_ID = "amzn1.ask.account.AETESTLISTENER0000000000000000000000000000000000000000000000"
OTHER_USER_ID = "amzn1.ask.account.AEOTHERLISTENER111111111111111111111111111111111111111111111"

_request_numbers = itertools.count()


def envelope(user_id: str | None = USER_ID, request_id: str | None = "auto",
             where: str = "context") -> RequestEnvelope:
    """A LaunchRequest for user_id, carried in context.System.user (the normal place)
    or only in session.user (where="session")."""
    if request_id == "auto":
        request_id = f"amzn1.echo-api.request.{os.getpid()}-{next(_request_numbers)}"
    user = User(user_id=user_id) if user_id else None
    context = Context(system=SystemState(user=user if where == "context" else None))
    session = Session(user=user) if where == "session" else None
    return RequestEnvelope(context=context, session=session,
                           request=LaunchRequest(request_id=request_id))
