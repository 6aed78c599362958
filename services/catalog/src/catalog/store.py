"""SQLModel tables of the catalog service (its own metadata: no other service's tables)."""

from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from servicekit.tables import add_plumbing_tables


class Table(SQLModel, registry=registry()):
    """Base of every table of this service."""


metadata = Table.metadata
add_plumbing_tables(metadata)
