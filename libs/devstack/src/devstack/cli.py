"""`devstack up`: the whole platform on this machine (what `make run` does).

Starts the Tansu broker (unless KAFKA_BOOTSTRAP_SERVERS names one), the five services, the gateway and
the console as processes under circus (supervisor.py: a crashed process is restarted alone), SQLite
stores under var/, waits until each answers /readyz, seeds the demo data through the gateway, prints the
URL and the demo accounts. Ctrl-C stops everything; `devstack status`, `devstack restart NAME` and
`devstack stop` act on the running set."""

from __future__ import annotations

import argparse
import datetime
import os
import signal
import subprocess
import sys
import threading
import time
from functools import partial
from pathlib import Path

import httpx

from devstack import supervisor
from devstack.broker import brokers_on, orphaned, port_open, stop_strays, tansu_command, wait_for_port
from devstack.keys import ensure_compose_secrets, ensure_jwt_keys
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

    def __init__(self, urls: dict[str, str], broker_port: int | None, timeout: float) -> None:
        super().__init__(daemon=True)
        self.urls, self.broker_port, self.timeout = urls, broker_port, timeout
        self.failed = False

    def say(self, text: str) -> None:
        supervisor.say("devstack", text)

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
            self.failed = True
            os.kill(os.getpid(), signal.SIGTERM)


def up(args: argparse.Namespace) -> int:
    var = Path(args.var).resolve()
    var.mkdir(parents=True, exist_ok=True)
    private_key, public_key = ensure_jwt_keys(var / "keys")
    ports = _ports()
    busy = [f"{name} port {port}" for name, port in ports.items() if port_open(port)]
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    broker_port = None if external else int(os.environ.get("BROKER_PORT", "19092"))
    if broker_port and (strays := [p for p in brokers_on(broker_port) if orphaned(p)]):
        stop_strays(strays, say=lambda text: print(f"devstack: {text}", file=sys.stderr))
    if broker_port and port_open(broker_port):
        busy.append(f"broker port {broker_port} (BROKER_PORT)")
    if busy:
        print(f"devstack: cannot start: already in use: {', '.join(busy)} — is the platform already running? "
              f"(set GATEWAY_PORT / <SERVICE>_PORT / BROKER_PORT to move it)", file=sys.stderr)
        return 1
    bootstrap = external or f"127.0.0.1:{broker_port}"
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    service_urls = {spec.name: urls[spec.name] for spec in (*SERVICES, GATEWAY, WEB)}

    processes: dict[str, tuple[list[str], dict[str, str]]] = {}
    if broker_port:
        processes["broker"] = ([*tansu_command(broker_port), "--silent"], dict(os.environ))
    for spec in ALL:
        env = {**os.environ, **process_env(
            spec, port=ports[spec.name], bootstrap=bootstrap,
            database_url=f"sqlite:///{var / (spec.name + '.db')}" if spec.name in WITH_DATABASE else "",
            var_dir=var, public_key=public_key, private_key=private_key, service_urls=service_urls,
            log_format="text", extra={"STARTUP_TIMEOUT": "30", "DEMO_ACCOUNTS": "true", **EMBEDDED_DEFAULTS})}
        processes[spec.name] = ([sys.executable, "-m", spec.module], env)
    watcher = _Watcher(urls, broker_port, timeout=args.timeout)
    watcher.start()
    before_start = {}
    if broker_port:  # a broker circus lost track of (a failed restart) would hold the port: every new one would die
        before_start["broker"] = lambda: stop_strays(brokers_on(broker_port), say=partial(supervisor.say, "broker"))
    supervisor.run(processes, var, before_start)
    return 1 if watcher.failed else 0


def status(args: argparse.Namespace) -> int:
    """Each process of the running platform: state, pid, uptime."""
    print(f"{'NAME':<10} {'STATE':<8} {'PID':>7}  UPTIME")
    for row in supervisor.status(Path(args.var)):
        uptime = str(datetime.timedelta(seconds=int(row["uptime"]))) if row["uptime"] is not None else "-"
        print(f"{row['name']:<10} {row['state']:<8} {row['pid'] or '-':>7}  {uptime}")
    return 0


def restart(args: argparse.Namespace) -> int:
    for name in args.names:
        supervisor.restart(Path(args.var), name)
        print(f"{name} restarted")
    return 0


def stop(args: argparse.Namespace) -> int:
    supervisor.stop(Path(args.var))
    print("stopped")
    return 0


def keys(args: argparse.Namespace) -> int:
    """The secrets docker-compose mounts: the gateway's token key pair, the platform seal CA and the
    passwords of PostgreSQL, MinIO and Grafana."""
    folder = Path(args.folder)
    private, public = ensure_jwt_keys(folder)
    print(f"token signing key: {private}\npublic key (services verify with it): {public}")
    # The contracts service's public entry point makes the CA (devstack imports no service code).
    code = subprocess.run([sys.executable, "-m", "contracts.ca", str(folder)], check=False).returncode
    for made in ensure_compose_secrets(folder):
        print(f"password: {made}")
    print(f"{folder}: readable by the containers' user, closed to everyone else here (0700)")
    return code


def demo(args: argparse.Namespace) -> int:
    """The manual's 1.3 secondary bidding against the running platform (see walkthrough.py)."""
    from devstack.walkthrough import main as walk

    return walk(args.gateway, window_seconds=args.window, max_window_seconds=args.max_window)


def events(args: argparse.Namespace) -> int:
    """One line per event on the topics (time in 北京时间, type, subject, sequence); --follow keeps going."""
    import asyncio

    from aiokafka.errors import KafkaError

    from devstack.events import watch

    try:
        asyncio.run(watch(args.bootstrap, follow=args.follow, out=lambda text: print(text, flush=True)))
    except KeyboardInterrupt:
        pass
    except (KafkaError, OSError, TimeoutError) as exc:
        print(f"devstack: cannot read the events from {args.bootstrap}: {exc or type(exc).__name__}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="devstack", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_up = sub.add_parser("up", help="start the whole platform (broker, services, gateway, demo data)")
    p_up.add_argument("--var", default="var", help="folder for the SQLite stores, keys and files (default: var)")
    p_up.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for readiness")
    p_up.set_defaults(func=up)
    p_status = sub.add_parser("status", help="each process of the running platform: state, pid, uptime")
    p_restart = sub.add_parser("restart", help="restart one process (or several) of the running platform")
    p_restart.add_argument("names", nargs="+", metavar="NAME", help=f"broker, {', '.join(s.name for s in ALL)}")
    p_stop = sub.add_parser("stop", help="stop the running platform (every process)")
    for p, func in ((p_status, status), (p_restart, restart), (p_stop, stop)):
        p.add_argument("--var", default="var", help="the folder `devstack up` was given (default: var)")
        p.set_defaults(func=func)
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
    from devstack.events import default_bootstrap

    p_events = sub.add_parser("events", help="one line per event on the topics: time (北京时间), type, subject, sequence")
    p_events.add_argument("--follow", "-f", action="store_true", help="keep printing new events until Ctrl-C")
    p_events.add_argument("--bootstrap", default=default_bootstrap(),
                          help="the broker (default: $KAFKA_BOOTSTRAP_SERVERS or 127.0.0.1:$BROKER_PORT, 19092)")
    p_events.set_defaults(func=events)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (supervisor.NotRunning, supervisor.Refused) as exc:
        print(f"devstack: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
