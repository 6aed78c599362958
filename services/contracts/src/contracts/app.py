"""Composition of the contracts service: routes, event handlers, file storage, the platform CA."""

from contracts_schema import topics
from servicekit.app import Service
from servicekit.files import BodySizeLimit, storage_from_settings

from contracts import api, ca, pades, store
from contracts.handlers import build_handlers
from contracts.settings import Settings

MULTIPART_OVERHEAD = 64 * 1024  # form fields and part headers beside the file itself


def build(settings: Settings, *, with_bus: bool = True) -> Service:
    storage = storage_from_settings(settings, "contracts")

    async def open_storage(service: Service) -> None:
        await storage.start()

    service = Service(name="contracts", settings=settings, metadata=store.metadata, routers=[api.router],
                      handlers=build_handlers(settings, storage), produces=[topics.CONTRACTS], with_bus=with_bus,
                      on_start=[open_storage], title="contracts service",
                      description="Contracts (合同) and CA e-seals")
    service.app.state.storage = storage
    service.app.state.ca = authority = ca.from_settings(settings)
    service.app.state.trust = pades.trust_services(authority, settings)
    service.app.add_middleware(BodySizeLimit, max_bytes=settings.file_max_bytes + MULTIPART_OVERHEAD)
    return service
