"""Configuration of the Compassion Coach web service, Lambda handler and dev server.

Every key is read from the environment once, when ``load_config`` runs (that is,
once per ``create_app`` call), then overridden by the dict given to
``create_app(config)``. Values are validated at start-up; a bad value stops the
service with a one-line ``ConfigError``.

=========================  ===============  =======  ===============================================
Key                        Default          Unit     Meaning
=========================  ===============  =======  ===============================================
ALEXA_SKILL_ID             (none)           -        The skill's ID (amzn1.ask.skill.…). Requests for
                                                     any other applicationId are refused (400).
                                                     Required whenever verification is on.
ASK_SDK_VERIFY_SIGNATURE   True             bool     Check Signature-256 and the certificate chain.
                                                     Off only in DEVELOPER_MODE: create_app refuses
                                                     to start with it off otherwise.
ASK_SDK_VERIFY_TIMESTAMP   True             bool     Refuse requests older than 150 s (1 h for
                                                     AlexaSkillEvent.*). Off only in DEVELOPER_MODE,
                                                     as above.
SKILL_DATA_DIR             "data"           path     Directory for local state (SQLite, secrets).
SKILL_DATABASE             ""               URL      Database (skill.persistence): "" means the SQLite
                                                     file compassion-coach.sqlite3 in SKILL_DATA_DIR;
                                                     or sqlite:///PATH, or
                                                     dynamodb://TABLE?region=REGION.
USER_KEY_SECRET            ""               secret   Key for hashing user IDs; "" means the
                                                     persistence module generates one into
                                                     SKILL_DATA_DIR, only while the database
                                                     holds no records (skill.listener_key).
MAX_REQUEST_BYTES          262144           bytes    Largest request body accepted (larger: 413).
CERT_FETCH_TIMEOUT_S       2.0              seconds  Total time allowed to download the signing
                                                     certificate chain (Alexa's budget is 8 s).
CERT_CACHE_TTL_S           3600             seconds  How long a verified chain is reused (never past
                                                     the certificate's notAfter).
CERT_CACHE_MAX_ENTRIES     16               entries  Bound on cached chains (least recently used go).
ALEXA_TRUST_ROOTS          ""               path     Optional PEM file of extra trusted roots, added
                                                     to the system's trust store.
DEVELOPER_MODE             False            bool     Signature and timestamp checks off; only
                                                     loopback clients (127.0.0.0/8, ::1) naming a
                                                     loopback Host (localhost, 127.x, [::1]) and
                                                     sending no proxy header (Forwarded, Via,
                                                     X-Forwarded-*, X-Real-IP, ...) are served;
                                                     everyone else gets 403.
=========================  ===============  =======  ===============================================

Booleans in the environment: 1/true/yes/on or 0/false/no/off (any case).

Other keys given to ``create_app`` are passed through to ``build_skill`` untouched.

Python-only key (never read from the environment, so nobody can redirect the
certificate download by setting a variable): ``CERT_FETCHER``, a callable
``(url, timeout_s, max_bytes) -> bytes`` used to download the certificate chain;
default ``skill.verify.fetch_certificate_chain``. Tests use it to map
https://s3.amazonaws.com/echo.api/... to a local server.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable, Mapping

class ConfigError(ValueError):
    """A configuration value is missing or invalid; the message is one line."""


def _parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected a boolean (true/false), got {raw!r}")


def _parse_str(raw: str) -> str:
    return raw.strip()


def _parse_positive_int(raw: str) -> int:
    value = int(str(raw).strip())
    if value <= 0:
        raise ValueError(f"expected a positive integer, got {raw!r}")
    return value


def _parse_positive_float(raw: str) -> float:
    value = float(str(raw).strip())
    if not value > 0 or value != value or value == float("inf"):
        raise ValueError(f"expected a positive number, got {raw!r}")
    return value


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    parse: Callable[[str], Any]


SETTINGS: tuple[Setting, ...] = (
    Setting("ALEXA_SKILL_ID", None, _parse_str),
    Setting("ASK_SDK_VERIFY_SIGNATURE", True, _parse_bool),
    Setting("ASK_SDK_VERIFY_TIMESTAMP", True, _parse_bool),
    Setting("SKILL_DATA_DIR", "data", _parse_str),
    Setting("SKILL_DATABASE", "", _parse_str),
    Setting("USER_KEY_SECRET", "", _parse_str),
    Setting("MAX_REQUEST_BYTES", 256 * 1024, _parse_positive_int),
    Setting("CERT_FETCH_TIMEOUT_S", 2.0, _parse_positive_float),
    Setting("CERT_CACHE_TTL_S", 3600.0, _parse_positive_float),
    Setting("CERT_CACHE_MAX_ENTRIES", 16, _parse_positive_int),
    Setting("ALEXA_TRUST_ROOTS", "", _parse_str),
    Setting("DEVELOPER_MODE", False, _parse_bool),
)

#: Keys accepted only from Python (``create_app(config)``), never from the environment.
PYTHON_ONLY_KEYS = frozenset({"CERT_FETCHER"})


def _coerce(setting: Setting, value: Any) -> Any:
    """Validate a value given from Python; strings go through the env parser."""
    if value is None:
        return None if setting.default is None else setting.default
    if isinstance(value, str):
        return setting.parse(value)
    if isinstance(setting.default, bool):
        if not isinstance(value, bool):
            raise ValueError(f"expected a bool, got {value!r}")
        return value
    if isinstance(setting.default, (int, float)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"expected a number, got {value!r}")
        return setting.parse(str(value))
    raise ValueError(f"expected a string, got {value!r}")


def load_config(overrides: Mapping[str, Any] | None = None,
                environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Defaults, then the environment, then ``overrides``; validated.

    DEVELOPER_MODE switches both verification flags off, whatever else says.
    Keys that are not settings are kept as given (other modules may read them),
    except that ``CERT_FETCHER`` must be callable.
    """
    environ = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    config: dict[str, Any] = {}
    for setting in SETTINGS:
        try:
            if setting.name in overrides:
                config[setting.name] = _coerce(setting, overrides.pop(setting.name))
            elif environ.get(setting.name, "").strip():
                config[setting.name] = setting.parse(environ[setting.name])
            else:
                config[setting.name] = setting.default
        except ValueError as e:
            raise ConfigError(f"{setting.name}: {e}") from None
    if config["ALEXA_SKILL_ID"] == "":
        config["ALEXA_SKILL_ID"] = None

    fetcher = overrides.pop("CERT_FETCHER", None)
    if fetcher is not None and not callable(fetcher):
        raise ConfigError("CERT_FETCHER must be a callable (url, timeout_s, max_bytes) -> bytes")
    config["CERT_FETCHER"] = fetcher
    config.update(overrides)

    if config["DEVELOPER_MODE"]:
        config["ASK_SDK_VERIFY_SIGNATURE"] = False
        config["ASK_SDK_VERIFY_TIMESTAMP"] = False
    return config


def verification_on(config: Mapping[str, Any]) -> bool:
    return bool(config["ASK_SDK_VERIFY_SIGNATURE"] or config["ASK_SDK_VERIFY_TIMESTAMP"])


VERIFICATION_SWITCHES = ("ASK_SDK_VERIFY_SIGNATURE", "ASK_SDK_VERIFY_TIMESTAMP")


def refuse_verification_off(config: Mapping[str, Any]) -> None:
    """Outside developer mode every request check stays on, whichever launcher runs
    create_app: an unsigned request answered, or a day-old one replayed, is never a
    setting."""
    if config["DEVELOPER_MODE"]:
        return
    off = [name for name in VERIFICATION_SWITCHES if not config[name]]
    if off:
        raise ConfigError(
            f"{' and '.join(off)} off: request verification can be switched off only in "
            "DEVELOPER_MODE (loopback clients only; python -m skill.tools.devserver)")


def require_skill_id(config: Mapping[str, Any], why: str = "request verification is on") -> None:
    """Production must check the applicationId: refuse to start without one."""
    if not config.get("ALEXA_SKILL_ID"):
        raise ConfigError(
            f"ALEXA_SKILL_ID is not set but {why}: set it to your skill's ID "
            "(amzn1.ask.skill...); to try the skill locally run python -m skill.tools.devserver")


def database_location(config: Mapping[str, Any]) -> str:
    """Where the persistence module keeps listeners' data, for banners and logs.

    Follows skill.persistence.parse_database_setting (the owner of that format).
    Raises ConfigError for a SKILL_DATABASE it does not accept.
    """
    from skill.persistence import parse_database_setting

    try:
        target = parse_database_setting(config.get("SKILL_DATABASE") or "",
                                        config.get("SKILL_DATA_DIR") or "data")
    except ValueError as e:
        raise ConfigError(f"SKILL_DATABASE: {e}") from None
    if target["kind"] == "sqlite":
        return os.path.abspath(target["path"])
    return f"DynamoDB table {target['table']} ({target['region']})"
