"""The embedded default as `make run` starts it (`devstack up`: the broker, five services, the gateway and
the console under circus), on free ports with SQLite under a folder of the caller's, driven as an operator
would: `devstack status`, `devstack restart NAME`, SIGKILL of one process. Used by tests/test_supervisor.py
and the chaos matrix (tests/chaos.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from devstack import supervisor
from devstack.broker import free_port
from devstack.stack import ALL, SERVICES
from platform_client import wait_for

PROCESSES = ("broker", *(spec.name for spec in ALL))


@dataclass
class Supervised:
    process: subprocess.Popen[bytes]
    var: Path
    log: Path
    ports: dict[str, int]

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def pids(self) -> dict[str, int | None]:
        return {row["name"]: row["pid"] for row in supervisor.status(self.var)}

    def ready(self, name: str) -> bool:
        try:
            return httpx.get(f"{self.url(name)}/readyz", timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False

    def all_ready(self) -> bool:
        """Every service and the gateway answer /readyz 200 (each consumer assigned and fetching)."""
        return all(self.ready(spec.name) for spec in (*SERVICES, *(s for s in ALL if s.name == "gateway")))

    def devstack(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "devstack.cli", *args, "--var", str(self.var)],
                              capture_output=True, text=True, timeout=60)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def supervised(folder: Path, env: dict[str, str] | None = None, timeout: float = 150) -> Iterator[Supervised]:
    """`devstack up --var folder/var` until the banner is printed; stopped (SIGTERM to its process group)
    when the block ends, if it still runs. `env`: settings for every process (e.g. a short bidding window; a port: BROKER_PORT …)."""
    ports = {name: int((env or {}).get(f"{name.upper()}_PORT") or free_port()) for name in PROCESSES}
    environment = {key: value for key, value in os.environ.items() if key != "KAFKA_BOOTSTRAP_SERVERS"}
    environment.update({f"{name.upper()}_PORT": str(port) for name, port in ports.items()})
    environment.update(env or {})
    log = folder / "devstack-up.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "devstack.cli", "up", "--var", str(folder / "var")],
                                   env=environment, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    running = Supervised(process, folder / "var", log, ports)
    try:
        wait_for(lambda: "Ctrl-C stops everything." in running.output() or process.poll() is not None,
                 timeout=timeout, what="the banner")
        assert process.poll() is None, running.output()[-4000:]
        yield running
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=60)
