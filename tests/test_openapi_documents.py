"""The platform's API document, as the gateway serves it at /openapi.json (its own routes merged with
every service's), built here from the real apps without starting them: every operation documents the
errors it can answer in the platform's error model; no FastAPI `HTTPValidationError` is left; uploads
are multipart/form-data with their fields; downloads have their media types and no JSON schema."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest

from devstack.keys import ensure_jwt_keys
from gateway.openapi import merge
from gateway.routes import SERVICES, service_for

ERROR_REF = {"$ref": "#/components/schemas/Error"}
UPLOADS = {  # operation: its form fields, required ones
    ("post", "/api/v1/orders/{order_id}/payments"): ({"amount", "paid_on", "file"}, {"amount", "paid_on", "file"}),
    ("post", "/api/v1/orders/{order_id}/acceptance"): ({"file", "note"}, {"file"}),
    ("post", "/api/v1/orders/{order_id}/invoices"): ({"invoice_no", "amount", "issued_on", "file"},
                                                     {"invoice_no", "amount", "issued_on"}),
    ("post", "/api/v1/contracts/{contract_id}/signed-scan"): ({"file"}, {"file"}),
}
DOWNLOADS = {
    "/api/v1/contracts/ca-certificate": {"application/x-pem-file"},
    "/api/v1/contracts/tsa-certificate": {"application/x-pem-file"},
    "/api/v1/contracts/ca.crl": {"application/pkix-crl"},
    "/api/v1/contracts/{contract_id}/document": {"application/pdf"},
    "/api/v1/contracts/{contract_id}/files/{file_id}": {"application/pdf", "image/png", "image/jpeg"},
    "/api/v1/orders/{order_id}/files/{file_id}": {"application/pdf", "image/png", "image/jpeg", "application/ofd"},
}


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("openapi")
    private_key, _ = ensure_jwt_keys(folder / "keys")
    docs = {}
    for name in SERVICES:
        settings = importlib.import_module(f"{name}.settings").Settings(
            database_url=f"sqlite:///{folder}/{name}.db", var_dir=folder / name)
        docs[name] = importlib.import_module(f"{name}.app").build(settings, with_bus=False).app.openapi()
    from gateway.app import build
    from gateway.settings import Settings

    gateway = build(Settings(database_url=f"sqlite:///{folder}/gateway.db", jwt_private_key_file=private_key))
    return merge(gateway.app.openapi(), docs)


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, operation) for path, item in document["paths"].items()
            for method, operation in item.items() if isinstance(operation, dict) and "responses" in operation]


def test_every_service_is_in_the_document(document):
    assert document["x-services"] == dict.fromkeys(SERVICES, "ok")
    assert len(operations(document)) > 45


def test_every_error_of_every_operation_is_the_platform_error_model(document):
    for method, path, operation in operations(document):
        errors = {status: response for status, response in operation["responses"].items() if status[0] in "45"}
        assert {"401", "429"} <= set(errors), (method, path)  # a bad token and the rate limit: the gateway's
        for status, response in errors.items():
            assert response["content"] == {"application/json": {"schema": ERROR_REF}}, (method, path, status)
            assert "Codes: `" in response["description"], (method, path, status)
    schemas = document["components"]["schemas"]
    assert schemas["Error"]["properties"]["error"]["required"] == ["code", "message"]
    assert "FieldError" in schemas


def test_no_fastapi_validation_model_is_left(document):
    text = json.dumps(document)
    assert "HTTPValidationError" not in text
    assert "ValidationError" not in document["components"]["schemas"]
    assert "GatewayError" not in text


def test_each_operation_documents_what_its_signature_can_answer(document):
    for method, path, operation in operations(document):
        responses = set(operation["responses"])
        if not path.startswith("/api/v1/") or path == "/api/v1/auth/token":
            continue
        public = path.startswith("/api/v1/announcements") or path in DOWNLOADS and "{" not in path
        if "{" in path:
            assert "404" in responses, (method, path)
        if operation.get("parameters") or "requestBody" in operation:
            assert "422" in responses, (method, path)
        if "requestBody" in operation:
            assert {"400", "413"} <= responses, (method, path)
        if method in ("post", "patch", "put", "delete") and not public:
            assert "409" in responses, (method, path)
        if service_for(path) is not None:  # passed through: the service may be down or silent
            assert {"502", "504"} <= responses, (method, path)


@pytest.mark.parametrize(("method", "path"), list(UPLOADS))
def test_uploads_are_multipart_with_their_fields(document, method, path):
    operation = document["paths"][path][method]
    content = operation["requestBody"]["content"]
    assert list(content) == ["multipart/form-data"]
    schema = content["multipart/form-data"]["schema"]
    fields, required = UPLOADS[(method, path)]
    assert set(schema["properties"]) == fields
    assert set(schema.get("required", [])) == required
    file = schema["properties"]["file"]
    assert (file["type"], file["format"]) == ("string", "binary")
    assert {"400", "413", "415", "422"} <= set(operation["responses"])


def test_no_form_without_a_file_is_called_multipart_and_no_upload_urlencoded(document):
    for method, path, operation in operations(document):
        content = operation.get("requestBody", {}).get("content", {})
        if "application/x-www-form-urlencoded" in content:
            assert (method, path) == ("post", "/api/v1/auth/token")  # the OAuth2 password form: no file


@pytest.mark.parametrize("path", list(DOWNLOADS))
def test_downloads_have_their_media_types_and_no_json_schema(document, path):
    content = document["paths"][path]["get"]["responses"]["200"]["content"]
    assert set(content) == DOWNLOADS[path]
    for media in content.values():
        assert media["schema"] == {"type": "string", "format": "binary"}


def test_every_reference_names_a_schema_of_the_document(document):
    text = json.dumps(document)
    schemas = document["components"]["schemas"]
    for ref in {part.split('"')[0] for part in text.split('"$ref": "#/components/schemas/')[1:]}:
        assert ref in schemas, ref


def test_error_responses_list_the_codes_the_services_rules_give(document):
    quote = document["paths"]["/api/v1/projects/{project_id}/quotes"]["post"]["responses"]
    assert "`superseded`" in quote["409"]["description"] and "`window_closed`" in quote["409"]["description"]
    payment = document["paths"]["/api/v1/orders/{order_id}/payments"]["post"]["responses"]
    assert "`overpayment`" in payment["422"]["description"] and "`empty_file`" in payment["422"]["description"]
    login = document["paths"]["/api/v1/auth/token"]["post"]["responses"]
    assert "`invalid_credentials`" in login["401"]["description"]
