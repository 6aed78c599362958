"""SQLModel tables of the catalog service (its own metadata: no other service's tables) and the queries
the command layer, the routes and the clock share.

`services` carries a browse summary (offered?, lowest listed price, how many suppliers and agreements
offer it, lower-cased search text) kept current in the transaction of every change that can alter it
(listing, suspension, expiry), so browsing and keyword search read one table."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import Field, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from catalog import domain
from contracts_schema import categories
from servicekit.queries import contains, escape_like
from servicekit.tables import table_base
from servicekit.types import MoneyColumn, QuantityColumn, UTCDateTime


Table = table_base()
metadata = Table.metadata


class Agreement(Table, table=True):
    __tablename__ = "agreements"

    id: str = Field(primary_key=True, max_length=40)
    agreement_no: str = Field(unique=True, max_length=60)
    name: str = Field(max_length=200)
    agency_org_id: str = Field(index=True, max_length=40)
    agency_name: str = Field(max_length=200)
    agency_address: str = Field(default="", max_length=300)
    category_code: str = Field(index=True, max_length=20)
    valid_from: date
    valid_to: date
    methods: list[str] = Field(sa_type=sa.JSON)
    contract_template: str = Field(sa_type=sa.Text)
    status: str = Field(index=True, max_length=20)
    published_at: datetime = Field(sa_type=UTCDateTime)
    expired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    estimated_amount: Decimal | None = Field(default=None, sa_type=MoneyColumn,
                                             description="预估采购金额: the ledger's awards are measured against it")
    estimated_quantity: Decimal | None = Field(default=None, sa_type=QuantityColumn, description="预估采购数量")


class ShortlistedSupplier(Table, table=True):
    """A supplier shortlisted (入围) under one agreement, with its standing there."""

    __tablename__ = "shortlisted_suppliers"

    agreement_id: str = Field(primary_key=True, foreign_key="agreements.id", max_length=40)
    supplier_id: str = Field(primary_key=True, index=True, max_length=40)
    name: str = Field(max_length=200)
    address: str = Field(default="", max_length=300)
    contact_name: str = Field(default="", max_length=100)
    contact_phone: str = Field(default="", max_length=40)
    status: str = Field(default="active", max_length=20)
    status_reason: str = Field(default="", max_length=500)
    status_changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Service(Table, table=True):
    """A service of the library, whoever offers it, with its browse summary."""

    __tablename__ = "services"
    # Keyword search (a substring anywhere in search_text) is served by the databases' own indexes
    # (class Keywords): on PostgreSQL a pg_trgm GIN index for words of three characters or more and a
    # GIN index on the characters for shorter ones; on SQLite the FTS5 tables services_fts (trigram)
    # and services_chars (one token per character), kept by triggers (migrations 0002, 0006). One
    # index per browse order, so the first page of a common word is read in order (services_page);
    # on PostgreSQL the category and price orders' again with the search text, of the offered services
    # only, so that a common word's first 1,001 matches are counted, and its page found, from the index
    # alone (migration 0007).
    # `unit` first in the identity constraint, so its index matches no browse order.
    __table_args__ = (sa.UniqueConstraint("unit", "name", "category_code", name="uq_service_identity"),
                      sa.Index("ix_services_browse_category", "category_code", "name", "id"),
                      sa.Index("ix_services_browse_name", "name", "id"),
                      sa.Index("ix_services_browse_price", "min_price", "id"),
                      sa.Index("ix_services_search_trgm", "search_text", postgresql_using="gin",
                               postgresql_ops={"search_text": "gin_trgm_ops"},
                               postgresql_with={"fastupdate": "off"}).ddl_if(dialect="postgresql"),
                      sa.Index("ix_services_search_category", "category_code", "name", "id",
                               postgresql_include=["search_text"], postgresql_where=sa.text("offered"))
                      .ddl_if(dialect="postgresql"),
                      sa.Index("ix_services_search_price", "min_price", "id",
                               postgresql_include=["category_code", "search_text"], postgresql_where=sa.text("offered"))
                      .ddl_if(dialect="postgresql"),
                      sa.Index("ix_services_search_chars", sa.func.string_to_array(sa.text("search_text"), sa.null()),
                               postgresql_using="gin", postgresql_with={"fastupdate": "off"}).ddl_if(dialect="postgresql"))

    id: str = Field(primary_key=True, max_length=40)
    category_code: str = Field(max_length=20)
    name: str = Field(max_length=200)
    unit: str = Field(max_length=20)
    description: str = Field(default="", max_length=2000)
    search_text: str = Field(default="", max_length=2400, description="Lower-cased name, description, category")
    offered: bool = False
    min_price: Decimal | None = Field(default=None, sa_type=MoneyColumn)
    supplier_count: int = 0
    agreement_count: int = 0


class CategoryGram(Table, table=True):
    """A character, or a pair of adjacent characters, that occurs in the search text of some service of
    the category, and how many services of the category hold it (the empty gram: how many services the
    category has); kept by service_ids_for (a service's search text never changes). It tells which
    categories may hold a word, so reading the library in category order starts at the first of them
    instead of checking every service of the categories before it, and whether a word is common enough
    to count its matches in browse order (services_page)."""

    __tablename__ = "category_grams"

    gram: str = Field(primary_key=True, max_length=2)
    category_code: str = Field(primary_key=True, max_length=20)
    services: int = Field(default=0, description="How many services of the category hold the gram")


class CategoryCount(Table, table=True):
    """How many offered services each category has (its sub-categories not included), kept by
    refresh_services: the category tree reads it instead of counting the library."""

    __tablename__ = "category_counts"

    category_code: str = Field(primary_key=True, max_length=20)
    offered_services: int = 0


class Offering(Table, table=True):
    """One supplier's offer of one service under one agreement: the stage-1 ceiling and its listing."""

    __tablename__ = "offerings"
    __table_args__ = (sa.UniqueConstraint("agreement_id", "service_id", "supplier_id", name="uq_offering"),)

    id: str = Field(primary_key=True, max_length=40)
    agreement_id: str = Field(foreign_key="agreements.id", index=True, max_length=40)
    service_id: str = Field(foreign_key="services.id", index=True, max_length=40)
    supplier_id: str = Field(index=True, max_length=40)
    agreement_price: Decimal = Field(sa_type=MoneyColumn)
    discount_tiers: list[dict[str, str]] = Field(default_factory=list, sa_type=sa.JSON)
    status: str = Field(default="unlisted", max_length=20)
    price: Decimal | None = Field(default=None, sa_type=MoneyColumn)
    listed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    delisted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    delist_reason: str = Field(default="", max_length=500)

    def tiers(self) -> list[domain.Tier]:
        return [domain.Tier(Decimal(t["min_quantity"]), Decimal(t["unit_price"])) for t in self.discount_tiers]


class SupplierRating(Table, table=True):
    """The purchasers' evaluations (用户评价) of one supplier under one agreement, as orders.events tell
    them (EvaluationSubmitted): how many, and the sum and number of the dimension scores. The library
    shows a supplier's average (over every agreement) beside its price."""

    __tablename__ = "supplier_ratings"

    supplier_id: str = Field(primary_key=True, max_length=40)
    agreement_id: str = Field(primary_key=True, max_length=40)
    evaluation_count: int = 0
    score_sum: int = 0
    score_count: int = 0
    updated_at: datetime = Field(sa_type=UTCDateTime)


async def ratings_of(session: AsyncSession, supplier_ids: Iterable[str]) -> dict[str, domain.Rating]:
    """{supplier_id: its rating over every agreement} of these suppliers (those never evaluated are absent)."""
    ids = sorted(set(supplier_ids))
    if not ids:
        return {}
    rows = (await session.exec(
        select(SupplierRating.supplier_id, func.sum(SupplierRating.evaluation_count),
               func.sum(SupplierRating.score_sum), func.sum(SupplierRating.score_count))
        .where(SupplierRating.supplier_id.in_(ids))  # type: ignore[attr-defined]
        .group_by(SupplierRating.supplier_id))).all()
    return {supplier_id: domain.Rating(int(count), int(total), int(scores))
            for supplier_id, count, total, scores in rows if count}
# ── rotation (顺序轮候) and clearing (清退): tables of migration 0005 ─────────────────────────────────


class RotationPosition(Table, table=True):
    """A supplier's place in its agreement's rotation order (1 first). A cleared supplier's row stays,
    with `removed_at`: the order as published remains readable."""

    __tablename__ = "rotation_positions"

    agreement_id: str = Field(primary_key=True, foreign_key="agreements.id", max_length=40)
    supplier_id: str = Field(primary_key=True, max_length=40)
    position: int
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    removed_reason: str = Field(default="", max_length=500)


class SupplierClearing(Table, table=True):
    """One clearing (清退): who cleared which supplier, when, for which cause and why."""

    __tablename__ = "supplier_clearings"

    id: str = Field(primary_key=True, max_length=40)
    agreement_id: str = Field(index=True, max_length=40)
    supplier_id: str = Field(max_length=40)
    supplier_name: str = Field(max_length=200)
    cause: str = Field(max_length=40)
    cause_label: str = Field(max_length=200)
    reason: str = Field(max_length=1000)
    cleared_by: str = Field(max_length=100)
    cleared_by_org: str = Field(max_length=200)
    cleared_at: datetime = Field(sa_type=UTCDateTime)


class ClearingCase(Table, table=True):
    """A fact that may lead to clearing, as the events told it: a rotation decline without a valid
    reason (RotationDeclined), a contract not signed by its deadline (ContractDrafted, ContractStamped)."""

    __tablename__ = "clearing_cases"
    __table_args__ = (sa.Index("ix_clearing_cases_agreement_supplier", "agreement_id", "supplier_id"),)

    id: str = Field(primary_key=True, max_length=60, description="The project (decline) or contract id")
    kind: str = Field(primary_key=True, max_length=30)  # declined_without_reason | contract
    agreement_id: str = Field(max_length=60)
    supplier_id: str = Field(max_length=40)
    reference_no: str = Field(default="", max_length=60)
    detail: str = Field(default="", max_length=1000)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    due_on: date | None = None
    done: bool = False


def search_text(name: str, description: str, category_code: str) -> str:
    return " ".join((name, description, categories.NAMES.get(category_code, ""))).lower()


SERVICES_FTS = sa.table("services_fts", sa.column("rowid"))
"""SQLite only: FTS5 (trigram tokenizer, contentless, rowid = the service's rowid) over search_text,
made and kept by migrations 0002 and 0006."""
SERVICES_CHARS = sa.table("services_chars", sa.column("rowid"))
"""SQLite only: FTS5 (unicode61, contentless, rowid = the service's rowid) over search_text with a space
between every character (migration 0006): a word of any length is the phrase of its characters."""

TRIGRAM = 3  # the shortest word a trigram index can look up
COUNT_LIMIT = 1000
"""The list counts its matches exactly up to this many; beyond, it says "more than COUNT_LIMIT"
(counting a common word's hundred thousand matches at every request is what made it slow)."""


def _pattern(word: str) -> sa.BindParameter[str]:
    """`%word%`, written into the statement: a prepared statement's generic plan, not knowing the word,
    would read the whole table rather than the index (or the index rather than the browse order)."""
    return sa.bindparam(None, f"%{escape_like(word)}%", literal_execute=True)


def _unindexed_like(word: str, column: Any = None) -> sa.ColumnElement[bool]:
    """The word's LIKE on `search_text || ''`, an expression no index serves."""
    return ((Service.search_text if column is None else column) + "").like(_pattern(word), escape="\\")


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


@dataclass(frozen=True)
class Keywords:
    """The keyword rule: every word of the query (lower-cased, split on white space) is a substring of
    search_text. `indexed` narrows through the databases' indexes and checks the rule (for a word that
    is rare enough to read all its matches); `scan` is the rule alone on an expression no index serves
    (for reading the services in a browse order until a page is full)."""

    words: tuple[str, ...]

    @classmethod
    def of(cls, q: str | None) -> Keywords:
        return cls(tuple((q or "").lower().split()))

    def scan(self, column: Any = None) -> list[sa.ColumnElement[bool]]:
        """(On `column`, a subquery's search_text, rather than the table's.)"""
        return [_unindexed_like(word, column) for word in self.words]

    def indexed(self, stmt: Any, *, sqlite: bool) -> Any:
        """`stmt` (a select from services) narrowed to the services holding every word. PostgreSQL: the
        LIKE of a word of three characters or more is served by pg_trgm; a shorter word's characters
        are looked up in the GIN index on string_to_array(search_text, NULL) and its LIKE checks the
        rest. SQLite: a join with services_chars, each word of letters and digits the phrase of its
        characters, and with services_fts (trigram) for the other words of three characters or more
        (the unicode61 tokenizer drops signs), then the LIKE."""
        if not self.words:
            return stmt
        if sqlite:
            stmt = stmt.where(*[contains(Service.search_text, word) for word in self.words])
            rowid = sa.literal_column("services.rowid")
            phrases = [_phrase(" ".join(word)) for word in self.words if all(c.isalnum() for c in word)]
            others = [_phrase(word) for word in self.words if len(word) >= TRIGRAM and not all(c.isalnum() for c in word)]
            if phrases:
                stmt = stmt.join(SERVICES_CHARS, SERVICES_CHARS.c.rowid == rowid).where(
                    sa.literal_column("services_chars").op("MATCH")(" AND ".join(phrases)))
            if others:
                stmt = stmt.join(SERVICES_FTS, SERVICES_FTS.c.rowid == rowid).where(
                    sa.literal_column("services_fts").op("MATCH")(" AND ".join(others)))
            return stmt  # with neither (words of one or two signs, say "%"): the LIKE over the library
        conditions: list[sa.ColumnElement[bool]] = []
        for word in self.words:
            if len(word) >= TRIGRAM:
                conditions.append(Service.search_text.like(_pattern(word), escape="\\"))
            else:  # the LIKE on `search_text || ''`: a trigram index asked for it would walk all its entries
                conditions.append(_unindexed_like(word))
                conditions.append(sa.func.string_to_array(Service.search_text, sa.null()).op("@>")(
                    sa.bindparam(None, sorted(set(word)), type_=postgresql.ARRAY(sa.Text), literal_execute=True)))
        return stmt.where(*conditions)


def _insert(dialect: str) -> Any:
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def grams_of(text: str) -> set[str]:
    """The characters of `text`, its pairs of adjacent characters and the empty gram (every text holds it)."""
    return {text[i:i + 2] for i in range(len(text))} | set(text) | {""}


def word_grams(word: str) -> set[str]:
    """What a text holding `word` holds for certain: the word itself up to two characters, else its pairs."""
    return {word} if len(word) <= 2 else {word[i:i + 2] for i in range(len(word) - 1)}


def category_gram_counts(services: Iterable[tuple[str, str]]) -> Counter[tuple[str, str]]:
    """{(category_code, gram): how many of these (category_code, search_text) services hold it}."""
    return Counter((code, gram) for code, text in services for gram in grams_of(text))


async def add_category_grams(connection: AsyncConnection, counts: Mapping[tuple[str, str], int]) -> None:
    """Adds {(category_code, gram): services} to category_grams (new services: category_gram_counts).
    In key order, so that two transactions adding to the same grams never wait for each other in a ring."""
    table = CategoryGram.__table__
    rows = [{"category_code": code, "gram": gram, "services": n} for (code, gram), n in sorted(counts.items())]
    insert = _insert(connection.dialect.name)(table)
    upsert = insert.on_conflict_do_update(index_elements=["gram", "category_code"],
                                          set_={"services": table.c.services + insert.excluded.services})
    for start in range(0, len(rows), 5000):
        await connection.execute(upsert, rows[start:start + 5000])


@dataclass(frozen=True)
class CategoryMatches:
    """What category_grams tells of one category that may hold the words."""

    services: int
    """How many services the category has."""
    expected: float
    """How many of them may hold every word: for each word, the fewest services holding one of its grams
    (exactly those holding a word of one or two characters), the words taken as independent."""


async def categories_holding(session: AsyncSession, keywords: Keywords) -> dict[str, CategoryMatches]:
    """The categories (code order) some service of which holds every character pair of every word: the
    only ones that can hold a match, with how many matches they may hold."""
    words = {word: word_grams(word) for word in keywords.words}
    table = CategoryGram.__table__
    rows = (await session.exec(select(table.c.category_code, table.c.gram, table.c.services).where(
        table.c.gram.in_(sorted(set().union({""}, *words.values())))))).all()
    counts: dict[str, dict[str, int]] = {}
    for code, gram, services in rows:
        counts.setdefault(code, {})[gram] = services
    holding: dict[str, CategoryMatches] = {}
    for code in sorted(counts):
        held = counts[code]
        if not all(gram in held for grams in words.values() for gram in grams):
            continue
        size = max(held.get("", 0), 1)
        expected = float(size)
        for grams in words.values():
            expected *= min(held[gram] for gram in grams) / size
        holding[code] = CategoryMatches(size, expected)
    return holding


async def service_ids_for(session: AsyncSession, keys: Iterable[domain.ServiceKey],
                          descriptions: dict[domain.ServiceKey, str], new_id: Any) -> dict[domain.ServiceKey, str]:
    """The id of each service, creating the ones the library lacks (an insert that tolerates a
    concurrent creator of the same service)."""
    keys = list(dict.fromkeys(keys))
    table = Service.__table__
    texts = {key: search_text(key.name, descriptions.get(key, ""), key.category_code) for key in keys}
    created = []
    for key in keys:
        if (await session.exec(_insert(session.bind.dialect.name)(table).values(
            id=new_id(), category_code=key.category_code, name=key.name, unit=key.unit,
            description=descriptions.get(key, ""), search_text=texts[key], offered=False,
            supplier_count=0, agreement_count=0,
        ).on_conflict_do_nothing(index_elements=["category_code", "name", "unit"]).returning(table.c.id))).first():
            created.append(key)
    await add_category_grams(await session.connection(),
                             category_gram_counts((key.category_code, texts[key]) for key in created))
    ids: dict[domain.ServiceKey, str] = {}
    for key in keys:
        ids[key] = (await session.exec(select(Service.id).where(
            Service.category_code == key.category_code, Service.name == key.name, Service.unit == key.unit))).one()
    return ids


async def refresh_services(session: AsyncSession, service_ids: Iterable[str], today: date) -> None:
    """Recomputes the browse summary of these services from their offerings (in the caller's
    transaction, so the summary never disagrees with what it summarizes)."""
    ids = sorted(set(service_ids))
    table = Service.__table__
    offered: Counter[str] = Counter()  # by category, how many more are offered than before
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        before = {row.id: row for row in (await session.exec(select(table.c.id, table.c.category_code, table.c.offered)
                                                             .where(table.c.id.in_(chunk)))).all()}
        rows = (await session.exec(
            select(Offering.service_id, func.min(Offering.price), func.count(sa.distinct(Offering.supplier_id)),
                   func.count(sa.distinct(Offering.agreement_id)))
            .join(Agreement, Agreement.id == Offering.agreement_id)
            .join(ShortlistedSupplier, sa.and_(ShortlistedSupplier.agreement_id == Offering.agreement_id,
                                               ShortlistedSupplier.supplier_id == Offering.supplier_id))
            .where(Offering.service_id.in_(chunk), Offering.status == "listed",  # type: ignore[attr-defined]
                   Agreement.status == "active", Agreement.valid_from <= today, Agreement.valid_to >= today,
                   ShortlistedSupplier.status == "active")
            .group_by(Offering.service_id))).all()
        summary = {row[0]: row[1:] for row in rows}
        for service_id in chunk:
            price, suppliers, agreements = summary.get(service_id, (None, 0, 0))
            await session.exec(sa.update(table).where(table.c.id == service_id).values(
                offered=price is not None, min_price=price, supplier_count=suppliers, agreement_count=agreements))
            if service_id in before:
                offered[before[service_id].category_code] += (price is not None) - before[service_id].offered
    await add_offered_counts(await session.connection(), offered)


async def add_offered_counts(connection: AsyncConnection, offered: Mapping[str, int]) -> None:
    """Adds {category_code: how many more services are offered} to category_counts (in code order: two
    transactions adding to the same categories never wait for each other in a ring)."""
    table = CategoryCount.__table__
    rows = [{"category_code": code, "offered_services": n} for code, n in sorted(offered.items()) if n]
    if rows:
        insert = _insert(connection.dialect.name)(table)
        await connection.execute(insert.on_conflict_do_update(
            index_elements=["category_code"],
            set_={"offered_services": table.c.offered_services + insert.excluded.offered_services}), rows)


async def services_of_agreement(session: AsyncSession, agreement_id: str, supplier_id: str | None = None) -> list[str]:
    stmt = select(Offering.service_id).where(Offering.agreement_id == agreement_id)
    if supplier_id:
        stmt = stmt.where(Offering.supplier_id == supplier_id)
    return list((await session.exec(stmt)).all())


async def lock_supplier(session: AsyncSession, agreement_id: str, supplier_id: str) -> ShortlistedSupplier | None:
    """The supplier's standing under the agreement, locked: listing and suspension never interleave."""
    stmt = (select(ShortlistedSupplier)
            .where(ShortlistedSupplier.agreement_id == agreement_id, ShortlistedSupplier.supplier_id == supplier_id)
            .with_for_update().execution_options(populate_existing=True))
    return (await session.exec(stmt)).first()


@dataclass(frozen=True)
class AgreementRecord:
    """An agreement with its whole stage-1 result: suppliers by id, offerings by supplier, category, name."""

    agreement: Agreement
    suppliers: list[ShortlistedSupplier]
    offerings: list[tuple[Offering, Service]]
    rotation: list[RotationPosition] = field(default_factory=list)
    """The rotation order (顺序轮候), first place first, cleared suppliers' places included (removed_at)."""


async def get_agreement(session: AsyncSession, agreement_id: str) -> Agreement | None:
    return (await session.exec(select(Agreement).where(Agreement.id == agreement_id))).first()


async def load_agreement(session: AsyncSession, agreement: Agreement) -> AgreementRecord:
    suppliers = (await session.exec(select(ShortlistedSupplier).where(ShortlistedSupplier.agreement_id == agreement.id)
                                    .order_by(ShortlistedSupplier.supplier_id))).all()
    rows = (await session.exec(select(Offering, Service).join(Service, Service.id == Offering.service_id)
                               .where(Offering.agreement_id == agreement.id)
                               .order_by(Offering.supplier_id, Service.category_code, Service.name))).all()
    rotation = (await session.exec(select(RotationPosition).where(RotationPosition.agreement_id == agreement.id)
                                   .order_by(RotationPosition.position))).all()
    return AgreementRecord(agreement, list(suppliers), [(o, s) for o, s in rows], list(rotation))


def rotation_order(record: AgreementRecord) -> list[str] | None:
    """The agreement's rotation order now (cleared suppliers removed), or None without rotation."""
    if domain.ROTATION not in record.agreement.methods:
        return None
    return [p.supplier_id for p in record.rotation if p.removed_at is None]


async def offering_of(session: AsyncSession, agreement_id: str, supplier_id: str,
                      service_id: str) -> tuple[Offering, Service] | None:
    """One supplier's offering of one service under the agreement, with the service."""
    row = (await session.exec(select(Offering, Service).join(Service, Service.id == Offering.service_id).where(
        Offering.agreement_id == agreement_id, Offering.supplier_id == supplier_id,
        Offering.service_id == service_id))).first()
    return (row[0], row[1]) if row else None


SUMMARY_COLUMNS = ("id", "category_code", "name", "unit", "description", "min_price", "supplier_count",
                   "agreement_count")
BROWSE_ORDERS: dict[str, tuple[tuple[str, bool], ...]] = {
    "price": (("min_price", False), ("id", False)), "-price": (("min_price", True), ("id", True)),
    "name": (("name", False), ("id", False)), "category": (("category_code", False), ("name", False), ("id", False))}
"""The list's orders, (column, descending) each: every one has its index (Service.__table_args__);
-price reads the price index backwards (equal prices in descending id)."""
COVERED_ORDERS = ("category", "price", "-price")
"""PostgreSQL: the orders whose index of the offered services holds the search text too (migration 0007)."""


BROWSE_COUNT_ROWS = 20_000
"""How many services the count may read in category order (services_page) to find COUNT_LIMIT + 1
matches (~14 ms of PostgreSQL's CPU for two words at 1,000,000), before counting through the indexes."""


def common(holding: dict[str, CategoryMatches]) -> bool:
    """Whether reading these categories' services in category order should find COUNT_LIMIT + 1 matches
    (half as many again expected: the words are not independent) within BROWSE_COUNT_ROWS services."""
    need, read = 1.5 * (COUNT_LIMIT + 1), 0.0
    for matches in holding.values():
        if matches.expected >= need:
            return read + need * matches.services / matches.expected <= BROWSE_COUNT_ROWS
        need -= matches.expected
        read += matches.services
    return False


async def in_browse_order(session: AsyncSession, on: bool) -> None:
    """PostgreSQL, for the rest of the transaction: read in a browse index and stop at the LIMIT (on: no
    sort, which its planner, taking a LIKE for rare, would choose over reading in order; no parallel
    workers, whose start costs more than the few thousand rows read; no JIT, whose compiling, for a plan
    it costs as reading the whole index, took 13 ms), or sort again (off: the matches found through the
    keyword indexes, at most COUNT_LIMIT; neither workers nor JIT pay there)."""
    workers = (", set_config('max_parallel_workers_per_gather', '0', true), set_config('jit', 'off', true)"
               if on else "")
    await session.exec(sa.text(f"SELECT set_config('enable_sort', '{'off' if on else 'on'}', true){workers}"))


@dataclass(frozen=True)
class ServicesPage:
    total: int
    """How many services match, or COUNT_LIMIT when more do (exact False)."""
    exact: bool
    rows: list[sa.RowMapping]


async def services_page(session: AsyncSession, keywords: Keywords, sort: str, *, category: str | None = None,
                        page: int, page_size: int) -> ServicesPage:
    """One page of the offered services' summaries (plain rows, no ORM objects) holding the keywords, in
    the category (its sub-categories included) and a browse order, and how many match, counted up to
    COUNT_LIMIT. First the categories that can hold the words (category_grams): none, no search. Words
    common there (`common`) are counted, on PostgreSQL, from the first services of those categories in
    category order, read in an index holding the search text; others through the keyword indexes. Up to
    COUNT_LIMIT matches, the page is sorted from the matches the indexes find; beyond, there are so
    many that reading the services in the order's own index (the keyword rule checked on each; in
    category order from the first category that can hold them) fills the page after a few hundred
    rows, where sorting every match would read them all."""
    sqlite = session.bind.dialect.name == "sqlite"
    table = Service.__table__
    offset = (page - 1) * page_size
    # `where` for the searches the keyword indexes drive (category_code || '': no index should be read
    # for it instead); `in_order` for reading a browse index, whose start the lower bound sets
    where: list[Any] = [table.c.offered]
    in_order: list[Any] = [table.c.offered]
    if category:
        where.append(table.c.category_code.startswith(category))
        in_order += [table.c.category_code >= category, table.c.category_code.startswith(category)]
    holding: dict[str, CategoryMatches] = {}
    if keywords.words:
        holding = {code: matches for code, matches in (await categories_holding(session, keywords)).items()
                   if code.startswith(category or "")}
        if not holding:
            return ServicesPage(0, True, [])
        codes = list(holding)
        where.append((table.c.category_code + "").in_(codes))
        if sort == "category":
            in_order += [table.c.category_code >= codes[0], table.c.category_code.in_(codes)]
    # Numbers written into the statements too (see _pattern): PostgreSQL's generic plan for a LIMIT it
    # does not know reads the whole table for a word the index would rule out.
    browsing = not sqlite and bool(keywords.words) and common(holding)  # (in_browse_order set)
    counted = 0
    if browsing:
        # the first BROWSE_COUNT_ROWS services of the categories in category order (from the index
        # alone), until the 1,001st match; the keyword indexes' bitmap would read every match first
        await in_browse_order(session, True)
        first = (select(table.c.search_text)
                 .where(table.c.offered, table.c.category_code >= codes[0], table.c.category_code.in_(codes))
                 .order_by(*[table.c[name] for name, _ in BROWSE_ORDERS["category"]])
                 .limit(sa.literal_column(str(BROWSE_COUNT_ROWS))).subquery())
        counted = await _count(session, select(sa.literal_column("1")).select_from(first)
                               .where(*keywords.scan(first.c.search_text)))
    if counted <= COUNT_LIMIT:  # (fewer there than category_grams foretold: counted through the indexes)
        counted = await _count(session, keywords.indexed(
            select(sa.literal_column("1")).select_from(table).where(*where), sqlite=sqlite))
    if not sqlite and browsing != (counted > COUNT_LIMIT):
        await in_browse_order(session, counted > COUNT_LIMIT)
    if counted <= COUNT_LIMIT:
        if offset >= counted:
            return ServicesPage(counted, True, [])
        found = keywords.indexed(select(*[table.c[name] for name in SUMMARY_COLUMNS]).select_from(table)
                                 .where(*where), sqlite=sqlite)
        # OFFSET 0 keeps PostgreSQL from reading a browse index in order and checking every service
        source = found.offset(0).subquery() if keywords.words else table
        stmt = select(*[source.c[name] for name in SUMMARY_COLUMNS])
        if source is table:
            stmt = stmt.where(*in_order)
    else:  # (PostgreSQL without sorting: its planner, taking a LIKE for rare, would read every service and sort)
        source = table
        stmt = select(*[table.c[name] for name in SUMMARY_COLUMNS]).where(*in_order, *keywords.scan())
        if not sqlite and keywords.words and sort in COVERED_ORDERS:
            # the page's services found in the order's index with the search text (index-only), then
            # only they are read, not every service the keyword rule is checked on
            keys = [table.c[name] for name, _ in BROWSE_ORDERS[sort]]
            source = _page(select(*keys).where(*in_order, *keywords.scan()), table, sort, offset, page_size).subquery()
            stmt = select(*[table.c[name] for name in SUMMARY_COLUMNS]).join(source, source.c.id == table.c.id)
            offset = 0
    rows = (await session.exec(_page(stmt, source, sort, offset, page_size))).mappings().all()
    return ServicesPage(counted, True, list(rows)) if counted <= COUNT_LIMIT else ServicesPage(COUNT_LIMIT, False, list(rows))


async def _count(session: AsyncSession, matching: Any) -> int:
    """How many rows `matching` has, up to COUNT_LIMIT + 1."""
    return (await session.exec(select(func.count()).select_from(
        matching.limit(sa.literal_column(str(COUNT_LIMIT + 1))).subquery()))).one()


def _page(stmt: Any, source: Any, sort: str, offset: int, page_size: int) -> Any:
    """`stmt` in `sort` order (of `source`'s columns), from `offset`, `page_size` rows."""
    order = [source.c[name].desc() if descending else source.c[name].asc() for name, descending in BROWSE_ORDERS[sort]]
    return stmt.order_by(*order).offset(sa.literal_column(str(offset))).limit(sa.literal_column(str(page_size)))


async def page_of(session: AsyncSession, table: type[Table], where: list[Any], order: Iterable[Any], *,
                  page: int, page_size: int) -> tuple[int, list[Any]]:
    """How many rows of `table` match `where`, and one page of them in `order`."""
    total = (await session.exec(select(func.count()).select_from(table).where(*where))).one()
    rows = (await session.exec(select(table).where(*where).order_by(*order)
                               .offset((page - 1) * page_size).limit(page_size))).all()
    return total, list(rows)
