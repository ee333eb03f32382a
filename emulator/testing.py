"""Run the emulator inside a test process: uvicorn on a free port in a background thread.

``EmulatorServer`` is what the pytest plugin and this project's own tests use to talk to
the emulator over a real socket::

    with EmulatorServer(Settings(clock="manual")) as server:
        httpx.get(server.url + "/_emulator/health")
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn
from starlette.applications import Starlette

from .rest.app import create_app
from .settings import Settings
from .store import Store


class EmulatorServer:
    """A uvicorn server on 127.0.0.1 and a free port, serving one emulator app."""

    def __init__(self, settings: Settings | None = None, host: str = "127.0.0.1") -> None:
        self.app: Starlette = create_app(settings)
        self.host = host
        # IPPROTO_TCP makes asyncio set TCP_NODELAY, as in ``cli.bind_socket``.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, 0))
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def store(self) -> Store:
        store: Store = self.app.state.store
        return store

    def start(self, timeout: float = 10.0) -> EmulatorServer:
        """Start serving and return once the server accepts connections."""
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            daemon=True,
            name=f"wix-emulator-{self.port}",
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the emulator did not start on {self.url} within {timeout} s")
            time.sleep(0.002)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
