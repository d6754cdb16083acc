"""Run ``openlpm serve`` in a child process: for tests, benchmarks and programs that embed it.

A child process, not a thread: the server's frames must not compete with the caller for the
GIL, and a test must talk to the server over a real socket, as a browser does.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

_URL = re.compile(r"openlpm serve: (http://\S+?)/(\?token=\S+)?\s")


class ServerProcess:
    """``with ServerProcess(["--max-sessions", "2"]) as server: server.url``"""

    def __init__(self, args: Sequence[str] = (), timeout: float = 120.0) -> None:
        self.args = ["--port", "0", *args]
        self.timeout = timeout
        self.url = ""
        self.output: list[str] = []
        self._proc: subprocess.Popen[str] | None = None

    def start(self) -> ServerProcess:
        code = "import sys; from openlpm.cli import main; sys.exit(main(sys.argv[1:]))"
        self._proc = subprocess.Popen(
            [sys.executable, "-c", code, "serve", *self.args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.url = self._wait_for_url()
        threading.Thread(target=self._collect, daemon=True).start()  # keep the pipe drained
        return self

    def _wait_for_url(self) -> str:
        assert self._proc is not None and self._proc.stdout is not None
        deadline = time.monotonic() + self.timeout
        for line in self._proc.stdout:
            self.output.append(line)
            found = _URL.search(line + " ")
            if found:
                return found.group(1)
            if time.monotonic() > deadline:
                break
        self.stop()
        raise RuntimeError("openlpm serve did not start:\n" + "".join(self.output))

    def _collect(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        for line in self._proc.stdout:
            self.output.append(line)

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    def rss_mb(self) -> float:
        return _status_field(self.pid, "VmRSS") / 1024.0

    def threads(self) -> int:
        return _status_field(self.pid, "Threads")

    def info(self) -> dict:
        """The server's ``/api/info`` (sessions, warm, limits, ...)."""
        with urllib.request.urlopen(self.url + "/api/info", timeout=10) as response:
            return json.load(response)

    def wait_warm(self, timeout_s: float = 180.0) -> ServerProcess:
        """Block until the server has loaded its models (the first session starts at once)."""
        deadline = time.monotonic() + timeout_s
        while not self.info()["warm"]:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the server did not warm up in {timeout_s:g} s")
            time.sleep(0.2)
        return self

    def stop(self) -> int | None:
        if self._proc is None:
            return None
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGINT)
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        return self._proc.returncode

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _status_field(pid: int, name: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    raise KeyError(name)
