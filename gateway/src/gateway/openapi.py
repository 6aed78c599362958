"""One OpenAPI document for the whole platform at the gateway's /openapi.json (and so /docs).

Each service's own /openapi.json is fetched, its public paths (those routes.py sends to it) are merged
with the gateway's own, and the result is cached. A service that does not answer does not break the
page: its last fetched document is used if there is one, else its paths are missing and the document
says so (`x-services`, and the description), and it is asked again soon."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.staticfiles import StaticFiles

from gateway.routes import service_for
from servicekit.openapi import error_response, error_schemas
from gateway.upstream import UpstreamClient

log = logging.getLogger("gateway.openapi")

SCHEMA_REF = "#/components/schemas/"
# What the gateway itself may answer on any passed-through operation, before or instead of the service:
# a token that does not verify (sent to a public route too), a body over MAX_BODY_BYTES, the rate limit,
# a service down or silent. In the platform's error model (servicekit.openapi), like every other error.
GATEWAY_ERRORS = (401, 429)
UPSTREAM_ERRORS = (502, 504)


def _add_gateway_errors(operation: dict[str, Any], *, passed_through: bool) -> None:
    statuses = GATEWAY_ERRORS + (UPSTREAM_ERRORS if passed_through else ())
    if "requestBody" in operation:
        statuses += (413,)
    responses = operation["responses"]
    for status in statuses:
        responses.setdefault(str(status), error_response(status))
    operation["responses"] = dict(sorted(responses.items()))


def _rewrite_refs(node: Any, renamed: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(SCHEMA_REF):
                name = value[len(SCHEMA_REF):]
                out[key] = SCHEMA_REF + renamed.get(name, name)
            else:
                out[key] = _rewrite_refs(value, renamed)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(item, renamed) for item in node]
    return node


def merge(own: dict[str, Any], services: dict[str, dict[str, Any] | None],
          stale: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The gateway's document plus every service's public paths; `None` marks a service that could
    not be fetched. Schemas with the same name and the same definition are shared; a clash is renamed
    `<service>_<Name>` in that service's part."""
    doc = copy.deepcopy(own)
    paths: dict[str, Any] = doc.setdefault("paths", {})
    for item in paths.values():
        for operation in item.values():
            if isinstance(operation, dict) and "responses" in operation:
                _add_gateway_errors(operation, passed_through=False)
    components = doc.setdefault("components", {})
    schemas: dict[str, Any] = components.setdefault("schemas", {})
    tags = {tag["name"]: tag for tag in doc.get("tags", [])}
    status: dict[str, str] = {}
    schemas.update(error_schemas())

    for name, service_doc in services.items():
        if service_doc is None:
            status[name] = "unavailable"
            continue
        status[name] = "stale" if name in stale else "ok"
        theirs = service_doc.get("components", {}).get("schemas", {})
        renamed: dict[str, str] = {}
        changed = True
        while changed:  # a rename can make a schema that refers to the renamed one differ too
            changed = False
            for schema_name, schema in theirs.items():
                if schema_name not in renamed and schema_name in schemas \
                        and schemas[schema_name] != _rewrite_refs(schema, renamed):
                    renamed[schema_name] = f"{name}_{schema_name}"
                    changed = True
        for schema_name, schema in theirs.items():
            schemas[renamed.get(schema_name, schema_name)] = _rewrite_refs(schema, renamed)
        for path, item in service_doc.get("paths", {}).items():
            if service_for(path) != name:
                continue  # the service's health checks and anything the gateway does not route
            item = _rewrite_refs(item, renamed)
            for operation in item.values():
                if isinstance(operation, dict) and "responses" in operation:
                    _add_gateway_errors(operation, passed_through=True)
                    for tag in operation.get("tags", []):
                        tags.setdefault(tag, {"name": tag})
            paths[path] = item

    components.setdefault("securitySchemes", {})["OAuth2Password"] = {
        "type": "oauth2", "description": "Log in with a demo account (password demo12345 in the embedded default)",
        "flows": {"password": {"tokenUrl": "/api/v1/auth/token", "scopes": {}}}}
    doc["security"] = [{"OAuth2Password": []}, {}]
    doc["tags"] = list(tags.values())
    doc["x-services"] = status
    missing = sorted(n for n, s in status.items() if s == "unavailable")
    if missing:
        doc.setdefault("info", {})["description"] = (
            doc.get("info", {}).get("description", "")
            + f"\n\n**Not shown (service unavailable right now): {', '.join(missing)}.**")
    return doc


class MergedOpenAPI:
    def __init__(self, own: Callable[[], dict[str, Any]], client: UpstreamClient, urls: dict[str, str], *,
                 ttl: float, fetch_timeout: float = 3.0) -> None:
        self.own = own
        self.client = client
        self.urls = urls
        self.ttl = ttl
        self.fetch_timeout = fetch_timeout
        self._last: dict[str, dict[str, Any]] = {}
        self._cached: dict[str, Any] | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    async def _fetch(self, name: str) -> dict[str, Any] | None:
        async def get() -> dict[str, Any]:
            response = await self.client.send("GET", self.urls[name] + "/openapi.json",
                                              [(b"accept", b"application/json")], None)
            try:
                body = b"".join([chunk async for chunk in response.chunks()])
            finally:
                await response.close()
            if response.status != 200:
                raise ValueError(f"HTTP {response.status}")
            return json.loads(body)
        try:
            return await asyncio.wait_for(get(), self.fetch_timeout)
        except Exception as exc:  # noqa: BLE001 - any failure: show the rest of the platform
            log.warning("cannot fetch the %s service's OpenAPI document: %s", name, exc or type(exc).__name__)
            return None

    async def document(self) -> dict[str, Any]:
        async with self._lock:  # one refresh at a time; the others wait and reuse it
            if self._cached is not None and time.monotonic() < self._expires:
                return self._cached
            fetched = dict(zip(self.urls, await asyncio.gather(*(self._fetch(n) for n in self.urls)), strict=True))
            stale = frozenset(n for n, d in fetched.items() if d is None and n in self._last)
            for name, doc in fetched.items():
                if doc is not None:
                    self._last[name] = doc
            complete = not any(doc is None for doc in fetched.values())
            self._cached = merge(self.own(), {n: self._last.get(n) for n in self.urls}, stale)
            self._expires = time.monotonic() + (self.ttl if complete else min(self.ttl, 5.0))
            return self._cached

    def install(self, app: Any) -> None:
        """Serves the merged document at the app's openapi_url in place of FastAPI's own."""
        async def openapi(request: Request) -> JSONResponse:
            return JSONResponse(await self.document())

        for index, route in enumerate(app.router.routes):
            if isinstance(route, Route) and route.path == app.openapi_url:
                app.router.routes[index] = Route(app.openapi_url, openapi, include_in_schema=False)
                return
        raise RuntimeError("the app serves no OpenAPI document to replace")


ASSETS = "/api-docs-assets"


def install_offline_docs(app: Any) -> None:
    """/docs (Swagger UI) and /redoc with their scripts and styles served from the installed
    fastapi-offline package: the pages work on a machine without internet (FastAPI's own point at a CDN)."""
    own = {app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url}
    app.router.routes[:] = [r for r in app.router.routes if getattr(r, "path", None) not in own]
    app.mount(ASSETS, StaticFiles(directory=Path(fastapi_offline.__file__).parent / "static"), name="docs-assets")
    title = app.title

    async def swagger(request: Request) -> Any:
        return get_swagger_ui_html(openapi_url=app.openapi_url, title=f"{title} — Swagger UI",
                                   oauth2_redirect_url="/docs/oauth2-redirect",
                                   swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{ASSETS}/swagger-ui.css",
                                   swagger_favicon_url=f"{ASSETS}/favicon.png")

    async def redirect(request: Request) -> Any:
        return get_swagger_ui_oauth2_redirect_html()

    async def redoc(request: Request) -> Any:
        return get_redoc_html(openapi_url=app.openapi_url, title=f"{title} — ReDoc",
                              redoc_js_url=f"{ASSETS}/redoc.standalone.js", redoc_favicon_url=f"{ASSETS}/favicon.png",
                              with_google_fonts=False)

    app.router.routes += [Route("/docs", swagger, include_in_schema=False),
                          Route("/docs/oauth2-redirect", redirect, include_in_schema=False),
                          Route("/redoc", redoc, include_in_schema=False)]
