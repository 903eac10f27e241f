"""Configuration from the CXBOT_* environment variables (names and defaults fixed by DESIGN.md).

Everything is read once into a frozen `Settings` (pydantic-settings), whose validators
refuse a value that cannot work (a URL without a scheme, a key that is not a PEM, a
thread count below zero), whether it came from the environment or from code. `review()`
then adds what is missing for a whole deployment (`check()`), so an operator sees every
problem at once, one line per variable, and fixes a deployment in one pass.

Every secret is a `SecretStr`: printing the settings, logging them or a refusal shows
`**********`; the value is read with `.get_secret_value()` only where it is used.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from pydantic import AfterValidator, BeforeValidator, SecretStr, ValidationError
from pydantic_settings import BaseSettings, EnvSettingsSource, NoDecode, SettingsConfigDict

from cxbot.base.i18n import LOCALES
from cxbot.base.hosts import is_loopback_host
from cxbot.mail import SmtpUrlError, parse_smtp_url
from cxbot.storage.crypto import KeyError_, parse_keys

PREFIX = "CXBOT_"
KEY_FILE_VAR = "CXBOT_WORKS_PRIVATE_KEY_FILE"


class ConfigError(Exception):
    """A setting is missing or wrong; `problems` holds one line per variable, never a secret value.

    `refused` maps each variable whose value could not be used to its line."""

    def __init__(self, problems: list[str], refused: Mapping[str, str] | None = None):
        self.problems = problems
        self.refused = dict(refused or {})
        super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))


# Validators: each returns the value or raises ValueError with the line a person reads
# after the variable's name. A secret's validator never puts the value in its message.

def _web_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{value!r} is not an absolute http(s) URL (it needs a scheme such as https://)")
    return value


def _database_url(value: SecretStr) -> SecretStr:
    url = value.get_secret_value()
    if url:
        backend = urlsplit(url).scheme.split("+")[0]
        if backend not in ("sqlite", "postgresql", "postgres"):
            raise ValueError(f"unsupported database {backend or '(none)'!r}; use sqlite:/// or postgresql://")
    return value


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=f"{parts.username}:***@{parts.netloc.rpartition('@')[2]}").geturl()


def _fernet_keys(value: SecretStr) -> SecretStr:
    if value.get_secret_value():
        try:
            parse_keys(value.get_secret_value())
        except KeyError_ as exc:
            raise ValueError(str(exc)) from None
    return value


def _unescape_pem(value: Any) -> Any:
    # Hosts that cannot hold multi-line values often store the PEM with literal \n.
    return value.replace("\\n", "\n") if isinstance(value, str) else value


def _pem_key(value: SecretStr) -> SecretStr:
    if value.get_secret_value():
        try:
            # The operator's own key: the RSA consistency check (90 ms a key) buys nothing here.
            key = load_pem_private_key(value.get_secret_value().encode(), password=None,
                                       unsafe_skip_rsa_key_validation=True)
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            raise ValueError(f"does not parse as a PEM private key ({exc.__class__.__name__})") from None
        if not isinstance(key, RSAPrivateKey):
            raise ValueError("not an RSA key; LINE WORKS issues RSA keys for RS256")
    return value


def _smtp_url(value: SecretStr) -> SecretStr:
    if value.get_secret_value():
        try:
            parse_smtp_url(value.get_secret_value())
        except SmtpUrlError as exc:  # its messages leave the password out
            raise ValueError(f"{exc}; use smtp://user:pass@host:587?starttls=1 or smtps://...") from None
    return value


def _digits(what: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if value and not value.isdigit():
            raise ValueError(f"{value!r} is not {what} (digits)")
        return value
    return check


def _locale(value: str) -> str:
    if value not in LOCALES:
        raise ValueError(f"{value!r} is not supported; use {' or '.join(LOCALES)}")
    return value


def _host_port(value: str) -> str:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"{value!r} is not host:port")
    return value


def _admins(value: Any) -> Any:
    if isinstance(value, str):
        return tuple(a.strip() for a in value.replace(";", ",").split(",") if a.strip())
    return value


def _extensions(value: Any) -> Any:
    """`exe, .JS;bat` -> ("exe", "js", "bat"): file extensions, without dots, lower case."""
    if isinstance(value, str):
        value = value.replace(";", ",").split(",")
    if isinstance(value, (list, tuple)):
        return tuple(dict.fromkeys(str(v).strip().lstrip(".").lower() for v in value if str(v).strip()))
    return value


def _between(low: float, high: float, unit: str, low_open: bool = False) -> Callable[[float], float]:
    if high < math.inf:
        use = f"{low:g} to {high:g} {unit}"
    else:
        use = f"more than {low:g} {unit}" if low_open else f"{low:g} or more {unit}"

    def check(value: float) -> float:
        if not math.isfinite(value) or value < low or (low_open and value == low) or value > high:
            raise ValueError(f"{value:g} is out of range; use {use}")
        return value
    return check


WebUrl = Annotated[str, AfterValidator(_web_url)]
Seconds = Annotated[int, AfterValidator(_between(1, math.inf, "seconds"))]
Interval = Annotated[float, AfterValidator(_between(0, math.inf, "seconds", low_open=True))]
Threads = Annotated[int, AfterValidator(_between(0, math.inf, "threads (0 picks by database)"))]
# What a refused number was expected to be, for the line that says so.
_NUMBER_UNITS = {"worker_threads": "a whole number of threads", "outbox_threads": "a whole number of threads"}


class Settings(BaseSettings):
    # Settings made in code (tests, the demo) hold exactly what they are given: only
    # `load()` reads the environment, so a deployment's CXBOT_* cannot leak into a demo.
    model_config = SettingsConfigDict(env_prefix=PREFIX, frozen=True, extra="forbid", hide_input_in_errors=True)

    instance_path: Path = Path("instance")
    database_url: Annotated[SecretStr, AfterValidator(_database_url)] = SecretStr("")  # may hold a password
    public_url: WebUrl = "http://127.0.0.1:8000"
    # Accept an http:// CXBOT_PUBLIC_URL on this machine's own address outside the demo: for
    # the benchmark and a trial on one machine, which the platforms cannot reach anyway.
    allow_loopback_http: bool = False
    secret_key: Annotated[SecretStr, AfterValidator(_fernet_keys)] = SecretStr("")
    works_api_url: WebUrl = "https://www.worksapis.com/v1.0"
    works_auth_url: WebUrl = "https://auth.worksmobile.com/oauth2/v2.0/token"
    line_api_url: WebUrl = "https://api.line.me"
    line_data_url: WebUrl = "https://api-data.line.me"
    works_client_id: str = ""
    works_client_secret: SecretStr = SecretStr("")
    works_service_account: str = ""
    works_private_key: Annotated[SecretStr, BeforeValidator(_unescape_pem), AfterValidator(_pem_key)] = SecretStr("")
    works_bot_id: Annotated[str, AfterValidator(_digits("a bot ID"))] = ""
    works_bot_secret: SecretStr = SecretStr("")
    works_domain_id: Annotated[str, AfterValidator(_digits("a domain ID"))] = ""
    works_scopes: str = "bot user.read"
    admins: Annotated[tuple[str, ...], NoDecode, BeforeValidator(_admins)] = ()
    mail_domain: str = "cxbot.localhost"
    smtp_listen: Annotated[str, AfterValidator(_host_port)] = "127.0.0.1:2525"
    smtp_url: Annotated[SecretStr, AfterValidator(_smtp_url)] = SecretStr("")  # holds the relay's password
    locale: Annotated[str, AfterValidator(_locale)] = "ja"
    # How long before expiry the scheduler renews an access token, and how often it looks.
    token_refresh_margin: Annotated[int, AfterValidator(_between(0, math.inf, "seconds"))] = 900
    token_refresh_interval: Seconds = 60
    # An admin's setup conversation is dropped after this many idle seconds.
    flow_timeout: Seconds = 1800
    # How often a worker polls for stored events when nothing woke it.
    worker_poll_interval: Interval = 0.05
    # How long a claimed inbound event or outbox row is reserved for its worker (a killed
    # worker's rows come back after this), and the outbox's first retry delay (doubling, jittered).
    outbox_lease: Interval = 60.0
    outbox_backoff: Interval = 0.5
    # The first retry delay of a stored event whose handling failed (doubling, capped at
    # 300 s): 1 waits 2, 4, 8, 16 and 32 s between its tries, a minute before it is given up.
    inbox_backoff: Interval = 1.0
    # An agent's lines to an email customer typed within this many seconds of each other
    # go out as one mail (each line would otherwise be a mail of its own).
    mail_answer_window: Annotated[float, AfterValidator(_between(0, 300, "seconds"))] = 5.0
    # How long the worker waits for LINE to prepare a customer's large video or audio
    # (polling its transcoding status) before the room is told it could not be fetched.
    line_content_wait: Annotated[float, AfterValidator(_between(0, 300, "seconds"))] = 10.0
    # Threads per worker process for stored events and for the outbox; 0 picks by database.
    # Order is kept either way (head of line per room / customer / conversation). On SQLite
    # extra threads only queue for its single write lock and burn CPU contending for it
    # (`cxbot bench` at 100 msg/s on 2 cores: worker process 9.5 CPU ms per message with
    # 1 and 1, 15 ms with 1 and 2, and the relay fell behind), so it gets 1 and 1;
    # PostgreSQL gets 3 and 3.
    worker_threads: Threads = 0
    outbox_threads: Threads = 0
    # How long a conversation's files stay at their cxbot links (/media), in days from when
    # they were stored: agents open a file LINE WORKS would not take by its link, and LINE
    # customers open an agent's file by its link, for as long as the conversation is kept.
    retention_days: Annotated[float, AfterValidator(_between(0, 36500, "days", low_open=True))] = 365.0
    # What LINE WORKS refuses to take into a room (reference §3.6): the extensions its file
    # security blocks (the documented default; an admin may change it) and the largest
    # file, in bytes (the admin's "maximum size for a single file"; the docs give no default).
    works_blocked_extensions: Annotated[tuple[str, ...], NoDecode, BeforeValidator(_extensions)] = (
        "bat", "cmd", "com", "cpl", "exe", "scr", "js", "vbs", "wsf", "hta")
    works_file_max_bytes: Annotated[int, AfterValidator(_between(1, math.inf, "bytes"))] = 100 * 1024 * 1024
    # Set only in code (the demo, the bench, tests), never by a variable: it waives the
    # secret key and the hub bot, which no deployment may do.
    demo: bool = False

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            # `from None`: a traceback must not carry pydantic's own rendering of the input.
            raise _refusal(exc) from None

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings):
        return (init_settings,)

    @property
    def thread_counts(self) -> tuple[int, int]:
        sqlite = self.effective_database_url.startswith("sqlite")
        workers = self.worker_threads or (1 if sqlite else 3)
        outbox = self.outbox_threads or (1 if sqlite else 3)
        return workers, outbox

    @property
    def sqlite_default_url(self) -> str:
        return f"sqlite:///{(self.instance_path / 'cxbot.db').resolve()}"

    @property
    def effective_database_url(self) -> str:
        return self.database_url.get_secret_value() or self.sqlite_default_url

    @property
    def hub_configured(self) -> bool:
        return bool(self.works_client_id and self.works_bot_id)

    def private_key(self) -> RSAPrivateKey:
        return load_pem_private_key(self.works_private_key.get_secret_value().encode(), password=None)  # type: ignore[return-value]

    def with_overrides(self, **changes) -> Settings:
        """A copy with some values changed, checked like any other."""
        return type(self)(**{**dict(self), **changes})


def env_name(attr: str) -> str:
    return PREFIX + attr.upper()


SECRET_VARS = frozenset(env_name(name) for name, f in Settings.model_fields.items() if f.annotation is SecretStr)


def _refusal(exc: ValidationError) -> ConfigError:
    """pydantic's errors as one line per variable; a secret's input is never shown."""
    refused: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        attr = str(error["loc"][0]) if error["loc"] else ""
        var = env_name(attr)
        kind = error["type"]
        if kind == "value_error":
            why = str(error["ctx"]["error"])
        elif var in SECRET_VARS:
            why = error["msg"]
        elif kind.startswith("int_"):
            why = f"expected {_NUMBER_UNITS.get(attr, 'a whole number of seconds')}, got {error['input']!r}"
        elif kind.startswith("float_"):
            why = f"expected a number of seconds, got {error['input']!r}"
        elif kind == "extra_forbidden":
            why = "not a setting of cxbot"
        else:
            why = f"{error['msg']}, got {error['input']!r}"
        refused[var] = f"{refused[var]}; {why}" if var in refused else f"{var}: {why}"
    return ConfigError(list(refused.values()), refused)


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
            shown = _without_password(plain) if plain else f"(default) {settings.sqlite_default_url}"
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
