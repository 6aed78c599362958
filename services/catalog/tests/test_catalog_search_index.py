"""Keyword search through the databases' indexes (pg_trgm and a GIN index on the characters on
PostgreSQL, the FTS5 trigram and character tables on SQLite) finds exactly what the plain substring
rule finds: every word of the query, lower-cased, is a substring of the service's search text. Random
libraries and queries over a small alphabet (Chinese characters, letters of both cases, LIKE's and
FTS5's special characters, spaces), so words of one, two and more characters, repeated characters and
no match at all all occur. The page (store.services_page) is checked too, with a count limit small
enough that both of its ways occur: the matches sorted, and the services read in the browse order; and
both ways of counting (through the keyword indexes, and in category order for common words)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog import store
from servicekit.db import Database
from servicekit.settings import normalize_database_url
from servicekit.testing import migrated_database

ALPHABET = "会议长沙物业管理服务aB%_\"\\* "
texts = st.text(alphabet=ALPHABET, min_size=0, max_size=12)
SORTS = {"category": lambda s: (s.category_code, s.name, s.id), "name": lambda s: (s.name, s.id),
         "price": lambda s: (s.min_price, s.id), "-price": lambda s: (-s.min_price, [-ord(c) for c in s.id])}


def substring_rule(q: str, search_text: str) -> bool:
    return all(word in search_text for word in q.lower().split())


def test_indexed_search_finds_what_the_substring_rule_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "COUNT_LIMIT", 4)
    monkeypatch.setattr(store, "BROWSE_COUNT_ROWS", 6)  # a common word's count reads up to 6 services, then the indexes
    loop = asyncio.new_event_loop()
    migrated = migrated_database("catalog")
    database = loop.run_until_complete(migrated.__aenter__())
    db = Database(normalize_database_url(database), metadata=store.metadata, service="catalog")

    async def search(library: list[str], q: str, sort: str, page: int, category: str | None, common: bool) -> None:
        monkeypatch.setattr(store, "common", lambda holding: common)  # both ways of counting, whatever the library
        async with db.transaction() as session:
            await session.exec(sa.delete(store.Service.__table__))
            rows = [store.Service(id=f"SV{n:04d}", category_code=("C120401", "C0806")[n % 2], name=name,
                                  unit=f"u{n}", search_text=store.search_text(name, "", "C120401"),
                                  offered=n % 5 != 4, min_price=Decimal(n * 7 % 11))
                    for n, name in enumerate(library)]
            session.add_all(rows)
            await session.exec(sa.delete(store.CategoryGram.__table__))
            await store.add_category_grams(await session.connection(), store.category_gram_counts(
                (row.category_code, row.search_text) for row in rows))
        keywords = store.Keywords.of(q)
        expected = {row.id for row in rows if substring_rule(q, row.search_text)}
        async with db.read() as session:
            indexed = keywords.indexed(sa.select(store.Service.id).select_from(store.Service.__table__),
                                       sqlite=db.is_sqlite)
            assert set((await session.exec(indexed)).scalars().all()) == expected, (library, q)
            scanned = sa.select(store.Service.id).where(*keywords.scan())
            assert set((await session.exec(scanned)).scalars().all()) == expected, (library, q)
            found = await store.services_page(session, keywords, sort, category=category, page=page, page_size=3)
        listed = sorted((row for row in rows if row.id in expected and row.offered
                         and row.category_code.startswith(category or "")), key=SORTS[sort])
        assert (found.total, found.exact) == ((len(listed), True) if len(listed) <= 4 else (4, False))
        assert [row["id"] for row in found.rows] == [row.id for row in listed[(page - 1) * 3:page * 3]], (library, q)

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(library=st.lists(texts, max_size=15), q=texts, sort=st.sampled_from(sorted(SORTS)),
           page=st.integers(1, 3), category=st.sampled_from([None, "C12", "C0806", "C0205"]), common=st.booleans())
    def same_services(library: list[str], q: str, sort: str, page: int, category: str | None, common: bool) -> None:
        loop.run_until_complete(search(library, q, sort, page, category, common))

    try:
        same_services()
    finally:
        loop.run_until_complete(db.dispose())
        loop.run_until_complete(migrated.__aexit__(None, None, None))
        loop.close()
