"""Every published event, by bounded context, and the lookup from `ce_type` to its model."""

from contracts_schema.events import bidding, catalog, contracts, orders, plans
from contracts_schema.events.base import Event, Party

ALL_EVENTS: list[type[Event]] = [
    *plans.EVENTS, *catalog.EVENTS, *bidding.EVENTS, *contracts.EVENTS, *orders.EVENTS
]
_BY_TYPE = {cls.ce_type(): cls for cls in ALL_EVENTS}


def event_class_for_type(ce_type: str) -> type[Event] | None:
    return _BY_TYPE.get(ce_type)


__all__ = ["ALL_EVENTS", "Event", "Party", "event_class_for_type", "bidding", "catalog", "contracts",
           "orders", "plans"]
