"""A contract's files: its document rendered from the contract row and kept in the file storage, and
the signed scan of an offline contract. Keys are made here, never from a user's file name."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import datetime
from uuid import uuid4

from contracts import document, domain
from contracts.document import ContractDocument, Item, Party, SealLine
from contracts.store import Contract, ContractFile, Seal
from contracts_schema.types import utcnow
from servicekit.files import Storage, Upload
from servicekit.types import SHANGHAI

METHOD_LABELS = {"direct_selection": "直接选定", "secondary_bidding": "二次竞价"}
ROLE_LABELS = {"purchaser": "甲方（采购人）", "supplier": "乙方（供应商）"}


def _quantity(value) -> str:
    return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)


def document_of(contract: Contract, seals: list[Seal] | None = None) -> ContractDocument:
    amount_upper = domain.rmb_upper(contract.amount)
    values = {
        "contract_no": contract.contract_no, "project_no": contract.project_no, "project_name": contract.project_name,
        "purchaser_name": contract.purchaser_name, "supplier_name": contract.supplier_name,
        "agreement_no": contract.agreement_no, "agreement_name": contract.agreement_name,
        "service_name": contract.service_name, "unit": contract.unit, "quantity": _quantity(contract.quantity),
        "unit_price": f"{contract.unit_price:,.2f}", "amount": f"{contract.amount:,.2f}",
        "amount_upper": amount_upper, "filing_no": contract.filing_no,
    }
    seal_lines = tuple(SealLine(role_label=ROLE_LABELS[s.role], org_name=s.org_name,
                                certificate_serial=s.certificate_serial, sealed_at=s.sealed_at)
                       for s in sorted(seals or [], key=lambda s: s.seq))
    if contract.ca_mode == "offline" and contract.signed_at is not None:
        seal_lines += (SealLine(role_label=ROLE_LABELS["purchaser"], org_name=contract.purchaser_name,
                                certificate_serial="", sealed_at=contract.signed_at, mode="线下签订（已上传签字盖章扫描件）"),)
    return ContractDocument(
        contract_no=contract.contract_no, title="政府采购框架协议服务合同", project_no=contract.project_no,
        project_name=contract.project_name, method_label=METHOD_LABELS.get(contract.method, contract.method),
        agreement_no=contract.agreement_no, agreement_name=contract.agreement_name, filing_no=contract.filing_no,
        purchaser=Party(ROLE_LABELS["purchaser"], contract.purchaser_name, contract.purchaser_org_id,
                        contract.purchaser_address, contract.purchaser_contact, contract.purchaser_phone),
        supplier=Party(ROLE_LABELS["supplier"], contract.supplier_name, contract.supplier_id,
                       contract.supplier_address, contract.supplier_contact, contract.supplier_phone),
        items=(Item(contract.service_name, contract.unit, _quantity(contract.quantity), contract.unit_price,
                    contract.amount),),
        amount=contract.amount, amount_upper=amount_upper, terms=domain.fill_template(contract.template, values),
        requirements=contract.requirements, supplementary_terms=contract.supplementary_terms,
        awarded_on=contract.awarded_at.astimezone(SHANGHAI).date().isoformat(), revision=contract.revision,
        seals=seal_lines, sealed_document_sha256=contract.document_sha256 if seal_lines else "")


async def render(contract: Contract, seals: list[Seal] | None = None) -> bytes:
    """Renders in a worker thread (reportlab is CPU-bound)."""
    return await asyncio.to_thread(document.render, document_of(contract, seals))


async def store_document(storage: Storage, contract: Contract, *, by: str) -> ContractFile:
    """Renders the contract as it stands (no seals: the document the parties seal) and stores it."""
    data = await render(contract)
    upload = Upload(filename=f"{contract.contract_no}-v{contract.revision}.pdf", content_type="application/pdf",
                    size=len(data), sha256=hashlib.sha256(data).hexdigest(), data=data)
    return await store_file(storage, contract.id, "document", upload, by=by)


async def store_file(storage: Storage, contract_id: str, kind: str, upload: Upload, *, by: str,
                     at: datetime | None = None) -> ContractFile:
    file_id = f"F{uuid4().hex[:20]}"
    key = f"{contract_id}/{kind}/{file_id}"
    await storage.put(key, upload.data, upload.content_type)
    return ContractFile(id=file_id, contract_id=contract_id, kind=kind, filename=upload.filename,
                        content_type=upload.content_type, size=upload.size, sha256=upload.sha256, storage_key=key,
                        uploaded_by=by, uploaded_at=at or utcnow())
