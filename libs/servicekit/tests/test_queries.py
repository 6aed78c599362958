"""contains(): a search word is matched literally, its % and _ included, on the real database."""

from __future__ import annotations

from sqlmodel import select

from kit_world import Effect
from servicekit.queries import contains, escape_like


def test_escape_like_escapes_the_wildcards_and_the_escape() -> None:
    assert escape_like(r"50%_a\b") == r"50\%\_a\\b"


async def test_contains_matches_the_word_literally(db) -> None:
    async with db.transaction() as session:
        for plan_id in ("PL-100%", "PL-1000", "PL_2", "PLX2", r"PL\3"):
            session.add(Effect(event_id="e", plan_id=plan_id))

    async def found(word: str) -> list[str]:
        async with db.read() as session:
            return sorted((await session.exec(select(Effect.plan_id).where(contains(Effect.plan_id, word)))).all())

    assert await found("0%") == ["PL-100%"]
    assert await found("L_") == ["PL_2"]
    assert await found("\\") == [r"PL\3"]
    assert await found("PL") == sorted(["PL-100%", "PL-1000", "PL_2", "PLX2", r"PL\3"])
