"""Start and stop the server processes that the benchmark measures.

Every server listens on 127.0.0.1 on a port the kernel picks. A reader thread drains
each process's output so that a chatty server never blocks on a full pipe.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
SERVER_SCRIPT = BENCH_DIR / "server.py"
LISTENING = re.compile(r"(?:listening|serving) on (http://127\.0\.0\.1:\d+)")


class ServerProcess:
    """A server subprocess, the URL it announced, and every line it printed."""

    def __init__(self, command: Sequence[str], timeout: float = 30.0) -> None:
        self.command = list(command)
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            self.command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.lines: list[str] = []
        self._url_found = threading.Event()
        self.url = ""
        self.url_seen_at = 0.0
        threading.Thread(target=self._drain, daemon=True).start()
        if not self._url_found.wait(timeout) or not self.url:
            self.stop()
            output = "".join(self.lines[-20:])
            raise RuntimeError(
                f"{' '.join(self.command)} printed no listening URL within {timeout} s:\n{output}"
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            match = LISTENING.search(line)
            if match and not self.url:
                self.url_seen_at = time.perf_counter()
                self.url = match.group(1)
                self._url_found.set()
        self._url_found.set()

    def peak_rss_mb(self) -> float:
        """Return the process's peak resident set size (VmHWM) in MiB."""
        with open(f"/proc/{self.pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        raise RuntimeError(f"no VmHWM line in /proc/{self.pid}/status")

    def cpu_seconds(self) -> float:
        """Return the user plus system CPU time the process has used, in seconds."""
        with open(f"/proc/{self.pid}/stat", encoding="ascii") as stat:
            # Fields after the command name, from field 3 (state) on; 14 and 15 are
            # utime and stime in clock ticks.
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def bench_server(app: str, *arguments: str) -> ServerProcess:
    """Start ``scripts/_bench/server.py APP ARGUMENTS`` with this interpreter."""
    return ServerProcess([sys.executable, str(SERVER_SCRIPT), app, *arguments])


def console_script() -> Path:
    """Return the ``wix-loyalty-emulator`` script next to this interpreter."""
    return Path(sys.executable).parent / "wix-loyalty-emulator"
