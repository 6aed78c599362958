"""The OpenAPI document tells what the wire does: every error a route can answer, in the platform's
error model; uploads as multipart/form-data; downloads with their media types.

Installed by `servicekit.app.Service` on every app (`describe(app)`), so a route declares only what
its own rules add. What follows from the route itself is found here:

| status | when | codes |
| --- | --- | --- |
| 400 | a body that cannot be parsed; an upload's file name | `bad_request`, `bad_file_name` |
| 401 | a logged-in user is required | `unauthorized`, `invalid_token`, `token_expired` |
| 403 | a role is required (`Purchaser`, `Supplier`, `Agency`) | `forbidden` |
| 404 | the path names something (`{plan_id}`) | `not_found`, ... |
| 409 | a command (POST/PUT/PATCH/DELETE) by a logged-in user: illegal in the current state | `conflict`, `illegal_transition`, ... |
| 413, 415 | an upload: too large, not an accepted file type | `file_too_large`, `unsupported_file_type` |
| 422 | the route takes any input (request validation; a business rule) | `validation_error`, `invalid`, ... |

Each error response lists the codes it may carry: the plumbing's, the route's own (declared), then
those the service's rules give with that status anywhere (read from the service's source: every
`Conflict(..., code="superseded")`). A route adds what its rules raise beyond that with `responses=errors(403, 404)`; a download says
its media types with `responses=download("application/pdf")`. FastAPI's own 422 model
(`HTTPValidationError`, `{"detail": [...]}`) is never what the server sends and is removed."""

from __future__ import annotations

import ast
import copy
import functools
import importlib.util
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

REF = "#/components/schemas/"
ERROR = "Error"
FIELD_ERROR = "FieldError"

# What each status means here, and the codes the platform's own plumbing gives it (a route's rules may
# carry a more precise code; it is always one stable word, and the message says it in Chinese).
STATUSES: dict[int, tuple[str, tuple[str, ...]]] = {
    400: ("The request cannot be read (a body that is no JSON or form at all; a file's name)",
          ("bad_request", "bad_file_name")),
    401: ("Not logged in, or the token is invalid or expired", ("unauthorized", "invalid_token", "token_expired")),
    403: ("Logged in, but not allowed to do this", ("forbidden",)),
    404: ("Not found (or not visible to this user)", ("not_found",)),
    409: ("Not possible in the current state; nothing changed", ("conflict", "illegal_transition")),
    413: ("The request body or file is too large", ("too_large", "file_too_large")),
    415: ("The file is not of an accepted type", ("unsupported_file_type",)),
    422: ("Invalid input: `validation_error` names each refused field in `details`; other codes: a business "
          "rule refused it", ("validation_error", "invalid")),
    429: ("Too many requests from this user or address (see Retry-After)", ("rate_limited",)),
    502: ("The service is unavailable", ("service_unavailable",)),
    503: ("Not ready", ("not_ready",)),
    504: ("The service did not answer in time", ("service_timeout",)),
}
UPLOAD_ERRORS = (400, 413, 415, 422)
WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})


def error_schemas() -> dict[str, Any]:
    """The named schemas of the error model: `Error` and, in a 422's details, `FieldError`."""
    return {
        ERROR: {
            "title": ERROR, "type": "object", "required": ["error"], "additionalProperties": False,
            "description": 'Every error: {"error": {"code": ..., "message": ..., "details": ...}}',
            "properties": {"error": {
                "type": "object", "required": ["code", "message"], "additionalProperties": False,
                "properties": {
                    "code": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$",
                             "description": "A stable code for programs (the response's description lists "
                                            "the codes it may carry)"},
                    "message": {"type": "string", "description": "What went wrong, in Chinese, for people"},
                    "details": {"description": f"With `validation_error`: a list of {FIELD_ERROR} (one per "
                                               "refused field); with other codes, what the code documents"},
                }}},
        },
        FIELD_ERROR: {
            "title": FIELD_ERROR, "type": "object", "required": ["loc", "msg", "type"],
            "description": "One refused field of a `validation_error`",
            "properties": {
                "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                        "description": 'Where: ["body", "lines", 0, "quantity"], ["query", "page"]'},
                "msg": {"type": "string", "description": "Why, in Chinese"},
                "type": {"type": "string", "description": "The kind of refusal (pydantic's error type)"},
            },
        },
    }


def error_response(status: int, codes: Iterable[str] = (), service_codes: Iterable[str] = ()) -> dict[str, Any]:
    """The response object of an error status: its meaning, the codes it may carry (the plumbing's and
    the route's; then those the service's rules give with this status), the `Error` schema."""
    meaning, generic = STATUSES.get(status, ("Error", ()))
    every = list(dict.fromkeys([*generic, *codes]))
    more = [code for code in service_codes if code not in every]
    description = f"{meaning}. Codes: {', '.join(f'`{code}`' for code in every)}" if every else meaning
    if more:
        description += f"; among this service's rules: {', '.join(f'`{code}`' for code in more)}"
    return {"description": description, "content": {"application/json": {"schema": {"$ref": REF + ERROR}}}}


def _statuses_of_error_classes() -> dict[str, int]:
    from servicekit.errors import APIError

    found = {APIError.__name__: APIError.status}
    waiting = [APIError]
    while waiting:
        for subclass in waiting.pop().__subclasses__():
            found[subclass.__name__] = subclass.status
            waiting.append(subclass)
    return found


@functools.cache
def codes_in_package(package: str) -> dict[int, tuple[str, ...]]:
    """Status → the codes a package's own rules give errors of that status, read from its source:
    every `Conflict(..., code="superseded")` (any servicekit.errors class) with a literal code."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return {}
    statuses = _statuses_of_error_classes()
    found: dict[int, set[str]] = {}
    for folder in spec.submodule_search_locations:
        for source in sorted(Path(folder).rglob("*.py")):
            for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name not in statuses:
                    continue
                for keyword in node.keywords:
                    if keyword.arg == "code" and isinstance(keyword.value, ast.Constant) \
                            and isinstance(keyword.value.value, str):
                        found.setdefault(statuses[name], set()).add(keyword.value.value)
    return {status: tuple(sorted(codes)) for status, codes in found.items()}


def errors(*statuses: int, codes: dict[int, Iterable[str]] | None = None) -> dict[int | str, dict[str, Any]]:
    """`responses=` for the errors a route's rules raise beyond what its signature shows, e.g.
    `errors(403, 404, codes={404: ["seal_not_enrolled"]})`."""
    codes = codes or {}
    return {status: {"description": STATUSES.get(status, ("Error",))[0], "x-codes": list(codes.get(status, ()))}
            for status in sorted({*statuses, *codes})}


def download(*media_types: str, description: str = "The file") -> dict[int | str, dict[str, Any]]:
    """`responses=` of a route that answers a file: its media types, bytes (no JSON schema)."""
    schema = {"type": "string", "format": "binary"}
    return {200: {"description": description, "content": {media: {"schema": dict(schema)} for media in media_types}}}


# ── what a route itself shows ────────────────────────────────────────────────────────────────────


def api_routes(routes: Iterable[Any]) -> list[Any]:
    """The app's FastAPI routes with their full paths (routers included with a prefix too)."""
    try:
        from fastapi.routing import iter_route_contexts  # FastAPI ≥ 0.16x includes routers lazily
    except ImportError:
        return [route for route in routes if isinstance(route, APIRoute)]
    return [context for context in iter_route_contexts(list(routes)) if isinstance(context.original_route, APIRoute)]


def _calls(dependant: Any) -> Iterable[Any]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _calls(dependency)


def inferred_statuses(route: Any, method: str) -> set[int]:
    """The error statuses that follow from a route's signature (see the table above)."""
    from servicekit.auth import current_principal

    calls = list(_calls(route.dependant))
    logged_in = current_principal in calls
    found: set[int] = set()
    if logged_in:
        found.add(401)
    if any(getattr(call, "roles", None) for call in calls):
        found.add(403)
    if "{" in route.path_format:
        found.add(404)
    dependant = route.dependant
    takes_input = any((dependant.path_params, dependant.query_params, dependant.header_params,
                       dependant.cookie_params, dependant.body_params))
    if takes_input or any(_takes_input(d) for d in dependant.dependencies):
        found.add(422)
    if dependant.body_params:
        found.add(400)  # a body that cannot be parsed at all
    if logged_in and method in WRITE_METHODS:
        found.add(409)
    return found


def _takes_input(dependant: Any) -> bool:
    return any((dependant.path_params, dependant.query_params, dependant.header_params, dependant.cookie_params,
                dependant.body_params)) or any(_takes_input(d) for d in dependant.dependencies)


# ── the document ─────────────────────────────────────────────────────────────────────────────────


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema and schema["$ref"].startswith(REF):
        schema = doc["components"]["schemas"][schema["$ref"][len(REF):]]
    return schema


def _is_file(schema: dict[str, Any]) -> bool:
    if schema.get("format") == "binary" or "contentMediaType" in schema:
        return True
    return any(_is_file(option) for option in schema.get("anyOf", ()))


def _as_multipart(doc: dict[str, Any], operation: dict[str, Any]) -> bool:
    """A form with a file is multipart/form-data (FastAPI says urlencoded for a form model with a file);
    file fields are binary strings. True when the operation takes an upload."""
    content = operation.get("requestBody", {}).get("content", {})
    for media in ("application/x-www-form-urlencoded", "multipart/form-data"):
        if media not in content:
            continue
        body = content[media]
        schema = copy.deepcopy(_resolve(doc, body.get("schema", {})))
        files = [name for name, prop in schema.get("properties", {}).items() if _is_file(prop)]
        if not files:
            continue
        for name in files:  # an optional file is left out, not sent as null: not required, never null
            prop = schema["properties"][name]
            schema["properties"][name] = {"type": "string", "format": "binary",
                                          "description": prop.get("description", "The file")}
        schema.pop("title", None)
        del content[media]
        content["multipart/form-data"] = {"schema": schema,
                                          "encoding": {name: {"contentType": "application/octet-stream"}
                                                       for name in files}}
        return True
    return False


def _clean_downloads(operation: dict[str, Any]) -> None:
    """A download documented with its media types has no made-up `application/json` beside them."""
    for status, response in operation.get("responses", {}).items():
        content = response.get("content", {})
        if str(status).startswith("2") and len(content) > 1 and content.get("application/json") == {"schema": {}}:
            del content["application/json"]


def document_errors(doc: dict[str, Any], routes: Iterable[Any]) -> dict[str, Any]:
    """The FastAPI document of `routes`, rewritten as the module says. Pure: returns a new document."""
    doc = copy.deepcopy(doc)
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    if schemas.pop("HTTPValidationError", None) is not None:
        schemas.pop("ValidationError", None)  # FastAPI's item of {"detail": [...]}: never sent here
    schemas.update(error_schemas())
    by_operation = {(method.lower(), route.path_format): route for route in api_routes(routes)
                    for method in route.methods}
    for path, item in doc.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            route = by_operation.get((method, path))
            statuses = inferred_statuses(route, method) if route is not None else set()
            responses = operation["responses"]
            declared: dict[int, list[str]] = {}
            if _as_multipart(doc, operation):
                statuses.update(UPLOAD_ERRORS)
                declared[422] = ["empty_file"]
            for status in list(responses):
                if str(status)[:1] in "45":
                    declared.setdefault(int(status), []).extend(responses[status].get("x-codes", ()))
                    del responses[status]
            package = (getattr(getattr(route, "endpoint", None), "__module__", None) or "").partition(".")[0]
            service_codes = codes_in_package(package) if package else {}
            for status in sorted(statuses | set(declared)):
                responses[str(status)] = error_response(status, declared.get(status, ()), service_codes.get(status, ()))
            _clean_downloads(operation)
    return doc


def describe(app: FastAPI) -> None:
    """Makes `app.openapi()` answer the rewritten document (computed once, as FastAPI's own)."""
    framework_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if getattr(app, "_described_openapi", None) is None:
            app._described_openapi = document_errors(framework_openapi(), app.routes)  # type: ignore[attr-defined]
            app.openapi_schema = app._described_openapi  # type: ignore[attr-defined]
        return app._described_openapi  # type: ignore[attr-defined]

    app.openapi = openapi  # type: ignore[method-assign]
