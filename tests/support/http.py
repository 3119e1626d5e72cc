"""Assertions about the HTTP edge's responses."""
from __future__ import annotations

#: Short, so the slow-download cases finish quickly; the production default is 2 s.
TEST_CERT_FETCH_TIMEOUT_S = 0.5


def assert_json_error(response, status: int) -> dict:
    """A short JSON error body with the given status, never HTML."""
    assert response.status_code == status, (response.status_code, response.get_data()[:300])
    assert response.mimetype == "application/json", response.mimetype
    body = response.get_json()
    assert set(body) == {"error", "message"}, body
    assert isinstance(body["error"], str) and isinstance(body["message"], str)
    assert len(response.get_data()) < 300, "error bodies stay short"
    assert b"<" not in response.get_data(), "no HTML"
    return body
