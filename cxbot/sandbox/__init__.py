"""A real HTTP emulator of the LINE WORKS API 2.0 parts cxbot uses, with a chat page.

    from cxbot.sandbox import create_app, World
    from cxbot.base.serving import serve_in_thread

    srv = serve_in_thread(create_app())
    # CXBOT_WORKS_AUTH_URL = srv.url + "/oauth2/v2.0/token"
    # CXBOT_WORKS_API_URL  = srv.url + "/v1.0"
    # control API: srv.url + "/_sandbox/...", chat page: srv.url + "/"

Module map: world (state), auth (token endpoint), api (shared /v1.0 plumbing),
messages / bots / channels / users / files (/v1.0 routes), validate (message limits),
callbacks (signed delivery), traffic (request log, fault injection), acts (what a
user does), control (/_sandbox API), page (the chat page), app (create_app).
"""

from .app import create_app
from .world import World

__all__ = ["create_app", "World"]
