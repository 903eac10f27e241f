"""The hub bot and the admins' setup flows, end to end through the sandbox."""
