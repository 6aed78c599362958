"""Keyword search through the databases' indexes (pg_trgm on PostgreSQL, the FTS5 trigram table on
SQLite) finds exactly what the plain substring rule finds: every word of the query, lower-cased, is a
substring of the service's search text. Random libraries and queries over a small alphabet (Chinese
characters, letters of both cases, LIKE's and FTS5's special characters, spaces), so words of one,
two and more characters, repeated characters and no match at all all occur."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog import store
from servicekit.db import Database
from servicekit.settings import normalize_database_url
from servicekit.testing import migrated_database

ALPHABET = "会议长沙物业管理服务aB%_\"\\* "
texts = st.text(alphabet=ALPHABET, min_size=0, max_size=12)


def substring_rule(q: str, search_text: str) -> bool:
    return all(word in search_text for word in q.lower().split())


def test_indexed_search_finds_what_the_substring_rule_finds() -> None:
    loop = asyncio.new_event_loop()
    migrated = migrated_database("catalog")
    database = loop.run_until_complete(migrated.__aenter__())
    db = Database(normalize_database_url(database), metadata=store.metadata, service="catalog")

    async def search(library: list[str], q: str) -> tuple[set[str], set[str]]:
        async with db.transaction() as session:
            await session.exec(sa.delete(store.Service.__table__))
            rows = [store.Service(id=f"SV{n:04d}", category_code="C120401", name=name, unit=f"u{n}",
                                  search_text=store.search_text(name, "", "C120401")) for n, name in enumerate(library)]
            session.add_all(rows)
        async with db.read() as session:
            found = set((await session.exec(sa.select(store.Service.id).where(
                *store.keyword_conditions(q, sqlite=db.is_sqlite)))).scalars().all())
        return found, {row.id for row in rows if substring_rule(q, row.search_text)}

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(library=st.lists(texts, max_size=15), q=texts)
    def same_services(library: list[str], q: str) -> None:
        found, expected = loop.run_until_complete(search(library, q))
        assert found == expected, (library, q)

    try:
        same_services()
    finally:
        loop.run_until_complete(db.dispose())
        loop.run_until_complete(migrated.__aexit__(None, None, None))
        loop.close()
