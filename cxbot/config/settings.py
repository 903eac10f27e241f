"""The settings themselves: one frozen `Settings` (pydantic-settings) declaring every
CXBOT_* variable with its default and its check, and the refusal that names each variable
whose value could not be used."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from pydantic import AfterValidator, BeforeValidator, SecretStr, ValidationError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from cxbot.config import values as v
from cxbot.config.values import Interval, Seconds, Threads, WebUrl


PREFIX = "CXBOT_"
KEY_FILE_VAR = "CXBOT_WORKS_PRIVATE_KEY_FILE"


class ConfigError(Exception):
    """A setting is missing or wrong; `problems` holds one line per variable, never a secret value.

    `refused` maps each variable whose value could not be used to its line."""

    def __init__(self, problems: list[str], refused: Mapping[str, str] | None = None):
        self.problems = problems
        self.refused = dict(refused or {})
        super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))


# What a refused number was expected to be, for the line that says so.
_NUMBER_UNITS = {"worker_threads": "a whole number of threads", "outbox_threads": "a whole number of threads"}


class Settings(BaseSettings):
    # Settings made in code (tests, the demo) hold exactly what they are given: only
    # `load()` reads the environment, so a deployment's CXBOT_* cannot leak into a demo.
    model_config = SettingsConfigDict(env_prefix=PREFIX, frozen=True, extra="forbid", hide_input_in_errors=True)

    instance_path: Path = Path("instance")
    database_url: Annotated[SecretStr, AfterValidator(v.database_url)] = SecretStr("")  # may hold a password
    public_url: WebUrl = "http://127.0.0.1:8000"
    # Accept an http:// CXBOT_PUBLIC_URL on this machine's own address outside the demo: for
    # the benchmark and a trial on one machine, which the platforms cannot reach anyway.
    allow_loopback_http: bool = False
    secret_key: Annotated[SecretStr, AfterValidator(v.fernet_keys)] = SecretStr("")
    works_api_url: WebUrl = "https://www.worksapis.com/v1.0"
    works_auth_url: WebUrl = "https://auth.worksmobile.com/oauth2/v2.0/token"
    line_api_url: WebUrl = "https://api.line.me"
    line_data_url: WebUrl = "https://api-data.line.me"
    works_client_id: str = ""
    works_client_secret: SecretStr = SecretStr("")
    works_service_account: str = ""
    works_private_key: Annotated[SecretStr, BeforeValidator(v.unescape_pem), AfterValidator(v.pem_key)] = SecretStr("")
    works_bot_id: Annotated[str, AfterValidator(v.digits("a bot ID"))] = ""
    works_bot_secret: SecretStr = SecretStr("")
    works_domain_id: Annotated[str, AfterValidator(v.digits("a domain ID"))] = ""
    works_scopes: str = "bot user.read"
    admins: Annotated[tuple[str, ...], NoDecode, BeforeValidator(v.admins)] = ()
    mail_domain: str = "cxbot.localhost"
    smtp_listen: Annotated[str, AfterValidator(v.host_port)] = "127.0.0.1:2525"
    smtp_url: Annotated[SecretStr, AfterValidator(v.smtp_url)] = SecretStr("")  # holds the relay's password
    locale: Annotated[str, AfterValidator(v.locale)] = "ja"
    # How long before expiry the scheduler renews an access token, and how often it looks.
    token_refresh_margin: Annotated[int, AfterValidator(v.between(0, math.inf, "seconds"))] = 900
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
    mail_answer_window: Annotated[float, AfterValidator(v.between(0, 300, "seconds"))] = 5.0
    # How long the worker waits for LINE to prepare a customer's large video or audio
    # (polling its transcoding status) before the room is told it could not be fetched.
    line_content_wait: Annotated[float, AfterValidator(v.between(0, 300, "seconds"))] = 10.0
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
    retention_days: Annotated[float, AfterValidator(v.between(0, 36500, "days", low_open=True))] = 365.0
    # What LINE WORKS refuses to take into a room (reference §3.6): the extensions its file
    # security blocks (the documented default; an admin may change it) and the largest
    # file, in bytes (the admin's "maximum size for a single file"; the docs give no default).
    works_blocked_extensions: Annotated[tuple[str, ...], NoDecode, BeforeValidator(v.extensions)] = (
        "bat", "cmd", "com", "cpl", "exe", "scr", "js", "vbs", "wsf", "hta")
    works_file_max_bytes: Annotated[int, AfterValidator(v.between(1, math.inf, "bytes"))] = 100 * 1024 * 1024
    # LINE WORKS' rate limits, counted per tenant across every process and host (reference
    # §7.1; jp/docs/rate-limits): each API operation allows this many calls a minute (240 on
    # the Standard and Advanced plans, 60 on Free), and room creation this many whatever the plan.
    works_rate_per_min: Annotated[int, AfterValidator(v.between(1, math.inf, "calls a minute"))] = 240
    works_rooms_per_min: Annotated[int, AfterValidator(v.between(1, math.inf, "rooms a minute"))] = 10
    # The platform's minute in seconds: only a benchmark against the sandbox at a time scale
    # (its limits counted per 60/k seconds) sets it to 60/k.
    works_rate_window: Interval = 60.0
    # When the conversations waiting for a room of their own would take longer than this many
    # minutes to clear at the room budget, new ones stay in the intake room until an agent
    # takes them or the queue shortens.
    room_queue_minutes: Annotated[float, AfterValidator(v.between(0, 1440, "minutes"))] = 15.0
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

