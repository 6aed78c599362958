"""docker-compose.yml is consistent with the code (no Docker engine runs here to try it): every
service and the gateway is there, built from its own Dockerfile, configured only with settings it
knows, health-checked, on its own database, wired to Kafka in KRaft mode."""

from __future__ import annotations

import importlib
import re
import tomllib
from pathlib import Path

import pytest
import yaml

from devstack.stack import ALL, GATEWAY, SERVICES

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
CONTAINERS = COMPOSE["services"]
CREATED_DATABASES = set(re.findall(r"CREATE DATABASE (\w+);", (ROOT / "docker/postgres-init.sql").read_text()))


def package_dir(name: str) -> Path:
    return ROOT / ("gateway" if name == GATEWAY.name else f"services/{name}")


@pytest.mark.parametrize("spec", ALL, ids=lambda s: s.name)
def test_container_builds_from_its_own_dockerfile_and_runs_its_module(spec):
    container = CONTAINERS[spec.name]
    assert container["build"]["context"] == "."
    dockerfile = ROOT / container["build"]["dockerfile"]
    assert dockerfile.parent == package_dir(spec.name) and dockerfile.exists()
    text = dockerfile.read_text()
    distribution = tomllib.loads((package_dir(spec.name) / "pyproject.toml").read_text())["project"]["name"]
    assert f"--package {distribution}" in text
    assert f'CMD ["python", "-m", "{spec.module}"]' in text
    assert f"EXPOSE {spec.port}" in text


@pytest.mark.parametrize("spec", ALL, ids=lambda s: s.name)
def test_container_is_configured_with_known_settings_only(spec):
    environment = CONTAINERS[spec.name]["environment"]
    settings_cls = importlib.import_module(f"{spec.module}.settings").Settings
    known = {name.upper() for name in settings_cls.model_fields}
    unknown = set(environment) - known
    assert not unknown, f"{spec.name}: settings its code does not read: {sorted(unknown)}"
    assert environment["PORT"] == str(spec.port)
    database = re.fullmatch(r"postgresql://postgres:[^@]+@postgres:5432/(\w+)", environment["DATABASE_URL"])
    assert database and database.group(1) == spec.name and spec.name in CREATED_DATABASES


@pytest.mark.parametrize("spec", ALL, ids=lambda s: s.name)
def test_container_is_health_checked_on_readyz_and_waits_for_its_dependencies(spec):
    container = CONTAINERS[spec.name]
    assert "/readyz" in " ".join(container["healthcheck"]["test"])
    depends = container["depends_on"]
    assert depends["postgres"]["condition"] == "service_healthy"
    if spec is not GATEWAY:
        assert depends["kafka"]["condition"] == "service_healthy"
        assert container["environment"]["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
        assert "jwt_public_key" in container["secrets"]


def test_gateway_reaches_every_service_and_waits_for_it():
    gateway = CONTAINERS[GATEWAY.name]
    for spec in SERVICES:
        assert gateway["environment"][f"{spec.name.upper()}_URL"] == f"http://{spec.name}:{spec.port}"
        assert gateway["depends_on"][spec.name]["condition"] == "service_healthy"
    assert gateway["ports"] == ["${GATEWAY_PORT:-8000}:8000"]
    assert {"jwt_private_key", "jwt_public_key"} <= set(gateway["secrets"])
    assert set(COMPOSE["secrets"]) == {"jwt_private_key", "jwt_public_key", "ca_cert", "ca_key"}


def test_contracts_seal_with_the_platform_ca_from_secrets_not_a_demo_ca():
    contracts = CONTAINERS["contracts"]
    assert contracts["environment"]["CA_CERT_FILE"] == "/run/secrets/ca_cert"
    assert contracts["environment"]["CA_KEY_FILE"] == "/run/secrets/ca_key"
    assert contracts["environment"]["DEMO_CA_PASSWORD"] == ""
    assert {"ca_cert", "ca_key"} <= set(contracts["secrets"])


def test_kafka_runs_in_kraft_mode_and_every_infrastructure_piece_is_health_checked():
    kafka = CONTAINERS["kafka"]
    assert kafka["image"].startswith("apache/kafka")
    assert "controller" in kafka["environment"]["KAFKA_PROCESS_ROLES"]
    assert not any("zookeeper" in name for name in CONTAINERS)
    assert kafka["environment"]["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"  # services create their topics
    for name in ("kafka", "postgres", "minio"):
        assert CONTAINERS[name]["healthcheck"]["test"]
    assert CREATED_DATABASES == {spec.name for spec in ALL}
