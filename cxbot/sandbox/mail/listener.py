"""An SMTP listener in a thread of its own, on any port, port 0 (a free one) included.

aiosmtpd's threaded `Controller` checks that it is up by connecting to the port it was
given, so port 0 fails there (aiosmtpd issue #388). This runs aiosmtpd's documented
`UnthreadedController` on an event loop in a thread we start, and reads the bound
port from `controller.server.sockets`, as the docs say.

    listener = SmtpListener(handler, "127.0.0.1", 0, **smtp_parameters)
    port = listener.start()
    listener.stop()
"""

from __future__ import annotations

import asyncio
import threading

from aiosmtpd.controller import UnthreadedController

READY_TIMEOUT = 5.0


class SmtpListener:
    def __init__(self, handler, host: str, port: int, **smtp_parameters) -> None:
        self.host = host
        self.port = port
        self._loop = asyncio.new_event_loop()
        self._controller = UnthreadedController(handler, hostname=host, port=port, loop=self._loop,
                                                **smtp_parameters)
        self._thread: threading.Thread | None = None

    def start(self) -> int:
        """Listen; returns the bound port. Raises what binding raised (e.g. the port is taken)."""
        ready = threading.Event()
        failed: list[BaseException] = []

        def run() -> None:
            try:
                self._controller.begin()
                self.port = self._controller.server.sockets[0].getsockname()[1]
            except BaseException as exc:  # noqa: BLE001 - handed to start()'s caller
                failed.append(exc)
                self._loop.close()
                ready.set()
                return
            ready.set()
            self._loop.run_forever()
            # Stopped by cancel_tasks (stop()): close the listening socket, then the loop.
            self._loop.run_until_complete(self._controller.finalize())
            self._loop.close()

        self._thread = threading.Thread(target=run, name=f"sandbox-smtp-{self.host}", daemon=True)
        self._thread.start()
        if not ready.wait(READY_TIMEOUT):
            raise TimeoutError(f"the SMTP listener on {self.host}:{self.port} did not start in {READY_TIMEOUT:g} s")
        if failed:
            self._thread.join()
            self._thread = None
            raise failed[0]
        return self.port

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        # aiosmtpd's documented way out: stop the loop and cancel the sessions' tasks.
        self._loop.call_soon_threadsafe(self._controller.cancel_tasks)
        thread.join()
