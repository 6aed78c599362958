"""Money, quantities and instants keep their exact values on the real database (PostgreSQL in CI)."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicekit.types import SHANGHAI, MoneyColumn, QuantityColumn, UTCDateTime

values = sa.MetaData()
sample = sa.Table("samples", values, sa.Column("id", sa.Integer, primary_key=True),
                  sa.Column("amount", MoneyColumn), sa.Column("qty", QuantityColumn), sa.Column("at", UTCDateTime))


@pytest.fixture
async def engine(db):
    async with db.engine.begin() as conn:
        await conn.run_sync(values.create_all)
    yield db.engine


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amount=st.decimals(min_value=Decimal("-9e13"), max_value=Decimal("9e13"), places=2, allow_nan=False),
       qty=st.decimals(min_value=Decimal("0.001"), max_value=Decimal("1e9"), places=3, allow_nan=False),
       offset=st.integers(min_value=-10**9, max_value=10**9))
async def test_values_round_trip_exactly(engine, amount, qty, offset):
    at = datetime(2026, 1, 1, tzinfo=SHANGHAI) + timedelta(seconds=offset)
    async with engine.begin() as conn:
        await conn.execute(sa.delete(sample))
        await conn.execute(sa.insert(sample).values(id=1, amount=amount, qty=qty, at=at))
        row = (await conn.execute(sa.select(sample))).one()
    assert row.amount == amount and str(row.amount) == f"{amount:.2f}"
    assert row.qty == qty
    assert row.at == at and row.at.tzinfo is not None and row.at.utcoffset() == timedelta(0)


async def test_sums_in_sql_are_exact(engine):
    async with engine.begin() as conn:
        await conn.execute(sa.delete(sample))
        await conn.execute(sa.insert(sample), [{"id": i, "amount": Decimal("0.10")} for i in range(1, 11)])
        total = (await conn.execute(sa.select(sa.func.sum(sample.c.amount)))).scalar_one()
    assert total == Decimal("1.00")  # summed as integer fen: no float drift, read back as money


async def test_money_with_three_places_is_refused(engine):
    with pytest.raises(sa.exc.StatementError, match="至多两位小数"):
        async with engine.begin() as conn:
            await conn.execute(sa.insert(sample).values(id=99, amount=Decimal("1.005")))


async def test_naive_datetime_is_refused(engine):
    with pytest.raises(sa.exc.StatementError, match="naive"):
        async with engine.begin() as conn:
            await conn.execute(sa.insert(sample).values(id=98, at=datetime(2026, 1, 1)))
    assert datetime.now(timezone.utc)
