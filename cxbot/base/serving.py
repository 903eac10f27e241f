"""Serve a WSGI app on a real socket in a background thread.

Used by `cxbot run` / `cxbot demo` for the embedded single-process mode and by the
tests, which talk to cxbot and the sandbox over real HTTP.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass

from werkzeug.serving import BaseWSGIServer, make_server


@dataclass
class ServerThread:
    server: BaseWSGIServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        host = self.server.server_address[0]
        return f"http://{host}:{self.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now, for a server another process will start."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket. A taken port raises OSError (errno EADDRINUSE) here, where
    werkzeug's own bind would print to stderr and exit the whole process."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        # As socketserver does: a port left in TIME_WAIT by a server that just stopped is free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except BaseException:
        sock.close()
        raise
    return sock


def serve_in_thread(app, host: str = "127.0.0.1", port: int = 0, name: str = "http") -> ServerThread:
    """Start a threaded werkzeug server; port 0 picks a free port; a taken port raises OSError."""
    sock = listen(host, port)
    try:
        server = make_server(host, sock.getsockname()[1], app, threaded=True, fd=sock.fileno())
    finally:
        sock.close()  # the server works on its own duplicate of the descriptor
    thread = threading.Thread(target=server.serve_forever, name=f"{name}-server", daemon=True)
    thread.start()
    return ServerThread(server, thread)
