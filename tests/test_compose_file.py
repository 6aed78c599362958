"""docker-compose.yml is consistent with the code (no Docker engine runs here to try it): every
service, the gateway and the console are there, each built from the one docker/service.Dockerfile
with its own package, module and port, configured only with settings it knows, health-checked, on its
own database (the console has none), wired to Kafka in KRaft mode."""

from __future__ import annotations

import importlib
import re
import tomllib
from pathlib import Path

import pytest
import yaml

from devstack.stack import ALL, GATEWAY, SERVICES, WEB, WITH_DATABASE

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
CONTAINERS = COMPOSE["services"]
CREATED_DATABASES = set(re.findall(r"CREATE DATABASE (\w+);", (ROOT / "docker/postgres-init.sql").read_text()))
DOCKERFILE = ROOT / "docker/service.Dockerfile"


def package_dir(name: str) -> Path:
    return ROOT / (name if name in (GATEWAY.name, WEB.name) else f"services/{name}")


def test_the_one_dockerfile_installs_the_package_and_runs_the_module_on_the_port_it_is_given():
    text = DOCKERFILE.read_text()
    assert {"ARG SERVICE", "ARG PACKAGE", "ARG PORT"} <= set(text.splitlines())
    assert 'uv sync --frozen --no-dev --package "$PACKAGE"' in text
    assert "APP_MODULE=$SERVICE" in text and 'exec python -m \\"$APP_MODULE\\"' in text
    assert "EXPOSE $PORT" in text and "PORT=$PORT" in text and "/readyz" in text


@pytest.mark.parametrize("spec", ALL, ids=lambda s: s.name)
def test_container_builds_from_the_one_dockerfile_with_its_package_module_and_port(spec):
    build = CONTAINERS[spec.name]["build"]
    assert build["context"] == "."
    assert ROOT / build["dockerfile"] == DOCKERFILE
    distribution = tomllib.loads((package_dir(spec.name) / "pyproject.toml").read_text())["project"]["name"]
    assert build["args"] == {"SERVICE": spec.module, "PACKAGE": distribution, "PORT": str(spec.port)}
    assert not (package_dir(spec.name) / "Dockerfile").exists()  # no second recipe to drift apart


@pytest.mark.parametrize("spec", ALL, ids=lambda s: s.name)
def test_container_is_configured_with_known_settings_only(spec):
    environment = CONTAINERS[spec.name]["environment"]
    settings_cls = importlib.import_module(f"{spec.module}.settings").Settings
    known = {name.upper() for name in settings_cls.model_fields}
    unknown = set(environment) - known
    assert not unknown, f"{spec.name}: settings its code does not read: {sorted(unknown)}"
    assert environment["PORT"] == str(spec.port)
    if spec.name not in WITH_DATABASE:
        assert "DATABASE_URL" not in environment
        return
    database = re.fullmatch(r"postgresql://postgres:[^@]+@postgres:5432/(\w+)", environment["DATABASE_URL"])
    assert database and database.group(1) == spec.name and spec.name in CREATED_DATABASES


@pytest.mark.parametrize("spec", ALL, ids=lambda s: s.name)
def test_container_is_health_checked_on_readyz_and_waits_for_its_dependencies(spec):
    container = CONTAINERS[spec.name]
    assert "/readyz" in " ".join(container["healthcheck"]["test"])
    depends = container["depends_on"]
    if spec.name in WITH_DATABASE:
        assert depends["postgres"]["condition"] == "service_healthy"
    if spec in SERVICES:
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
    assert set(COMPOSE["secrets"]) == {"jwt_private_key", "jwt_public_key", "ca_cert", "ca_key", "web_secret"}


def test_the_console_calls_the_gateway_which_sends_it_every_page():
    web, gateway = CONTAINERS[WEB.name], CONTAINERS[GATEWAY.name]
    assert gateway["environment"]["WEB_URL"] == f"http://{WEB.name}:{WEB.port}"
    assert web["environment"]["GATEWAY_URL"] == f"http://{GATEWAY.name}:{GATEWAY.port}"
    assert web["depends_on"] == {GATEWAY.name: {"condition": "service_healthy"}}
    assert WEB.name not in gateway["depends_on"]  # the gateway answers the API without the console
    assert web["environment"]["WEB_SECRET_FILE"] == "/run/secrets/web_secret" and web["secrets"] == ["web_secret"]
    assert "ports" not in web  # reached through the gateway only


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
    assert CREATED_DATABASES == set(WITH_DATABASE)
