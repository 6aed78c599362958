"""The console's one way out: the gateway's /api/v1, called with the signed-in person's token.

Every page asks through `Gateway.call`; an answer outside 2xx becomes an `ApiError` carrying the API's
stable code, its Chinese message and, for a 422, which field is refused and why — so a page can show
the sentence beside the field. A 401 is `SessionExpired`: the page sends the person to log in again."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from servicekit.logging import current_context

log = logging.getLogger("web.gateway")


@dataclass
class ApiError(Exception):
    status: int
    code: str
    message: str
    details: Any = None
    fields: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"


class SessionExpired(Exception):
    """The gateway refused the token (expired, or the account is gone)."""


def _field_name(loc: list[Any]) -> str:
    """`["body", "lines", 0, "quantity"]` → `lines.0.quantity`: the name a form field carries."""
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form")]
    return ".".join(parts)


def error_from(response: httpx.Response) -> ApiError:
    try:
        error = response.json().get("error") or {}
    except ValueError:
        error = {}
    code = str(error.get("code") or "error")
    message = str(error.get("message") or f"请求未能完成（HTTP {response.status_code}）")
    details = error.get("details")
    fields: dict[str, str] = {}
    if isinstance(details, list):
        for item in details:
            if isinstance(item, dict) and item.get("loc"):
                name = _field_name(list(item["loc"]))
                if name and name not in fields:
                    fields[name] = str(item.get("msg") or message)
    return ApiError(response.status_code, code, message, details, fields)


class Gateway:
    def __init__(self, base_url: str, *, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = httpx.AsyncClient(base_url=self.base_url, timeout=timeout,
                                        limits=httpx.Limits(max_connections=100, max_keepalive_connections=50))

    async def close(self) -> None:
        await self.client.aclose()

    @staticmethod
    def _headers(token: str | None) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        context = current_context()
        if context.get("client"):  # the person's address: the gateway's limits count people, not the console
            headers["X-Forwarded-For"] = context["client"]
        if context.get("request_id"):
            headers["X-Request-ID"] = context["request_id"]
        if context.get("traceparent"):
            headers["traceparent"] = context["traceparent"]
        return headers

    async def call(self, method: str, path: str, *, token: str | None = None, **kwargs: Any) -> Any:
        """The JSON answer of `/api/v1{path}`; `ApiError` for a refusal, `SessionExpired` for a 401."""
        try:
            response = await self.client.request(method, "/api/v1" + path, headers=self._headers(token), **kwargs)
        except httpx.HTTPError as exc:
            log.warning("gateway unreachable: %s %s: %s", method, path, exc)
            raise ApiError(503, "gateway_unavailable", "平台暂时无法访问，请稍后重试") from exc
        if response.status_code == 401 and token:
            raise SessionExpired()
        if response.status_code >= 400:
            raise error_from(response)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    async def get(self, path: str, *, token: str | None = None, **params: Any) -> Any:
        clean = {k: v for k, v in params.items() if v not in (None, "")}
        return await self.call("GET", path, token=token, params=clean)

    async def post(self, path: str, *, token: str | None = None, **kwargs: Any) -> Any:
        return await self.call("POST", path, token=token, **kwargs)

    async def download(self, path: str, *, token: str | None) -> tuple[httpx.Response, AsyncIterator[bytes]]:
        """A file from the gateway, streamed (contract PDFs, uploaded vouchers): never held whole here."""
        request = self.client.build_request("GET", "/api/v1" + path, headers={
            **self._headers(token), "Accept": "*/*"})
        try:
            response = await self.client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise ApiError(503, "gateway_unavailable", "平台暂时无法访问，请稍后重试") from exc
        if response.status_code >= 400:
            await response.aread()
            await response.aclose()
            if response.status_code == 401 and token:
                raise SessionExpired()
            raise error_from(response)

        async def chunks() -> AsyncIterator[bytes]:
            try:
                async for chunk in response.aiter_bytes():
                    yield chunk
            finally:
                await response.aclose()
        return response, chunks()

    async def ready(self) -> bool:
        try:
            return (await self.client.get("/healthz", timeout=2.0)).status_code == 200
        except httpx.HTTPError:
            return False
