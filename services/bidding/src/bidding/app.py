"""Composition of the bidding service."""

from contracts_schema import topics
from servicekit.app import Service

from bidding import api, store
from bidding.handlers import handlers
from bidding.settings import Settings


def build(settings: Settings, *, with_bus: bool = True) -> Service:
    return Service(name="bidding", settings=settings, metadata=store.metadata, routers=[api.router],
                   handlers=handlers, produces=[topics.BIDDING], with_bus=with_bus,
                   title="bidding service", description="Projects: direct selection (直接选定) and secondary bidding (二次竞价), quotes, results, announcements")
