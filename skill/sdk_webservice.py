"""flask-ask-sdk and ask_sdk_webservice_support, importable without a working oscrypto.

flask-ask-sdk's SkillAdapter stays this webhook's Flask integration, but the module it
imports for its verifier types (ask_sdk_webservice_support.verifier) imports certvalidator
at import time, and certvalidator imports oscrypto, whose last release (1.3.0, 2022) raises
at import on OpenSSL >= 3.0.10 (it cannot parse a two-digit patch number; wbond/oscrypto#78).
So on most current systems ``import flask_ask_sdk.skill_adapter`` fails unless oscrypto
is patched.

This webhook never runs certvalidator: skill.verify checks the chain with the
``cryptography`` package's X.509 path validation, and the SDK's own RequestVerifier is
never installed (skill.app passes verify_signature=False). So when certvalidator cannot
be imported, a stand-in takes its place in sys.modules before the SDK module is loaded.
The stand-in fails closed: if anything did call the SDK's RequestVerifier, its chain
check raises the stand-in's ValidationError, which that verifier turns into a
VerificationException (a refused request), never an accepted one. Where certvalidator
imports fine (a patched oscrypto, an older OpenSSL), the real one is used, so other code
in the process (e.g. the benchmarks' hello skill with the SDK's default verifiers) keeps
working.

Import the SDK's webservice pieces from here, not from the SDK, so this runs first.
"""
from __future__ import annotations

import sys
import types


class CertvalidatorUnavailable(Exception):
    """Raised by the stand-in's CertificateValidator: the SDK's chain check cannot run."""


def _install_certvalidator_stand_in() -> None:
    errors = types.ModuleType("certvalidator.errors")

    class ValidationError(CertvalidatorUnavailable):
        pass

    class PathError(CertvalidatorUnavailable):
        pass

    errors.ValidationError, errors.PathError = ValidationError, PathError

    class CertificateValidator:
        def __init__(self, *args, **kwargs):
            raise ValidationError("certvalidator is not available (oscrypto does not load); "
                                  "skill.verify validates certificate chains")

    package = types.ModuleType("certvalidator")
    package.__path__ = []  # a package, so "certvalidator.errors" resolves to the module below
    package.CertificateValidator, package.errors = CertificateValidator, errors
    package.ValidationError, package.PathError = ValidationError, PathError
    sys.modules["certvalidator"], sys.modules["certvalidator.errors"] = package, errors


try:
    import certvalidator  # noqa: F401
    import certvalidator.errors  # noqa: F401
except Exception:  # noqa: BLE001 - oscrypto raises LibraryNotFoundError, not ImportError
    _install_certvalidator_stand_in()

from ask_sdk_webservice_support import verifier_constants  # noqa: E402
from ask_sdk_webservice_support.verifier import (  # noqa: E402
    AbstractVerifier, VerificationException)
from ask_sdk_webservice_support.webservice_handler import WebserviceSkillHandler  # noqa: E402
from flask_ask_sdk.skill_adapter import SkillAdapter  # noqa: E402

__all__ = ["AbstractVerifier", "SkillAdapter", "VerificationException", "WebserviceSkillHandler",
           "verifier_constants"]
