"""`devstack up`: the whole platform on this machine (what `make run` does).

Starts the Tansu broker (unless KAFKA_BOOTSTRAP_SERVERS names one), the five services and the gateway
as processes under honcho, SQLite stores under var/, waits until each answers /readyz, seeds the demo
data through the gateway, prints the URL and the demo accounts. Ctrl-C stops everything."""

from __future__ import annotations

import argparse
import datetime
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from honcho.manager import Manager
from honcho.printer import Message

from devstack.broker import port_open, tansu_command, wait_for_port
from devstack.keys import ensure_jwt_keys
from devstack.stack import ALL, GATEWAY, SERVICES, WEB, WITH_DATABASE, process_env

DEMO_PASSWORD = "demo12345"
DEMO_CA_PASSWORD = "ca12345"


# Demo settings of the embedded default (an environment variable of the same name wins): a secondary
# bidding window may be as short as 30 s, so `make demo` walks the whole 1.3 flow in about a minute.
# Production keeps the service's own default (30 minutes of necessary response time).
EMBEDDED_DEFAULTS = {name: os.environ.get(name, value) for name, value in {
    "BIDDING_MIN_DURATION_SECONDS": "30",
}.items()}


def _ports() -> dict[str, int]:
    ports = {spec.name: int(os.environ.get(f"{spec.name.upper()}_PORT", spec.port)) for spec in SERVICES}
    ports[GATEWAY.name] = int(os.environ.get("GATEWAY_PORT", GATEWAY.port))
    ports[WEB.name] = int(os.environ.get("WEB_PORT", WEB.port))
    return ports


def banner(gateway_url: str, seeded: str) -> str:
    return f"""
  ┌──────────────────────────────────────────────────────────────────────────┐
    控制台 The console:  {gateway_url}/      (open it in a browser and log in)
    Demo accounts (password {DEMO_PASSWORD}): purchaser-a, purchaser-b (采购人), supplier-1 … supplier-6 (供应商), agency (征集人)
    Demo CA password for e-seals: {DEMO_CA_PASSWORD}
    API documentation:  {gateway_url}/docs
    API log-in:  curl -d 'username=purchaser-a&password={DEMO_PASSWORD}' {gateway_url}/api/v1/auth/token
    Demo data: {seeded}
    Demo settings: shortest bidding window {EMBEDDED_DEFAULTS["BIDDING_MIN_DURATION_SECONDS"]} s (production: 30 min)
    Watch the 1.3 secondary-bidding flow end to end:  make demo   (in another terminal)
    Ctrl-C stops everything.
  └──────────────────────────────────────────────────────────────────────────┘
"""


class _Watcher(threading.Thread):
    """Waits for every process to be ready, seeds the demo data, prints the banner."""

    def __init__(self, manager: Manager, urls: dict[str, str], broker_port: int | None, timeout: float) -> None:
        super().__init__(daemon=True)
        self.manager, self.urls, self.broker_port, self.timeout = manager, urls, broker_port, timeout

    def say(self, text: str) -> None:
        self.manager.events.put(Message(type="line", data=text if text.endswith("\n") else text + "\n",
                                        time=datetime.datetime.now(), name="devstack", colour=None))

    def run(self) -> None:
        try:
            if self.broker_port:
                wait_for_port(self.broker_port, timeout=self.timeout)
            pending = dict(self.urls)
            deadline = time.monotonic() + self.timeout
            while pending:
                for name, url in list(pending.items()):
                    try:
                        if httpx.get(f"{url}/readyz", timeout=1.0).status_code == 200:
                            del pending[name]
                            self.say(f"{name} ready at {url}")
                    except httpx.HTTPError:
                        pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"not ready after {self.timeout:g}s: {', '.join(pending)}")
                time.sleep(0.2)
            from devstack.seed import seed_demo

            seeded = seed_demo(self.urls[GATEWAY.name], progress=self.say)
            self.say(banner(self.urls[GATEWAY.name], seeded))
        except Exception as exc:  # noqa: BLE001
            self.say(f"startup failed: {exc}; stopping")
            os.kill(os.getpid(), signal.SIGTERM)


def up(args: argparse.Namespace) -> int:
    var = Path(args.var).resolve()
    var.mkdir(parents=True, exist_ok=True)
    private_key, public_key = ensure_jwt_keys(var / "keys")
    ports = _ports()
    busy = [f"{name} port {port}" for name, port in ports.items() if port_open(port)]
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    broker_port = None if external else int(os.environ.get("BROKER_PORT", "19092"))
    if broker_port and port_open(broker_port):
        busy.append(f"broker port {broker_port} (BROKER_PORT)")
    if busy:
        print(f"devstack: cannot start: already in use: {', '.join(busy)} — is the platform already running? "
              f"(set GATEWAY_PORT / <SERVICE>_PORT / BROKER_PORT to move it)", file=sys.stderr)
        return 1
    bootstrap = external or f"127.0.0.1:{broker_port}"
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    service_urls = {spec.name: urls[spec.name] for spec in (*SERVICES, GATEWAY, WEB)}

    manager = Manager()
    if broker_port:
        manager.add_process("broker", " ".join(tansu_command(broker_port)) + " --silent")
    for spec in ALL:
        env = {**os.environ, **process_env(
            spec, port=ports[spec.name], bootstrap=bootstrap,
            database_url=f"sqlite:///{var / (spec.name + '.db')}" if spec.name in WITH_DATABASE else "",
            var_dir=var, public_key=public_key, private_key=private_key, service_urls=service_urls,
            log_format="text", extra={"STARTUP_TIMEOUT": "30", "DEMO_ACCOUNTS": "true", **EMBEDDED_DEFAULTS})}
        manager.add_process(spec.name, f"{sys.executable} -m {spec.module}", env=env)
    _Watcher(manager, urls, broker_port, timeout=args.timeout).start()
    manager.loop()
    return manager.returncode or 0


def keys(args: argparse.Namespace) -> int:
    """The secrets docker-compose mounts: the gateway's token key pair and the platform seal CA."""
    folder = Path(args.folder)
    private, public = ensure_jwt_keys(folder)
    print(f"token signing key: {private}\npublic key (services verify with it): {public}")
    # The contracts service's public entry point makes the CA (devstack imports no service code).
    return subprocess.run([sys.executable, "-m", "contracts.ca", str(folder)], check=False).returncode


def demo(args: argparse.Namespace) -> int:
    """The manual's 1.3 secondary bidding against the running platform (see walkthrough.py)."""
    from devstack.walkthrough import main as walk

    return walk(args.gateway, window_seconds=args.window, max_window_seconds=args.max_window)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="devstack", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_up = sub.add_parser("up", help="start the whole platform (broker, services, gateway, demo data)")
    p_up.add_argument("--var", default="var", help="folder for the SQLite stores, keys and files (default: var)")
    p_up.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for readiness")
    p_up.set_defaults(func=up)
    p_keys = sub.add_parser("keys", help="make the gateway's token key pair (docker-compose secrets)")
    p_keys.add_argument("folder", nargs="?", default="deploy/secrets")
    p_keys.set_defaults(func=keys)
    p_demo = sub.add_parser("demo", help="walk through a secondary bidding (manual 1.3) on the running platform")
    p_demo.add_argument("--gateway", default=os.environ.get("GATEWAY_URL", "http://127.0.0.1:8000"),
                        help="the running platform's gateway (default: $GATEWAY_URL or http://127.0.0.1:8000)")
    p_demo.add_argument("--window", type=int, default=15,
                        help="bidding window in seconds, at least the platform's minimum (default: 15)")
    p_demo.add_argument("--max-window", type=int, default=120,
                        help="stop before publishing when the platform's shortest window is longer (default: 120)")
    p_demo.set_defaults(func=demo)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
