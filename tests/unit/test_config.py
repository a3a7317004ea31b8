"""Settings: defaults per environment, TIMEBANK_* overrides, and production's refusals."""

from __future__ import annotations

import pytest

from config import ConfigError, from_environment, load_settings

# 48 characters, as `secrets.token_urlsafe(36)` makes.
LONG_SECRET = "k7Vq2Zr9XbT4mWc1LpN8dHs5YfJ3gA6eRuE0oIiKlMnBvCxQ"


def test_timebank_environment_variables_override_settings(monkeypatch):
    monkeypatch.setenv("TIMEBANK_SQLITE_BUSY_TIMEOUT_MS", "2500")
    monkeypatch.setenv("TIMEBANK_PUBLIC_BASE_URL", "https://bank.example.org")
    settings = load_settings("development")
    assert settings["SQLITE_BUSY_TIMEOUT_MS"] == 2500
    assert settings["PUBLIC_BASE_URL"] == "https://bank.example.org"


def test_only_prefixed_variables_are_read():
    environ = {"TIMEBANK_X": "1", "OTHER": "2", "TIMEBANK_ENV": "testing"}
    assert from_environment({}, environ) == {"X": "1"}


def test_a_secret_made_of_digits_stays_text():
    assert from_environment({}, {"TIMEBANK_SECRET_KEY": "123456"}) == {"SECRET_KEY": "123456"}


def test_a_number_setting_given_text_is_refused_with_the_variable_named():
    with pytest.raises(ConfigError, match="TIMEBANK_SQLITE_BUSY_TIMEOUT_MS"):
        from_environment(
            {"SQLITE_BUSY_TIMEOUT_MS": 5000}, {"TIMEBANK_SQLITE_BUSY_TIMEOUT_MS": "soon"}
        )


def test_production_refuses_the_default_secret_key(monkeypatch):
    monkeypatch.delenv("TIMEBANK_SECRET_KEY", raising=False)
    monkeypatch.setenv("TIMEBANK_DATABASE_URL", "postgresql://db/timebank")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings("production")
    monkeypatch.setenv("TIMEBANK_SECRET_KEY", "dev-only-change-me")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings("production")


def test_production_refuses_a_secret_key_shorter_than_32_characters(monkeypatch):
    monkeypatch.setenv("TIMEBANK_DATABASE_URL", "postgresql://db/timebank")
    monkeypatch.setenv("TIMEBANK_SMS_BACKEND", "twilio")
    monkeypatch.setenv("TIMEBANK_SECRET_KEY", "a-long-random-secret")
    with pytest.raises(ConfigError, match="at least 32 characters") as refused:
        load_settings("production")
    assert "secrets.token_urlsafe" in str(refused.value)
    monkeypatch.setenv("TIMEBANK_SECRET_KEY", "x" * 31)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings("production")
    monkeypatch.setenv("TIMEBANK_SECRET_KEY", "x" * 32)
    assert load_settings("production")["SECRET_KEY"] == "x" * 32


def test_production_refuses_to_start_without_a_database_url(monkeypatch):
    monkeypatch.setenv("TIMEBANK_SECRET_KEY", LONG_SECRET)
    monkeypatch.delenv("TIMEBANK_DATABASE_URL", raising=False)
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        load_settings("production")


def test_production_starts_with_its_own_key_and_database(monkeypatch):
    monkeypatch.setenv("TIMEBANK_SECRET_KEY", LONG_SECRET)
    monkeypatch.setenv("TIMEBANK_DATABASE_URL", "postgresql://db/timebank")
    monkeypatch.setenv("TIMEBANK_SMS_BACKEND", "twilio")
    settings = load_settings("production")
    assert settings["SESSION_COOKIE_SECURE"] is True


def test_an_unknown_environment_is_named_in_the_error():
    with pytest.raises(ConfigError, match="staging"):
        load_settings("staging")


def test_create_app_in_production_without_settings_fails_loudly(monkeypatch):
    from timebank import create_app

    monkeypatch.delenv("TIMEBANK_SECRET_KEY", raising=False)
    monkeypatch.delenv("TIMEBANK_DATABASE_URL", raising=False)
    with pytest.raises(ConfigError):
        create_app("production")


def test_production_pool_has_no_ping_per_transaction_but_recycles_and_keeps_alive(monkeypatch):
    monkeypatch.setenv("TIMEBANK_SECRET_KEY", LONG_SECRET)
    monkeypatch.setenv("TIMEBANK_DATABASE_URL", "postgresql://db/timebank")
    monkeypatch.setenv("TIMEBANK_SMS_BACKEND", "twilio")
    options = load_settings("production")["SQLALCHEMY_ENGINE_OPTIONS"]
    assert "pool_pre_ping" not in options
    assert options["pool_recycle"] > 0 and options["connect_args"]["keepalives"] == 1
