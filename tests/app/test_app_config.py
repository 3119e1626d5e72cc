"""skill.config: defaults, environment, overrides, validation, the documented table."""
from __future__ import annotations

import os

import pytest

import skill.config as config_module
from skill.config import (
    SETTINGS, ConfigError, database_location, load_config, require_skill_id, verification_on)


def test_defaults_are_secure():
    config = load_config({}, environ={})
    assert config["ALEXA_SKILL_ID"] is None
    assert config["ASK_SDK_VERIFY_SIGNATURE"] is True
    assert config["ASK_SDK_VERIFY_TIMESTAMP"] is True
    assert config["DEVELOPER_MODE"] is False
    assert config["MAX_REQUEST_BYTES"] == 256 * 1024
    assert config["CERT_FETCH_TIMEOUT_S"] < 8  # well inside Alexa's 8 s budget
    assert config["CERT_FETCHER"] is None
    assert verification_on(config)


def test_environment_is_read_and_overrides_win():
    env = {"ALEXA_SKILL_ID": "amzn1.ask.skill.env", "CERT_CACHE_TTL_S": "60",
           "CERT_CACHE_MAX_ENTRIES": "3", "ASK_SDK_VERIFY_TIMESTAMP": "off",
           "SKILL_DATA_DIR": "/tmp/x"}
    config = load_config({"ALEXA_SKILL_ID": "amzn1.ask.skill.dict"}, environ=env)
    assert config["ALEXA_SKILL_ID"] == "amzn1.ask.skill.dict"
    assert config["CERT_CACHE_TTL_S"] == 60.0
    assert config["CERT_CACHE_MAX_ENTRIES"] == 3
    assert config["ASK_SDK_VERIFY_TIMESTAMP"] is False
    assert config["SKILL_DATA_DIR"] == "/tmp/x"


@pytest.mark.parametrize("raw, expected", [
    ("1", True), ("TRUE", True), ("yes", True), ("On", True),
    ("0", False), ("false", False), ("NO", False), ("off", False)])
def test_boolean_spellings(raw, expected):
    assert load_config({}, environ={"DEVELOPER_MODE": raw})["DEVELOPER_MODE"] is expected


@pytest.mark.parametrize("env", [
    {"DEVELOPER_MODE": "maybe"}, {"MAX_REQUEST_BYTES": "-1"}, {"MAX_REQUEST_BYTES": "lots"},
    {"CERT_FETCH_TIMEOUT_S": "0"}, {"CERT_FETCH_TIMEOUT_S": "nan"},
    {"CERT_CACHE_MAX_ENTRIES": "0"}, {"CERT_CACHE_TTL_S": "inf"}])
def test_bad_environment_values_are_one_line_errors(env):
    with pytest.raises(ConfigError) as info:
        load_config({}, environ=env)
    assert next(iter(env)) in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("overrides", [
    {"DEVELOPER_MODE": "sometimes"}, {"ASK_SDK_VERIFY_SIGNATURE": 0},
    {"MAX_REQUEST_BYTES": True}, {"CERT_FETCH_TIMEOUT_S": -2}, {"CERT_FETCHER": "urllib"}])
def test_bad_python_values_are_errors(overrides):
    with pytest.raises(ConfigError):
        load_config(overrides, environ={})


def test_cert_fetcher_cannot_come_from_the_environment():
    config = load_config({}, environ={"CERT_FETCHER": "tests.evil:fetch"})
    assert config["CERT_FETCHER"] is None


def test_developer_mode_switches_verification_off():
    config = load_config({"DEVELOPER_MODE": True, "ASK_SDK_VERIFY_SIGNATURE": True}, environ={})
    assert not verification_on(config)


def test_empty_skill_id_counts_as_missing():
    config = load_config({}, environ={"ALEXA_SKILL_ID": "  "})
    with pytest.raises(ConfigError):
        require_skill_id(config)


def test_database_location():
    def location(**overrides):
        return database_location(load_config(overrides, environ={}))
    assert location(SKILL_DATABASE="sqlite:////srv/cc.db") == "/srv/cc.db"
    assert location(SKILL_DATA_DIR="d") == os.path.abspath(os.path.join(
        "d", "compassion-coach.sqlite3"))
    assert location(SKILL_DATABASE="dynamodb://cc-table?region=eu-west-1") \
        == "DynamoDB table cc-table (eu-west-1)"
    with pytest.raises(ConfigError, match="SKILL_DATABASE"):
        location(SKILL_DATABASE="postgres://x")


def test_module_docstring_documents_every_key():
    doc = config_module.__doc__
    for setting in SETTINGS:
        assert f"\n{setting.name} " in doc, f"{setting.name} missing from the table"
    assert "CERT_FETCHER" in doc
