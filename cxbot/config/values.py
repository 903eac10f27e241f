"""What each CXBOT_* value may be: a validator per kind returns the value or raises
ValueError with the line a person reads after the variable's name (a secret's never shows
the value), and the annotated types the settings are declared with."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlsplit

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from pydantic import AfterValidator, SecretStr

from cxbot.base.i18n import LOCALES
from cxbot.mail import SmtpUrlError, parse_smtp_url
from cxbot.storage.crypto import KeyError_, parse_keys

# Validators: each returns the value or raises ValueError with the line a person reads
# after the variable's name. A secret's validator never puts the value in its message.

def web_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{value!r} is not an absolute http(s) URL (it needs a scheme such as https://)")
    return value


def database_url(value: SecretStr) -> SecretStr:
    url = value.get_secret_value()
    if url:
        backend = urlsplit(url).scheme.split("+")[0]
        if backend not in ("sqlite", "postgresql", "postgres"):
            raise ValueError(f"unsupported database {backend or '(none)'!r}; use sqlite:/// or postgresql://")
    return value


def without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=f"{parts.username}:***@{parts.netloc.rpartition('@')[2]}").geturl()


def fernet_keys(value: SecretStr) -> SecretStr:
    if value.get_secret_value():
        try:
            parse_keys(value.get_secret_value())
        except KeyError_ as exc:
            raise ValueError(str(exc)) from None
    return value


def unescape_pem(value: Any) -> Any:
    # Hosts that cannot hold multi-line values often store the PEM with literal \n.
    return value.replace("\\n", "\n") if isinstance(value, str) else value


def pem_key(value: SecretStr) -> SecretStr:
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


def smtp_url(value: SecretStr) -> SecretStr:
    if value.get_secret_value():
        try:
            parse_smtp_url(value.get_secret_value())
        except SmtpUrlError as exc:  # its messages leave the password out
            raise ValueError(f"{exc}; use smtp://user:pass@host:587?starttls=1 or smtps://...") from None
    return value


def digits(what: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if value and not value.isdigit():
            raise ValueError(f"{value!r} is not {what} (digits)")
        return value
    return check


def locale(value: str) -> str:
    if value not in LOCALES:
        raise ValueError(f"{value!r} is not supported; use {' or '.join(LOCALES)}")
    return value


def host_port(value: str) -> str:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"{value!r} is not host:port")
    return value


def admins(value: Any) -> Any:
    if isinstance(value, str):
        return tuple(a.strip() for a in value.replace(";", ",").split(",") if a.strip())
    return value


def extensions(value: Any) -> Any:
    """`exe, .JS;bat` -> ("exe", "js", "bat"): file extensions, without dots, lower case."""
    if isinstance(value, str):
        value = value.replace(";", ",").split(",")
    if isinstance(value, (list, tuple)):
        return tuple(dict.fromkeys(str(v).strip().lstrip(".").lower() for v in value if str(v).strip()))
    return value


def between(low: float, high: float, unit: str, low_open: bool = False) -> Callable[[float], float]:
    if high < math.inf:
        use = f"{low:g} to {high:g} {unit}"
    else:
        use = f"more than {low:g} {unit}" if low_open else f"{low:g} or more {unit}"

    def check(value: float) -> float:
        if not math.isfinite(value) or value < low or (low_open and value == low) or value > high:
            raise ValueError(f"{value:g} is out of range; use {use}")
        return value
    return check


WebUrl = Annotated[str, AfterValidator(web_url)]
Seconds = Annotated[int, AfterValidator(between(1, math.inf, "seconds"))]
Interval = Annotated[float, AfterValidator(between(0, math.inf, "seconds", low_open=True))]
Threads = Annotated[int, AfterValidator(between(0, math.inf, "threads (0 picks by database)"))]
