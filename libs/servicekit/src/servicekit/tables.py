"""The base of every service's tables, and the plumbing tables every service has beside its own:
outbox, inbox, per-aggregate sequences.

Each service's `store.py` starts with

    Table = table_base()
    metadata = Table.metadata

so its tables live on a metadata of their own (no other service's tables) that already holds the
plumbing tables, and its Alembic migrations create them with its own tables."""

import types
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from servicekit.types import UTCDateTime


def table_base() -> type[SQLModel]:
    """A new base class for one service's tables: its own SQLAlchemy registry, hence its own
    `metadata`, with the plumbing tables already on it. Call it once per service."""
    base = types.new_class("Table", (SQLModel,), {"registry": registry()})
    base.__doc__ = "Base of every table of this service."
    add_plumbing_tables(base.metadata)
    return base


def add_plumbing_tables(metadata: sa.MetaData) -> None:
    sa.Table(
        "outbox", metadata,
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("topic", sa.String(100), nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("type", sa.String(200), nullable=False),
        sa.Column("sequence", sa.BigInteger, nullable=False),
        sa.Column("headers", sa.JSON, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("sent_at", UTCDateTime, nullable=True),
        sa.Index("ix_outbox_unsent", "id", sqlite_where=sa.text("sent_at IS NULL"),
                 postgresql_where=sa.text("sent_at IS NULL")),
    )
    sa.Table(
        "inbox", metadata,
        sa.Column("consumer", sa.String(100), primary_key=True),
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("type", sa.String(200), nullable=False),
        sa.Column("topic", sa.String(100), nullable=False),
        sa.Column("processed_at", UTCDateTime, nullable=False),
    )
    sa.Table(
        "aggregate_sequences", metadata,
        sa.Column("topic", sa.String(100), primary_key=True),
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("last_sequence", sa.BigInteger, nullable=False),
    )


def add_numbering_table(metadata: sa.MetaData) -> sa.Table:
    """`counters`: the last number handed out in each series (servicekit.numbering.next_number).
    Called by the services that hand out document numbers, on their own metadata."""
    return sa.Table(
        "counters", metadata,
        sa.Column("name", sa.String(60), primary_key=True),
        sa.Column("last", sa.BigInteger, nullable=False),
    )


class StoredFileColumns(SQLModel):
    """The record of an uploaded file whose bytes live in the file storage (servicekit.files): mix it
    into a service's table beside the columns that say whose file it is.

        class OrderFile(Table, StoredFileColumns, table=True): ...
    """

    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=60)
    size: int
    sha256: str = Field(max_length=64)
    storage_key: str = Field(max_length=200)
    uploaded_by: str = Field(max_length=60)
    uploaded_at: datetime = Field(sa_type=UTCDateTime)
