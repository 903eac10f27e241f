"""The Flask side (top layer): app factory, hub callback, webhooks, one-time form pages,
media, health and the landing page. Verifies and stores; the worker does the rest.
"""
