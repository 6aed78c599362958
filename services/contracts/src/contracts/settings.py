from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(extra="ignore")

    port: int = 8104
    database_url: str = "sqlite:///var/contracts.db"
