"""What an operator reads in the log: each refused webhook once, at INFO, with the channel
kind and the link token's first characters (never a whole token or a secret); no SMTP
connection chatter at INFO."""

from __future__ import annotations

import logging
import smtplib

import httpx
import pytest

from cxbot.base.signatures import sign
from cxbot.cli import _setup_logging
from cxbot.desk import links
from tests.support.relay import line_desk, make_account, works_desk

pytestmark = pytest.mark.database

QUIET = ("httpx", "apscheduler", "werkzeug", "mail.log")


@pytest.fixture
def cli_logging():
    """cxbot's logging setup as the commands apply it, undone afterwards."""
    levels = {name: logging.getLogger(name).level for name in QUIET}
    _setup_logging()
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def _about(caplog, needle: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if needle in r.getMessage()]


def test_each_refused_webhook_is_logged_once_at_info_with_kind_and_token_prefix(wired, cli_logging, caplog):
    line = line_desk(wired, customers=0)
    bot = works_desk(wired)
    mail_token = links.new_token()
    mail = links.save(wired.ctx, make_account(wired, "Mail"), "mail", actor="test", info_={"address": "m@x"},
                      secrets_=None, token=mail_token, linked=True)
    links.delete(wired.ctx, mail.link.id, "test")
    body = b'{"destination":"x","events":[{"type":"message"}]}'
    cases = [  # (path kind, token, headers, status, channel kind)
        ("line", links.new_token(), {}, 404, "line"),
        ("line", line.token, {"x-line-signature": sign("f" * 32, body)}, 401, "line"),
        ("works", bot.token, {"X-WORKS-BotId": "999"}, 401, "works_bot"),
        ("works", links.new_token(), {}, 404, "works_bot"),
        ("mail", links.new_token(), {}, 404, "mail"),
        ("mail", mail_token, {}, 410, "mail"),
    ]
    with caplog.at_level(logging.INFO):
        for path, token, headers, status, kind in cases:
            caplog.clear()
            resp = httpx.post(f"{wired.url}/webhooks/{path}/{token}", content=body, headers=headers)
            assert resp.status_code == status
            said = _about(caplog, token[:6])
            assert [(r.levelno, r.name) for r in said] == [(logging.INFO, "cxbot.web.webhooks")], (path, status, said)
            text = said[0].getMessage()
            assert kind in text and str(status) in text
            assert token not in text and token[:12] not in text
            assert line.channel["channelSecret"] not in text

        caplog.clear()
        resp = httpx.post(f"{wired.url}/callback", content=body, headers={"X-WORKS-BotId": wired.tenant.bot_id})
        assert resp.status_code == 401
        said = _about(caplog, "refused hub webhook")
        assert [r.levelno for r in said] == [logging.INFO]
        assert wired.tenant.bot_secret not in said[0].getMessage()


def test_smtp_connections_are_not_logged_at_info(wired, cli_logging, caplog):
    with caplog.at_level(logging.INFO):
        with smtplib.SMTP("127.0.0.1", wired.runtime.smtp.port, timeout=10) as smtp:
            smtp.noop()
    assert [r.getMessage() for r in caplog.records if r.name == "mail.log" and r.levelno <= logging.INFO] == []
