"""The one HTTP client the platforms play with when they call out (LINE's webhooks, LINE
WORKS' callbacks and photo fetches, a mail service's HTTP delivery).

A client per request would build a TLS context each time (the CA bundle read and parsed):
under a benchmark's thousands of webhooks that alone took more CPU than cxbot. The client
is thread-safe and keeps connections alive, as the platforms' own senders do.
"""

from __future__ import annotations

import httpx

client = httpx.Client(trust_env=False)
