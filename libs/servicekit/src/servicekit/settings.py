"""Settings every service reads from its environment (pydantic-settings). A service subclasses
`ServiceSettings` for its own knobs; names are the upper-case field names (DATABASE_URL, ...).

Every setting can also be read from a file: `<NAME>_FILE=/run/secrets/x` (docker secrets; the file's
content without its trailing newline), which wins over `<NAME>`. A password never needs to be in the
environment: DATABASE_PASSWORD(_FILE) is put into DATABASE_URL, S3_SECRET_ACCESS_KEY_FILE, ..."""

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, SettingsError
from sqlalchemy.engine import make_url


class SecretFiles(PydanticBaseSettingsSource):
    """`<NAME>_FILE` names the file holding setting NAME, for every setting without a `*_file` setting
    of its own (JWT_PUBLIC_KEY_FILE and the like are paths the service reads itself)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        fields = self.settings_cls.model_fields
        values: dict[str, Any] = {}
        for name in fields:
            variable = f"{name.upper()}_FILE"
            path = os.environ.get(variable)
            if not path or f"{name}_file" in fields:
                continue
            try:
                values[name] = Path(path).read_text().rstrip("\r\n")
            except OSError as exc:
                raise SettingsError(f"{variable}: cannot read {path}: {exc.strerror or exc}") from None
        return values


def with_secret_files(init: PydanticBaseSettingsSource, env: PydanticBaseSettingsSource,
                      dotenv: PydanticBaseSettingsSource, secrets: PydanticBaseSettingsSource,
                      settings_cls: type[BaseSettings]) -> tuple[PydanticBaseSettingsSource, ...]:
    return init, SecretFiles(settings_cls), env, dotenv, secrets

from servicekit import workdays
from servicekit.workdays import WorkingCalendar


def normalize_database_url(url: str) -> str:
    """Accepts the usual spellings and returns the async driver's URL."""
    url = url.strip()
    for plain, driver in (("postgres://", "postgresql+asyncpg://"),
                          ("postgresql://", "postgresql+asyncpg://"),
                          ("sqlite:///", "sqlite+aiosqlite:///")):
        if url.startswith(plain):
            return driver + url[len(plain):]
    if url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite:///")):
        return url
    raise ValueError("must be a postgresql:// or sqlite:/// URL")


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", env_file=None)

    host: str = "127.0.0.1"
    port: int = Field(8100, ge=1, le=65535)
    database_url: str = Field(description="sqlite:///var/<service>.db or postgresql://user@host/db")
    kafka_bootstrap_servers: str = "127.0.0.1:19092"
    kafka_partitions: int = Field(3, ge=1, description="Partitions of the topics this service creates")
    kafka_session_timeout_ms: int = Field(
        10000, ge=1000, description="Consumer group session; a new member waits about half of it to join")
    kafka_fetch_max_wait_ms: int = Field(
        500, ge=1, description="Longest a fetch waits for data; Apache Kafka answers as soon as data arrives, "
        "the embedded Tansu broker waits it out, so the embedded default sets 20")
    startup_timeout: float = Field(15.0, gt=0, description="Seconds to wait for the database and broker")

    jwt_public_key_file: Path | None = None
    jwt_public_key: str | None = Field(None, description="PEM; JWT_PUBLIC_KEY_FILE is read when unset")
    jwt_issuer: str = "hunan-framework-gateway"
    jwt_audience: str = "hunan-framework"

    outbox_relay_enabled: bool = Field(True, description="false on API-only replicas")
    outbox_poll_interval: float = Field(1.0, gt=0, description="Fallback poll when no commit woke the relay")
    outbox_batch_size: int = Field(200, ge=1)
    outbox_retention_days: float = Field(
        7.0, gt=0, description="Sent outbox rows are kept this long: what the relay publishes again when the "
        "broker lost its records (the embedded broker keeps nothing on disk)")
    broker_check_interval: float = Field(
        1.0, gt=0, description="Seconds between two looks at whether the broker lost topics, offsets or groups")
    consumer_max_attempts: int = Field(5, ge=1, description="Tries before an event goes to the dead-letter topic")
    consumer_backoff: float = Field(0.2, gt=0, description="First retry delay, doubled each try, capped at 5 s")

    working_calendar_file: Path | None = Field(
        None, description="TOML of a year's holidays and adjusted working days the chinese-calendar package does "
        "not know yet (servicekit.workdays); deadlines in working days use it")
    otel_exporter_otlp_endpoint: str | None = Field(
        None, description="OTLP/HTTP collector (http://collector:4318): spans are exported there; unset: no tracing")

    database_password: str | None = Field(
        None, description="Put into DATABASE_URL (which then names no password): DATABASE_PASSWORD_FILE in compose")

    log_level: str = "INFO"
    log_format: Literal["json", "text"] = "json"

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        return with_secret_files(init_settings, env_settings, dotenv_settings, file_secret_settings, settings_cls)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return normalize_database_url(value)

    def working_calendar(self) -> WorkingCalendar:
        return workdays.load(self.working_calendar_file)
    @model_validator(mode="after")
    def _database_password(self) -> "ServiceSettings":
        if self.database_password and not self.database_url.startswith("sqlite"):
            url = make_url(self.database_url).set(password=self.database_password)
            self.database_url = url.render_as_string(hide_password=False)
        return self

    def public_key_pem(self) -> str | None:
        if self.jwt_public_key:
            return self.jwt_public_key
        if self.jwt_public_key_file:
            return self.jwt_public_key_file.read_text()
        return None
