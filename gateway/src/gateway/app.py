"""Composition of the gateway: its own routes (auth) plus the pass-through to every service."""

from __future__ import annotations

from servicekit.app import Service

from gateway import api, store
from gateway.accounts import seed_demo_accounts
from gateway.identity import TokenIssuer
from gateway.proxy import ProxyMiddleware, Upstreams
from gateway.routes import SERVICES
from gateway.settings import Settings


def build(settings: Settings) -> Service:
    private_pem = settings.private_key_pem()
    if not private_pem:
        raise SystemExit("gateway: cannot start: no token signing key (JWT_PRIVATE_KEY_FILE)")
    issuer = TokenIssuer(private_pem, issuer=settings.jwt_issuer, audience=settings.jwt_audience,
                         ttl=settings.token_ttl_seconds)
    if not settings.jwt_public_key and not settings.jwt_public_key_file:
        settings.jwt_public_key = issuer.public_pem
    upstreams = Upstreams({name: getattr(settings, f"{name}_url").rstrip("/") for name in SERVICES},
                          timeout=settings.upstream_timeout, connect_timeout=settings.upstream_connect_timeout)

    async def open_upstreams(service: Service) -> None:
        await upstreams.open()

    async def close_upstreams(service: Service) -> None:
        await upstreams.close()

    async def seed(service: Service) -> None:
        if settings.demo_accounts:
            await seed_demo_accounts(service.db)

    service = Service(name="gateway", settings=settings, metadata=store.metadata, routers=[api.router],
                      with_bus=False, on_start=[open_upstreams, seed], on_stop=[close_upstreams],
                      title="Framework-agreement procurement platform API",
                      description="The one entry for frontends. Log in at /api/v1/auth/token.")
    service.app.state.issuer = issuer
    service.app.state.upstreams = upstreams
    service.app.add_middleware(ProxyMiddleware, upstreams=upstreams)
    return service
