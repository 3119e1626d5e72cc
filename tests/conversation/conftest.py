"""Fixtures for conversations: the real app in developer mode on a fresh SQLite file."""
import pytest

from skill.app import create_app
from support.conversation import APP_ID, Listener


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


@pytest.fixture
def app(data_dir):
    return create_app({"DEVELOPER_MODE": True, "ALEXA_SKILL_ID": APP_ID, "SKILL_DATA_DIR": str(data_dir)})


@pytest.fixture
def listener(app):
    return Listener(app.test_client())

