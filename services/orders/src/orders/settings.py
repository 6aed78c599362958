from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.files import FileSettings
from servicekit.settings import ServiceSettings


class Settings(ServiceSettings, FileSettings):
    model_config = SettingsConfigDict(extra="ignore")

    port: int = 8105
    database_url: str = "sqlite:///var/orders.db"
    contract_sign_days: int = Field(30, ge=1, le=365, description="Stand-in signing deadline (days after the "
                                                                  "award) of an order whose ContractDrafted has "
                                                                  "not arrived yet; the contract's deadline wins")
    payment_days: int = Field(30, ge=1, le=60, description="Payment is made within this many days of acceptance "
                                                           "(30 by default, up to 60 by contract)")
