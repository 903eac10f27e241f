"""The one small app object: settings plus the shared services built from them.

Web requests and the worker both get a `Context`; tests build one against the
sandbox. Nothing here talks to the network at construction time.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from functools import cached_property

import httpx

from cxbot.base.i18n import Texts, texts
from cxbot.config import Settings
from cxbot.inbox import Inbox
from cxbot.storage import migrate
from cxbot.storage.budget import Budget
from cxbot.storage.crypto import Vault, instance_key
from cxbot.storage.db import Database
from cxbot.storage.locks import NamedLock
from cxbot.works.auth import WorksApp
from cxbot.works.client import WorksClient
from cxbot.works.rates import WorksRates
from cxbot.works.tokens import TokenStore

log = logging.getLogger(__name__)

# Seconds a call made while a person waits (the setup chat) may wait for its place in the
# rate budget before it is refused.
INTERACTIVE_PATIENCE = 10.0


@dataclass
class Context:
    settings: Settings
    db: Database
    vault: Vault
    http: httpx.Client
    # Set by the web side when it stores an event, so an in-process worker wakes at once.
    wakeup: threading.Event = field(default_factory=threading.Event)
    # Set when outbox rows are written, so in-process drainers send at once.
    outbox_wakeup: threading.Event = field(default_factory=threading.Event)

    @cached_property
    def inbox(self) -> Inbox:
        """Where webhooks are kept for the worker; storing one wakes an in-process worker."""
        return Inbox(self.db, self.wakeup, backoff=self.settings.inbox_backoff)

    @cached_property
    def tokens(self) -> TokenStore:
        return TokenStore(self.db, self.vault, self.http, self.settings.works_auth_url)

    @cached_property
    def hub_app(self) -> WorksApp:
        s = self.settings
        return WorksApp(s.works_client_id, s.works_client_secret.get_secret_value(), s.works_service_account,
                        s.works_private_key.get_secret_value(), s.works_scopes)

    @cached_property
    def works_rates(self) -> WorksRates:
        """The tenant's LINE WORKS rate limits, shared with every process through the database."""
        s = self.settings
        return WorksRates(Budget(self.db), s.works_rate_per_min, s.works_rooms_per_min, s.works_rate_window)

    @cached_property
    def works(self) -> WorksClient:
        """The hub bot's API client: an admin waiting in the setup chat may wait a moment for
        a place in the budget."""
        return WorksClient(self.hub_app, self.tokens, self.settings.works_api_url, self.http,
                           rates=self.works_rates, patience=INTERACTIVE_PATIENCE)

    @cached_property
    def works_once(self) -> WorksClient:
        """The hub bot's client for the outbox, which does its own retrying and backoff and
        never waits for a place: the row waits instead, and the drainer sends others."""
        return WorksClient(self.hub_app, self.tokens, self.settings.works_api_url, self.http, attempts=1,
                           rates=self.works_rates)

    @property
    def texts(self) -> Texts:
        return texts(self.settings.locale)

    def close(self) -> None:
        self.http.close()
        self.db.dispose()


def build(settings: Settings, upgrade: bool = True) -> Context:
    """Open the database (migrating it to the current schema) and the shared services."""
    key = settings.secret_key.get_secret_value()
    if not key:
        if not settings.demo:
            raise RuntimeError("CXBOT_SECRET_KEY is not set")
        key = instance_key(settings.instance_path)
    db = Database(settings.effective_database_url)
    if upgrade:
        with NamedLock(db.engine, "migrate"):
            migrate.upgrade(db.engine)
    http = httpx.Client(timeout=httpx.Timeout(15.0, connect=5.0), headers={"User-Agent": "cxbot"})
    return Context(settings=settings, db=db, vault=Vault(key), http=http)
