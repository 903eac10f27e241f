"""Inquiries into CX Talk rooms and answers back, end to end through the sandbox."""
