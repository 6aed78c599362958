"""Rate limits in a Redis reached over TLS (rediss://) or found through Sentinel (redis+sentinel://):
redis-py carries what the lean connection does not speak, plain redis:// keeps the lean one. Real
servers: redis-server with TLS on a free port and a self-signed certificate, and a Sentinel (the same
binary, --sentinel) watching a master of its own."""

from __future__ import annotations

import datetime
import ipaddress
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from devstack.broker import free_port
from gateway.domain import Limit
from gateway.ratelimit import MemoryLimiter, RedisLimiter
from gateway.redisconn import RedisConnection, RedisPyConnection, RedisUnavailable, ReplyError, connect

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def _certificate(subject: str, key: ec.EllipticCurvePrivateKey, issuer: tuple[str, ec.EllipticCurvePrivateKey] | None,
                 *, ca: bool) -> x509.Certificate:
    now = datetime.datetime.now(datetime.timezone.utc)
    issuer_name, issuer_key = issuer or (subject, key)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                                     x509.DNSName("localhost")]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write_pem(path: Path, cert: x509.Certificate | None = None, key: ec.EllipticCurvePrivateKey | None = None) -> Path:
    if cert is not None:
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    else:
        assert key is not None
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return path


def _answers(port: int, *, tls: ssl.SSLContext | None = None) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as raw:
            conn = tls.wrap_socket(raw, server_hostname="127.0.0.1") if tls else raw
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _start(args: list[str], port: int, workdir: Path, tls: ssl.SSLContext | None = None) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([REDIS_SERVER, *args], cwd=workdir, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while not _answers(port, tls=tls):  # waiting for the server to answer, not for time to pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"redis-server {' '.join(args)} did not start")
        time.sleep(0.05)
    return process


def _stop(*processes: subprocess.Popen[bytes]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


class TlsRedis:
    def __init__(self, port: int, ca_file: Path, other_ca_file: Path) -> None:
        self.port = port
        self.ca_file = ca_file
        self.other_ca_file = other_ca_file

    def url(self, ca_file: Path | None = None) -> str:
        return f"rediss://127.0.0.1:{self.port}/0?ssl_ca_certs={ca_file or self.ca_file}"


@pytest.fixture(scope="module")
def tls_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsRedis]:
    folder = tmp_path_factory.mktemp("redis-tls")
    ca_key, server_key, other_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    ca = _certificate("test redis CA", ca_key, None, ca=True)
    server = _certificate("127.0.0.1", server_key, ("test redis CA", ca_key), ca=False)
    other_ca = _certificate("some other CA", other_key, None, ca=True)
    ca_file, other_ca_file = _write_pem(folder / "ca.pem", ca), _write_pem(folder / "other-ca.pem", other_ca)
    cert_file, key_file = _write_pem(folder / "server.pem", server), _write_pem(folder / "server.key", key=server_key)
    port = free_port()
    client_tls = ssl.create_default_context(cafile=str(ca_file))
    process = _start(["--port", "0", "--tls-port", str(port), "--tls-cert-file", str(cert_file),
                      "--tls-key-file", str(key_file), "--tls-ca-cert-file", str(ca_file),
                      "--tls-auth-clients", "no", "--save", "", "--appendonly", "no", "--dir", str(folder)],
                     port, folder, tls=client_tls)
    try:
        yield TlsRedis(port, ca_file, other_ca_file)
    finally:
        _stop(process)


class SentinelRedis:
    def __init__(self, master_port: int, sentinel_port: int) -> None:
        self.master_port = master_port
        self.sentinel_port = sentinel_port
        self.url = f"redis+sentinel://127.0.0.1:{sentinel_port}/platform-master/0"


@pytest.fixture(scope="module")
def sentinel_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SentinelRedis]:
    folder = tmp_path_factory.mktemp("redis-sentinel")
    master_port, sentinel_port = free_port(), free_port()
    master = _start(["--port", str(master_port), "--save", "", "--appendonly", "no", "--dir", str(folder)],
                    master_port, folder)
    config = folder / "sentinel.conf"  # Sentinel rewrites its configuration file: one of its own
    config.write_text(f"port {sentinel_port}\ndir {folder}\n"
                      f"sentinel monitor platform-master 127.0.0.1 {master_port} 1\n"
                      "sentinel down-after-milliseconds platform-master 5000\n")
    try:
        sentinel = _start([str(config), "--sentinel"], sentinel_port, folder)
    except BaseException:
        _stop(master)
        raise
    try:
        yield SentinelRedis(master_port, sentinel_port)
    finally:
        _stop(sentinel, master)


async def _counts_like_the_domain_rule(limiter: RedisLimiter) -> None:
    limit = Limit(per_second=0.5, burst=3)
    decisions = [await limiter.hit("user:a", limit) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    assert decisions[3].retry_after_seconds == 2


def test_plain_redis_keeps_the_lean_connection_and_the_rest_goes_to_redis_py():
    assert type(connect("redis://127.0.0.1:6379/0")) is RedisConnection
    assert type(connect("rediss://127.0.0.1:6380/0")) is RedisPyConnection
    assert type(connect("redis+sentinel://127.0.0.1:26379/mymaster/0")) is RedisPyConnection
    with pytest.raises(ValueError, match="unsupported"):
        connect("memcached://127.0.0.1:11211")
    with pytest.raises(ValueError, match="names its master"):
        connect("redis+sentinel://127.0.0.1:26379")


def test_a_sentinel_url_names_every_sentinel_the_master_and_the_passwords():
    connection = connect("redis+sentinel://app:s%40cret@10.0.0.1,10.0.0.2:26380,[::1]:26381/orders-master/2"
                         "?sentinel_password=watch")
    pool = connection.client.connection_pool
    assert pool.service_name == "orders-master"
    assert pool.connection_kwargs["db"] == 2
    assert pool.connection_kwargs["username"] == "app" and pool.connection_kwargs["password"] == "s@cret"
    sentinels = pool.sentinel_manager.sentinels
    addresses = [(s.connection_pool.connection_kwargs["host"], s.connection_pool.connection_kwargs["port"])
                 for s in sentinels]
    assert addresses == [("10.0.0.1", 26379), ("10.0.0.2", 26380), ("::1", 26381)]
    assert all(s.connection_pool.connection_kwargs["password"] == "watch" for s in sentinels)


async def test_limits_are_shared_through_redis_over_tls(tls_redis, redis_prefix):
    limiter = RedisLimiter(tls_redis.url(), prefix=redis_prefix, timeout=2.0)
    assert isinstance(limiter.redis, RedisPyConnection)
    try:
        await _counts_like_the_domain_rule(limiter)
        assert await limiter.redis.call("EXISTS", redis_prefix + "user:a") == 1  # the state is in that Redis
    finally:
        await limiter.close()


async def test_a_tls_server_whose_certificate_we_do_not_trust_is_not_used(tls_redis, redis_prefix, caplog):
    redis = connect(tls_redis.url(tls_redis.other_ca_file), timeout=2.0)
    try:
        with pytest.raises(RedisUnavailable, match="certificate verify failed"):
            await redis.call("PING")
    finally:
        await redis.close()
    fallback = MemoryLimiter()
    limiter = RedisLimiter(tls_redis.url(tls_redis.other_ca_file), prefix=redis_prefix, fallback=fallback,
                           timeout=2.0, cooldown=60)
    try:
        assert (await limiter.hit("user:a", Limit(per_second=1, burst=1))).allowed
        assert "user:a" in fallback._tat  # counted in this process instead
        assert "does not answer" in caplog.text
    finally:
        await limiter.close()


async def test_the_lean_connection_does_not_pass_for_tls(tls_redis):
    redis = RedisConnection(f"redis://127.0.0.1:{tls_redis.port}/0", timeout=0.5)
    try:
        with pytest.raises(RedisUnavailable):
            await redis.call("PING")
    finally:
        await redis.close()


async def test_limits_are_shared_through_the_master_sentinel_names(sentinel_redis, redis_prefix):
    limiter = RedisLimiter(sentinel_redis.url, prefix=redis_prefix, timeout=2.0)
    master = RedisConnection(f"redis://127.0.0.1:{sentinel_redis.master_port}/0")
    try:
        await _counts_like_the_domain_rule(limiter)
        assert await master.call("EXISTS", redis_prefix + "user:a") == 1  # written on the master Sentinel named
    finally:
        await master.close()
        await limiter.close()


@pytest.fixture
def sentinel_with_replica(tmp_path: Path) -> Iterator[tuple[SentinelRedis, int]]:
    master_port, replica_port, sentinel_port = free_port(), free_port(), free_port()
    common = ["--save", "", "--appendonly", "no", "--dir", str(tmp_path)]
    started = [_start(["--port", str(master_port), *common], master_port, tmp_path)]
    try:
        started.append(_start(["--port", str(replica_port), "--replicaof", "127.0.0.1", str(master_port), *common],
                              replica_port, tmp_path))
        config = tmp_path / "sentinel.conf"
        config.write_text(f"port {sentinel_port}\ndir {tmp_path}\n"
                          f"sentinel monitor platform-master 127.0.0.1 {master_port} 1\n"
                          "sentinel down-after-milliseconds platform-master 5000\n"
                          "sentinel failover-timeout platform-master 10000\n")
        started.append(_start([str(config), "--sentinel"], sentinel_port, tmp_path))
        yield SentinelRedis(master_port, sentinel_port), replica_port
    finally:
        _stop(*reversed(started))


async def _until(check, what: str, timeout: float = 30.0):  # waits for a condition, not for time to pass
    import asyncio

    deadline = time.monotonic() + timeout
    while not (result := await check()):
        assert time.monotonic() < deadline, f"{what} not within {timeout}s"
        await asyncio.sleep(0.1)
    return result


async def test_after_a_failover_the_limits_follow_the_new_master(sentinel_with_replica, redis_prefix):
    sentinels, replica_port = sentinel_with_replica
    sentinel = RedisConnection(f"redis://127.0.0.1:{sentinels.sentinel_port}/0", timeout=2.0)
    replica = RedisConnection(f"redis://127.0.0.1:{replica_port}/0", timeout=2.0)
    limiter = RedisLimiter(sentinels.url, prefix=redis_prefix, timeout=2.0, cooldown=0)
    limit = Limit(per_second=0.01, burst=100)
    try:
        assert (await limiter.hit("user:a", limit)).remaining == 99

        async def failover_started() -> bool:  # refused (NOGOODSLAVE) until Sentinel has seen the replica in sync
            try:
                return await sentinel.call("SENTINEL", "FAILOVER", "platform-master") == b"OK"
            except ReplyError as refused:
                assert "NOGOODSLAVE" in str(refused)
                return False

        await _until(failover_started, "Sentinel starts a failover")

        async def promoted() -> bool:
            address = await sentinel.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "platform-master")
            return address[1] == str(replica_port).encode()

        await _until(promoted, "the replica promoted")

        async def counted_on_the_new_master() -> bool:
            await limiter.hit("user:b", limit)  # during the switch it may count in-process (cooldown 0)
            return await replica.call("EXISTS", redis_prefix + "user:b") == 1

        await _until(counted_on_the_new_master, "the limits written on the new master")
    finally:
        await sentinel.close()
        await replica.close()
        await limiter.close()
