"""The patched oscrypto (third_party/oscrypto) works with this machine's OpenSSL."""
from __future__ import annotations

import importlib
import re
import ssl

import oscrypto


def _openssl_release() -> tuple[int, int, int]:
    """(major, minor, patch) of the OpenSSL Python's ssl module uses.

    ssl.OPENSSL_VERSION_INFO[:3] is not that for OpenSSL 3: 3.0.19 is (3, 0, 0, 19, 0)
    (the number is 0xMNN00PPSL), so the patch level sits at index 3.
    """
    info = ssl.OPENSSL_VERSION_INFO
    release = (info[0], info[1], info[3]) if info[0] >= 3 else info[:3]
    # Cross-check with the text, e.g. "OpenSSL 3.0.19 27 Jan 2026".
    assert re.search(r"\b%d\.%d\.%d(?!\d)" % release, ssl.OPENSSL_VERSION), ssl.OPENSSL_VERSION
    return release


def test_oscrypto_reads_the_openssl_version():
    # Unpatched 1.3.0 raises LibraryNotFoundError on import with OpenSSL >= 3.0.10.
    binding = importlib.import_module(f"oscrypto._openssl._libcrypto_{oscrypto.ffi()}")
    assert binding.version_info == _openssl_release()
    libcrypto = importlib.import_module("oscrypto._openssl._libcrypto")
    assert libcrypto.libcrypto_version_info == _openssl_release()


def test_flask_ask_sdk_imports():
    module = importlib.import_module("flask_ask_sdk.skill_adapter")
    assert hasattr(module, "SkillAdapter")
