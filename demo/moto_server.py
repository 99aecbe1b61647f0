"""A ``moto_server`` on a free local port, started and stopped by the rehearsal.

Clients reach it as ``http://localhost:<port>`` (not 127.0.0.1): the CDK CLI addresses buckets
virtual-hosted style (``<bucket>.localhost``), which resolves locally, while
``<bucket>.127.0.0.1`` does not.
"""

from __future__ import annotations

import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

READY_TIMEOUT_SECONDS = 30
STOP_TIMEOUT_SECONDS = 10
_UNSUPPORTED = re.compile(r"Tried to parse (\S+) but it's not supported")


class MotoServer:
    """``with MotoServer(executable, log_path) as server: server.endpoint_url``."""

    def __init__(self, executable: Path, log_path: Path) -> None:
        self.executable = executable
        self.log_path = log_path
        self.port = _free_port()
        self.endpoint_url = f"http://localhost:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None
        self._log_offset = 0

    def __enter__(self) -> MotoServer:
        log = self.log_path.open("wb")
        self._process = subprocess.Popen(  # noqa: S603 - the venv's moto_server, fixed args
            [str(self.executable), "-p", str(self.port)], stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"moto_server exited early; see {self.log_path}")
            try:
                # An http://localhost URL this object built, never user input.
                with urllib.request.urlopen(f"{self.endpoint_url}/moto-api/", timeout=2):  # noqa: S310
                    return self
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"moto_server did not answer within {READY_TIMEOUT_SECONDS} s")

    def __exit__(self, *_: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop the server this object started (only that process)."""
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def new_unsupported_resource_types(self) -> list[str]:
        """Resource types moto's CloudFormation skipped since the last call (from its log)."""
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        new, self._log_offset = text[self._log_offset :], len(text)
        return sorted(set(_UNSUPPORTED.findall(new)))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("localhost", 0))
        return probe.getsockname()[1]
