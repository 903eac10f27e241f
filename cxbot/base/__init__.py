"""Plumbing that knows nothing of the product: UI texts, HMAC signatures, platform error
bodies, retries of platform calls, a server thread, a worker thread's polling loop, which
hosts are loopback.
Imports nothing of cxbot but `cxbot.TEMPLATES_DIR`.
"""
