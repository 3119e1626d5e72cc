"""For the verified baseline only: flask-ask-sdk's default RequestVerifier checks chains
with certvalidator, which imports oscrypto 1.3.0, whose libcrypto version check cannot read
OpenSSL >= 3.0.10 (wbond/oscrypto#78; fixed upstream, not released). `install()` applies
Debian's fix (python3-oscrypto 1.3.0-1+deb12u1: `\\d` becomes `\\d+` in the version regexes)
to those two modules' source as they are imported, in this process only. Where oscrypto
already reads the version (an older OpenSSL, a fixed release) it changes nothing. Our app
does not use oscrypto."""
from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys

MODULES = ("oscrypto._openssl._libcrypto_cffi", "oscrypto._openssl._libcrypto_ctypes")
FIXES = ((r"'\\b(\\d\\.\\d\\.\\d[a-z]*)\\b'", r"'\\b(\\d+\\.\\d+\\.\\d+[a-z]*)\\b'"),
         (r"'(?<=LibreSSL )(\\d\\.\\d(\\.\\d)?)\\b'", r"'(?<=LibreSSL )(\\d+\\.\\d+(\\.\\d+)?)\\b'"),
         (r"'(\\d)([a-z]+)'", r"'(\\d+)([a-z]+)'"))


class _FixedSource(importlib.machinery.SourceFileLoader):
    def get_code(self, fullname):
        source = self.get_source(fullname)
        for old, new in FIXES:
            source = source.replace(old, new)
        return compile(source, self.path, "exec", dont_inherit=True)


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name not in MODULES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            spec.loader = _FixedSource(name, spec.origin)
        return spec


def install() -> None:
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
