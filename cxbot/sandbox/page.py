"""`GET /`: the chat page, where a person acts as any user of the sandbox tenant.

The page is plain HTML + a little vanilla JS (templates/sandbox/); it talks to the
control API with relative URLs, so it works wherever the sandbox is mounted.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

bp = Blueprint("sandbox_page", __name__)


@bp.get("/")
def chat_page():
    works = current_app.world.works
    with works.lock:
        users = [u.to_json() for u in works.users.values()]
    return render_template("sandbox/chat.html", users=users)
