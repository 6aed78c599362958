"""Composition of the gateway: its own routes (log in, me, key set) plus the pass-through to every service.

What the server runs, outermost first:
  RequestIdGuard            a caller's X-Request-ID is kept only if well-formed
  RequestContextMiddleware  (servicekit) request id + trace context on the request and every log line;
                            request metrics (routes.route_label) and, when tracing is on, the server span
  EdgeMiddleware            bearer token verified, per-user rate limit, one access-log line, JSON 500
  ProxyMiddleware           paths of a service stream to it (502/504/413 as JSON)
  FastAPI                   the gateway's own routes: /api/v1/auth/token, /api/v1/me,
                            /.well-known/jwks.json, /docs and /openapi.json (merged), health, /metrics

These layers wrap the FastAPI app from outside, so a passed-through request never enters the framework:
measured, FastAPI's own per-request layers (error wrapper, telemetry, body limit) cost the pass-through
about a tenth of its CPU and gave it nothing it needs.
"""

from __future__ import annotations

from typing import Any

from gateway import api, store
from gateway.accounts import seed_demo_accounts
from gateway.asgi import RequestIdGuard
from gateway.domain import Limit
from gateway.edge import EdgeMiddleware
from gateway.identity import TokenIssuer
from gateway.openapi import MergedOpenAPI, install_offline_docs
from gateway.proxy import ProxyMiddleware
from gateway.ratelimit import make_limiter
from gateway.routes import CONSOLE, SERVICES, route_label
from gateway.settings import Settings
from gateway.upstream import make_client
from servicekit.app import Service
from servicekit.http import RequestContextMiddleware


def build(settings: Settings) -> Service:
    private_pem = settings.private_key_pem()
    if not private_pem:
        raise SystemExit("gateway: cannot start: no token signing key (JWT_PRIVATE_KEY_FILE)")
    issuer = TokenIssuer(private_pem, issuer=settings.jwt_issuer, audience=settings.jwt_audience,
                         ttl=settings.token_ttl_seconds)
    if not settings.jwt_public_key and not settings.jwt_public_key_file:
        settings.jwt_public_key = issuer.public_pem
    urls = {name: getattr(settings, f"{name}_url").rstrip("/") for name in SERVICES}

    client = make_client(settings.upstream_client, timeout=settings.upstream_timeout,
                         connect_timeout=settings.upstream_connect_timeout, pool_size=settings.upstream_pool_size)
    limiter = (make_limiter(settings.rate_limit_redis_url, settings.rate_limit_redis_prefix)
               if settings.rate_limit_enabled else None)

    async def open_upstreams(service: Service) -> None:
        await client.open()

    async def close_upstreams(service: Service) -> None:
        await client.close()
        if limiter is not None:
            await limiter.close()

    async def seed(service: Service) -> None:
        if settings.demo_accounts:
            await seed_demo_accounts(service.db)

    service = Service(name="gateway", settings=settings, metadata=store.metadata, routers=[api.router],
                      with_bus=False, on_start=[open_upstreams, seed], on_stop=[close_upstreams],
                      title="Framework-agreement procurement platform API",
                      description="The one entry for frontends: every service's routes, through the gateway. "
                                  "Log in at /api/v1/auth/token (Authorize, above), then call any route.")
    app = service.app
    app.state.issuer = issuer
    app.state.limiter = limiter
    app.state.login_limits = (Limit(settings.login_attempts_per_minute / 60, settings.login_attempts_burst),
                              Limit(settings.login_attempts_per_address_per_minute / 60,
                                    max(settings.login_attempts_burst,
                                        round(settings.login_attempts_per_address_per_minute))))
    app.state.openapi = MergedOpenAPI(app.openapi, client, urls, ttl=settings.openapi_cache_seconds)
    app.state.openapi.install(app)
    install_offline_docs(app)

    app.user_middleware[:] = [m for m in app.user_middleware if m.cls is not RequestContextMiddleware]
    edge = EdgeMiddleware(
        ProxyMiddleware(app, client=client, urls={**urls, CONSOLE: settings.web_url.rstrip("/")},
                        max_body_bytes=settings.max_body_bytes),
        tokens=app.state.verifier, limiter=limiter,
        user_limit=Limit(settings.rate_limit_per_second, settings.rate_limit_burst),
        anonymous_limit=Limit(settings.rate_limit_anonymous_per_second, settings.rate_limit_anonymous_burst),
        access_log=settings.access_log)
    service.app = GatewayApp(RequestIdGuard(RequestContextMiddleware(edge, metrics=service.metrics,
                                                                      route_of=route_label)), app)  # type: ignore[assignment]
    return service


class GatewayApp:
    """The ASGI app the server runs: the gateway's layers in front of the FastAPI app, which it stands
    for otherwise (`.state`, `.router`, ... are the FastAPI app's)."""

    def __init__(self, layers: Any, framework: Any) -> None:
        self.layers = layers
        self.framework = framework

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        await self.layers(scope, receive, send)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.framework, name)
