"""Composition of the catalog service."""

from contracts_schema import topics
from servicekit.app import Service

from catalog import api, store
from catalog.handlers import handlers
from catalog.settings import Settings


def build(settings: Settings, *, with_bus: bool = True) -> Service:
    return Service(name="catalog", settings=settings, metadata=store.metadata, routers=[api.router],
                   handlers=handlers, produces=[topics.CATALOG], with_bus=with_bus,
                   title="catalog service", description="Framework agreements and the shortlisted-service library (入围服务库)")
