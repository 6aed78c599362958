from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(extra="ignore")

    port: int = 8102
    database_url: str = "sqlite:///var/catalog.db"
