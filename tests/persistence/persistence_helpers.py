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


def append_from_threads(adapter, threads_n: int, per_thread: int) -> set[str]:
    """Threads load, append a history record and save, all at once; returns the ids they
    wrote (the caller checks every one is stored). Raises the first error a thread hit."""
    import threading

    errors = []

    def work(t):
        try:
            for i in range(per_thread):
                env = envelope(request_id=f"thread-{t}-{i}")
                attrs = adapter.get_attributes(env)
                attrs.setdefault("history", []).append({"id": f"{t}-{i}", "ts": i})
                adapter.save_attributes(env, attrs)
        except Exception as e:  # noqa: BLE001 - reported to the test below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return {f"{t}-{i}" for t in range(threads_n) for i in range(per_thread)}
