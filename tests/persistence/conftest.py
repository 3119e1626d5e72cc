"""Fixtures for the persistence tests: configs rooted in tmp_path."""
from __future__ import annotations

import pytest


@pytest.fixture
def config(tmp_path):
    # Room for every record the concurrency tests write: they count that none is lost.
    return {"SKILL_DATA_DIR": str(tmp_path / "data"), "HISTORY_MAX_RECORDS": 1000}


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "data" / "compassion-coach.sqlite3"
