"""Configuration is checked at start and reported by variable name, never echoing a secret."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from cxbot import config
from cxbot.cli import main
from cxbot.demo import new_rsa_key
from cxbot.storage.crypto import generate_key

PRIVATE_KEY = new_rsa_key()[0]


def good_env(**extra) -> dict[str, str]:
    env = {
        "CXBOT_SECRET_KEY": generate_key(),
        "CXBOT_PUBLIC_URL": "https://cx.example.com",
        "CXBOT_WORKS_CLIENT_ID": "clientid123",
        "CXBOT_WORKS_CLIENT_SECRET": "client-secret-value",
        "CXBOT_WORKS_SERVICE_ACCOUNT": "abc.serviceaccount@example.com",
        "CXBOT_WORKS_PRIVATE_KEY": PRIVATE_KEY,
        "CXBOT_WORKS_BOT_ID": "2000001",
        "CXBOT_WORKS_BOT_SECRET": "bot-secret-value",
        "CXBOT_ADMINS": "admin@example.com, u-2",
    }
    env.update(extra)
    return env


def problems(**extra) -> list[str]:
    """Every problem at once: values refused on reading and what a deployment lacks."""
    return config.review(good_env(**extra)).problems


def test_a_complete_configuration_has_no_problems():
    assert problems() == []
    s = config.load(good_env())
    assert s.admins == ("admin@example.com", "u-2")


@pytest.mark.parametrize("var, value, expect", [
    ("CXBOT_WORKS_PRIVATE_KEY", "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----",
     "CXBOT_WORKS_PRIVATE_KEY: does not parse"),
    ("CXBOT_PUBLIC_URL", "cx.example.com", "CXBOT_PUBLIC_URL: 'cx.example.com' is not an absolute http(s) URL"),
    ("CXBOT_WORKS_API_URL", "www.worksapis.com/v1.0", "CXBOT_WORKS_API_URL"),
    ("CXBOT_WORKS_BOT_SECRET", "", "CXBOT_WORKS_BOT_SECRET: missing"),
    ("CXBOT_SECRET_KEY", "", "CXBOT_SECRET_KEY: not set"),
    ("CXBOT_SECRET_KEY", "short", "CXBOT_SECRET_KEY: key 1 is not a Fernet key"),
    ("CXBOT_LOCALE", "fr", "CXBOT_LOCALE"),
    ("CXBOT_DATABASE_URL", "mysql://x/y", "CXBOT_DATABASE_URL: unsupported database"),
    ("CXBOT_WORKS_BOT_ID", "bot-one", "CXBOT_WORKS_BOT_ID"),
    ("CXBOT_ADMINS", "", "CXBOT_ADMINS: empty"),
])
def test_each_problem_names_the_variable(var, value, expect):
    found = problems(**{var: value})
    assert any(p.startswith(expect) for p in found), found


def test_a_private_key_file_and_escaped_newlines_are_accepted(tmp_path):
    key_file = tmp_path / "private_20260101.key"
    key_file.write_text(PRIVATE_KEY)
    env = good_env(CXBOT_WORKS_PRIVATE_KEY_FILE=str(key_file))
    del env["CXBOT_WORKS_PRIVATE_KEY"]
    assert config.check(config.load(env)) == []
    assert problems(CXBOT_WORKS_PRIVATE_KEY=PRIVATE_KEY.replace("\n", "\\n")) == []


def test_a_missing_key_file_is_reported():
    env = good_env(CXBOT_WORKS_PRIVATE_KEY_FILE="/nonexistent/key.pem")
    del env["CXBOT_WORKS_PRIVATE_KEY"]
    with pytest.raises(config.ConfigError, match="CXBOT_WORKS_PRIVATE_KEY_FILE: cannot read"):
        config.load(env)


def test_config_check_prints_settings_but_never_a_secret():
    env = good_env()
    result = CliRunner().invoke(main, ["config", "check"], env=env)
    assert result.exit_code == 0, result.output
    for secret in ("client-secret-value", "bot-secret-value", env["CXBOT_SECRET_KEY"], "PRIVATE KEY"):
        assert secret not in result.output
    assert "CXBOT_WORKS_CLIENT_SECRET" in result.output and "(set)" in result.output
    assert "https://cx.example.com" in result.output
    assert "configuration ok" in result.output


def test_config_check_fails_with_the_problems():
    result = CliRunner().invoke(main, ["config", "check"], env=good_env(CXBOT_PUBLIC_URL="nope"))
    assert result.exit_code == 1
    assert "CXBOT_PUBLIC_URL" in result.output


def test_cxbot_help_lists_the_commands():
    out = subprocess.run([sys.executable, "-m", "cxbot.cli", "--help"], capture_output=True, text=True, check=True)
    for command in ("config", "db", "worker", "run", "demo", "secret"):
        assert command in out.stdout


def test_config_check_hides_the_database_password():
    env = good_env(CXBOT_DATABASE_URL="postgresql://cx:hunter2secret@db.internal/cxbot")
    result = CliRunner().invoke(main, ["config", "check"], env=env)
    assert "hunter2secret" not in result.output
    assert "db.internal/cxbot" in result.output
