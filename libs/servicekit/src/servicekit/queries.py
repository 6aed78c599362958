"""Query helpers every service's store shares."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import func, select


def escape_like(text: str) -> str:
    """`text` for a LIKE pattern written with escape="\\": its %, _ and \\ match themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(column: Any, text: str) -> sa.ColumnElement[bool]:
    """`column LIKE '%text%'`, the text taken literally (a user's search word may hold % or _)."""
    return column.like(f"%{escape_like(text)}%", escape="\\")


async def page_of(session: Any, stmt: Any, order: Any, *, offset: int, limit: int) -> tuple[int, list[Any]]:
    """How many rows `stmt` (a select) finds, and those from `offset` on, at most `limit`, in `order`."""
    total = (await session.exec(select(func.count()).select_from(stmt.subquery()))).one()
    rows = (await session.exec(stmt.order_by(*order).offset(offset).limit(limit))).all()
    return total, list(rows)
