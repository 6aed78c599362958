"""Gateway tables: units (orgs) and user accounts."""

from datetime import datetime

from sqlmodel import Field

from servicekit.tables import table_base
from servicekit.types import UTCDateTime


Table = table_base()
metadata = Table.metadata


class Org(Table, table=True):
    __tablename__ = "orgs"

    org_id: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=20)
    address: str = Field(default="", max_length=300)
    contact_name: str = Field(default="", max_length=100)
    contact_phone: str = Field(default="", max_length=40)


class User(Table, table=True):
    __tablename__ = "users"

    username: str = Field(primary_key=True, max_length=80)
    display_name: str = Field(max_length=200)
    org_id: str = Field(foreign_key="orgs.org_id", max_length=40)
    role: str = Field(max_length=20)
    password_hash: str = Field(max_length=200)
    active: bool = True
    created_at: datetime = Field(sa_type=UTCDateTime)
