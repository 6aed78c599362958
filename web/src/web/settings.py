"""The console's settings, from the environment (pydantic-settings), like every process of the platform."""

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", env_file=None)

    host: str = "127.0.0.1"
    port: int = Field(8200, ge=1, le=65535)
    gateway_url: str = Field("http://127.0.0.1:8000", description="The gateway: the only thing the console calls")
    gateway_timeout: float = Field(30.0, gt=0, description="Seconds a call to the gateway may take")
    web_secret: str | None = Field(None, description="Key of the CSRF tokens; every replica needs the same one")
    web_secret_file: Path | None = Field(None, description="File holding WEB_SECRET (a docker secret)")
    cookie_secure: Literal["auto", "always", "never"] = Field(
        "auto", description="Secure cookies: auto = when the page was asked for over HTTPS (X-Forwarded-Proto)")
    forwarded_allow_ips: str = Field("127.0.0.1", description="The gateway's address: its X-Forwarded-For is trusted")
    otel_exporter_otlp_endpoint: str | None = Field(
        None, description="OTLP/HTTP collector (http://collector:4318): spans are exported there; unset: no tracing")
    log_level: str = "INFO"
    log_format: Literal["json", "text"] = "json"

    def secret(self) -> str | None:
        if self.web_secret:
            return self.web_secret
        if self.web_secret_file:
            return self.web_secret_file.read_text().strip()
        return None
