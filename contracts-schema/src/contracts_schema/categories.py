"""The service categories (品目) of the platform, coded after the national government procurement
catalogue (政府采购品目分类目录, services: codes starting with C).

One list, read by catalog (which serves it as the browse tree and files every service under it) and by
plans (which accepts a plan line only under a known category), so the two always agree. Outside
consumers can read the codes of any event against it. A code's parent is the code without its last
two digits (C1204 → C12); a code at the top has none."""

from __future__ import annotations

CATEGORIES: tuple[tuple[str, str], ...] = (
    ("C02", "信息技术服务"),
    ("C0201", "软件开发服务"),
    ("C0202", "信息系统集成实施服务"),
    ("C0205", "运行维护服务"),
    ("C05", "维修和保养服务"),
    ("C0501", "车辆维修和保养服务"),
    ("C0502", "计算机设备维修和保养服务"),
    ("C0503", "办公设备维修和保养服务"),
    ("C08", "商务服务"),
    ("C0801", "法律服务"),
    ("C0802", "会计服务"),
    ("C0803", "审计服务"),
    ("C0806", "会议服务"),
    ("C0807", "展览服务"),
    ("C0814", "印刷服务"),
    ("C12", "房地产服务"),
    ("C1204", "物业管理服务"),
    ("C120401", "办公楼物业管理服务"),
    ("C120402", "保洁服务"),
    ("C120403", "秩序维护服务"),
    ("C13", "餐饮和住宿服务"),
    ("C1301", "餐饮服务"),
    ("C1302", "住宿服务"),
)
"""(code, name) in display order: each parent before its children."""

NAMES: dict[str, str] = dict(CATEGORIES)


def parent_of(code: str) -> str | None:
    return code[:-2] if len(code) > 3 else None


def is_known(code: str) -> bool:
    return code in NAMES


def name_of(code: str) -> str:
    return NAMES[code]


def within(code: str, ancestor: str) -> bool:
    """True when `code` is `ancestor` itself or lies beneath it in the tree."""
    return code.startswith(ancestor)


def related(a: str, b: str) -> bool:
    """True when one code lies beneath the other (or they are equal): the same branch of the tree."""
    return within(a, b) or within(b, a)


def path_of(code: str) -> list[str]:
    """The codes from the top down to `code`, e.g. C120401 → [C12, C1204, C120401]."""
    codes = [code]
    while (parent := parent_of(codes[0])) is not None:
        codes.insert(0, parent)
    return codes

