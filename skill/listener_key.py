"""Listener keys: the only form in which a listener's Amazon userId is ever stored.

A record is keyed by HMAC-SHA256(secret, userId) in hex, so the database alone cannot be
joined back to an Amazon account, and a leaked table does not reveal who used the skill.

The secret is USER_KEY_SECRET when set. Otherwise it is generated once (32 random bytes,
written as 64 hex characters) into "<SKILL_DATA_DIR>/user-key.secret", mode 0600. The HMAC
key is the secret *text* (stripped, UTF-8), so copying that file's content into
USER_KEY_SECRET on another host gives the same listener keys. Losing or changing the
secret orphans every stored record: nothing can find them again. So a secret is minted
only while the storage holds no records: a missing file beside a database that has them
is an error (PersistenceException, /healthz 503), never a silent new secret.

Nothing here logs user IDs; failures raise PersistenceException with a short message.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
from typing import Callable, Optional

from ask_sdk_core.exceptions import PersistenceException

USER_KEY_SECRET_FILENAME = "user-key.secret"
USER_KEY_SECRET_BYTES = 32
USER_KEY_SECRET_FILE_MODE = 0o600
_SECRET_HEX_CHARS = 2 * USER_KEY_SECRET_BYTES


def listener_key(secret: bytes, user_id: str) -> str:
    """The stored key for one listener: HMAC-SHA256(secret, user_id) as 64 hex chars."""
    return hmac.new(secret, user_id.encode("utf-8"), hashlib.sha256).hexdigest()


def user_id_from_envelope(request_envelope) -> str:
    """context.System.user.userId, else session.user.userId (some request types carry
    only one of them). Raises PersistenceException when neither is there."""
    for path in (("context", "system", "user", "user_id"), ("session", "user", "user_id")):
        node = request_envelope
        for attr in path:
            node = getattr(node, attr, None)
            if node is None:
                break
        if isinstance(node, str) and node:
            return node
    raise PersistenceException("The request carries no user id to key listener data.")


def _read_secret_file(path: str) -> str:
    with open(path, "rb") as f:
        text = f.read().decode("ascii", errors="replace").strip()
    if len(text) != _SECRET_HEX_CHARS or any(c not in "0123456789abcdef" for c in text):
        # Never regenerate over it: a new secret would silently orphan every listener's data.
        raise PersistenceException(f"The user key secret file {path} is malformed.")
    return text


def load_or_create_secret_file(data_dir: str,
                               records_exist: Optional[Callable[[], bool]] = None) -> str:
    """The secret text in <data_dir>/user-key.secret, generating it on first use.

    ``records_exist`` (storage's "has any listener record?") is asked before generating:
    when it says yes the file was lost, and a PersistenceException says so.

    Race-safe across processes (several gunicorn workers starting at once): each writer
    fills a private temp file completely, then hard-links it into place. link() is atomic
    and fails if the name exists, so exactly one secret wins, readers never see a partial
    file, and every racer then reads the winner's secret.
    """
    path = os.path.join(data_dir, USER_KEY_SECRET_FILENAME)
    try:
        return _read_secret_file(path)
    except FileNotFoundError:
        pass
    if records_exist is not None and records_exist():
        raise PersistenceException(
            f"The user key secret file {path} is missing but the database already holds "
            "listeners' records: restore the file (or set USER_KEY_SECRET to its content); "
            "a new secret would orphan every record.")
    os.makedirs(data_dir, mode=0o700, exist_ok=True)
    tmp = f"{path}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, USER_KEY_SECRET_FILE_MODE)
    try:
        try:
            os.fchmod(fd, USER_KEY_SECRET_FILE_MODE)  # exact mode whatever the umask
            os.write(fd, (secrets.token_hex(USER_KEY_SECRET_BYTES) + "\n").encode("ascii"))
            os.fsync(fd)  # the secret must outlive a crash, or stored keys become unreachable
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process won the race; use its secret
    finally:
        os.unlink(tmp)
    return _read_secret_file(path)


class ListenerKeys:
    """Turns request envelopes into listener keys. The secret is loaded lazily (first
    request, not import or start-up) and cached; a failure is retried on the next call."""

    def __init__(self, secret_text: str = "", data_dir: str = "data"):
        self._configured = (secret_text or "").strip()
        self.data_dir = data_dir
        self._records_exist: Optional[Callable[[], bool]] = None
        self._secret: bytes | None = None
        self._lock = threading.Lock()

    @property
    def secret_is_generated(self) -> bool:
        return not self._configured

    def guard_records(self, records_exist: Callable[[], bool]) -> None:
        """The storage these keys address: asked before a secret is generated."""
        self._records_exist = records_exist

    def secret(self) -> bytes:
        if self._secret is None:
            with self._lock:
                if self._secret is None:
                    if self._configured:
                        text = self._configured
                    else:
                        try:
                            text = load_or_create_secret_file(self.data_dir,
                                                              self._records_exist)
                        except OSError as e:
                            raise PersistenceException(
                                f"Cannot read or create the user key secret ({type(e).__name__})."
                            ) from e
                    self._secret = text.encode("utf-8")
        return self._secret

    def key_for_user_id(self, user_id: str) -> str:
        return listener_key(self.secret(), user_id)

    def key_for(self, request_envelope) -> str:
        return self.key_for_user_id(user_id_from_envelope(request_envelope))
