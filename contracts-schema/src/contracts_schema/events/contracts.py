"""Events on `contracts.events` (key: contract_id): contracts and their e-seals.

Status codes and labels (DESIGN §4): drafted 待发送 → sent 待确认 → confirmed 已确认 →
supplier_sealed 供应商已盖章 → purchaser_sealed 采购单位已盖章 (in force). A returned contract goes back
to drafted for the supplier to resend."""

from datetime import date
from typing import ClassVar, Literal

from pydantic import Field

from contracts_schema.events.base import Event
from contracts_schema.types import Money, UtcDateTime

CaMode = Literal["ca_seal", "offline"]


class ContractsEvent(Event):
    context = "contracts"
    key_field = "contract_id"


class ContractDrafted(ContractsEvent):
    """The contract was drafted from the agreement's template and the award (待发送)."""

    contract_id: str
    contract_no: str
    project_id: str
    project_no: str = ""
    purchaser_org_id: str
    purchaser_name: str = ""
    supplier_id: str
    supplier_name: str = ""
    filing_no: str = Field("", description="Finance filing number (财政备案号) of the plan")
    agreement_no: str = ""
    amount: Money
    document_sha256: str = Field("", description="SHA-256 of the drafted contract document (PDF)")
    sign_due_on: date | None = Field(None, description="Deadline to sign: award + configured days (Asia/Shanghai)")
    drafted_at: UtcDateTime


class ContractSent(ContractsEvent):
    """The supplier sent the contract to the purchaser (待确认)."""

    contract_id: str
    contract_no: str = ""
    project_id: str
    purchaser_org_id: str = ""
    supplier_id: str = ""
    document_sha256: str = Field(description="SHA-256 of the contract document sent")
    sent_at: UtcDateTime


class ContractReturned(ContractsEvent):
    """The purchaser returned the contract to the supplier with a reason (back to 待发送)."""

    contract_id: str
    contract_no: str = ""
    project_id: str
    reason: str
    returned_at: UtcDateTime


class ContractConfirmed(ContractsEvent):
    """The purchaser confirmed the contract (已确认), choosing CA e-seal or offline signing."""

    contract_id: str
    contract_no: str = ""
    project_id: str
    ca_mode: CaMode
    confirmed_at: UtcDateTime


class ContractSupplierSealed(ContractsEvent):
    """The supplier sealed the contract (供应商已盖章)."""

    contract_id: str
    contract_no: str = ""
    project_id: str
    supplier_id: str = ""
    certificate_serial: str | None = Field(None, description="Serial of the supplier's seal certificate (hex)")
    document_sha256: str = Field("", description="SHA-256 of the document the seal signs")
    sealed_at: UtcDateTime


class ContractStamped(ContractsEvent):
    """The purchaser sealed (采购单位已盖章) or uploaded the signed paper scan: the contract is in force.
    1.1.0 adds the deadlines of the announcement and the filing."""

    version: ClassVar[str] = "1.1.0"

    contract_id: str
    contract_no: str
    project_id: str
    purchaser_org_id: str = ""
    supplier_id: str = ""
    filing_no: str = ""
    amount: Money | None = None
    ca_mode: CaMode
    certificate_serial: str | None = Field(None, description="ca_seal: serial of the purchaser's certificate (hex)")
    document_sha256: str = Field(description="SHA-256 of the contract document both parties signed")
    signed_scan_sha256: str | None = Field(None, description="offline: SHA-256 of the uploaded signed scan")
    signed_at: UtcDateTime
    signed_on_time: bool = Field(True, description="Signed within the deadline after the award")
    announcement_due_on: date | None = Field(None, description="合同公告 due by the end of this day (北京时间): "
                                                               "2 working days after signing")
    filing_due_on: date | None = Field(None, description="合同备案 due by the end of this day (北京时间): "
                                                         "7 working days after signing (*config*)")


class ContractAnnounced(ContractsEvent):
    """The platform published the contract announcement (合同公告): the contract's key facts, public."""

    contract_id: str
    contract_no: str = ""
    project_id: str
    announcement_id: str
    title: str = ""
    due_on: date | None = Field(None, description="The last day it was due (北京时间)")
    published_on_time: bool = Field(True, description="Published by the end of `due_on` (北京时间)")
    published_at: UtcDateTime


class ContractFiled(ContractsEvent):
    """The purchaser recorded the contract's filing with the finance department (合同备案)."""

    contract_id: str
    contract_no: str = ""
    project_id: str
    filing_reference: str = Field("", description="The finance department's filing reference (备案号)")
    due_on: date | None = Field(None, description="The last day the filing was due (北京时间)")
    filed_on_time: bool = Field(True, description="Filed by the end of `due_on` (北京时间)")
    filed_at: UtcDateTime = Field(description="When the purchaser recorded the filing (UTC)")


EVENTS = [ContractDrafted, ContractSent, ContractReturned, ContractConfirmed, ContractSupplierSealed,
          ContractStamped, ContractAnnounced, ContractFiled]
