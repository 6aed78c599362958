"""Money and quantities in events are read by their published pattern only: "1E5", full-width digits,
spaces and JSON numbers are refused (a ValueError, never decimal.InvalidOperation), and the JSON Schema
says exactly what it said before."""

from decimal import Decimal

import pytest
from pydantic import BaseModel, ValidationError

from contracts_schema.types import Money, Quantity, money


class Line(BaseModel):
    amount: Money
    quantity: Quantity = Decimal("1")


@pytest.mark.parametrize("text", ["1e309", "1E5", "１２３", " 1.00", "+1.00", "NaN", "Infinity", "1.001"])
def test_money_text_off_the_pattern_is_a_validation_error(text):
    with pytest.raises(ValidationError):
        Line.model_validate_json(f'{{"amount": "{text}"}}')


def test_money_as_a_json_number_is_refused_but_python_values_pass():
    with pytest.raises(ValidationError):
        Line.model_validate_json('{"amount": 1.5}')
    assert Line(amount=Decimal("-12.5")).amount == Decimal("-12.50")
    assert Line(amount=7).amount == Decimal("7.00")
    assert Line.model_validate_json('{"amount": "-0.50", "quantity": "2.125"}').quantity == Decimal("2.125")


@pytest.mark.parametrize("value", ["1e309", Decimal("1E+309"), "9" * 40])
def test_a_huge_amount_is_a_value_error_not_an_invalid_operation(value):
    with pytest.raises(ValueError):
        money(value)


@pytest.mark.parametrize("text", ["1e3", "１２", " 2"])
def test_quantity_text_off_the_pattern_is_refused(text):
    with pytest.raises(ValidationError):
        Line.model_validate_json(f'{{"amount": "1.00", "quantity": "{text}"}}')


def test_the_published_schema_of_money_and_quantity_is_unchanged():
    properties = Line.model_json_schema()["properties"]
    assert properties["amount"]["pattern"] == r"^-?\d+(\.\d{1,2})?$" and properties["amount"]["type"] == "string"
    assert properties["quantity"]["pattern"] == r"^\d+(\.\d{1,3})?$" and properties["quantity"]["type"] == "string"
