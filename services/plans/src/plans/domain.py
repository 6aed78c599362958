"""Rules of purchase plans (采购计划) — pure Python, no I/O."""

from __future__ import annotations

import re
from decimal import Decimal

from servicekit.errors import Invalid

# 财政备案号: the finance department's filing number, e.g. 湘财采备〔2026〕00123 or HNCZ-2026-00123.
FILING_NO = re.compile(r"^(湘财采备〔\d{4}〕\d{3,6}|[A-Z]{2,6}-\d{4}-\d{3,6})$")


def check_filing_no(value: str) -> str:
    value = value.strip()
    if not FILING_NO.match(value):
        raise Invalid("finance filing number (财政备案号) must look like 湘财采备〔2026〕00123 or HNCZ-2026-00123",
                      code="invalid_filing_no")
    return value


def plan_no(year: int, sequence: int) -> str:
    return f"JH{year}{sequence:06d}"


def remaining(budget: Decimal, reserved: Decimal, consumed: Decimal) -> Decimal:
    return budget - reserved - consumed
