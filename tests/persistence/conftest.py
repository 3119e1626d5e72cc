"""Fixtures for the persistence tests: configs rooted in tmp_path."""
from __future__ import annotations

import pytest


@pytest.fixture
def config(tmp_path):
    return {"SKILL_DATA_DIR": str(tmp_path / "data")}


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "data" / "compassion-coach.sqlite3"
