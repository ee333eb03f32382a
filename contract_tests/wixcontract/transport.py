"""Senders: the one place where a request leaves the process, or the ASGI app is called.

``SocketSender`` wraps an ``httpx.Client`` (a real socket, or any httpx transport in
unit tests). ``InProcessSender`` calls the emulator app through ``httpx.ASGITransport``
and an ``AsyncClient`` on an event loop of its own, so synchronous tests can use it
with no socket at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from typing import Any, Protocol

import httpx

from .safety import Secret


class Sender(Protocol):
    def send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Any = None,
        headers: dict[str, str] | None = None,
        authenticated: bool = True,
    ) -> httpx.Response: ...

    def close(self) -> None: ...


class ApiKeyAuth(httpx.Auth):
    """Put the API key into the Authorization header as the last step before sending.

    The key never sits in a headers dict of ours, and httpx masks the Authorization
    header in the repr of a request.
    """

    def __init__(self, api_key: Secret) -> None:
        self._api_key = api_key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._api_key.reveal()
        yield request

    def __repr__(self) -> str:
        return "ApiKeyAuth(api_key=***)"


class SocketSender:
    """Send requests with a synchronous ``httpx.Client``."""

    def __init__(
        self,
        base_url: str,
        *,
        auth: httpx.Auth | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.base_url = base_url
        self._client = httpx.Client(
            base_url=base_url, auth=auth, transport=transport, timeout=timeout
        )

    def send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Any = None,
        headers: dict[str, str] | None = None,
        authenticated: bool = True,
    ) -> httpx.Response:
        auth: Any = httpx.USE_CLIENT_DEFAULT if authenticated else None
        return self._client.request(
            method, path, json=json, params=params, headers=headers, auth=auth
        )

    def close(self) -> None:
        self._client.close()

    def __repr__(self) -> str:
        return f"SocketSender({self.base_url!r})"


class InProcessSender:
    """Call an ASGI app in this process through ``httpx.ASGITransport``.

    The app runs on an event loop owned by this sender, in the calling thread, so a
    request costs no thread switch. The suite's tests are synchronous, so no other
    loop runs in that thread.
    """

    base_url = "http://emulator.inprocess"

    def __init__(self, app: Any, *, auth: httpx.Auth | None = None) -> None:
        self._loop = asyncio.new_event_loop()
        transport = httpx.ASGITransport(app=app)
        self._client = httpx.AsyncClient(transport=transport, base_url=self.base_url, auth=auth)

    def send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Any = None,
        headers: dict[str, str] | None = None,
        authenticated: bool = True,
    ) -> httpx.Response:
        auth: Any = httpx.USE_CLIENT_DEFAULT if authenticated else None
        request = self._client.request(
            method, path, json=json, params=params, headers=headers, auth=auth
        )
        return self._loop.run_until_complete(request)

    def close(self) -> None:
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()

    def __repr__(self) -> str:
        return "InProcessSender()"
