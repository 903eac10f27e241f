"""A channel is described once, in cxbot.channels: every entry there has what it names (its
relay, webhook receiver, setup flow, title in both languages), so a channel added to the
registry and missing a part fails here rather than in front of a customer; and rows stored
under a channel's older name are still handled."""

from __future__ import annotations

from flask import Flask

from cxbot import channels
from cxbot.base.i18n import texts
from cxbot.relay import senders
from cxbot.relay.channels import RELAYS
from cxbot.runtime.worker import Worker
from cxbot.web import webhooks
from flows import REGISTRY


def _webhook_rules() -> dict[str, str]:
    app = Flask(__name__)
    app.register_blueprint(webhooks.blueprint(None))  # routes only: no request is made
    return {rule.rule: rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}


def test_every_channel_has_its_relay_webhook_receiver_setup_flow_and_title():
    assert [relay.channel for relay in RELAYS] == list(channels.ALL)
    handlers = Worker(None).handlers  # the worker's table, as it is built; nothing runs
    rules = _webhook_rules()
    for relay in RELAYS:
        channel = relay.channel
        assert handlers[channel.kind] is relay.ingest
        assert senders.SENDERS[channel.answer_action] is relay.send_answer
        assert rules[f"/webhooks/{channel.webhook_path}/<token>"] == f"webhooks.{channel.kind}"
        assert channel.setup_flow in REGISTRY
        assert not channel.verify_flow or channel.verify_flow in REGISTRY
        assert not channel.verify_flow or channel.signing_secret  # what would the platform sign with?
        for locale in ("ja", "en"):
            assert texts(locale).label(channel.title)


# The outbox actions that are no channel's answer: the room's, the intake room's, the
# admins' and the busy notice by mail.
OWN_ACTIONS = ("room_create", "room_post", "admin_note", "intake_create", "intake_post", "mail_ack")


def test_each_spelling_names_one_channel():
    for facts in ([c.kind for c in channels.ALL], [c.webhook_path for c in channels.ALL],
                  [c.answer_action for c in channels.ALL] + list(OWN_ACTIONS)):
        assert len(facts) == len(set(facts)), facts
    assert set(senders.SENDERS) == {c.answer_action for c in channels.ALL} | set(OWN_ACTIONS)


def test_rows_stored_under_an_older_name_reach_the_handler_of_today():
    handlers = Worker(None).handlers
    assert channels.current("works") == channels.WORKS_BOT.kind
    assert handlers["works"] is handlers[channels.WORKS_BOT.kind]
    assert handlers["works_verify"] is handlers[channels.WORKS_BOT.verify_source]
    assert channels.current("line") == "line" and channels.current("hub") == "hub"
    assert set(channels.STORED_BEFORE.values()) <= set(handlers)  # an old name maps to a name handled today
