"""docker-compose.yml is consistent with the code (no Docker engine runs here to try it): every
service, the gateway and the console are there, each built from the one docker/service.Dockerfile
with its own package, module and port, configured only with settings it knows, health-checked, on its
own database (the console has none), wired to Kafka in KRaft mode. Hardened: the processes run as an
unprivileged user, every password is a docker secret with no default, every container restarts; the
file is accepted by the compose specification's schema and by docker-compose 1.29's (Debian), kept in
tests/compose-schemas/ (compose-spec/compose-spec schema/compose-spec.json at 170098b, and
compose/config/compose_spec.json of the docker-compose 1.29.2 package on PyPI). Prometheus scrapes
every process; the Grafana dashboard shows figures the processes export."""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import tomllib
from pathlib import Path

import jsonschema
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
    # <NAME>_FILE reads setting NAME from a file (servicekit.settings.SecretFiles)
    unknown = {name for name in environment if name not in known and name.removesuffix("_FILE") not in known}
    assert not unknown, f"{spec.name}: settings its code does not read: {sorted(unknown)}"
    assert environment["PORT"] == str(spec.port)
    if spec.name not in WITH_DATABASE:
        assert "DATABASE_URL" not in environment
        return
    database = re.fullmatch(r"postgresql://postgres@postgres:5432/(\w+)", environment["DATABASE_URL"])
    assert database and database.group(1) == spec.name and spec.name in CREATED_DATABASES
    assert environment["DATABASE_PASSWORD_FILE"] == "/run/secrets/postgres_password"  # the URL names no password


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
    assert set(COMPOSE["secrets"]) == {"jwt_private_key", "jwt_public_key", "ca_cert", "ca_key", "web_secret",
                                       "postgres_password", "minio_root_user", "minio_root_password",
                                       "grafana_admin_password"}


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


PASSWORD_LIKE = re.compile(r"PASSWORD|SECRET")
ONE_SHOT = {"minio-bucket"}  # runs once and ends: restarted only when it failed, not health-checked


def test_the_processes_run_as_an_unprivileged_user():
    lines = [line.strip() for line in DOCKERFILE.read_text().splitlines() if line.strip() and not line.startswith("#")]
    users = [line for line in lines if line.startswith("USER ")]
    assert users == ["USER 10001:10001"]  # numeric: an orchestrator can check runAsNonRoot
    assert lines.index(users[0]) > max(i for i, line in enumerate(lines) if line.startswith(("RUN ", "COPY ")))
    assert "useradd --system --uid 10001" in DOCKERFILE.read_text()
    for spec in ALL:
        assert str(CONTAINERS[spec.name].get("user", "10001")).split(":")[0] not in ("0", "root")


def test_every_password_is_a_docker_secret_with_no_default():
    text = (ROOT / "docker-compose.yml").read_text()
    assert "change-me" not in text and not re.search(r"\$\{\w*(PASSWORD|SECRET)\w*", text)
    defined = COMPOSE["secrets"]
    for name, container in CONTAINERS.items():
        environment = container.get("environment") or {}
        mounted = set(container.get("secrets") or ())
        for variable, setting in environment.items():
            if PASSWORD_LIKE.search(variable) and not variable.endswith("_FILE"):
                assert setting == "", f"{name}: {variable} is set in the environment, not read from a secret"
            if variable.endswith("_FILE") and str(setting).startswith("/run/secrets/"):
                assert str(setting).removeprefix("/run/secrets/") in mounted, f"{name}: {variable} not mounted"
        if "DATABASE_URL" in environment:  # user@host: no password in the URL
            assert ":" not in environment["DATABASE_URL"].split("//", 1)[1].split("@")[0], name
        assert mounted <= set(defined), f"{name}: mounts secrets that are not defined: {mounted - set(defined)}"
    for secret in defined.values():
        assert secret["file"].startswith("./deploy/secrets/")  # made by `devstack keys`, never committed
    ignored = subprocess.run(["git", "check-ignore", "-q", "deploy/secrets/postgres-password"], cwd=ROOT)
    assert ignored.returncode == 0, "deploy/secrets/ must be in .gitignore"
    postgres, minio = CONTAINERS["postgres"]["environment"], CONTAINERS["minio"]["environment"]
    assert postgres == {"POSTGRES_PASSWORD_FILE": "/run/secrets/postgres_password"}
    # MinIO takes the names of files under /run/secrets
    assert minio == {"MINIO_ROOT_USER_FILE": "minio_root_user", "MINIO_ROOT_PASSWORD_FILE": "minio_root_password"}
    assert {"minio_root_user", "minio_root_password"} <= set(CONTAINERS["minio"]["secrets"])
    for name in ("contracts", "orders"):
        environment = CONTAINERS[name]["environment"]
        assert environment["S3_ACCESS_KEY_ID_FILE"] == "/run/secrets/minio_root_user"
        assert environment["S3_SECRET_ACCESS_KEY_FILE"] == "/run/secrets/minio_root_password"
    assert CONTAINERS["grafana"]["environment"]["GF_SECURITY_ADMIN_PASSWORD__FILE"] == "/run/secrets/grafana_admin_password"


def test_devstack_keys_makes_every_secret_file_the_compose_file_mounts(tmp_path):
    from devstack.keys import COMPOSE_PASSWORDS, ensure_compose_secrets, ensure_jwt_keys

    ensure_jwt_keys(tmp_path)
    ensure_compose_secrets(tmp_path)
    made = {path.name for path in tmp_path.iterdir()}
    passwords = {Path(s["file"]).name for s in COMPOSE["secrets"].values()} - {"ca.cert.pem", "ca.key.pem"}
    assert passwords <= made and set(COMPOSE_PASSWORDS) <= passwords  # the CA comes from contracts.ca
    assert (tmp_path / "postgres-password").read_text() != (tmp_path / "minio-root-password").read_text()
    assert tmp_path.stat().st_mode & 0o777 == 0o700


def test_every_container_restarts_and_every_long_running_one_is_health_checked():
    for name, container in CONTAINERS.items():
        if name in ONE_SHOT:
            assert container["restart"] == "on-failure"
            continue
        assert container["restart"] in ("unless-stopped", "always"), name
        assert container["healthcheck"]["test"], name


@pytest.mark.parametrize("schema", ["compose-spec.json", "docker-compose-1.29.2.json"])
def test_the_file_is_accepted_by_the_compose_specification_and_by_docker_compose_1_29(schema):
    validator = jsonschema.Draft7Validator(json.loads((ROOT / "tests/compose-schemas" / schema).read_text()))
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(COMPOSE)]
    assert not errors
    assert "name" not in COMPOSE  # docker-compose 1.29 refuses a top-level name


def test_prometheus_scrapes_every_process_and_grafana_shows_what_they_export():
    from servicekit.metrics import Metrics

    scrape = yaml.safe_load((ROOT / "deploy/prometheus.yml").read_text())["scrape_configs"]
    jobs = {job["job_name"]: job for job in scrape}
    for spec in ALL:
        assert jobs[spec.name]["dns_sd_configs"] == [{"names": [spec.name], "type": "A", "port": spec.port}]
    prometheus, grafana = CONTAINERS["prometheus"], CONTAINERS["grafana"]
    assert "./deploy/prometheus.yml:/etc/prometheus/prometheus.yml:ro" in prometheus["volumes"]
    assert grafana["depends_on"] == {"prometheus": {"condition": "service_healthy"}}
    source = yaml.safe_load((ROOT / "deploy/grafana/provisioning/datasources/prometheus.yml").read_text())
    assert source["datasources"][0]["url"] == "http://prometheus:9090"
    dashboard = json.loads((ROOT / "deploy/grafana/dashboards/platform.json").read_text())
    exported = set()
    for family in Metrics("any").registry.collect():
        exported |= {family.name, f"{family.name}_total", f"{family.name}_bucket"}
    exported |= {"http_requests_total", "http_request_duration_seconds_bucket"}
    shown = set()
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            shown |= set(re.findall(r"\b([a-z_]+(?:_total|_bucket|_seconds|_waiting|_size|_lag))\b", target["expr"]))
            assert target["datasource"]["uid"] == source["datasources"][0]["uid"]
    assert shown and shown <= exported, shown - exported
    for wanted in ("http_requests_total", "http_request_duration_seconds_bucket", "outbox_waiting",
                   "outbox_oldest_waiting_age_seconds", "events_consumed_total", "events_failed_total", "dlq_size",
                   "consumer_lag", "timer_lag_seconds", "deadline_lag_seconds"):
        assert wanted in shown
