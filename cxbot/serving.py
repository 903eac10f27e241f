"""Serve a WSGI app on a real socket in a background thread.

Used by `cxbot run` / `cxbot demo` for the embedded single-process mode and by the
tests, which talk to cxbot and the sandbox over real HTTP.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from werkzeug.serving import BaseWSGIServer, make_server


@dataclass
class ServerThread:
    server: BaseWSGIServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        return self.server.server_port

    @property
    def url(self) -> str:
        host = self.server.server_address[0]
        return f"http://{host}:{self.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve_in_thread(app, host: str = "127.0.0.1", port: int = 0, name: str = "http") -> ServerThread:
    """Start a threaded werkzeug server; port 0 picks a free port."""
    server = make_server(host, port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=f"{name}-server", daemon=True)
    thread.start()
    return ServerThread(server, thread)
