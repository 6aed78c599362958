"""table_base(): each service's tables on a metadata of their own, the plumbing tables already there."""

from sqlmodel import Field

from servicekit.tables import table_base

PLUMBING = {"outbox", "inbox", "aggregate_sequences"}


def test_a_table_base_holds_the_plumbing_tables_and_only_its_own_service_tables() -> None:
    first, second = table_base(), table_base()

    class Thing(first, table=True):
        __tablename__ = "things"
        id: int = Field(primary_key=True)

    assert first.metadata is not second.metadata
    assert set(first.metadata.tables) == PLUMBING | {"things"}
    assert set(second.metadata.tables) == PLUMBING
    assert Thing.__table__.metadata is first.metadata
