"""Bad config fails fast at start with a one-line message naming what is wrong — not a traceback wall."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from devstack.broker import free_port


def start(module: str, tmp_path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {"DATABASE_URL": f"sqlite:///{tmp_path / 'svc.db'}", "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
            "STARTUP_TIMEOUT": "2", "PORT": str(free_port())}
    environment = {k: v for k, v in os.environ.items() if k not in base} | base | env
    return subprocess.run([sys.executable, "-m", module], env=environment, capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize("module", ["plans", "bidding"])
def test_unreachable_broker(module, tmp_path):
    closed = free_port()
    result = start(module, tmp_path, KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{closed}")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{module}: cannot start: cannot reach the Kafka broker at 127.0.0.1:{closed}")
    assert "KAFKA_BOOTSTRAP_SERVERS" in lines[0]


def test_unreachable_database(tmp_path):
    port = free_port()
    result = start("plans", tmp_path, DATABASE_URL=f"postgresql://postgres:secret@127.0.0.1:{port}/plans")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "cannot reach the database" in lines[0] and "DATABASE_URL" in lines[0]
    assert "secret" not in lines[0]  # the password is never printed


def test_database_in_a_missing_folder(tmp_path):
    result = start("orders", tmp_path, DATABASE_URL=f"sqlite:///{tmp_path}/no/such/folder/orders.db")
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "DATABASE_URL" in result.stderr


def test_malformed_settings(tmp_path):
    result = start("catalog", tmp_path, DATABASE_URL="mysql://root@localhost/catalog", PORT="eighty")
    assert result.returncode == 2
    line = result.stderr.strip()
    assert "\n" not in line
    assert line.startswith("catalog: cannot start: invalid configuration:")
    assert "DATABASE_URL: must be a postgresql:// or sqlite:/// URL" in line and "PORT" in line
