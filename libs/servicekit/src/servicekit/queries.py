"""Query helpers every service's store shares."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa


def escape_like(text: str) -> str:
    """`text` for a LIKE pattern written with escape="\\": its %, _ and \\ match themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(column: Any, text: str) -> sa.ColumnElement[bool]:
    """`column LIKE '%text%'`, the text taken literally (a user's search word may hold % or _)."""
    return column.like(f"%{escape_like(text)}%", escape="\\")
