"""Demo data for the embedded default, entered through the gateway as the demo accounts would, once:
a second start finds everything there and seeds nothing new.

- the agency publishes three framework agreements (物业管理, 公务用车维修保养, 会议·印刷·法律) whose
  stage-1 results shortlist all six demo suppliers; two allow direct selection and secondary bidding,
  the vehicle-maintenance one direct selection and rotation (顺序轮候);
- every supplier lists (上架) its services, a little under the agreement price;
- each purchaser unit enters two plans (录入计划) whose lines match those categories.

Agreements run two years from 1 January of the current year (a service agreement's usual term), so
the demo works whatever day it starts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import httpx

from devstack.walkthrough import DEMO_PASSWORD

Progress = Callable[[str], None]


def _service(category: str, name: str, unit: str, price: str, description: str = "",
             tiers: tuple[tuple[str, str], ...] = ()) -> dict[str, Any]:
    return {"category_code": category, "name": name, "unit": unit, "description": description,
            "agreement_price": price, "discount_tiers": [{"min_quantity": q, "unit_price": p} for q, p in tiers]}


# supplier number (supplier-N) → services it offers, per agreement
AGREEMENTS: list[dict[str, Any]] = [
    {
        "number": "001", "name": "湖南省省直单位物业管理服务框架协议", "category_code": "C1204",
        "methods": ["direct_selection", "secondary_bidding"],
        "standard": "按《湖南省省直机关办公楼物业服务规范》及采购需求提供服务，甲方每季度进行满意度测评。",
        "suppliers": {
            1: [_service("C120401", "办公楼物业管理服务", "平方米·月", "4.50", "含公共区域保洁、秩序维护、设施设备日常运行维护",
                         (("10000", "4.30"), ("30000", "4.10"))),
                _service("C120402", "办公区域保洁服务", "平方米·月", "2.80", "日常保洁、垃圾分类清运、玻璃幕墙季度清洗"),
                _service("C120403", "秩序维护服务", "人·月", "5200.00", "门岗值守、巡逻、消防监控室 24 小时值班")],
            6: [_service("C120401", "办公楼物业管理服务", "平方米·月", "4.80", "含公共区域保洁、秩序维护、设施设备日常运行维护"),
                _service("C120402", "办公区域保洁服务", "平方米·月", "2.60", "日常保洁、垃圾分类清运、玻璃幕墙季度清洗"),
                _service("C120403", "秩序维护服务", "人·月", "5000.00", "门岗值守、巡逻、消防监控室 24 小时值班")],
        },
    },
    {
        "number": "002", "name": "湖南省省直单位公务用车维修保养服务框架协议", "category_code": "C0501",
        "methods": ["direct_selection", "rotation"],  # 定点维修轮候: supplier-4, then supplier-6 (stage-1 order)
        "standard": "乙方为一类机动车维修企业，维修质量保证期按国家规定执行，更换配件须经甲方确认。",
        "suppliers": {
            4: [_service("C0501", "小型客车常规保养", "次", "680.00", "更换机油、机滤，全车 36 项安全检查"),
                _service("C0501", "公务用车维修工时", "工时", "120.00", "一类维修企业工时，配件另按实结算"),
                _service("C0501", "轿车轮胎更换", "条", "850.00", "含拆装、动平衡、旧胎回收")],
            6: [_service("C0501", "小型客车常规保养", "次", "720.00", "更换机油、机滤，全车 36 项安全检查"),
                _service("C0501", "公务用车维修工时", "工时", "110.00", "一类维修企业工时，配件另按实结算")],
        },
    },
    {
        "number": "003", "name": "湖南省省直单位会议、印刷及法律服务框架协议", "category_code": "C08",
        "methods": ["direct_selection", "secondary_bidding"],
        "standard": "按采购需求及行业标准提供服务；印刷品须经甲方签样确认，法律服务由执业律师承办。",
        "suppliers": {
            2: [_service("C0814", "宣传册印制（A4 彩色 32 页）", "册", "15.00", "157g 铜版纸，骑马钉，含设计排版",
                         (("1000", "13.50"), ("5000", "12.00"))),
                _service("C0814", "公文印刷（A4 黑白）", "张", "0.25", "70g 复印纸，单面")],
            3: [_service("C0806", "中型会议服务（100 人以内）", "场", "18000.00", "会场布置、签到、茶歇、音视频保障"),
                _service("C0806", "会议会务组织服务", "天", "5000.00", "会务方案、嘉宾接待、现场统筹")],
            5: [_service("C0801", "常年法律顾问服务", "年", "60000.00", "合同审查、法律咨询、出具法律意见书"),
                _service("C0801", "专项法律服务", "件", "15000.00", "诉讼、仲裁代理或专项尽职调查")],
        },
    },
]

PLANS: dict[str, list[dict[str, Any]]] = {
    "purchaser-a": [
        {"name": "{year}年度机关办公楼物业管理服务采购计划", "filing": "00123", "lines": [
            ("C120401", "办公楼物业管理服务", "240000", "平方米·月", "1080000.00", "机关办公楼 2 万平方米，12 个月"),
            ("C120402", "办公区域保洁服务", "60000", "平方米·月", "168000.00", "附属楼 5000 平方米，12 个月")]},
        {"name": "{year}年度会议及宣传资料印制采购计划", "filing": "00124", "lines": [
            ("C0806", "全省教育工作会议会务服务", "4", "场", "72000.00", "每场 100 人以内"),
            ("C0814", "教育政策宣传册印制", "5000", "册", "75000.00", "A4 彩色 32 页")]},
    ],
    "purchaser-b": [
        {"name": "{year}年度公务用车维修保养采购计划", "filing": "00311", "lines": [
            ("C0501", "公务用车常规保养", "60", "次", "43200.00", "30 台车辆，每台每年 2 次"),
            ("C0501", "公务用车维修", "200", "工时", "24000.00", "")]},
        {"name": "{year}年度法律顾问服务采购计划", "filing": "00312", "lines": [
            ("C0801", "常年法律顾问服务", "1", "年", "60000.00", "含合同审查、信访及行政复议法律意见")]},
    ],
}

LISTING_DISCOUNT = {1: "0.98", 2: "0.97", 3: "0.99", 4: "0.96", 5: "1.00", 6: "0.97"}


class _Gateway:
    def __init__(self, url: str, password: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=30)
        self.password = password
        self.tokens: dict[str, str] = {}
        self.units: dict[str, dict[str, Any]] = {}

    def unit(self, user: str) -> dict[str, Any]:
        """The unit of a demo account as the gateway has it (GET /api/v1/me: org_id, org_name,
        org_address, org_contact_name, org_contact_phone)."""
        if user not in self.units:
            self.units[user] = self.call(user, "GET", "/api/v1/me")
        return self.units[user]

    def call(self, user: str, method: str, path: str, **kwargs: Any) -> Any:
        if user not in self.tokens:
            login = self.http.post("/api/v1/auth/token", data={"username": user, "password": self.password})
            self._check(login, f"log in as {user}")
            self.tokens[user] = login.json()["access_token"]
        response = self.http.request(method, path, headers={"Authorization": f"Bearer {self.tokens[user]}"}, **kwargs)
        self._check(response, f"{method} {path} as {user}")
        return response.json()

    @staticmethod
    def _check(response: httpx.Response, what: str) -> None:
        if response.status_code >= 400:
            try:
                message = response.json()["error"]["message"]
            except Exception:  # noqa: BLE001
                message = response.text[:300]
            raise RuntimeError(f"demo data: {what} failed ({response.status_code}): {message}")


def seed_demo(gateway_url: str, progress: Progress = print, *, password: str = DEMO_PASSWORD) -> str:
    """Seeds what is missing and says, in one line, what is there. Only through the gateway's API:
    the demo accounts' units (names, addresses, contacts) are read from GET /api/v1/me."""
    year = date.today().year
    gw = _Gateway(gateway_url, password)
    try:
        created = {"agreements": 0, "listings": 0, "plans": 0}
        agreements = [_agreement(gw, spec, year, created, progress) for spec in AGREEMENTS]
        listed = sum(_list_services(gw, agreement, spec, created)
                     for agreement, spec in zip(agreements, AGREEMENTS))
        plans = {user: [_plan(gw, user, spec, year, created, progress) for spec in specs]
                 for user, specs in PLANS.items()}
    finally:
        gw.http.close()
    suppliers = {s["supplier_id"] for a in agreements for s in a["suppliers"]}
    services = {o["service_id"] for a in agreements for o in a["offerings"]}
    new = ", ".join(f"{n} {what}" for what, n in created.items() if n) or "nothing"
    return (f"{len(agreements)} agreements ({', '.join(a['agreement_no'] for a in agreements)}), "
            f"{len(suppliers)} shortlisted suppliers, {listed} listed offers of {len(services)} services, "
            f"{sum(map(len, plans.values()))} plans ({', '.join(f'{u}: {len(p)}' for u, p in plans.items())}); "
            f"new this start: {new}")


def _agreement(gw: _Gateway, spec: dict[str, Any], year: int, created: dict[str, int],
               progress: Progress) -> dict[str, Any]:
    number = f"HNKJ-{year}-{spec['number']}"
    found = gw.call("agency", "GET", "/api/v1/catalog/agreements", params={"agreement_no": number})["items"]
    if found:
        return gw.call("agency", "GET", f"/api/v1/catalog/agreements/{found[0]['id']}")
    suppliers = []
    for n, services in spec["suppliers"].items():
        org = gw.unit(f"supplier-{n}")
        suppliers.append({"supplier_id": org["org_id"], "name": org["org_name"], "address": org["org_address"],
                          "contact_name": org["org_contact_name"], "contact_phone": org["org_contact_phone"],
                          "services": services})
    body = {"agreement_no": number, "name": spec["name"], "agency_address": gw.unit("agency")["org_address"],
            "category_code": spec["category_code"], "valid_from": str(date(year, 1, 1)),
            "valid_to": str(date(year + 1, 12, 31)), "methods": spec["methods"],
            "contract_template": CONTRACT_TEMPLATE % {"standard": spec["standard"]},
            "suppliers": suppliers}
    progress(f"demo data: publishing agreement {number} {spec['name']}")
    created["agreements"] += 1
    return gw.call("agency", "POST", "/api/v1/catalog/agreements", json=body)


def _list_services(gw: _Gateway, agreement: dict[str, Any], spec: dict[str, Any], created: dict[str, int]) -> int:
    listed = 0
    for n in spec["suppliers"]:
        supplier_id = gw.unit(f"supplier-{n}")["org_id"]
        for offering in agreement["offerings"]:
            if offering["supplier_id"] != supplier_id:
                continue
            if offering["status"] != "listed":
                price = (Decimal(offering["agreement_price"]) * Decimal(LISTING_DISCOUNT[n])).quantize(Decimal("0.01"))
                gw.call(f"supplier-{n}", "POST", f"/api/v1/catalog/agreements/{agreement['id']}/listings",
                        json={"service_id": offering["service_id"], "price": str(price)})
                created["listings"] += 1
            listed += 1
    return listed


def _plan(gw: _Gateway, user: str, spec: dict[str, Any], year: int, created: dict[str, int],
          progress: Progress) -> dict[str, Any]:
    name = spec["name"].format(year=year)
    found = [p for p in gw.call(user, "GET", "/api/v1/plans", params={"q": name, "year": year})["items"]
             if p["name"] == name]
    if found:
        return found[0]
    org = gw.unit(user)
    body = {"name": name, "year": year, "filing_no": f"湘财采备〔{year}〕{spec['filing']}", "funding_source": "财政拨款",
            "contact_name": org["org_contact_name"], "contact_phone": org["org_contact_phone"],
            "purchaser_address": org["org_address"],
            "lines": [{"category_code": c, "item_name": item, "quantity": q, "unit": unit, "budget_amount": budget,
                       "requirements": req} for c, item, q, unit, budget, req in spec["lines"]]}
    progress(f"demo data: {user} enters plan {name}")
    created["plans"] += 1
    return gw.call(user, "POST", "/api/v1/plans", json=body)


CONTRACT_TEMPLATE = """第一条 合同标的：乙方按照框架协议 {agreement_no}（{agreement_name}）的约定，向甲方提供 {service_name}，数量 {quantity}{unit}，单价 {unit_price} 元。
第二条 合同金额：{amount} 元（{amount_upper}），不高于框架协议约定的协议价格。
第三条 服务标准：%(standard)s
第四条 验收：乙方履约完成后，甲方在 7 个工作日内组织验收并出具验收单。
第五条 付款：甲方在验收合格并收到乙方发票后 30 日内支付合同款项。
第六条 违约责任：任何一方违约，按照《中华人民共和国民法典》及框架协议的约定承担违约责任。
第七条 争议解决：双方协商解决；协商不成的，依法向甲方所在地人民法院提起诉讼。
第八条 本合同依据《政府采购框架协议采购方式管理暂行办法》（财政部令第110号）订立，经双方盖章后生效；采购计划财政备案号：{filing_no}。"""
