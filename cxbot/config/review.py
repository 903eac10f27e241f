"""Reading the environment into `Settings`, and what a whole deployment still lacks, for
`cxbot config check` and every process's start: every problem at once, one line per variable."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import SecretStr
from pydantic_settings import EnvSettingsSource

from cxbot.base.hosts import is_loopback_host
from cxbot.config.settings import KEY_FILE_VAR, SECRET_VARS, ConfigError, Settings, env_name
from cxbot.config.values import without_password
from cxbot.mail import parse_smtp_url

class _Environment(EnvSettingsSource):
    """pydantic-settings' reading of the CXBOT_* variables, from a given mapping. A value is
    stripped, and a blank one counts as unset, as env files and Procfile hosts often leave them."""

    def __init__(self, environ: Mapping[str, str]):
        self._environ = environ
        super().__init__(Settings)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        key = (lambda k: k) if self.case_sensitive else str.lower
        return {key(k): v.strip() for k, v in self._environ.items() if isinstance(v, str) and v.strip()}


def _read(environ: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The values the environment gives, and the variables that could not even be read."""
    values = {k: v for k, v in _Environment(environ)().items() if k != "demo"}
    refused: dict[str, str] = {}
    key_file = environ.get(KEY_FILE_VAR, "").strip()
    if key_file and "works_private_key" not in values:
        try:
            values["works_private_key"] = Path(key_file).read_text()
        except OSError as exc:
            refused[KEY_FILE_VAR] = f"{KEY_FILE_VAR}: cannot read {key_file}: {exc.strerror}"
    return values, refused


@dataclass(frozen=True)
class Review:
    """What `cxbot config check` shows: the settings that could be used (a refused value
    stands at its default), the refused values, and what is missing for a deployment."""

    settings: Settings
    refused: dict[str, str]
    missing: list[str]

    @property
    def problems(self) -> list[str]:
        return list(self.refused.values()) + self.missing


def review(environ: Mapping[str, str] | None = None, **overrides) -> Review:
    """Every problem of the environment's settings (os.environ by default) at once, one line per variable."""
    values, refused = _read(os.environ if environ is None else environ)
    values.update(overrides)
    try:
        settings = Settings(**values)
    except ConfigError as exc:
        refused.update(exc.refused)
        settings = Settings(**{k: v for k, v in values.items() if env_name(k) not in refused})
    # A refused value is not also reported missing: its own line says why it is not there.
    told = set(refused) | ({env_name("works_private_key")} if KEY_FILE_VAR in refused else set())
    return Review(settings, refused, [line for var, line in _missing(settings) if var not in told])


def load(environ: Mapping[str, str] | None = None, **overrides) -> Settings:
    """Settings from the environment (os.environ by default); ConfigError names every value it refuses."""
    seen = review(environ, **overrides)
    if seen.refused:
        raise ConfigError(list(seen.refused.values()), seen.refused)
    return seen.settings


def load_checked(environ: Mapping[str, str] | None = None, **overrides) -> Settings:
    """Settings a process can start with; ConfigError names every problem at once."""
    seen = review(environ, **overrides)
    if seen.problems:
        raise ConfigError(seen.problems, seen.refused)
    return seen.settings


def _missing(settings: Settings) -> list[tuple[str, str]]:
    """(variable, line) for what a deployment lacks; the values themselves were checked on reading."""
    found: list[tuple[str, str]] = []
    if not settings.demo and not settings.secret_key.get_secret_value():
        found.append(("CXBOT_SECRET_KEY", "CXBOT_SECRET_KEY: not set; credentials are encrypted at rest with it. "
                      "Generate one with `cxbot secret generate` and keep it safe"))
    hub = ("works_client_id", "works_client_secret", "works_service_account", "works_private_key", "works_bot_id",
           "works_bot_secret")
    given = {attr: _plain(getattr(settings, attr)) for attr in hub}
    if any(given.values()):
        for attr, value in given.items():
            if not value:
                var = env_name(attr)
                shown = f"{var} (or {KEY_FILE_VAR})" if attr == "works_private_key" else var
                found.append((var, f"{shown}: missing; the hub bot needs all of its ClientApp and Bot settings"))
    elif not settings.demo:
        found.append(("", "CXBOT_WORKS_CLIENT_ID, CXBOT_WORKS_BOT_ID, ...: the hub bot is not configured; "
                          "see README 'Creating the hub bot'"))
    if not settings.demo and (line := _public_url_problem(settings)):
        found.append(("CXBOT_PUBLIC_URL", line))
    if settings.hub_configured and not settings.admins:
        found.append(("CXBOT_ADMINS", "CXBOT_ADMINS: empty; nobody could configure cxbot"))
    return found


def _public_url_problem(settings: Settings) -> str:
    parts = urlsplit(settings.public_url)
    on_this_machine = is_loopback_host(parts.hostname)
    if on_this_machine and settings.allow_loopback_http:
        return ""
    if parts.scheme != "https":
        return (f"CXBOT_PUBLIC_URL: {settings.public_url!r} must start with https://: LINE WORKS and LINE call "
                "only HTTPS callback and webhook URLs and fetch the bot's photo and images only over HTTPS "
                "(put cxbot behind a TLS proxy; http is for `cxbot demo`)")
    if on_this_machine:
        return (f"CXBOT_PUBLIC_URL: {settings.public_url!r} is this machine's own address, which LINE WORKS "
                "and LINE cannot reach; give the address they call")
    return ""


def check(settings: Settings) -> list[str]:
    """What the settings lack for a deployment, one line each, naming the variable."""
    return [line for _, line in _missing(settings)]


def _plain(value: Any) -> str:
    return value.get_secret_value() if isinstance(value, SecretStr) else str(value)


def to_environ(settings: Settings, attrs: tuple[str, ...]) -> dict[str, str]:
    """The CXBOT_* variables that give these settings to a child process: secrets in clear,
    so only for a child's environment, never for a person to read."""
    return {env_name(attr): ",".join(value) if isinstance(value := getattr(settings, attr), tuple) else _plain(value)
            for attr in attrs}


def describe(settings: Settings, refused: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """(variable, shown value) pairs for `cxbot config check`; a secret is shown only as set / not set,
    a URL's password as ***."""
    rows = []
    for attr in type(settings).model_fields:
        if attr == "demo":
            continue
        var = env_name(attr)
        value = getattr(settings, attr)
        plain = _plain(value)
        if refused and var in refused:
            shown = "(refused: see below)"
        elif attr == "database_url":
            shown = without_password(plain) if plain else f"(default) {settings.sqlite_default_url}"
        elif attr == "smtp_url" and plain:
            shown = parse_smtp_url(plain).redacted()
        elif var in SECRET_VARS:
            shown = "(set)" if plain else "(not set)"
        elif isinstance(value, tuple):
            shown = ", ".join(value) or "(none)"
        else:
            shown = plain if plain != "" else "(not set)"
        rows.append((var, shown))
    return rows

