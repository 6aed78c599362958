"""Events on `contracts.events` (key: contract_id): contracts and their e-seals."""

from typing import Literal

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
    purchaser_org_id: str
    supplier_id: str
    amount: Money
    drafted_at: UtcDateTime


class ContractSent(ContractsEvent):
    """The supplier sent the contract to the purchaser (待确认)."""

    contract_id: str
    project_id: str
    document_sha256: str = Field(description="SHA-256 of the contract document sent")
    sent_at: UtcDateTime


class ContractReturned(ContractsEvent):
    """The purchaser returned the contract to the supplier with a reason (back to 待发送)."""

    contract_id: str
    project_id: str
    reason: str
    returned_at: UtcDateTime


class ContractConfirmed(ContractsEvent):
    """The purchaser confirmed the contract (已确认), choosing CA e-seal or offline signing."""

    contract_id: str
    project_id: str
    ca_mode: CaMode
    confirmed_at: UtcDateTime


class ContractSupplierSealed(ContractsEvent):
    """The supplier sealed the contract (供应商已盖章)."""

    contract_id: str
    project_id: str
    certificate_serial: str | None = Field(None, description="Serial of the supplier's seal certificate")
    sealed_at: UtcDateTime


class ContractStamped(ContractsEvent):
    """The purchaser sealed (采购单位已盖章) or uploaded the signed paper scan: the contract is in force."""

    contract_id: str
    contract_no: str
    project_id: str
    ca_mode: CaMode
    certificate_serial: str | None = None
    document_sha256: str
    signed_at: UtcDateTime


EVENTS = [ContractDrafted, ContractSent, ContractReturned, ContractConfirmed, ContractSupplierSealed,
          ContractStamped]
