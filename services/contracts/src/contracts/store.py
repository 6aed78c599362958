"""SQLModel tables of the contracts service (its own metadata: no other service's tables) and the
queries the command layer and the routes share."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, Text, UniqueConstraint
from sqlmodel import Field, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from servicekit.auth import Principal
from servicekit.logging import bind_context
from servicekit.tables import StoredFileColumns, add_numbering_table, table_base
from servicekit.types import MoneyColumn, QuantityColumn, UTCDateTime


Table = table_base()
metadata = Table.metadata
add_numbering_table(metadata)  # contract numbers (servicekit.numbering)


class Contract(Table, table=True):
    __tablename__ = "contracts"

    id: str = Field(primary_key=True, max_length=40)
    contract_no: str = Field(unique=True, max_length=40)
    project_id: str = Field(unique=True, max_length=40, description="One contract per confirmed result")
    project_no: str = Field(max_length=60)
    project_name: str = Field(max_length=200)
    method: str = Field(max_length=30)
    purchaser_org_id: str = Field(index=True, max_length=40)
    purchaser_name: str = Field(max_length=200)
    purchaser_address: str = Field(default="", max_length=300)
    purchaser_contact: str = Field(default="", max_length=100)
    purchaser_phone: str = Field(default="", max_length=40)
    supplier_id: str = Field(index=True, max_length=40)
    supplier_name: str = Field(max_length=200)
    supplier_address: str = Field(default="", max_length=300)
    supplier_contact: str = Field(default="", max_length=100)
    supplier_phone: str = Field(default="", max_length=40)
    filing_no: str = Field(max_length=60)
    agreement_id: str = Field(max_length=40)
    agreement_no: str = Field(max_length=60)
    agreement_name: str = Field(max_length=200)
    template: str = Field(default="", sa_type=Text)
    service_id: str = Field(max_length=40)
    service_name: str = Field(max_length=200)
    unit: str = Field(max_length=20)
    quantity: Decimal = Field(sa_type=QuantityColumn)
    unit_price: Decimal = Field(sa_type=MoneyColumn)
    amount: Decimal = Field(sa_type=MoneyColumn)
    requirements: str = Field(default="", sa_type=Text)
    supplementary_terms: str = Field(default="", sa_type=Text)
    status: str = Field(max_length=30, index=True)
    ca_mode: str | None = Field(default=None, max_length=20)
    return_reason: str | None = Field(default=None, max_length=1000)
    revision: int = 1
    document_file_id: str = Field(max_length=40)
    document_sha256: str = Field(max_length=64)
    signed_scan_file_id: str | None = Field(default=None, max_length=40)
    awarded_at: datetime = Field(sa_type=UTCDateTime)
    sign_due_on: date
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    supplier_sealed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    signed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    announcement_due_on: date | None = Field(default=None, description="合同公告: the last day, 2 working days "
                                                                        "after signing")
    announced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    filing_due_on: date | None = Field(default=None, description="合同备案: the last day, 7 working days after signing")
    filed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    filing_reference: str | None = Field(default=None, max_length=100, description="The finance department's "
                                                                                   "filing reference (备案号)")
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class ContractAnnouncement(Table, table=True):
    """合同公告: the public notice of a signed contract — its key facts and the units' names, never a
    person's name or phone (domain.ANNOUNCED_FIELDS). Copied from the contract when it is published."""

    __tablename__ = "contract_announcements"

    id: str = Field(primary_key=True, max_length=40)
    contract_id: str = Field(foreign_key="contracts.id", unique=True, max_length=40)
    title: str = Field(max_length=300)
    contract_no: str = Field(max_length=40)
    project_no: str = Field(max_length=60)
    project_name: str = Field(max_length=200)
    method: str = Field(max_length=30)
    purchaser_name: str = Field(max_length=200)
    purchaser_address: str = Field(default="", max_length=300)
    supplier_name: str = Field(max_length=200)
    supplier_address: str = Field(default="", max_length=300)
    agreement_no: str = Field(max_length=60)
    agreement_name: str = Field(max_length=200)
    filing_no: str = Field(max_length=60)
    service_name: str = Field(max_length=200)
    unit: str = Field(max_length=20)
    quantity: Decimal = Field(sa_type=QuantityColumn)
    unit_price: Decimal = Field(sa_type=MoneyColumn)
    amount: Decimal = Field(sa_type=MoneyColumn)
    awarded_at: datetime = Field(sa_type=UTCDateTime)
    signed_at: datetime = Field(sa_type=UTCDateTime)
    due_on: date
    published_at: datetime = Field(sa_type=UTCDateTime, index=True)


class ContractFile(Table, StoredFileColumns, table=True):
    """A file of a contract (its document revisions, the signed scan): bytes live in the storage."""

    __tablename__ = "contract_files"

    id: str = Field(primary_key=True, max_length=40)
    contract_id: str = Field(foreign_key="contracts.id", index=True, max_length=40)
    kind: str = Field(max_length=20, description="document | sealed (the PDF with its PAdES seals) | signed_scan")


class SealCertificate(Table, table=True):
    """A unit's seal certificate, issued by the platform CA; the private key only encrypted."""

    __tablename__ = "seal_certificates"

    serial: str = Field(primary_key=True, max_length=64, description="Certificate serial number, hex")
    org_id: str = Field(index=True, max_length=40)
    org_name: str = Field(max_length=200)
    certificate_pem: str = Field(sa_type=Text)
    encrypted_key_pem: str = Field(sa_type=Text, description="PKCS#8, encrypted under scrypt(CA password)")
    kdf_salt: str = Field(max_length=64)
    kdf_n: int
    not_before: datetime = Field(sa_type=UTCDateTime)
    not_after: datetime = Field(sa_type=UTCDateTime)
    status: str = Field(default="active", max_length=20, description="active | revoked")
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revocation_reason: str | None = Field(default=None, max_length=500)
    failed_attempts: int = 0
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    enrolled_by: str = Field(max_length=60)
    created_at: datetime = Field(sa_type=UTCDateTime)


class Seal(Table, table=True):
    """One seal on a contract: the signed statement, its signature and the certificate used."""

    __tablename__ = "seals"
    __table_args__ = (UniqueConstraint("contract_id", "seq", name="uq_seal_seq"),)

    id: str = Field(primary_key=True, max_length=40)
    contract_id: str = Field(foreign_key="contracts.id", index=True, max_length=40)
    seq: int
    role: str = Field(max_length=20)
    org_id: str = Field(max_length=40)
    org_name: str = Field(max_length=200)
    certificate_serial: str = Field(max_length=64)
    certificate_pem: str = Field(sa_type=Text)
    statement: str = Field(sa_type=Text)
    signature: str = Field(sa_type=Text)
    sealed_by: str = Field(max_length=60)
    sealed_at: datetime = Field(sa_type=UTCDateTime)


# ---- queries ---------------------------------------------------------------------------------------
# visible_to and party_* have the shape of orders.store's on purpose: each service answers "who sees
# this deal" for its own table, through the one rule servicekit.auth.Principal.is_party.

def visible_to(user: Principal) -> ColumnElement[bool] | None:
    """The contracts a user may see: a purchaser its unit's, a supplier the ones it won; None: none."""
    return user.party_filter(Contract.purchaser_org_id, Contract.supplier_id)


async def party_contract(session: AsyncSession, contract_id: str, user: Principal, *, lock: bool = False) -> Contract:
    """The contract, if the user is one of its parties (row-locked when `lock`); else NotFound."""
    bind_context(contract_id=contract_id)
    contract = user.party_to(await session.get(Contract, contract_id, with_for_update=lock or None, populate_existing=lock),
                          f"合同 {contract_id} 不存在。")
    bind_context(project_id=contract.project_id)
    return contract


async def contract_seals(session: AsyncSession, contract_id: str) -> list[Seal]:
    return list((await session.exec(select(Seal).where(Seal.contract_id == contract_id)
                                    .order_by(col(Seal.seq)))).all())


async def sealed_document(session: AsyncSession, contract_id: str) -> ContractFile | None:
    """The PDF with every seal so far (each an incremental update over the one before), if any."""
    return (await session.exec(select(ContractFile).where(ContractFile.contract_id == contract_id,
                                                          ContractFile.kind == "sealed")
                               .order_by(col(ContractFile.uploaded_at).desc(), col(ContractFile.id).desc()))).first()


async def active_certificate(session: AsyncSession, org_id: str) -> SealCertificate | None:
    return (await session.exec(select(SealCertificate).where(SealCertificate.org_id == org_id,
                                                             SealCertificate.status == "active")
                               .order_by(col(SealCertificate.created_at).desc()))).first()
