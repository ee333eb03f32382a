"""Serve the emulator, or a bare starlette route, under uvicorn for the benchmark.

Both apps run with the same uvicorn settings as ``emulator.testing.EmulatorServer``
(log level warning, no access log, no lifespan), on a socket bound to 127.0.0.1 port 0.
The first line on standard output is ``listening on http://127.0.0.1:PORT``. The server
stops on SIGINT or SIGTERM.

Usage::

    python scripts/_bench/server.py emulator [--job-mode immediate]
    python scripts/_bench/server.py bare --body-file account.json --path /loyalty-accounts/...
"""

from __future__ import annotations

import argparse
import json
import socket
import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def bare_app(path: str, body: object) -> Starlette:
    """Create an app with one GET route at ``path`` that returns ``body`` as JSON."""

    async def endpoint(request: Request) -> Response:
        return JSONResponse(body)

    return Starlette(routes=[Route(path, endpoint, methods=["GET"])])


def emulator_app(job_mode: str) -> Starlette:
    from emulator.rest.app import create_app
    from emulator.settings import Settings

    return create_app(Settings(job_mode=job_mode))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("app", choices=["emulator", "bare"], help="which app to serve")
    parser.add_argument("--job-mode", default="timed", help="emulator job mode")
    parser.add_argument("--path", default="/", help="route path of the bare app")
    parser.add_argument("--body-file", help="JSON file with the bare route's response body")
    args = parser.parse_args()

    if args.app == "bare":
        body = {}
        if args.body_file:
            with open(args.body_file, encoding="utf-8") as handle:
                body = json.load(handle)
        app = bare_app(args.path, body)
    else:
        app = emulator_app(args.job_mode)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    print(f"listening on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    server.run(sockets=[sock])
    sys.exit(0)


if __name__ == "__main__":
    main()
