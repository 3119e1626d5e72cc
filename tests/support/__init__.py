"""Test-only helpers: a local CA (pki), a local certificate server (cert_server),
and Alexa-shaped request envelopes (envelopes). Imported as ``support.*``: pytest puts
tests/ on sys.path because tests/conftest.py lives there."""
