"""HTTP load generators: wrk when installed, otherwise a Python one over keep-alive sockets.

Both send the same GET with the same headers over a fixed number of persistent
connections for a fixed time and return completed requests per second.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import time
from urllib.parse import urlsplit

WRK_REQUESTS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
WRK_ERRORS = re.compile(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)")


# Set by ``scripts/bench --python-load`` to use the Python generator even where wrk exists.
force_python = False


def wrk_path() -> str | None:
    return None if force_python else shutil.which("wrk")


def generator_name() -> str:
    return "wrk" if wrk_path() else "python (asyncio, keep-alive sockets)"


def requests_per_second(
    url: str, headers: dict[str, str], *, seconds: float, connections: int
) -> float:
    """Drive GET ``url`` for ``seconds`` and return the rate of 200 responses."""
    wrk = wrk_path()
    if wrk is not None:
        return _wrk(wrk, url, headers, seconds=seconds, connections=connections)
    return asyncio.run(_python_load(url, headers, seconds=seconds, connections=connections))


def _wrk(wrk: str, url: str, headers: dict[str, str], *, seconds: float, connections: int) -> float:
    command = [wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 30, check=True
    )
    errors = WRK_ERRORS.search(result.stdout)
    if errors:
        raise RuntimeError(f"wrk reported failed requests against {url}:\n{result.stdout}")
    match = WRK_REQUESTS.search(result.stdout)
    if match is None:
        raise RuntimeError(f"could not read Requests/sec from wrk output:\n{result.stdout}")
    return float(match.group(1))


async def _python_load(
    url: str, headers: dict[str, str], *, seconds: float, connections: int
) -> float:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"GET {target} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    counts = await asyncio.gather(
        *(_connection(host, port, request, deadline) for _ in range(connections))
    )
    return sum(counts) / (time.perf_counter() - started)


async def _connection(host: str, port: int, request: bytes, deadline: float) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    done = 0
    try:
        while time.perf_counter() < deadline:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            if status != 200:
                raise RuntimeError(f"GET returned {status}, expected 200")
            done += 1
    finally:
        writer.close()
    return done
