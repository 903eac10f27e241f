"""A real HTTP emulator of the parts of LINE WORKS, LINE and mail that cxbot uses,
written from the platforms' docs, with a chat page. It imports nothing of cxbot's
code (only `cxbot.TEMPLATES_DIR`, for the page), so it cannot share cxbot's bugs.

    from cxbot.sandbox import create_app, World
    from cxbot.base.serving import serve_in_thread

    srv = serve_in_thread(create_app())
    # CXBOT_WORKS_AUTH_URL = srv.url + "/oauth2/v2.0/token"
    # CXBOT_WORKS_API_URL  = srv.url + "/v1.0"
    # CXBOT_LINE_API_URL   = srv.url + "/line",  CXBOT_LINE_DATA_URL = srv.url + "/line-data"
    # CXBOT_SMTP_URL       = smtp://127.0.0.1:<cxbot.sandbox.mail.start_catcher(app.world)>
    # control API: srv.url + "/_sandbox/...", chat page: srv.url + "/"

One folder per platform, the same shape in each (state, the routes, validate, acts,
control):

    works/   LINE WORKS: token endpoint, /v1.0 API, signed callbacks
    line/    LINE Messaging API: the API and data hosts, signed webhooks
    mail/    the SMTP catcher cxbot sends through, email customers who write to cxbot

Shared by the three: world (the World: one lock, the parts, reset), settings
(/_sandbox/settings), traffic (request log, fault injection), control (/_sandbox
reset, settings, faults, requests), errors (the control API's answers), signing (the
one HMAC-SHA256 signer), clock, urls, page (the chat page), app (create_app).
"""

from .app import create_app
from .world import World

__all__ = ["World", "create_app"]
