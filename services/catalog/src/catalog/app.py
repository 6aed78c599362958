"""Composition of the catalog service."""

from contracts_schema import topics
from servicekit.app import Service

from catalog import agreements_api, api, store
from catalog.clock import agreement_clock
from catalog.handlers import handlers
from catalog.settings import Settings


def build(settings: Settings, *, with_bus: bool = True) -> Service:
    return Service(name="catalog", settings=settings, metadata=store.metadata,
                   routers=[api.router, agreements_api.router], handlers=handlers, produces=[topics.CATALOG],
                   background=[agreement_clock], with_bus=with_bus, title="catalog service",
                   description="Framework agreements and the shortlisted-service library (入围服务库): categories, "
                               "agreements with their stage-1 result, listing by suppliers, suspension by the agency")
