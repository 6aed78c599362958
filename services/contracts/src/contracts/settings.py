from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.files import FileSettings
from servicekit.settings import ServiceSettings


class Settings(ServiceSettings, FileSettings):
    model_config = SettingsConfigDict(extra="ignore")

    port: int = 8104
    database_url: str = "sqlite:///var/contracts.db"
    contract_sign_days: int = Field(30, ge=1, le=365, description="The contract is signed within this many days "
                                                                  "of the award (DESIGN §1)")

    contract_announce_working_days: int = Field(2, ge=1, le=30, description="合同公告 within this many working days "
                                                "of signing (DESIGN §1; 政府采购法实施条例 第五十条)")
    contract_filing_working_days: int = Field(7, ge=1, le=60, description="合同备案 within this many working days "
                                              "of signing (政府采购法 第四十七条; DESIGN names no number)")
    announcement_catch_up_seconds: float = Field(300.0, gt=0, description="How often contracts in force without "
                                                 "their announcement (signed before it existed) are published")

    ca_cert_file: Path | None = Field(None, description="PEM certificate of the platform CA that issues seals")
    ca_key_file: Path | None = Field(None, description="PEM private key of the platform CA")
    ca_key_password: str | None = Field(None, description="Password of CA_KEY_FILE, if it is encrypted")
    demo_ca_password: str = Field("ca12345", description="Demo CA only: a unit without a seal certificate that "
                                                         "seals with this CA password is enrolled on first use; "
                                                         "empty turns that off. Ignored with a configured CA.")
    seal_certificate_days: int = Field(730, ge=1, le=3650, description="Validity of a unit's seal certificate")
    seal_max_failed_attempts: int = Field(5, ge=1, le=20, description="Wrong CA passwords in a row before the "
                                                                      "seal locks")
    seal_lock_minutes: int = Field(15, ge=1, le=1440, description="How long a locked seal stays locked")
    public_base_url: str = Field("http://127.0.0.1:8000", description="The gateway's public address: the CRL "
                                 "URL every certificate names is PUBLIC_BASE_URL/api/v1/contracts/ca.crl")
    tsa_url: str | None = Field(None, description="RFC 3161 timestamp authority for every seal; unset: the "
                                                  "platform TSA (a certificate under the platform CA, in-process)")
    seal_font_file: Path | None = Field(None, description="CJK font (OTF/TTF/TTC) the seal imprint's text is "
                                                          "drawn from; unset: fonts-noto-cjk")
    seal_kdf_n: int = Field(2 ** 14, ge=2 ** 10, le=2 ** 20,
                            description="scrypt cost that protects each seal key (a power of two)")
