"""The admin's setup conversations with the hub bot, one module per flow."""

from flows import accounts, admins, audit, line_oa, mail, works_bot  # noqa: F401  (register the flows)
from flows.engine import REGISTRY, Engine, Input, expire_due

__all__ = ["REGISTRY", "Engine", "Input", "expire_due"]
