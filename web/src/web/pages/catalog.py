"""框架协议首页 › 入围服务库 (manual 1.2 ①②): the category tree (品目) beside the services listed under
it, by keyword; one service with its agreements, suppliers and prices (discount tiers included). A
purchaser chooses the agreement and the supplier there (one radio button per supplier under each agreement,
no script needed) and 【直接选定】 opens the project form (web.pages.direct). Suppliers and the agency browse
the same library, without the button."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from web.render import gateway, render
from web.session import require

router = APIRouter()

PAGE_SIZE = 20
DIRECT = "direct_selection"
EVERYONE = ("purchaser", "supplier", "agency")
_CATEGORY = re.compile(r"^[A-C]\d{2,8}$")


def find_node(nodes: list[dict[str, Any]], code: str) -> list[dict[str, Any]]:
    """The path from the top of the tree down to `code` (empty when it is not in the tree)."""
    for node in nodes:
        if node["code"] == code:
            return [node]
        below = find_node(node.get("children") or [], code)
        if below:
            return [node, *below]
    return []


def by_agreement(offers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The offers of a service grouped by agreement (as the manual asks: choose the agreement, then the
    supplier), each group's offers cheapest first, and whether the agreement allows 直接选定."""
    groups: dict[str, dict[str, Any]] = {}
    for offer in offers:
        agreement = offer["agreement"]
        group = groups.setdefault(agreement["id"], {
            "agreement": agreement, "offers": [],
            "direct": any(m["code"] == DIRECT for m in agreement.get("methods") or [])})
        group["offers"].append(offer)
    return list(groups.values())


@router.get("/catalog")
async def library(request: Request, q: str = "", category: str = "", page: str = "1") -> Response:
    viewer = require(request, *EVERYONE)
    q = q.strip()[:100]
    category = category if _CATEGORY.match(category) else ""
    number = int(page) if page.isdigit() and 1 <= int(page) <= 10000 else 1
    tree, found = await asyncio.gather(
        gateway(request).get("/catalog/categories", token=viewer.token),
        gateway(request).get("/catalog/services", token=viewer.token, q=q, category=category, page=number,
                             page_size=PAGE_SIZE))
    path = find_node(tree["items"], category) if category else []
    query = {k: v for k, v in {"q": q, "category": category}.items() if v}
    crumbs = [("框架协议首页", None), ("入围服务库", "/catalog" if path else None)]
    crumbs += [(node["name"], None) for node in path[-1:]]
    return render(request, "catalog/list.html", title="入围服务库", breadcrumbs=crumbs, tree=tree["items"],
                  path=[node["code"] for node in path], current=path[-1] if path else None,
                  services=found["items"], total=found["total"], total_exact=found.get("total_exact", True),
                  page=number, query=query, q=q, category=category,
                  # past the count limit (total_exact false) more pages follow while this one is full
                  has_next=number * PAGE_SIZE < found["total"] or (not found.get("total_exact", True)
                                                                   and len(found["items"]) == PAGE_SIZE))


@router.get("/catalog/services/{service_id}")
async def service_page(request: Request, service_id: str, missing: str = "") -> Response:
    viewer = require(request, *EVERYONE)
    service = await gateway(request).get(f"/catalog/services/{service_id}", token=viewer.token)
    groups = by_agreement(service.get("offers") or [])
    choices = [offer for group in groups if group["direct"] for offer in group["offers"]]
    return render(request, "catalog/service.html", title=service["name"],
                  breadcrumbs=[("框架协议首页", None), ("入围服务库", "/catalog"),
                               (service["category_name"] or service["category_code"],
                                f"/catalog?category={service['category_code']}"), (service["name"], None)],
                  service=service, groups=groups, purchaser=viewer.role == "purchaser",
                  can_select=viewer.role == "purchaser" and bool(choices),
                  chosen=choices[0]["offering_id"] if len(choices) == 1 else "", missing=bool(missing))
