"""The process set of the platform and how each process is configured.

`make run` runs it under circus (see supervisor.py); the cross-service tests and the benchmarks start it
with `LocalStack`, which can also kill and restart one service (crash tests)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from devstack.broker import free_port


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    module: str
    port: int

    @property
    def env_url_name(self) -> str:
        return f"{self.name.upper()}_URL"


SERVICES = (
    ProcessSpec("plans", "plans", 8101),
    ProcessSpec("catalog", "catalog", 8102),
    ProcessSpec("bidding", "bidding", 8103),
    ProcessSpec("contracts", "contracts", 8104),
    ProcessSpec("orders", "orders", 8105),
)
GATEWAY = ProcessSpec("gateway", "gateway", 8000)
WEB = ProcessSpec("web", "web", 8200)  # the console: a frontend of the gateway, reached through it at /
ALL = (*SERVICES, GATEWAY, WEB)
WITH_DATABASE = tuple(spec.name for spec in (*SERVICES, GATEWAY))
BY_NAME = {spec.name: spec for spec in ALL}


def process_env(spec: ProcessSpec, *, port: int, database_url: str, bootstrap: str, var_dir: Path,
                public_key: Path, private_key: Path, service_urls: dict[str, str],
                log_format: str = "json", extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment of one process: what docker-compose sets for its container."""
    env = {
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "JWT_PUBLIC_KEY_FILE": str(public_key),
        "VAR_DIR": str(var_dir),
        "LOG_FORMAT": log_format,
        # Tansu: a member joins after about half the session timeout; a fetch waits out its max wait.
        "KAFKA_SESSION_TIMEOUT_MS": "6000",
        "KAFKA_FETCH_MAX_WAIT_MS": "20",
        "PYTHONUNBUFFERED": "1",
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    if spec is GATEWAY:
        env["JWT_PRIVATE_KEY_FILE"] = str(private_key)
        env.update({f"{name.upper()}_URL": url for name, url in service_urls.items()})
    if spec is WEB:
        env["GATEWAY_URL"] = service_urls["gateway"]
        env["WEB_SECRET_FILE"] = str(public_key.parent / "web-secret")
    env.update(extra or {})
    return env


# Seconds a process may take to answer /readyz: about 20 s on a quiet 2-core machine, several times that
# when the machine is busy (STACK_START_TIMEOUT overrides).
START_TIMEOUT = float(os.environ.get("STACK_START_TIMEOUT", "180"))


def _ended_or_killed(process: subprocess.Popen, timeout: float) -> bool:
    """Waits up to `timeout` for the process to exit; one still running then is killed (False)."""
    try:
        process.wait(timeout=timeout)
        return True
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return False


@dataclass
class LocalStack:
    """Every service and the gateway as real processes, on free ports, for tests and benchmarks."""

    workdir: Path
    bootstrap: str
    database_urls: dict[str, str]
    public_key: Path
    private_key: Path
    names: tuple[str, ...] = tuple(spec.name for spec in ALL)
    extra_env: dict[str, dict[str, str]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        (self.workdir / "logs").mkdir(parents=True, exist_ok=True)
        for name in self.names:
            self.ports.setdefault(name, free_port())

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def env(self, name: str, overrides: dict[str, str] | None = None) -> dict[str, str]:
        service_urls = {n: self.url(n) for n in self.names}
        return {**os.environ, **process_env(
            BY_NAME[name], port=self.ports[name], database_url=self.database_urls.get(name, ""),
            bootstrap=self.bootstrap,
            var_dir=self.workdir, public_key=self.public_key, private_key=self.private_key,
            service_urls=service_urls, extra={**self.extra_env.get(name, {}), **(overrides or {})},
        )}

    def log_path(self, name: str) -> Path:
        return self.workdir / "logs" / f"{name}.log"

    def start(self, name: str, overrides: dict[str, str] | None = None, wait: bool = True) -> None:
        log = open(self.log_path(name), "ab")
        self.processes[name] = subprocess.Popen([sys.executable, "-m", BY_NAME[name].module],
                                                env=self.env(name, overrides), stdout=log, stderr=subprocess.STDOUT)
        if wait:
            self.wait_ready(name)

    def start_all(self, timeout: float = START_TIMEOUT) -> LocalStack:
        for name in self.names:
            self.start(name, wait=False)
        for name in self.names:
            self.wait_ready(name, timeout)
        return self

    def wait_ready(self, name: str, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while True:
            process = self.processes[name]
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{self.tail(name)}")
            try:
                if httpx.get(f"{self.url(name)}/readyz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name} not ready after {timeout}s:\n{self.tail(name)}")
            time.sleep(0.1)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Sends `sig` and waits for the exit. A process that outlives 15 s is killed before the timeout is
        raised: left running, it would hold its port and fail every later start of it on a shared stack."""
        process = self.processes.pop(name)
        process.send_signal(sig)
        if not _ended_or_killed(process, timeout=15):
            raise subprocess.TimeoutExpired(process.args, 15)

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            _ended_or_killed(process, timeout=10)
        self.processes.clear()

    def tail(self, name: str, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path(name).read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"
