"""Fixtures for the safety tests: the real app in developer mode on a fresh SQLite file."""
import pytest

from skill.app import create_app
from support.conversation import APP_ID


@pytest.fixture
def app(tmp_path):
    return create_app({"DEVELOPER_MODE": True, "ALEXA_SKILL_ID": APP_ID, "SKILL_DATA_DIR": str(tmp_path / "data")})
