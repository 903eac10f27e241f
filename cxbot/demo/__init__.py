"""`cxbot demo`: cxbot and the LINE WORKS sandbox wired together, with a demo tenant.

A newcomer sees the product without any credentials: the sandbox plays LINE WORKS,
cxbot talks to it exactly as it would to the real platform (JWT grant, signed
callbacks, the API over HTTP). The tests use the same wiring. Beside the product: it uses
cxbot through its entry points (settings, runtime, desk) and the sandbox.
"""

from cxbot.demo.desk import DESK_NAME, Desk, link_line, seed_desk
from cxbot.demo.preflight import DemoRefused
from cxbot.demo.start import Demo, start_demo
from cxbot.demo.tenant import ADMIN, DOMAIN_ID, LINE_CUSTOMERS, USERS, DemoUser, Tenant, demo_settings
from cxbot.demo.tenant import new_rsa_key, seed_line, seed_sandbox

__all__ = ["ADMIN", "DESK_NAME", "DOMAIN_ID", "Demo", "DemoRefused", "DemoUser", "Desk", "LINE_CUSTOMERS", "Tenant",
           "USERS", "demo_settings", "link_line", "new_rsa_key", "seed_desk", "seed_line", "seed_sandbox", "start_demo"]
