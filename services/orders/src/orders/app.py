"""Composition of the orders service."""

from contracts_schema import topics
from servicekit.app import Service

from orders import api, store
from orders.handlers import handlers
from orders.settings import Settings


def build(settings: Settings, *, with_bus: bool = True) -> Service:
    return Service(name="orders", settings=settings, metadata=store.metadata, routers=[api.router],
                   handlers=handlers, produces=[topics.ORDERS], with_bus=with_bus,
                   title="orders service", description="Orders (订单): logistics, invoices, acceptance, payment")
