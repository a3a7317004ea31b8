"""Settings for each environment; `load_settings` layers defaults, environment and TIMEBANK_*."""

from __future__ import annotations

import importlib
import json
import os
from typing import Any

ENVIRONMENTS = ("development", "testing", "production")
PREFIX = "TIMEBANK_"
# A shorter key can be guessed offline from one signed cookie.
MIN_SECRET_KEY_LENGTH = 32
MAKE_SECRET_KEY = 'python3 -c "import secrets; print(secrets.token_urlsafe(48))"'


class ConfigError(RuntimeError):
    """The settings are unsafe or incomplete for the chosen environment."""


def _coerce(raw: str, default: Any) -> Any:
    """Read an environment value with the type of the setting's default.

    Text settings (and those without a default, such as SECRET_KEY) stay text, so a
    secret made only of digits is never turned into a number.
    """
    if default is None or isinstance(default, str):
        return raw
    try:
        value = json.loads(raw)
    except ValueError:
        raise ConfigError(f"{raw!r} is not a valid {type(default).__name__}.") from None
    if isinstance(default, bool) != isinstance(value, bool) or (
        not isinstance(value, type(default)) and not isinstance(default, bool)
    ):
        raise ConfigError(f"{raw!r} should be a {type(default).__name__}.")
    return value


def from_environment(
    defaults: dict[str, Any], environ: dict[str, str] | None = None
) -> dict[str, Any]:
    """Return TIMEBANK_* variables as settings, e.g. TIMEBANK_DATABASE_URL -> DATABASE_URL."""
    environ = dict(os.environ if environ is None else environ)
    settings = {}
    for key, raw in environ.items():
        if not key.startswith(PREFIX) or key == PREFIX + "ENV":
            continue
        name = key[len(PREFIX) :]
        try:
            settings[name] = _coerce(raw, defaults.get(name))
        except ConfigError as error:
            raise ConfigError(f"{key}: {error}") from None
    return settings


def load_settings(
    env: str | None = None, overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Build the settings for `env`: defaults, then the environment module, then TIMEBANK_*."""
    env = env or os.environ.get(PREFIX + "ENV", "development")
    if env not in ENVIRONMENTS:
        raise ConfigError(f"Unknown environment {env!r}; choose one of {', '.join(ENVIRONMENTS)}.")
    settings: dict[str, Any] = {}
    for name in ("config.default", f"config.{env}"):
        module = importlib.import_module(name)
        settings.update({k: getattr(module, k) for k in dir(module) if k.isupper()})
    settings.update(from_environment(settings))
    settings.update(overrides or {})
    settings["ENV_NAME"] = env
    check_settings(settings)
    return settings


def check_settings(settings: dict[str, Any]) -> None:
    """Refuse settings that would be unsafe in production."""
    if settings["ENV_NAME"] != "production":
        return
    from config.default import DEFAULT_SECRET_KEY

    if not settings.get("SECRET_KEY") or settings["SECRET_KEY"] == DEFAULT_SECRET_KEY:
        raise ConfigError(
            "Production needs its own TIMEBANK_SECRET_KEY; the default is not safe."
            f" Make one with: {MAKE_SECRET_KEY}"
        )
    if len(settings["SECRET_KEY"]) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(
            f"TIMEBANK_SECRET_KEY needs at least {MIN_SECRET_KEY_LENGTH} characters in"
            f" production; a short key can be guessed. Make one with: {MAKE_SECRET_KEY}"
        )
    if not settings.get("DATABASE_URL"):
        raise ConfigError("Production needs TIMEBANK_DATABASE_URL (a PostgreSQL URL).")
    if not settings.get("SMS_BACKEND"):
        raise ConfigError(
            "Production needs TIMEBANK_SMS_BACKEND set: twilio to send texts, or console to"
            " only write who would be texted to the log (nothing is sent). Choices: console,"
            " fake, twilio."
        )
