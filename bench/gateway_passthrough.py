"""The gateway's cost, measured: the catalog list (GET /api/v1/catalog/services) direct and through the
gateway, side by side in one run, with 50 concurrent clients (throughput) and with one (latency).

    uv run --no-sync python bench/gateway_passthrough.py [--seconds 10] [--connections 50]

Starts what it needs: the embedded broker, the real catalog service (SQLite, or PostgreSQL when TEST_DATABASE_URL is set) seeded through the gateway
with one agreement, three suppliers and 20 listed services, a minimal upstream (a one-route FastAPI
app answering the same bytes: it shows the gateway's own cost, which the catalog's database work
hides), and gateway processes that differ only in the upstream HTTP client (httptools: the gateway's own
pool, gateway/pool.py, the default; aiohttp; httpx) and where the rate limits live (Redis, as in
production, when 127.0.0.1:6379 answers; in-process otherwise).
Every call carries a bearer token, so the gateway's whole path runs: token check, rate limit, access
log, request id, pass-through. Targets are measured in turn, for several rounds, and each figure is
the median of its rounds (this machine is shared: the load average is printed).

Load: wrk (Debian package `wrk`, one thread, a C event loop that leaves the servers most of the CPU)
when it is on PATH, else an asyncio client in a separate process (which costs the servers more CPU).
Targets (issue 14): through the gateway >= 0.6x the direct throughput of the minimal upstream at 50
clients, <= 150 µs of the gateway's CPU per proxied request; the gateway adds <= 1 ms at p50 with one
client (issue 6). `--clients aiohttp,httptools` measures only those upstream clients."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
from devstack.broker import EmbeddedBroker, free_port
from devstack.keys import ensure_jwt_keys
from devstack.stack import LocalStack
from devstack.testing import service_databases
from gateway.demo import DEMO_PASSWORD, SUPPLIERS
from gateway.settings import Settings

PATH = "/api/v1/catalog/services?page_size=20"
REDIS = ("127.0.0.1", 6379)
DEFAULT_CLIENT = Settings.model_fields["upstream_client"].default  # the targets are this client's


@dataclass
class Figures:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


# ---------------------------------------------------------------------------------------------- load

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * _UNITS[unit]


def wrk(url: str, token: str, connections: int, seconds: float) -> Figures:
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency", "--timeout", "10s",
                          "-H", f"Authorization: Bearer {token}", url],
                         capture_output=True, text=True, check=True).stdout
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return Figures(rps, p50, p99, requests, errors)


async def _python_load(url: str, token: str, connections: int, seconds: float) -> dict:
    import aiohttp

    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector, headers={"Authorization": f"Bearer {token}"}) as session:
        async def loop() -> None:
            nonlocal errors
            while (start := time.perf_counter()) < deadline:
                async with session.get(url) as response:
                    await response.read()
                    if response.status != 200:
                        errors += 1
                latencies.append(time.perf_counter() - start)

        began = time.perf_counter()
        await asyncio.gather(*(loop() for _ in range(connections)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    return {"rps": len(latencies) / elapsed, "p50_ms": latencies[len(latencies) // 2] * 1000,
            "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000, "requests": len(latencies), "errors": errors}


def python_load(url: str, token: str, connections: int, seconds: float) -> Figures:
    out = subprocess.run([sys.executable, __file__, "--loadgen", url, "--token", token, "--connections",
                          str(connections), "--seconds", str(seconds)], capture_output=True, text=True, check=True)
    return Figures(**json.loads(out.stdout))


# ------------------------------------------------------------------------------------------ processes

def redis_answers() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_gateway(stack: LocalStack, name: str, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    log = open(stack.workdir / "logs" / f"{name}.log", "ab")
    process = subprocess.Popen([sys.executable, "-m", "gateway"], stdout=log, stderr=subprocess.STDOUT,
                               env=stack.env("gateway", {"PORT": str(port), **env}))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited; see {log.name}")
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name} not ready; see {log.name}")
        time.sleep(0.1)


def token_for(gateway: str, username: str) -> str:
    response = httpx.post(gateway + "/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD})
    response.raise_for_status()
    return response.json()["access_token"]


def seed_catalog(gateway: str) -> int:
    """One agreement, three shortlisted suppliers offering the same 20 services, every service listed."""
    agency = {"Authorization": f"Bearer {token_for(gateway, 'agency')}"}
    codes = ("C120401", "C120402", "C120403")
    services = [{"category_code": codes[i % 3], "name": f"物业服务套餐 {i:02d}", "unit": "月",
                 "description": "办公楼物业管理、保洁与秩序维护", "agreement_price": f"{1000 + 10 * i}.00"}
                for i in range(20)]
    body = {"agreement_no": f"HN-BENCH-{uuid.uuid4().hex[:8]}", "name": "湖南省物业管理服务框架协议（基准测试）",
            "category_code": "C1204", "valid_from": "2026-01-01", "valid_to": "2030-12-31",
            "methods": ["direct_selection", "secondary_bidding"], "contract_template": "合同范本",
            "suppliers": [{"supplier_id": s.org_id, "name": s.name, "address": s.address, "services": services}
                          for s in SUPPLIERS[:3]]}
    created = httpx.post(gateway + "/api/v1/catalog/agreements", json=body, headers=agency, timeout=30)
    created.raise_for_status()
    agreement = created.json()
    for number, supplier in enumerate(SUPPLIERS[:3], 1):
        headers = {"Authorization": f"Bearer {token_for(gateway, f'supplier-{number}')}"}
        for offering in (o for o in agreement["offerings"] if o["supplier_id"] == supplier.org_id):
            httpx.post(f"{gateway}/api/v1/catalog/agreements/{agreement['id']}/listings", headers=headers,
                       json={"service_id": offering["service_id"], "price": offering["agreement_price"]},
                       timeout=30).raise_for_status()
    listed = httpx.get(gateway + PATH, headers=agency, timeout=30)
    listed.raise_for_status()
    return len(listed.json()["items"])


# ----------------------------------------------------------------------------------- minimal upstream

def serve_stub(port: int, body_file: str) -> None:
    """The child process of the minimal upstream: one route, the catalog's answer as fixed bytes."""
    import uvicorn
    from fastapi import FastAPI
    from fastapi.responses import Response

    body = Path(body_file).read_bytes()
    app = FastAPI()

    @app.get("/api/v1/orders/catalog-copy")
    async def copy() -> Response:
        return Response(body, media_type="application/json")

    @app.get("/readyz")
    async def ready() -> dict:
        return {"status": "ready"}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def start_stub(workdir: Path, body: bytes) -> tuple[subprocess.Popen, str]:
    (workdir / "stub-body.json").write_bytes(body)
    port = free_port()
    process = subprocess.Popen([sys.executable, __file__, "--serve-stub", str(port), "--body-file",
                                str(workdir / "stub-body.json")])
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the minimal upstream did not start")
        time.sleep(0.1)


# ------------------------------------------------------------------------------------------------ run

def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used (Linux /proc): the cost a busy machine does not blur."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds() -> float:
    """User + system CPU of the finished child processes (the load generator runs as one)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def median(figures: list[Figures]) -> Figures:
    def mid(values: list[float]) -> float:
        return sorted(values)[len(values) // 2]
    return Figures(mid([f.rps for f in figures]), mid([f.p50_ms for f in figures]), mid([f.p99_ms for f in figures]),
                   sum(f.requests for f in figures), sum(f.errors for f in figures))


def report(title: str, results: dict[str, dict[int, Figures]], direct_label: str, connections: int,
           judged: set[str]) -> None:
    """The table of a scenario, then the verdicts: only the gateways in `judged` (the default upstream
    client) are held to the targets; the other clients are a comparison and say so."""
    direct = results[direct_label]
    print(f"\n{title}")
    print(f"  {'':42} {connections:>3} clients: req/s   ratio  p50 ms  p99 ms errors |"
          f" 1 client: p50 ms  p99 ms  added p50 ms")
    for label, figures in results.items():
        many, one = figures[connections], figures[1]
        ratio = "" if label == direct_label else f"{many.rps / direct[connections].rps:.2f}x"
        added = "" if label == direct_label else f"{one.p50_ms - direct[1].p50_ms:+.2f}"
        print(f"  {label:42} {many.rps:>13,.0f} {ratio:>7} {many.p50_ms:>7.2f} {many.p99_ms:>7.2f} {many.errors:>6} |"
              f" {one.p50_ms:>15.2f} {one.p99_ms:>7.2f} {added:>13}")
    for label, figures in results.items():
        if label == direct_label:
            continue
        ratio = figures[connections].rps / direct[connections].rps
        added = figures[1].p50_ms - direct[1].p50_ms
        if label not in judged:
            print(f"  {label.strip():42} throughput {ratio:.2f}x direct; adds {added:.2f} ms at p50 "
                  f"(a comparison: not the default upstream client)")
            continue
        print(f"  {label.strip():42} throughput {ratio:.2f}x direct (target >= 0.60: "
              f"{'met' if ratio >= 0.6 else 'NOT met'}); adds {added:.2f} ms at p50 (target <= 1.00: "
              f"{'met' if added <= 1.0 else 'NOT met'})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each measurement")
    parser.add_argument("--rounds", type=int, default=3, help="measurements per figure (the median is shown)")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--clients", default="httptools,aiohttp,httpx",
                        help="the gateway's upstream clients to compare (UPSTREAM_CLIENT)")
    parser.add_argument("--loadgen", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    parser.add_argument("--serve-stub", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--body-file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.loadgen:  # the child process of the Python load generator
        print(json.dumps(asyncio.run(_python_load(args.loadgen, args.token, args.connections, args.seconds))))
        return 0
    if args.serve_stub:
        serve_stub(args.serve_stub, args.body_file)
        return 0

    load = wrk if shutil.which("wrk") else python_load
    shared_limits = redis_answers()
    limits = {"RATE_LIMIT_PER_SECOND": "1000000", "RATE_LIMIT_BURST": "1000000",
              "RATE_LIMIT_ANONYMOUS_PER_SECOND": "1000000", "RATE_LIMIT_ANONYMOUS_BURST": "1000000"}
    redis_env = {"RATE_LIMIT_REDIS_URL": f"redis://{REDIS[0]}:{REDIS[1]}/0",
                 "RATE_LIMIT_REDIS_PREFIX": f"bench:{uuid.uuid4().hex[:8]}:"} if shared_limits else {}
    where = "Redis" if shared_limits else "in-process (no Redis)"
    kinds = args.clients.split(",")
    variants = {f"gateway, {client + ',':10} limits in {where}": {"UPSTREAM_CLIENT": client, **limits, **redis_env}
                for client in kinds}
    if shared_limits:
        for client in kinds:
            if client != "httpx":  # measured far behind the others: once is enough
                variants[f"gateway, {client + ',':10} limits in-process"] = {"UPSTREAM_CLIENT": client, **limits}

    judged = {label for label, env in variants.items() if env["UPSTREAM_CLIENT"] == DEFAULT_CLIENT}

    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as folder:
        workdir = Path(folder)
        private_key, public_key = ensure_jwt_keys(workdir / "keys")
        broker = EmbeddedBroker(log_path=workdir / "broker.log").start()
        databases = contextlib.ExitStack()  # dropped at the end
        urls = databases.enter_context(service_databases(("catalog", "gateway"), workdir))  # PostgreSQL under TEST_DATABASE_URL
        stack = LocalStack(workdir, broker.bootstrap, urls,
                           public_key, private_key, names=("catalog",), ports={"gateway": 0},
                           extra_env={"gateway": {"DEMO_ACCOUNTS": "true"}})
        children: list[subprocess.Popen] = []
        print(f"the catalog and the gateway on {'PostgreSQL' if 'postgresql' in urls['catalog'] else 'SQLite'}",
              flush=True)
        try:
            stack.start("catalog")
            seeder, seeder_url = start_gateway(stack, "gateway-seed", limits)
            children.append(seeder)
            items = seed_catalog(seeder_url)
            token = token_for(seeder_url, "purchaser-a")
            body = httpx.get(stack.url("catalog") + PATH, headers={"Authorization": f"Bearer {token}"}).content
            stub, stub_url = start_stub(workdir, body)
            children.append(stub)
            gateways, pids = {}, {}
            for label, env in variants.items():
                process, url = start_gateway(stack, f"gateway-{len(gateways)}", {"ORDERS_URL": stub_url, **env})
                children.append(process)
                gateways[label], pids[label] = url, process.pid
            stub_path = "/api/v1/orders/catalog-copy"
            scenarios = {
                f"GET {PATH} (the catalog list, real service)":
                    {"direct to catalog": stack.url("catalog") + PATH} | {k: u + PATH for k, u in gateways.items()},
                f"GET {stub_path} (the same {len(body):,} bytes from a minimal FastAPI upstream)":
                    {"direct to the minimal upstream": stub_url + stub_path}
                    | {k: u + stub_path for k, u in gateways.items()},
            }
            for targets in scenarios.values():
                for url in targets.values():
                    response = httpx.get(url, headers={"Authorization": f"Bearer {token}"})
                    assert response.status_code == 200 and response.content == body, (url, response.status_code)

            print(f"{items} services in the list ({len(body):,} bytes); load: {load.__name__} "
                  f"({'one thread' if load is wrk else 'asyncio, separate process'}); {os.cpu_count()} CPUs, "
                  f"load average {os.getloadavg()[0]:.1f} at start; {args.rounds} rounds of {args.seconds:g} s "
                  f"per figure (median shown)")
            samples: dict[str, dict[str, dict[int, list[Figures]]]] = {
                title: {label: {args.connections: [], 1: []} for label in targets}
                for title, targets in scenarios.items()}
            for targets in scenarios.values():
                for url in targets.values():
                    load(url, token, args.connections, 1)  # warm up pools and caches
            cpu: dict[str, list[float]] = {label: [] for label in gateways}  # µs per request, minimal upstream
            # µs per request at 50 clients on the minimal upstream: (load generator, gateway, upstream)
            split: dict[str, list[tuple[float, float, float]]] = {}
            for _ in range(args.rounds):
                for title, targets in scenarios.items():
                    for label, url in targets.items():
                        for clients in (args.connections, 1):
                            pid = pids.get(label) if url.endswith(stub_path) else None
                            used = cpu_seconds(pid) if pid else 0.0
                            upstream_used, load_used = cpu_seconds(stub.pid), children_cpu_seconds()
                            figures = load(url, token, clients, args.seconds)
                            samples[title][label][clients].append(figures)
                            if url.endswith(stub_path) and clients == args.connections and figures.requests:
                                gateway = (cpu_seconds(pid) - used) / figures.requests * 1e6 if pid else 0.0
                                if pid:
                                    cpu[label].append(gateway)
                                split.setdefault(label, []).append(
                                    ((children_cpu_seconds() - load_used) / figures.requests * 1e6, gateway,
                                     (cpu_seconds(stub.pid) - upstream_used) / figures.requests * 1e6))
            for title, by_label in samples.items():
                results = {label: {c: median(runs) for c, runs in by_clients.items()}
                           for label, by_clients in by_label.items()}
                report(title, results, next(iter(results)), args.connections, judged)
            print("\nthe gateway's own CPU per proxied request (its process's user + system time ÷ requests, "
                  f"minimal upstream, {args.connections} clients, median of {args.rounds})")
            for label, values in cpu.items():
                spent = sorted(values)[len(values) // 2]
                verdict = (f"target <= 150 µs: {'met' if spent <= 150 else 'NOT met'}" if label in judged
                           else "(a comparison: not the default upstream client)")
                print(f"  {label:42} {spent:6.0f} µs  {verdict}")
            print(f"\nCPU per request on the minimal upstream, {args.connections} clients (median of {args.rounds}; "
                  f"{os.cpu_count()} CPUs: at most {os.cpu_count()} s of CPU a second for the three together)")
            print(f"  {'':42} load generator  gateway  upstream     sum  -> req/s the CPUs allow")
            for label, values in split.items():
                generator, gateway, upstream = (sorted(v[i] for v in values)[len(values) // 2] for i in range(3))
                total = generator + gateway + upstream
                # each of the three is one thread: none goes past one CPU
                bound = min(os.cpu_count() / total * 1e6, *(1e6 / v for v in (generator, gateway, upstream) if v))
                print(f"  {label:42} {generator:11.0f} µs {gateway:5.0f} µs {upstream:6.0f} µs {total:5.0f} µs"
                      f" -> {bound:,.0f}")
            by_client = dict(zip(kinds, (results[label] for label in list(variants)[:len(kinds)]), strict=True))
            faster = max(by_client, key=lambda client: by_client[client][args.connections].rps)
            print(f"\nupstream client, minimal upstream, limits in {where}, {args.connections} clients: "
                  + ", ".join(f"{client} {figures[args.connections].rps:,.0f} req/s" for client, figures in by_client.items())
                  + "; one client p50 " + " vs ".join(f"{figures[1].p50_ms:.2f}" for figures in by_client.values())
                  + f" ms -> {faster} is faster (the gateway's default UPSTREAM_CLIENT is httptools)")
            print(f"\nload average {os.getloadavg()[0]:.1f} at the end")
        finally:
            for process in children:
                process.terminate()
            for process in children:
                process.wait(timeout=15)
            stack.stop_all()
            broker.stop()
            databases.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
