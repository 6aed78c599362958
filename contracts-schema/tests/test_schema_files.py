"""The committed JSON Schema files are current, and every model is backward compatible with every
committed version of its schema."""

import json

import pytest

from contracts_schema.compat import incompatibilities
from contracts_schema.events import ALL_EVENTS
from contracts_schema.generate import SCHEMAS, schema_of, stale_files


def test_committed_schema_files_are_current():
    stale = stale_files()
    assert not stale, (f"stale generated files: {[str(p) for p in stale]} — run `make schemas` "
                       "(bump the event's version first if its schema changed)")


@pytest.mark.parametrize("cls", ALL_EVENTS, ids=lambda c: c.__name__)
def test_model_is_backward_compatible_with_every_committed_version(cls):
    versions = sorted((SCHEMAS / cls.__name__).glob("*.json"))
    assert versions, f"{cls.__name__} has no committed schema"
    current = schema_of(cls)
    for path in versions:
        problems = incompatibilities(json.loads(path.read_text(encoding="utf-8")), current)
        assert not problems, f"{cls.__name__} breaks {path.name}: {problems}"


def test_every_event_has_a_unique_type_and_a_key_field():
    types = [cls.ce_type() for cls in ALL_EVENTS]
    assert len(types) == len(set(types))
    for cls in ALL_EVENTS:
        assert cls.key_field in cls.model_fields, f"{cls.__name__}.key_field names no field"
        assert cls.__doc__, f"{cls.__name__} is not documented"


def test_design_catalog_events_exist():
    names = {cls.__name__ for cls in ALL_EVENTS}
    design = {"PlanCreated", "PlanUpdated", "AgreementPublished", "ServiceListed", "ServiceDelisted",
              "SupplierSuspended", "ProjectPublished", "PlanFundsReserved", "PlanFundsRejected", "QuotingOpened",
              "BiddingClosed", "ResultConfirmed", "ProjectTerminated", "ProjectFailed", "AnnouncementPublished",
              "OrderCreated", "ContractSent", "ContractConfirmed", "ContractSupplierSealed", "ContractStamped",
              "AcceptanceRecorded", "PaymentRecorded", "OrderCompleted"}
    assert design <= names, design - names


def _undocumented(model, seen) -> list[str]:
    import typing

    from pydantic import BaseModel

    missing = []
    for name, field in model.model_fields.items():
        if not field.description:
            missing.append(f"{model.__name__}.{name}")
        for arg in (field.annotation, *typing.get_args(field.annotation)):
            for inner in (arg, *typing.get_args(arg)):
                if isinstance(inner, type) and issubclass(inner, BaseModel) and inner not in seen:
                    seen.add(inner)
                    missing += _undocumented(inner, seen)
    return missing


def test_every_field_of_every_event_is_documented():
    seen: set = set()
    missing = [m for cls in ALL_EVENTS for m in _undocumented(cls, seen)]
    assert not missing, f"describe these fields (or add them to contracts_schema/glossary.py): {missing}"
