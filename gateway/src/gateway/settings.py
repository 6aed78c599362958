from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(extra="ignore")

    port: int = 8000
    database_url: str = "sqlite:///var/gateway.db"
    jwt_private_key_file: Path | None = Field(None, description="PEM of the RS256 signing key")
    jwt_private_key: str | None = None
    token_ttl_seconds: int = Field(1800, ge=60, description="Lifetime of an access token")
    demo_accounts: bool = Field(False, description="Seed the demo accounts of DESIGN §6 at start")

    plans_url: str = "http://127.0.0.1:8101"
    catalog_url: str = "http://127.0.0.1:8102"
    bidding_url: str = "http://127.0.0.1:8103"
    contracts_url: str = "http://127.0.0.1:8104"
    orders_url: str = "http://127.0.0.1:8105"
    web_url: str = Field("http://127.0.0.1:8200", description="The console (web/): every page outside /api")
    forwarded_allow_ips: str = Field(
        "127.0.0.1", description="Proxies whose X-Forwarded-For names the real caller (comma-separated addresses): "
        "the console, which calls the API for the people it serves, and any load balancer in front")
    upstream_client: Literal["httptools", "aiohttp", "httpx"] = Field(
        "httptools", description="HTTP client of the pass-through: the gateway's own pool (gateway/pool.py), "
        "aiohttp or httpx; bench/gateway_passthrough.py measures them side by side")
    upstream_timeout: float = Field(15.0, gt=0, description="Seconds a service may stay silent before a 504")
    upstream_connect_timeout: float = Field(2.0, gt=0, description="Seconds to connect to a service before a 504")
    upstream_pool_size: int = Field(100, ge=1, description="Kept-alive connections per service")
    max_body_bytes: int = Field(64 * 1024 * 1024, ge=1024,
                                description="Largest request body (uploads) passed to a service; more is a 413")
    openapi_cache_seconds: float = Field(60.0, ge=0, description="How long the merged /docs document is reused")
    access_log: bool = Field(True, description="One log line per request: method, path, status, service, time")

    # Per-user rate limits (GCRA: a sustained rate plus a burst). Shared by every replica through Redis when
    # RATE_LIMIT_REDIS_URL is set (production); in-process otherwise (the embedded default, one replica).
    rate_limit_enabled: bool = True
    rate_limit_redis_url: str | None = Field(
        None, description="redis://host:6379/0, rediss://host:6380/0?ssl_ca_certs=/ca.pem (TLS) or "
        "redis+sentinel://host1:26379,host2:26379/<master>/0 (Sentinel); unset: limits per process")
    rate_limit_redis_prefix: str = Field("gateway:rl:", description="Key prefix of the limits in Redis")
    rate_limit_per_second: float = Field(50.0, gt=0, description="Sustained requests per second per user")
    rate_limit_burst: int = Field(100, ge=1, description="Requests a user may send at once")
    rate_limit_anonymous_per_second: float = Field(20.0, gt=0,
                                                   description="Per client address, without a token")
    rate_limit_anonymous_burst: int = Field(40, ge=1)
    login_attempts_per_minute: float = Field(10.0, gt=0,
                                             description="Log-in attempts per account and address")
    login_attempts_burst: int = Field(10, ge=1)
    login_attempts_per_address_per_minute: float = Field(
        60.0, gt=0,
        description="Log-in attempts per client address, whatever the account (an office shares one)")

    def private_key_pem(self) -> str | None:
        if self.jwt_private_key:
            return self.jwt_private_key
        if self.jwt_private_key_file:
            return self.jwt_private_key_file.read_text()
        return None
