"""Which hosts are this machine: the platforms want https URLs, and cxbot also uses http
for these (the demo and the tests run on loopback)."""

from __future__ import annotations

import ipaddress


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
