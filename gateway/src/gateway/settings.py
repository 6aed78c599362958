from pathlib import Path

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
    upstream_timeout: float = Field(15.0, gt=0, description="Seconds before a slow service answers 504")
    upstream_connect_timeout: float = Field(2.0, gt=0)

    def private_key_pem(self) -> str | None:
        if self.jwt_private_key:
            return self.jwt_private_key
        if self.jwt_private_key_file:
            return self.jwt_private_key_file.read_text()
        return None
