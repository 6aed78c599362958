"""Composition of the plans service."""

from contracts_schema import topics
from servicekit.app import Service

from plans import api, store
from plans.handlers import handlers
from plans.settings import Settings


def build(settings: Settings, *, with_bus: bool = True) -> Service:
    return Service(name="plans", settings=settings, metadata=store.metadata, routers=[api.router],
                   handlers=handlers, produces=[topics.PLANS], with_bus=with_bus,
                   title="plans service", description="Purchase plans (采购计划), plan lines and the reservation ledger")
