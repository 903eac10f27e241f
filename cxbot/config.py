"""Configuration from the CXBOT_* environment variables (names fixed by DESIGN.md).

Everything is read once into a frozen `Settings`; `check()` reports every problem
with the variable's name, so an operator can fix a deployment in one pass.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from cxbot.storage.crypto import KeyError_, parse_keys

SECRET_VARS = {
    "CXBOT_SECRET_KEY",
    "CXBOT_WORKS_CLIENT_SECRET",
    "CXBOT_WORKS_PRIVATE_KEY",
    "CXBOT_WORKS_BOT_SECRET",
    "CXBOT_SMTP_URL",
}


class ConfigError(Exception):
    """A setting is missing or wrong; `problems` holds one line per variable."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class Settings:
    instance_path: Path = Path("instance")
    database_url: str = ""
    public_url: str = "http://127.0.0.1:8000"
    secret_key: str = ""
    works_api_url: str = "https://www.worksapis.com/v1.0"
    works_auth_url: str = "https://auth.worksmobile.com/oauth2/v2.0/token"
    line_api_url: str = "https://api.line.me"
    line_data_url: str = "https://api-data.line.me"
    works_client_id: str = ""
    works_client_secret: str = field(default="", repr=False)
    works_service_account: str = ""
    works_private_key: str = field(default="", repr=False)
    works_bot_id: str = ""
    works_bot_secret: str = field(default="", repr=False)
    works_domain_id: str = ""
    works_scopes: str = "bot user.read"
    admins: tuple[str, ...] = ()
    mail_domain: str = "cxbot.localhost"
    smtp_listen: str = "127.0.0.1:2525"
    smtp_url: str = field(default="", repr=False)
    locale: str = "ja"
    # How long before expiry the scheduler renews an access token, and how often it looks.
    token_refresh_margin: int = 900
    token_refresh_interval: int = 60
    # An admin's setup conversation is dropped after this many idle seconds.
    flow_timeout: int = 1800
    # How often a worker polls for stored events when nothing woke it.
    worker_poll_interval: float = 0.05
    # How long a claimed inbound event or outbox row is reserved for its worker (a killed
    # worker's rows come back after this), and the outbox's first retry delay (doubling, jittered).
    outbox_lease: float = 60.0
    outbox_backoff: float = 0.5
    # An agent's lines to an email customer typed within this many seconds of each other
    # go out as one mail (each line would otherwise be a mail of its own).
    mail_answer_window: float = 5.0
    # Threads per worker process for stored events and for the outbox; 0 picks by database.
    # Order is kept either way (head of line per room / customer / conversation). On SQLite
    # extra threads only queue for its single write lock and burn CPU contending for it
    # (`cxbot bench` at 100 msg/s on 2 cores: worker process 9.5 CPU ms per message with
    # 1 and 1, 15 ms with 1 and 2, and the relay fell behind), so it gets 1 and 1;
    # PostgreSQL gets 3 and 3.
    worker_threads: int = 0
    outbox_threads: int = 0

    @property
    def thread_counts(self) -> tuple[int, int]:
        sqlite = self.effective_database_url.startswith("sqlite")
        workers = self.worker_threads or (1 if sqlite else 3)
        outbox = self.outbox_threads or (1 if sqlite else 3)
        return workers, outbox
    demo: bool = False

    @property
    def sqlite_default_url(self) -> str:
        return f"sqlite:///{(self.instance_path / 'cxbot.db').resolve()}"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or self.sqlite_default_url

    @property
    def hub_configured(self) -> bool:
        return bool(self.works_client_id and self.works_bot_id)

    def private_key(self) -> RSAPrivateKey:
        return load_pem_private_key(self.works_private_key.encode(), password=None)  # type: ignore[return-value]

    def with_overrides(self, **changes) -> "Settings":
        from dataclasses import replace

        return replace(self, **changes)


_ENV = {
    "database_url": "CXBOT_DATABASE_URL",
    "public_url": "CXBOT_PUBLIC_URL",
    "secret_key": "CXBOT_SECRET_KEY",
    "works_api_url": "CXBOT_WORKS_API_URL",
    "works_auth_url": "CXBOT_WORKS_AUTH_URL",
    "line_api_url": "CXBOT_LINE_API_URL",
    "line_data_url": "CXBOT_LINE_DATA_URL",
    "works_client_id": "CXBOT_WORKS_CLIENT_ID",
    "works_client_secret": "CXBOT_WORKS_CLIENT_SECRET",
    "works_service_account": "CXBOT_WORKS_SERVICE_ACCOUNT",
    "works_private_key": "CXBOT_WORKS_PRIVATE_KEY",
    "works_bot_id": "CXBOT_WORKS_BOT_ID",
    "works_bot_secret": "CXBOT_WORKS_BOT_SECRET",
    "works_domain_id": "CXBOT_WORKS_DOMAIN_ID",
    "works_scopes": "CXBOT_WORKS_SCOPES",
    "mail_domain": "CXBOT_MAIL_DOMAIN",
    "smtp_listen": "CXBOT_SMTP_LISTEN",
    "smtp_url": "CXBOT_SMTP_URL",
    "locale": "CXBOT_LOCALE",
}
_INT_ENV = {
    "token_refresh_margin": "CXBOT_TOKEN_REFRESH_MARGIN",
    "token_refresh_interval": "CXBOT_TOKEN_REFRESH_INTERVAL",
    "flow_timeout": "CXBOT_FLOW_TIMEOUT",
    "worker_threads": "CXBOT_WORKER_THREADS",
    "outbox_threads": "CXBOT_OUTBOX_THREADS",
}
_FLOAT_ENV = {
    "worker_poll_interval": "CXBOT_WORKER_POLL_INTERVAL",
    "outbox_lease": "CXBOT_OUTBOX_LEASE",
    "outbox_backoff": "CXBOT_OUTBOX_BACKOFF",
    "mail_answer_window": "CXBOT_MAIL_ANSWER_WINDOW",
}


def env_name(attr: str) -> str:
    return _ENV.get(attr) or _INT_ENV.get(attr) or _FLOAT_ENV.get(attr) or f"CXBOT_{attr.upper()}"


def load(environ: dict[str, str] | None = None, **overrides) -> Settings:
    """Read settings from the environment; raises ConfigError for unparsable values."""
    env = os.environ if environ is None else environ
    values: dict = {}
    problems: list[str] = []
    for attr, var in _ENV.items():
        if env.get(var, "").strip():
            values[attr] = env[var].strip()
    for attr, var in _INT_ENV.items():
        raw = env.get(var, "").strip()
        if raw:
            try:
                values[attr] = int(raw)
            except ValueError:
                problems.append(f"{var}: expected a whole number of seconds, got {raw!r}")
    for attr, var in _FLOAT_ENV.items():
        raw = env.get(var, "").strip()
        if raw:
            try:
                values[attr] = float(raw)
            except ValueError:
                problems.append(f"{var}: expected a number of seconds, got {raw!r}")
    if env.get("CXBOT_INSTANCE_PATH"):
        values["instance_path"] = Path(env["CXBOT_INSTANCE_PATH"])
    key_file = env.get("CXBOT_WORKS_PRIVATE_KEY_FILE", "").strip()
    if key_file and "works_private_key" not in values:
        try:
            values["works_private_key"] = Path(key_file).read_text()
        except OSError as exc:
            problems.append(f"CXBOT_WORKS_PRIVATE_KEY_FILE: cannot read {key_file}: {exc.strerror}")
    if "works_private_key" in values:
        # Hosts that cannot hold multi-line values often store the PEM with literal \n.
        values["works_private_key"] = values["works_private_key"].replace("\\n", "\n")
    admins = env.get("CXBOT_ADMINS", "")
    values["admins"] = tuple(a.strip() for a in admins.replace(";", ",").split(",") if a.strip())
    if problems:
        raise ConfigError(problems)
    values.update(overrides)
    return Settings(**values)


def _check_url(problems: list[str], var: str, value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problems.append(f"{var}: {value!r} is not an absolute http(s) URL (it needs a scheme such as https://)")


def check(settings: Settings) -> list[str]:
    """Every problem with the settings, one line each, naming the variable."""
    problems: list[str] = []
    for attr in ("public_url", "works_api_url", "works_auth_url", "line_api_url", "line_data_url"):
        _check_url(problems, env_name(attr), getattr(settings, attr))
    if settings.database_url:
        scheme = urlsplit(settings.database_url).scheme.split("+")[0]
        if scheme not in ("sqlite", "postgresql", "postgres"):
            problems.append(
                f"CXBOT_DATABASE_URL: unsupported database {scheme or settings.database_url!r}; use sqlite:/// or postgresql://"
            )
    if settings.locale not in ("ja", "en"):
        problems.append(f"CXBOT_LOCALE: {settings.locale!r} is not supported; use ja or en")
    if not settings.demo and not settings.secret_key:
        problems.append(
            "CXBOT_SECRET_KEY: not set; credentials are encrypted at rest with it. "
            "Generate one with `cxbot secret generate` and keep it safe"
        )
    if settings.secret_key:
        try:
            parse_keys(settings.secret_key)
        except KeyError_ as exc:
            problems.append(f"CXBOT_SECRET_KEY: {exc}")
    hub = {
        "works_client_id": settings.works_client_id,
        "works_client_secret": settings.works_client_secret,
        "works_service_account": settings.works_service_account,
        "works_private_key": settings.works_private_key,
        "works_bot_id": settings.works_bot_id,
        "works_bot_secret": settings.works_bot_secret,
    }
    if any(hub.values()):
        for attr, value in hub.items():
            if not value:
                var = env_name(attr)
                if attr == "works_private_key":
                    var += " (or CXBOT_WORKS_PRIVATE_KEY_FILE)"
                problems.append(f"{var}: missing; the hub bot needs all of its ClientApp and Bot settings")
    elif not settings.demo:
        problems.append(
            "CXBOT_WORKS_CLIENT_ID, CXBOT_WORKS_BOT_ID, ...: the hub bot is not configured; "
            "see README 'Creating the hub bot'"
        )
    if settings.works_private_key:
        try:
            key = settings.private_key()
            if not isinstance(key, RSAPrivateKey):
                problems.append("CXBOT_WORKS_PRIVATE_KEY: not an RSA key; LINE WORKS issues RSA keys for RS256")
        except (ValueError, TypeError) as exc:
            problems.append(f"CXBOT_WORKS_PRIVATE_KEY: does not parse as a PEM private key ({exc.__class__.__name__})")
    if settings.works_bot_id and not settings.works_bot_id.isdigit():
        problems.append(f"CXBOT_WORKS_BOT_ID: {settings.works_bot_id!r} is not a bot ID (digits)")
    if settings.works_domain_id and not settings.works_domain_id.isdigit():
        problems.append(f"CXBOT_WORKS_DOMAIN_ID: {settings.works_domain_id!r} is not a domain ID (digits)")
    if settings.hub_configured and not settings.admins:
        problems.append("CXBOT_ADMINS: empty; nobody could configure cxbot")
    host, _, port = settings.smtp_listen.rpartition(":")
    if not host or not port.isdigit():
        problems.append(f"CXBOT_SMTP_LISTEN: {settings.smtp_listen!r} is not host:port")
    if settings.smtp_url and urlsplit(settings.smtp_url).scheme not in ("smtp", "smtps"):
        problems.append("CXBOT_SMTP_URL: use smtp://user:pass@host:587?starttls=1 or smtps://...")
    if not 0 <= settings.mail_answer_window <= 300:
        problems.append(f"CXBOT_MAIL_ANSWER_WINDOW: {settings.mail_answer_window} is not between 0 and 300 seconds")
    return problems


def describe(settings: Settings) -> list[tuple[str, str]]:
    """(variable, shown value) pairs for `cxbot config check`; secrets shown only as set / not set."""
    rows = []
    for f in fields(settings):
        if f.name in ("demo",):
            continue
        var = env_name(f.name) if f.name != "instance_path" else "CXBOT_INSTANCE_PATH"
        value = getattr(settings, f.name)
        if var in SECRET_VARS:
            shown = "(set)" if value else "(not set)"
        elif isinstance(value, tuple):
            shown = ", ".join(value) or "(none)"
        elif f.name == "database_url" and not value:
            shown = f"(default) {settings.sqlite_default_url}"
        elif f.name == "database_url":
            from sqlalchemy.engine import make_url

            shown = make_url(value).render_as_string(hide_password=True)
        else:
            shown = str(value) if value != "" else "(not set)"
        rows.append((var, shown))
    return rows
