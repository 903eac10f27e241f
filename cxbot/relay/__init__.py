"""Inquiries into CX Talk rooms and answers back: one module per channel (line, works_bot, mail),
beside rooms, room posts, conversations and the outbox. Imports desk and below, never hub, flows or web."""
