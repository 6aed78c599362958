from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(extra="ignore")

    port: int = 8102
    database_url: str = "sqlite:///var/catalog.db"
    clock_interval: float = Field(30.0, gt=0, description="Seconds between two checks of agreement validity")
