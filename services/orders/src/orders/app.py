"""Composition of the orders service: routes, event handlers, file storage, upload size limit."""

from contracts_schema import topics
from servicekit.app import Service
from servicekit.files import BodySizeLimit, storage_from_settings

from orders import api, evaluations_api, store
from orders.handlers import build_handlers
from orders.settings import Settings

MULTIPART_OVERHEAD = 64 * 1024  # form fields and part headers beside the file itself


def build(settings: Settings, *, with_bus: bool = True) -> Service:
    storage = storage_from_settings(settings, "orders")

    async def open_storage(service: Service) -> None:
        await storage.start()

    service = Service(name="orders", settings=settings, metadata=store.metadata, routers=[evaluations_api.router, api.router],
                      handlers=build_handlers(settings), produces=[topics.ORDERS], with_bus=with_bus,
                      on_start=[open_storage], title="orders service",
                      description="Orders (订单): logistics, invoices, acceptance, payment")
    service.app.state.storage = storage
    service.app.state.calendar = settings.working_calendar()  # 合同公告/备案 days left
    service.app.add_middleware(BodySizeLimit, max_bytes=settings.file_max_bytes + MULTIPART_OVERHEAD)
    return service
