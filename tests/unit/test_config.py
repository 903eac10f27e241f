"""Configuration is checked at start and reported by variable name, never echoing a secret."""

from __future__ import annotations

import logging
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


@pytest.mark.parametrize("url, allow, expect", [
    ("http://cx.example.com", "", "must start with https://: LINE WORKS and LINE call only HTTPS"),
    ("http://127.0.0.1:8000", "", "must start with https://"),
    ("https://localhost:8443", "", "this machine's own address, which LINE WORKS and LINE cannot reach"),
    ("http://cx.example.com", "true", "must start with https://"),  # the waiver is for this machine only
])
def test_the_public_url_must_be_https_the_platforms_can_reach(url, allow, expect):
    found = problems(CXBOT_PUBLIC_URL=url, CXBOT_ALLOW_LOOPBACK_HTTP=allow or "false")
    [line] = [p for p in found if p.startswith("CXBOT_PUBLIC_URL:")]
    assert expect in line and url in line


def test_http_on_this_machine_is_for_the_demo_and_the_benchmark():
    assert problems(CXBOT_PUBLIC_URL="http://127.0.0.1:8000", CXBOT_ALLOW_LOOPBACK_HTTP="true") == []
    demo = config.Settings(public_url="http://127.0.0.1:8000", demo=True)
    assert not [line for line in config.check(demo) if "CXBOT_PUBLIC_URL" in line]


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


SMTP_PASSWORD = "smtp-pass-value"
DB_PASSWORD = "db-pass-value"


def secret_env() -> dict[str, str]:
    return good_env(CXBOT_SMTP_URL=f"smtp://cx:{SMTP_PASSWORD}@mail.example.com:587?starttls=1",
                    CXBOT_DATABASE_URL=f"postgresql://cx:{DB_PASSWORD}@db.internal/cxbot")


def secrets_of(env: dict[str, str]) -> list[str]:
    key_body = env["CXBOT_WORKS_PRIVATE_KEY"].splitlines()[1]
    return ["client-secret-value", "bot-secret-value", env["CXBOT_SECRET_KEY"], key_body, SMTP_PASSWORD, DB_PASSWORD]


def test_no_secret_shows_when_the_settings_are_printed_or_logged(caplog):
    env = secret_env()
    settings = config.load(env)
    caplog.set_level(logging.INFO)
    logging.getLogger("cxbot.test").info("starting with %s / %r", settings, settings)
    for shown in (repr(settings), str(settings), f"{settings}", caplog.text):
        for secret in secrets_of(env):
            assert secret not in shown
    assert "mail.example.com" not in repr(settings)  # the whole relay URL is the secret, not only its password
    # ... while the code that uses a secret still reads it.
    assert settings.works_bot_secret.get_secret_value() == "bot-secret-value"
    assert settings.effective_database_url == env["CXBOT_DATABASE_URL"]


def test_config_check_shows_where_mail_goes_but_not_the_passwords():
    env = secret_env()
    result = CliRunner().invoke(main, ["config", "check"], env=env)
    assert result.exit_code == 0, result.output
    assert "smtp://cx:***@mail.example.com:587?starttls=1" in result.output
    for secret in secrets_of(env):
        assert secret not in result.output


def test_a_refused_secret_is_not_echoed_by_the_error_or_its_traceback(caplog):
    material = "c2VjcmV0LW1hdGVyaWFs"
    with pytest.raises(config.ConfigError) as refused:
        config.Settings(works_private_key=f"-----BEGIN PRIVATE KEY-----\n{material}\n-----END PRIVATE KEY-----",
                        smtp_url=f"http://cx:{SMTP_PASSWORD}@mail.example.com")
    assert [p.split(":")[0] for p in refused.value.problems] == ["CXBOT_WORKS_PRIVATE_KEY", "CXBOT_SMTP_URL"]
    logging.getLogger("cxbot.test").error("refused", exc_info=refused.value)
    for text in (str(refused.value), caplog.text):
        assert material not in text and SMTP_PASSWORD not in text


@pytest.mark.parametrize("attr, value, expect", [
    ("public_url", "cx.example.com", "CXBOT_PUBLIC_URL: 'cx.example.com' is not an absolute http(s) URL"),
    ("line_data_url", "ftp://api-data.line.me", "CXBOT_LINE_DATA_URL"),
    ("works_private_key", "not a pem", "CXBOT_WORKS_PRIVATE_KEY: does not parse as a PEM private key"),
    ("database_url", "mysql://x/y", "CXBOT_DATABASE_URL: unsupported database 'mysql'"),
    ("smtp_url", "http://mail.example.com", "CXBOT_SMTP_URL: the SMTP URL must start with smtp://"),
    ("smtp_listen", "2525", "CXBOT_SMTP_LISTEN: '2525' is not host:port"),
    ("locale", "fr", "CXBOT_LOCALE: 'fr' is not supported"),
    ("outbox_backoff", "soon", "CXBOT_OUTBOX_BACKOFF: expected a number of seconds, got 'soon'"),
    ("flow_timeout", 0, "CXBOT_FLOW_TIMEOUT: 0 is out of range; use 1 or more seconds"),
    ("worker_poll_interval", float("inf"), "CXBOT_WORKER_POLL_INTERVAL: inf is out of range"),
    ("worker_threads", -1, "CXBOT_WORKER_THREADS: -1 is out of range; use 0 or more threads"),
    ("mail_answer_window", 301, "CXBOT_MAIL_ANSWER_WINDOW: 301 is out of range; use 0 to 300 seconds"),
])
def test_a_value_that_cannot_work_is_refused_naming_its_variable(attr, value, expect):
    for make in (lambda: config.Settings(**{attr: value}),
                 lambda: config.Settings().with_overrides(**{attr: value}),
                 lambda: config.load(good_env(**{config.env_name(attr): str(value)}))):
        with pytest.raises(config.ConfigError) as refused:
            make()
        assert [p for p in refused.value.problems if p.startswith(expect)], refused.value.problems


def test_every_problem_is_reported_at_once_naming_its_variable():
    env = good_env(CXBOT_PUBLIC_URL="nope", CXBOT_OUTBOX_LEASE="soon", CXBOT_WORKER_THREADS="-2",
                   CXBOT_WORKS_PRIVATE_KEY="-----BEGIN PRIVATE KEY-----\\nnope\\n-----END PRIVATE KEY-----",
                   CXBOT_WORKS_BOT_SECRET="", CXBOT_ADMINS="")
    expected = ("CXBOT_PUBLIC_URL", "CXBOT_OUTBOX_LEASE", "CXBOT_WORKER_THREADS", "CXBOT_WORKS_PRIVATE_KEY",
                "CXBOT_WORKS_BOT_SECRET", "CXBOT_ADMINS")
    shown = CliRunner().invoke(main, ["config", "check"], env=env)
    assert shown.exit_code == 1
    problems = [line for line in shown.output.splitlines() if line.startswith("  - ")]
    assert sorted(p[4:].split(":")[0] for p in problems) == sorted(expected), problems
    table = dict(line.split(None, 1) for line in shown.output.split("\n\n")[0].splitlines())
    assert table["CXBOT_PUBLIC_URL"] == "(refused: see below)" and table["CXBOT_WORKS_CLIENT_ID"] == "clientid123"
    # A process refuses to start with the same lines, all of them.
    started = CliRunner().invoke(main, ["secret", "rotate"], env=env)
    assert started.exit_code == 1
    assert [line for line in started.output.splitlines() if line.startswith("  - ")] == problems


def test_settings_made_in_code_hold_what_they_are_given(monkeypatch):
    monkeypatch.setenv("CXBOT_LOCALE", "en")
    monkeypatch.setenv("CXBOT_OUTBOX_BACKOFF", "9")
    settings = config.Settings(outbox_backoff=0.02)
    assert (settings.locale, settings.outbox_backoff) == ("ja", 0.02)
    with pytest.raises((AttributeError, ValueError)):  # frozen
        settings.locale = "en"  # type: ignore[misc]
    # Only `cxbot demo` waives the secret key and the hub bot; no variable can.
    assert "CXBOT_SECRET_KEY: not set" in problems(CXBOT_SECRET_KEY="", CXBOT_DEMO="1")[0]
