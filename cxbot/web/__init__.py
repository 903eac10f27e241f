"""The Flask side (imports hub and below; runtime starts it): app.py (the factory and app_from_env) and a blueprint per
module: callback.py (the hub bot), webhooks.py (channel links), media.py, forms.py (one-time
form pages), health.py (/healthz and the landing page). Verifies and stores; the worker does the rest.
"""
