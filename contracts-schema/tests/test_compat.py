"""The compatibility checker itself: what it lets through and what it catches."""

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel

from contracts_schema.compat import incompatibilities
from contracts_schema.types import Money


def schema(model: type[BaseModel]) -> dict:
    return model.model_json_schema(mode="serialization")


class V1(BaseModel):
    order_id: str
    amount: Money
    status: Literal["open", "paid"]
    note: str | None = None


def test_adding_an_optional_field_is_compatible():
    class V2(V1):
        carrier: str | None = None

    assert incompatibilities(schema(V1), schema(V2)) == []


def test_adding_an_enum_value_is_compatible():
    class V2(BaseModel):
        order_id: str
        amount: Money
        status: Literal["open", "paid", "refunded"]
        note: str | None = None

    assert incompatibilities(schema(V1), schema(V2)) == []


def test_removing_renaming_retyping_and_requiring_are_caught():
    class Removed(BaseModel):
        amount: Money
        status: Literal["open", "paid"]
        note: str | None = None

    class Retyped(BaseModel):
        order_id: int
        amount: Money
        status: Literal["open", "paid"]
        note: str | None = None

    class Required(BaseModel):
        order_id: str
        amount: Money
        status: Literal["open", "paid"]
        note: str

    class NewRequired(V1):
        carrier: str

    class EnumShrunk(BaseModel):
        order_id: str
        amount: Money
        status: Literal["open"]
        note: str | None = None

    assert incompatibilities(schema(V1), schema(Removed)) == ["order_id: field removed"]
    assert any("order_id: type changed" in p for p in incompatibilities(schema(V1), schema(Retyped)))
    assert "note: optional field made required" in incompatibilities(schema(V1), schema(Required))
    assert incompatibilities(schema(V1), schema(NewRequired)) == ["carrier: new field is required"]
    assert any("enum values removed" in p for p in incompatibilities(schema(V1), schema(EnumShrunk)))


def test_nested_models_are_compared_through_refs():
    class Item(BaseModel):
        sku: str
        price: Money

    class Order(BaseModel):
        items: list[Item]

    class Item2(BaseModel):
        sku: str
        price: Decimal  # retyped: a number where a money string was

    class Order2(BaseModel):
        items: list[Item2]

    problems = incompatibilities(schema(Order), schema(Order2))
    assert problems and problems[0].startswith("items[].price")
