"""`python -m cxbot.sandbox [--host H] [--port P]`: the sandbox alone, in a process of its own.

A benchmark runs it so: the platforms are not on cxbot's machine in life, and in one
process with the benchmark's load they would share its interpreter lock, answering cxbot
slower than any platform does. Its request log stays off (a line per request is CPU too).
"""

from __future__ import annotations

import argparse
import logging

from werkzeug.serving import make_server

from .app import create_app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m cxbot.sandbox", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    server = make_server(args.host, args.port, create_app(), threaded=True)
    print(f"sandbox on http://{args.host}:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
