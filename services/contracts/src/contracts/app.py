"""Composition of the contracts service: routes, event handlers, file storage, the platform CA."""

from pathlib import Path

from contracts_schema import topics
from servicekit.app import Service
from servicekit.files import BodySizeLimit, storage_from_settings

from contracts import api, seals, store
from contracts.handlers import build_handlers
from contracts.settings import Settings

MULTIPART_OVERHEAD = 64 * 1024  # form fields and part headers beside the file itself


def load_ca(settings: Settings) -> seals.CertificateAuthority:
    """The configured CA (CA_CERT_FILE + CA_KEY_FILE), or the embedded default's demo CA under VAR_DIR/ca."""
    if settings.ca_cert_file or settings.ca_key_file:
        if not (settings.ca_cert_file and settings.ca_key_file):
            raise SystemExit("contracts: cannot start: set both CA_CERT_FILE and CA_KEY_FILE (or neither for the "
                             "demo CA)")
        try:
            return seals.load_ca(settings.ca_cert_file, settings.ca_key_file, settings.ca_key_password)
        except (OSError, ValueError, TypeError) as exc:
            raise SystemExit(f"contracts: cannot start: the CA in CA_CERT_FILE / CA_KEY_FILE cannot be loaded: "
                             f"{exc}") from None
    return seals.demo_ca(Path(settings.var_dir) / "ca")


def build(settings: Settings, *, with_bus: bool = True) -> Service:
    storage = storage_from_settings(settings, "contracts")
    ca = load_ca(settings)

    async def open_storage(service: Service) -> None:
        await storage.start()

    service = Service(name="contracts", settings=settings, metadata=store.metadata, routers=[api.router],
                      handlers=build_handlers(settings, storage), produces=[topics.CONTRACTS], with_bus=with_bus,
                      on_start=[open_storage], title="contracts service",
                      description="Contracts (合同) and CA e-seals")
    service.app.state.storage = storage
    service.app.state.ca = ca
    service.app.add_middleware(BodySizeLimit, max_bytes=settings.file_max_bytes + MULTIPART_OVERHEAD)
    return service
