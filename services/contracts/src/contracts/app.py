"""Composition of the contracts service: routes, event handlers, file storage, the platform CA."""

from contracts_schema import topics
from servicekit.app import Service
from servicekit.files import BodySizeLimit, storage_from_settings
from servicekit.tasks import periodic

from contracts import api, ca, pades, store, workflow
from contracts.handlers import build_handlers
from contracts.settings import Settings

MULTIPART_OVERHEAD = 64 * 1024  # form fields and part headers beside the file itself


async def catch_up_announcements(service: Service) -> None:
    """合同公告 of contracts in force that have none (signed before announcements existed)."""
    await periodic(lambda: workflow.publish_pending(service.db, service.settings),
                   every=service.settings.announcement_catch_up_seconds, name="contract announcements")


def build(settings: Settings, *, with_bus: bool = True) -> Service:
    storage = storage_from_settings(settings, "contracts")

    async def open_storage(service: Service) -> None:
        await storage.start()

    service = Service(name="contracts", settings=settings, metadata=store.metadata, routers=[api.router],
                      handlers=build_handlers(settings, storage), produces=[topics.CONTRACTS], with_bus=with_bus,
                      on_start=[open_storage], background=[catch_up_announcements], title="contracts service",
                      description="Contracts (合同) and CA e-seals")
    service.app.state.storage = storage
    service.app.state.ca = authority = ca.from_settings(settings)
    service.app.state.trust = pades.trust_services(authority, settings)
    service.app.state.calendar = settings.working_calendar()
    service.app.add_middleware(BodySizeLimit, max_bytes=settings.file_max_bytes + MULTIPART_OVERHEAD)
    return service
