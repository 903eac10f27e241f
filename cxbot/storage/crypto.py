"""Encryption of credentials at rest (Fernet; several keys rotate with MultiFernet).

CXBOT_SECRET_KEY holds one or more comma-separated Fernet keys; the first one
encrypts, all of them decrypt, so a new key can be put in front and old rows
re-encrypted with `cxbot secret rotate`.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class KeyError_(ValueError):
    """CXBOT_SECRET_KEY is not a list of Fernet keys."""


class DecryptError(Exception):
    """A stored secret does not decrypt with any configured key."""


def generate_key() -> str:
    return Fernet.generate_key().decode()


def parse_keys(value: str) -> MultiFernet:
    keys = [k.strip() for k in value.split(",") if k.strip()]
    if not keys:
        raise KeyError_("no key given")
    fernets = []
    for i, key in enumerate(keys, 1):
        try:
            fernets.append(Fernet(key))
        except (ValueError, TypeError):
            raise KeyError_(
                f"key {i} is not a Fernet key (32 url-safe base64-encoded bytes); "
                "generate one with `cxbot secret generate`"
            ) from None
    return MultiFernet(fernets)


def instance_key(instance_path: Path) -> str:
    """The embedded default's key, created on first use in the instance folder (mode 0600)."""
    path = instance_path / "secret.key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = generate_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key


class Vault:
    """Encrypts and decrypts text; the only place that touches key material."""

    def __init__(self, keys: str):
        self._fernet = parse_keys(keys)

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise DecryptError("stored secret does not decrypt with CXBOT_SECRET_KEY (was the key changed?)") from None

    def rotate(self, token: str) -> str:
        return self._fernet.rotate(token.encode()).decode()
