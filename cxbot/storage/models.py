"""Tables. Secrets are stored only as Vault ciphertext (columns ending in `_enc`).

Times are Unix seconds (float): every process compares them with time.time(),
which keeps expiry arithmetic free of time-zone handling.
"""

from __future__ import annotations

from typing import Optional

from sqlalchemy import Column, Index, LargeBinary, Text, UniqueConstraint, false
from sqlmodel import Field, SQLModel


class RateBudget(SQLModel, table=True):
    """The calls one rate-limited operation made in its last window, shared by every process
    and host (storage/budget.py)."""

    __tablename__ = "rate_budget"

    key: str = Field(primary_key=True, max_length=200)
    # When each call still inside the window was made: seconds, oldest first, space-separated.
    calls: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # No call before this time: the platform said the budget is spent (a 429, or 0 remaining).
    held_until: float = 0.0


class AccessToken(SQLModel, table=True):
    """A LINE WORKS access token shared by every process, one per ClientApp."""

    __tablename__ = "access_token"

    id: Optional[int] = Field(default=None, primary_key=True)
    client_id: str = Field(index=True, unique=True, max_length=200)
    scope: str = Field(default="", max_length=500)
    access_token_enc: str = Field(sa_column=Column(Text, nullable=False))
    refresh_token_enc: Optional[str] = Field(default=None, sa_column=Column(Text, nullable=True))
    expires_at: float
    refresh_expires_at: Optional[float] = None
    issued_at: float
    # How many times this row was renewed: lets tests and operators see refreshes happen once.
    renewals: int = 0


class InboundEvent(SQLModel, table=True):
    """A webhook body stored before it is acknowledged; the worker handles it later."""

    __tablename__ = "inbound_event"
    __table_args__ = (UniqueConstraint("idempotency_key", name="uq_inbound_event_key"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    source: str = Field(max_length=20, index=True)  # hub | line | works | mail
    link_token: Optional[str] = Field(default=None, max_length=100)
    idempotency_key: str = Field(max_length=200)
    # Events with the same key (one room, one customer, one admin) are handled one at a
    # time in arrival order, even across workers and after a worker dies mid-batch.
    order_key: str = Field(default="", max_length=300, index=True)
    body: str = Field(sa_column=Column(Text, nullable=False))
    received_at: float
    status: str = Field(default="pending", max_length=20, index=True)  # pending | done | failed
    attempts: int = 0
    not_before: float = 0.0
    last_error: Optional[str] = Field(default=None, sa_column=Column(Text, nullable=True))
    processed_at: Optional[float] = None


class WorkerHeartbeat(SQLModel, table=True):
    """Each worker process writes here so /healthz can tell whether events get handled."""

    __tablename__ = "worker_heartbeat"

    name: str = Field(primary_key=True, max_length=200)
    seen_at: float
    role: str = Field(default="worker", max_length=50)


class Admin(SQLModel, table=True):
    """An admin added in chat (those in CXBOT_ADMINS are admins without a row)."""

    __tablename__ = "admin"

    user_id: str = Field(primary_key=True, max_length=200)
    added_by: str = Field(max_length=200)
    added_at: float


class AuditEntry(SQLModel, table=True):
    """Who changed what, when. Never holds a secret value."""

    __tablename__ = "audit_entry"

    id: Optional[int] = Field(default=None, primary_key=True)
    at: float = Field(index=True)
    actor: str = Field(max_length=200)
    action: str = Field(max_length=100)
    target: str = Field(default="", max_length=300)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class CounterAccount(SQLModel, table=True):
    """A helpdesk counter account (窓口アカウント): its agents answer in CX Talk rooms."""

    __tablename__ = "counter_account"

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    slug: str = Field(max_length=64, unique=True)
    # The CXトーク既定アドレス: assigned at creation, never changed or deleted.
    default_address: str = Field(max_length=254, unique=True)
    agents_json: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    created_at: float
    created_by: str = Field(max_length=200)
    # The 受付ルーム: its agents see there who waits for a room of their own (relay/intake.py).
    intake_channel_id: Optional[str] = Field(default=None, max_length=200)
    # The newest conversation the last waiting list showed, and when it was posted.
    intake_shown_until: float = 0.0
    intake_posted_at: float = 0.0


class ChannelLink(SQLModel, table=True):
    """One external channel of a counter account: credentials and state only."""

    __tablename__ = "channel_link"
    __table_args__ = (UniqueConstraint("counter_account_id", "kind", name="uq_channel_link_kind"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    counter_account_id: int = Field(foreign_key="counter_account.id", index=True)
    kind: str = Field(max_length=20)  # line | mail | works_bot
    mode: str = Field(default="", max_length=20)  # works_bot: created | console
    linked: bool = False
    webhook_token: Optional[str] = Field(default=None, max_length=100, unique=True)
    # Non-secret settings shown to admins (channel ID, basic ID, bot ID, names).
    info_json: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    secrets_enc: Optional[str] = Field(default=None, sa_column=Column(Text, nullable=True))
    configured_at: float
    updated_at: float


class RetiredWebhook(SQLModel, table=True):
    """A webhook token whose link was deleted: it answers 410 Gone from then on."""

    __tablename__ = "retired_webhook"

    token: str = Field(primary_key=True, max_length=100)
    kind: str = Field(max_length=20)
    retired_at: float


class FlowState(SQLModel, table=True):
    """An admin's conversation with the hub bot in progress (one per admin)."""

    __tablename__ = "flow_state"

    user_id: str = Field(primary_key=True, max_length=200)
    flow: str = Field(max_length=50)
    step: str = Field(max_length=50)
    # Answers so far, possibly secrets: stored encrypted as a JSON object.
    data_enc: str = Field(sa_column=Column(Text, nullable=False))
    history: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    # Changes each time a step is shown; buttons carry it, so stale buttons can be told apart.
    nonce: str = Field(max_length=20)
    pending_start: Optional[str] = Field(default=None, sa_column=Column(Text, nullable=True))
    # A webhook URL issued by this flow before [OK] saves it: LINE's Verify arrives there first.
    webhook_token: Optional[str] = Field(default=None, max_length=100, index=True)
    started_at: float
    updated_at: float
    expires_at: float = Field(index=True)


class Media(SQLModel, table=True):
    """Files cxbot serves at /media/<token> (a created bot's profile image, a conversation's files)."""

    __tablename__ = "media"

    token: str = Field(primary_key=True, max_length=100)
    file_name: str = Field(max_length=200)
    content_type: str = Field(max_length=100)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: float
    # When the link stops working (the conversation's retention); None: as long as its bot.
    expires_at: Optional[float] = Field(default=None, index=True)


class SecretForm(SQLModel, table=True):
    """A one-time web form for one secret answer, so it stays out of the chat history."""

    __tablename__ = "secret_form"

    token: str = Field(primary_key=True, max_length=100)
    user_id: str = Field(max_length=200)
    flow: str = Field(max_length=50)
    step: str = Field(max_length=50)
    csrf: str = Field(max_length=100)
    created_at: float
    expires_at: float
    used_at: Optional[float] = None


class Contact(SQLModel, table=True):
    """A customer as one channel of one counter account knows them (LINE userId, member, address)."""

    __tablename__ = "contact"
    __table_args__ = (UniqueConstraint("counter_account_id", "kind", "source_id", name="uq_contact_source"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    counter_account_id: int = Field(foreign_key="counter_account.id", index=True)
    kind: str = Field(max_length=20)  # line | works_bot | mail
    source_id: str = Field(max_length=320)
    display_name: str = Field(default="", max_length=200)
    created_at: float
    # When the customer blocked the channel (LINE unfollow); None again after a follow.
    # LINE answers 200 to a push to a blocked user and delivers nothing, so answers are held.
    blocked_at: Optional[float] = None


class Conversation(SQLModel, table=True):
    """One inquiry thread: a contact, their counter account and the CX Talk room agents answer in."""

    __tablename__ = "conversation"

    id: Optional[int] = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    counter_account_id: int = Field(foreign_key="counter_account.id", index=True)
    kind: str = Field(max_length=20)
    link_token: Optional[str] = Field(default=None, max_length=100)
    status: str = Field(default="open", max_length=20, index=True)  # open | closed
    room_channel_id: Optional[str] = Field(default=None, max_length=200, index=True)
    # The bot was removed from the room: the next post makes a new one, headed again.
    room_lost: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    title: str = Field(default="", max_length=1000)
    # Email threading: subject, the reply+<token> address, the Message-IDs seen so far.
    subject: str = Field(default="", max_length=998)
    reply_token: Optional[str] = Field(default=None, max_length=64, unique=True)
    last_message_id: Optional[str] = Field(default=None, max_length=998)
    references_json: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    created_at: float
    updated_at: float
    closed_at: Optional[float] = None
    # When the customer was told cxbot is busy (a surge; relay.busy): set with the
    # conversation's opening, so the notice goes at most once however often the event is retried.
    busy_ack_at: Optional[float] = None


class Message(SQLModel, table=True):
    """A message of a conversation: in (customer), out (agent's answer), note (internal), event."""

    __tablename__ = "message"

    id: Optional[int] = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    direction: str = Field(max_length=10)
    source_id: Optional[str] = Field(default=None, max_length=998, index=True)
    sender: str = Field(default="", max_length=200)
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    attachments_json: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    status: str = Field(default="received", max_length=20)  # received | queued | sent | failed
    last_error: Optional[str] = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: float


class OutboxItem(SQLModel, table=True):
    """An outbound call, written in the transaction that caused it; drained FIFO per conversation."""

    __tablename__ = "outbox"
    # The room queue is counted and listed by action and status (relay/room_queue.py).
    __table_args__ = (Index("ix_outbox_action_status", "action", "status"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    # None for a note to the admins about no conversation (an inbound event given up).
    conversation_id: Optional[int] = Field(default=None, foreign_key="conversation.id", index=True)
    message_id: Optional[int] = Field(default=None, foreign_key="message.id")
    action: str = Field(max_length=30)  # room_create | room_post | admin_note | a channel's answer_action
    payload: str = Field(sa_column=Column(Text, nullable=False))
    # Sent with the call where the platform deduplicates (LINE X-Line-Retry-Key), so a retry never sends twice.
    retry_key: str = Field(max_length=64)
    # pending | sending | sent | dead; held: a room_create parked while the room queue is long
    # (it holds the conversation's other rows until released or taken).
    status: str = Field(default="pending", max_length=20, index=True)
    priority: int = 0  # an agent took the conversation from the intake room: its room first
    attempts: int = 0
    not_before: float = 0.0
    last_error: Optional[str] = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: float
    sent_at: Optional[float] = None
