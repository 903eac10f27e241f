"""format=flowed (RFC 3676): the soft line breaks a mail program added, taken out again."""

from __future__ import annotations

import re


def unflow(text: str, delsp: bool = False) -> str:
    """RFC 3676: join soft-broken lines (those ending in a space) of the same quote depth."""
    out: list[str] = []
    buf: str | None = None
    depth_of_buf = 0
    for line in text.split("\n"):
        m = re.match(r">+", line)
        depth = len(m.group(0)) if m else 0
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]
        flowed = content.endswith(" ") and content != "-- "
        if flowed and delsp:
            content = content[:-1]
        if buf is not None and depth == depth_of_buf:
            buf += content
        else:
            if buf is not None:
                out.append(">" * depth_of_buf + (" " if depth_of_buf else "") + buf)
            buf, depth_of_buf = content, depth
        if not flowed:
            out.append(">" * depth_of_buf + (" " if depth_of_buf and buf else "") + buf)
            buf = None
    if buf is not None:
        out.append(">" * depth_of_buf + (" " if depth_of_buf else "") + buf)
    return "\n".join(out)
