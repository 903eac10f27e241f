"""The admin's setup conversations with the hub bot, one module per flow, each a table
of steps. Imports `cxbot.relay` and below; the hub runs them."""

from flows import accounts, admins, audit, line_oa, mail, works_bot, works_console  # noqa: F401  (register the flows)
from flows.engine import Engine, expire_due
from flows.steps import REGISTRY, Input

__all__ = ["REGISTRY", "Engine", "Input", "expire_due"]
