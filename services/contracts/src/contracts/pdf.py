"""The contract document: a real PDF a person opens (reportlab), made from the contract row. The
Chinese text is set in a TrueType CJK font from a Debian package (AR PL UMing, fonts-arphic-uming;
seal_art.TRUETYPE_CANDIDATES), embedded as a subset so every reader shows the same glyphs; without one
installed it falls back to reportlab's CID font STSong-Light (not embedded) and says so in the log.

`render(contract, seals)` is deterministic (reportlab's invariant mode, with the document's own date as
CreationDate: when the contract, or its revision, was drawn up): the same contract gives the same bytes. The document both parties seal is rendered without seals; the copy shown after sealing
adds a seal page naming each seal (unit, certificate serial, time) and the SHA-256 of the sealed
original."""

from __future__ import annotations

import asyncio
import io
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from contracts import domain, seal_art
from contracts.pades import SealBox
from contracts.store import Contract, Seal
from servicekit.types import SHANGHAI

log = logging.getLogger("contracts.pdf")


def _register_font() -> str:
    """The name of the contract text's font: the TrueType CJK font embedded as a subset, else STSong-Light."""
    path = seal_art.find_font(None, seal_art.TRUETYPE_CANDIDATES)
    if path is not None:
        pdfmetrics.registerFont(TTFont("ContractCJK", str(path), subfontIndex=0))
        return "ContractCJK"
    log.warning("no TrueType CJK font installed (apt-get install fonts-arphic-uming): the contract text uses the "
                "CID font STSong-Light, which is not embedded and looks different in each reader")
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


FONT = _register_font()

_BODY = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=16, wordWrap="CJK")
_SMALL = ParagraphStyle("small", parent=_BODY, fontSize=8.5, leading=12)
_TITLE = ParagraphStyle("title", parent=_BODY, fontSize=18, leading=26, alignment=TA_CENTER, spaceAfter=4)
_SUBTITLE = ParagraphStyle("subtitle", parent=_BODY, alignment=TA_CENTER, textColor=colors.HexColor("#555555"))
_HEADING = ParagraphStyle("heading", parent=_BODY, fontSize=12, leading=18, spaceBefore=8, spaceAfter=4)


@dataclass(frozen=True)
class Party:
    role_label: str  # 甲方（采购人） / 乙方（供应商）
    name: str
    org_id: str
    address: str = ""
    contact: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Item:
    name: str
    unit: str
    quantity: str
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class SealLine:
    role_label: str
    org_name: str
    certificate_serial: str
    sealed_at: datetime
    mode: str = "CA电子签章"


@dataclass(frozen=True)
class ContractDocument:
    contract_no: str
    title: str
    project_no: str
    project_name: str
    method_label: str
    agreement_no: str
    agreement_name: str
    filing_no: str
    purchaser: Party
    supplier: Party
    items: tuple[Item, ...]
    amount: Decimal
    amount_upper: str
    terms: str
    requirements: str = ""
    supplementary_terms: str = ""
    awarded_on: str = ""
    revision: int = 1
    seals: tuple[SealLine, ...] = field(default_factory=tuple)
    sealed_document_sha256: str = ""
    created_at: datetime | None = None  # the PDF's CreationDate; None: now


# ---- from the contract row ------------------------------------------------------------------------

METHOD_LABELS = {"direct_selection": "直接选定", "secondary_bidding": "二次竞价", "rotation": "顺序轮候"}
ROLE_LABELS = {"purchaser": "甲方（采购人）", "supplier": "乙方（供应商）"}


def _quantity(value) -> str:
    return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)


def document_of(contract: Contract, seals: list[Seal] | None = None) -> ContractDocument:
    """What the PDF says, from the contract row (and the seals made so far). Its date is the contract's
    `updated_at`: the drafting, or the sending that drew up a new revision."""
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
        seals=seal_lines, sealed_document_sha256=contract.document_sha256 if seal_lines else "",
        created_at=contract.updated_at)

async def render(contract: Contract, seals: list[Seal] | None = None) -> bytes:
    """The contract's PDF, rendered in a worker thread (reportlab is CPU-bound)."""
    return await asyncio.to_thread(render_document, document_of(contract, seals))


# ---- the PDF ---------------------------------------------------------------------------------------

def _p(text: str, style: ParagraphStyle = _BODY) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _grid(rows: list[list], widths: list[float], header: bool = False) -> Table:
    table = Table(rows, colWidths=widths, hAlign="LEFT")
    style = [("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#888888")),
             ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
             ("FONTNAME", (0, 0), (-1, -1), FONT)]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")))
    table.setStyle(TableStyle(style))
    return table


def _dated_canvas(moment: datetime):
    """A canvas whose CreationDate/ModDate is `moment` (UTC), the rest invariant (no random ID)."""
    moment = moment.astimezone(UTC)

    class DatedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            # the contract's font from the start: no page names Helvetica, which no PDF embeds
            super().__init__(*args, **{**kwargs, "invariant": 1, "initialFontName": FONT})
            stamp = self._doc._timeStamp
            stamp.t = moment.timestamp()
            stamp.lt = moment.timetuple()
            stamp.YMDhms = stamp.lt[:6]
            stamp.dhh = stamp.dmm = 0

    return DatedCanvas


def render_document(doc: ContractDocument) -> bytes:
    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
                            bottomMargin=18 * mm, title=f"{doc.title} {doc.contract_no}", author="湖南省政府采购平台",
                            subject=doc.project_name, creator="contracts service", invariant=1)
    story: list = [
        _p(doc.title, _TITLE),
        _p(f"合同编号：{doc.contract_no}　　财政备案号：{doc.filing_no}", _SUBTITLE),
        Spacer(1, 6 * mm),
        _p("一、合同双方", _HEADING),
    ]
    width = 170 * mm
    for party in (doc.purchaser, doc.supplier):
        story.append(_grid([
            [_p(party.role_label), _p(party.name)],
            [_p("统一社会信用代码"), _p(party.org_id)],
            [_p("地址"), _p(party.address or "—")],
            [_p("联系人 / 电话"), _p(f"{party.contact or '—'} / {party.phone or '—'}")],
        ], [40 * mm, width - 40 * mm]))
        story.append(Spacer(1, 3 * mm))
    story += [
        _p("二、采购项目", _HEADING),
        _grid([
            [_p("项目编号"), _p(doc.project_no), _p("采购方式"), _p(doc.method_label)],
            [_p("项目名称"), _p(doc.project_name), _p("成交日期"), _p(doc.awarded_on or "—")],
            [_p("框架协议"), _p(f"{doc.agreement_no} {doc.agreement_name}"), _p("财政备案号"), _p(doc.filing_no)],
        ], [25 * mm, 60 * mm, 25 * mm, 60 * mm]),
        _p("三、采购标的", _HEADING),
        _grid([[_p("服务名称"), _p("单位"), _p("数量"), _p("单价（元）"), _p("金额（元）")]] + [
            [_p(i.name), _p(i.unit), _p(i.quantity), _p(f"{i.unit_price:,.2f}"), _p(f"{i.amount:,.2f}")]
            for i in doc.items
        ] + [[_p("合计"), "", "", "", _p(f"{doc.amount:,.2f}")]], [60 * mm, 20 * mm, 25 * mm, 32 * mm, 33 * mm],
            header=True),
        Spacer(1, 2 * mm),
        _p(f"合同总金额：{doc.amount:,.2f} 元（大写：{doc.amount_upper}）"),
    ]
    if doc.requirements:
        story += [_p("四、采购需求", _HEADING), _p(doc.requirements)]
    story += [_p("五、合同条款", _HEADING), _p(doc.terms)]
    if doc.supplementary_terms:
        story += [_p("六、补充条款", _HEADING), _p(doc.supplementary_terms)]
    for heading, text in domain.general_terms(doc.terms):
        story += [_p(heading, _HEADING), _p(text)]
    story += [PageBreak(), _p("签署页", _TITLE), _p(f"合同编号：{doc.contract_no}", _SUBTITLE), _SignaturePage(doc)]
    pdf.build(story, canvasmaker=_dated_canvas(doc.created_at or datetime.now(UTC)))
    return buffer.getvalue()


# Where each party's seal goes on the signature page (the last page), in page points: the seal lies
# over 甲方（盖章）/乙方（盖章） and the date is written after 日期：. pades.sign places the signature there.
_LEFT, _RIGHT, _LABEL_Y, _DATE_Y = 57.0, 312.0, 640.0, 560.0
SEAL_BOXES = {
    "purchaser": SealBox(page=-1, box=(_LEFT, _DATE_Y - 8, _LEFT + 226, _DATE_Y + 150),
                         seal_center=(140.0, 100.0), date_at=(40.0, 6.0)),
    "supplier": SealBox(page=-1, box=(_RIGHT, _DATE_Y - 8, _RIGHT + 226, _DATE_Y + 150),
                        seal_center=(140.0, 100.0), date_at=(40.0, 6.0)),
}


class _SignaturePage(Flowable):
    """甲方（盖章）and 乙方（盖章）at fixed places of the page, where SEAL_BOXES put the seals."""

    def __init__(self, doc: ContractDocument) -> None:
        super().__init__()
        self.doc = doc

    def wrap(self, avail_width, avail_height):
        return avail_width, 10

    def draw(self) -> None:
        c = self.canv
        x0, y0 = c.absolutePosition(0, 0)
        c.saveState()
        c.translate(-x0, -y0)
        for x, label, party in ((_LEFT, "甲方（盖章）：", self.doc.purchaser), (_RIGHT, "乙方（盖章）：", self.doc.supplier)):
            c.setFont(FONT, 11)
            c.drawString(x, _LABEL_Y, label)
            c.setFont(FONT, 10.5)
            for n, chunk in enumerate(_chunks(party.name, 16)):
                c.drawString(x, _LABEL_Y - 18 - 15 * n, chunk)
            c.drawString(x, _DATE_Y + 34, "法定代表人或授权代表（签字）：")
            c.drawString(x, _DATE_Y, "日期：")
        c.setFont(FONT, 8.5)
        c.drawString(_LEFT, _DATE_Y - 60, f"本合同文本由湖南省政府采购框架协议平台生成（第 {self.doc.revision} 版），"
                                          "双方以电子签章（PAdES，含可信时间戳）或线下签订方式签署。")
        c.restoreState()


def _chunks(text: str, size: int) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]
