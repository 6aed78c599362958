"""Composition of the contracts service."""

from contracts_schema import topics
from servicekit.app import Service

from contracts import api, store
from contracts.handlers import handlers
from contracts.settings import Settings


def build(settings: Settings, *, with_bus: bool = True) -> Service:
    return Service(name="contracts", settings=settings, metadata=store.metadata, routers=[api.router],
                   handlers=handlers, produces=[topics.CONTRACTS], with_bus=with_bus,
                   title="contracts service", description="Contracts (合同) and CA e-seals")
