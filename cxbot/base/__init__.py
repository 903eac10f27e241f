"""Plumbing that knows nothing of the product: UI texts, HMAC signatures, platform error
bodies, a server thread, the polling loop of a worker thread. Imports nothing of cxbot but `cxbot.TEMPLATES_DIR`.
"""
