"""The hub bot: admins' 1:1 chat dispatched to the setup flows, the signature notes of
LINE's Verify and console bots, secrets from the one-time forms. Imports `flows` and below.
"""
