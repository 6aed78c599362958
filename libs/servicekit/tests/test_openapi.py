"""servicekit.openapi: the document says what the wire does. Each error a route can answer is
documented with the platform's error model, and the bodies the error handlers really send validate
against it; FastAPI's `{"detail": [...]}` model is gone; a form with a file is multipart/form-data; a
download has its media types and no JSON schema; request types' schemas match their validators."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Annotated

import httpx
import jsonschema
import pytest
from fastapi import FastAPI, Form, UploadFile
from fastapi.responses import Response, StreamingResponse
from hypothesis import given, settings, strategies as st
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from servicekit.auth import CurrentUser, Purchaser, TokenVerifier
from servicekit.http import install_error_handlers
from servicekit.openapi import describe, download, errors
from servicekit.types import Id, MoneyIn, PositiveMoneyIn, QuantityIn, line, money_in, paragraphs

app = FastAPI()
app.state.verifier = TokenVerifier(None, issuer="test", audience="test")
install_error_handlers(app)
describe(app)


class ThingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: line(20)
    amount: PositiveMoneyIn


class VoucherIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: PositiveMoneyIn
    note: paragraphs(100) = ""
    file: UploadFile
    extra: UploadFile | None = None


@app.get("/public")
async def public() -> dict:
    return {}


@app.get("/things/{thing_id}")
async def get_thing(thing_id: Id, user: CurrentUser) -> dict:
    return {}


@app.post("/things", status_code=201, responses=errors(codes={409: ["thing_exists"]}))
async def create(body: ThingIn, user: Purchaser) -> dict:
    return {}


@app.post("/things/{thing_id}/vouchers", status_code=201)
async def upload(thing_id: Id, body: Annotated[VoucherIn, Form()], user: Purchaser) -> dict:
    return {}


@app.get("/things/{thing_id}/pdf", response_class=StreamingResponse, responses=download("application/pdf"))
async def pdf(thing_id: Id, user: CurrentUser) -> Response:
    return Response(b"%PDF", media_type="application/pdf")


@app.get("/ca.pem", responses=download("application/x-pem-file"))
async def pem() -> Response:
    return Response("-----BEGIN CERTIFICATE-----", media_type="application/x-pem-file")


DOC = app.openapi()


def op(path: str, method: str = "get") -> dict:
    return DOC["paths"][path][method]


def test_every_error_a_route_can_answer_is_documented_from_its_signature():
    assert set(op("/public")["responses"]) == {"200"}
    assert set(op("/things/{thing_id}")["responses"]) == {"200", "401", "404", "422"}
    assert set(op("/things", "post")["responses"]) == {"201", "400", "401", "403", "409", "422"}
    assert set(op("/things/{thing_id}/vouchers", "post")["responses"]) == {
        "201", "400", "401", "403", "404", "409", "413", "415", "422"}


def test_readiness_documents_its_503():
    from servicekit.app import Service
    from servicekit.settings import ServiceSettings
    from servicekit.tables import table_base

    service = Service(name="t", settings=ServiceSettings(database_url="sqlite:///:memory:"),
                      metadata=table_base().metadata, with_bus=False)
    responses = service.app.openapi()["paths"]["/readyz"]["get"]["responses"]
    assert set(responses) == {"200", "503"} and "`not_ready`" in responses["503"]["description"]


def test_every_error_response_is_the_platform_error_model_with_its_codes():
    for item in DOC["paths"].values():
        for operation in item.values():
            for status, response in operation["responses"].items():
                if status[0] in "45":
                    assert response["content"] == {"application/json": {"schema": {
                        "$ref": "#/components/schemas/Error"}}}, status
                    assert "Codes: `" in response["description"]
    assert "`validation_error`" in op("/things", "post")["responses"]["422"]["description"]
    assert "`thing_exists`" in op("/things", "post")["responses"]["409"]["description"]
    assert "`token_expired`" in op("/things", "post")["responses"]["401"]["description"]
    assert "`empty_file`" in op("/things/{thing_id}/vouchers", "post")["responses"]["422"]["description"]
    text = json.dumps(DOC)
    assert "HTTPValidationError" not in text and '"detail"' not in text
    assert "ValidationError" not in DOC["components"]["schemas"]


def test_a_form_with_a_file_is_multipart_with_its_fields():
    content = op("/things/{thing_id}/vouchers", "post")["requestBody"]["content"]
    assert list(content) == ["multipart/form-data"]
    schema = content["multipart/form-data"]["schema"]
    assert set(schema["properties"]) == {"amount", "note", "file", "extra"}
    assert set(schema["required"]) == {"amount", "file"}
    assert schema["properties"]["file"]["format"] == "binary"
    assert schema["properties"]["extra"]["format"] == "binary"  # optional: left out, never null
    assert content["multipart/form-data"]["encoding"]["file"] == {"contentType": "application/octet-stream"}


def test_a_download_has_its_media_type_and_no_json_schema():
    assert op("/things/{thing_id}/pdf")["responses"]["200"]["content"] == {
        "application/pdf": {"schema": {"type": "string", "format": "binary"}}}
    assert list(op("/ca.pem")["responses"]["200"]["content"]) == ["application/x-pem-file"]


def _validate_against_documented(response: httpx.Response, operation: dict) -> None:
    documented = operation["responses"][str(response.status_code)]
    schema = {**documented["content"]["application/json"]["schema"], "components": DOC["components"]}
    jsonschema.validate(response.json(), {"$ref": "#/components/schemas/Error", **schema},
                        cls=jsonschema.Draft202012Validator)
    code = response.json()["error"]["code"]
    assert f"`{code}`" in documented["description"], (code, documented["description"])


async def test_the_bodies_the_handlers_send_match_the_documented_model():
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        cases = [
            (await client.get("/things/x"), op("/things/{thing_id}")),  # 401: no token
            (await client.get("/things/x", headers={"Authorization": "Bearer nope"}), op("/things/{thing_id}")),
            (await client.post("/things", content=b"{not json", headers={"Content-Type": "application/json"}),
             op("/things", "post")),  # 422 json_invalid
            (await client.post("/things", content=b"\x060\xff}\x03", headers={"Content-Type": "application/json"}),
             op("/things", "post")),  # 400: not even text
        ]
        assert [response.status_code for response, _ in cases] == [401, 401, 422, 400]
        for response, operation in cases:
            _validate_against_documented(response, operation)


def test_a_validation_error_body_matches_the_model():
    app2 = FastAPI()
    install_error_handlers(app2)
    describe(app2)

    @app2.post("/t")
    async def t(body: ThingIn) -> dict:
        return {}

    import asyncio

    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app2), base_url="http://t") as client:
            return await client.post("/t", json={"name": " ", "amount": "0"})
    response = asyncio.run(call())
    assert response.status_code == 422
    document = app2.openapi()
    schema = {"$ref": "#/components/schemas/Error", "components": document["components"]}
    jsonschema.validate(response.json(), schema, cls=jsonschema.Draft202012Validator)
    for item in response.json()["error"]["details"]:
        jsonschema.validate(item, {"$ref": "#/components/schemas/FieldError", "components": document["components"]},
                            cls=jsonschema.Draft202012Validator)


# ── request types: a value the schema allows is never refused, and the other way round ─────────────────


def _schema_of(kind: object) -> dict:
    return TypeAdapter(kind).json_schema()


def _accepts(kind: object, value: str) -> bool:
    try:
        TypeAdapter(kind).validate_python(value)
        return True
    except ValidationError:
        return False


@pytest.mark.parametrize("kind", [MoneyIn, PositiveMoneyIn, QuantityIn, money_in(positive=True, at_most=Decimal("9.99"))])
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_what_a_number_schema_allows_the_server_accepts(kind, data):
    pattern = _schema_of(kind)["pattern"]
    value = data.draw(st.from_regex(pattern, fullmatch=True))
    assert _accepts(kind, value), (pattern, value)


@pytest.mark.parametrize("value, money, positive", [
    ("0", True, False), ("0.00", True, False), ("0.01", True, True), ("1280.50", True, True),
    ("999999999999.99", True, True), ("1E5", False, False), (" 1.00", False, False), ("１２３", False, False),
    ("-1", False, False), ("1.234", False, False)])
def test_a_number_schema_refuses_what_the_server_refuses(value, money, positive):
    assert bool(re.search(_schema_of(MoneyIn)["pattern"], value)) is money
    assert bool(re.search(_schema_of(PositiveMoneyIn)["pattern"], value)) is positive
    assert _accepts(MoneyIn, value) is money and _accepts(PositiveMoneyIn, value) is positive


@pytest.mark.parametrize("kind", [line(20), line(20, min_length=0), paragraphs(50, min_length=2)])
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_what_a_text_schema_allows_the_server_accepts(kind, data):
    schema = _schema_of(kind)
    value = data.draw(st.from_regex(schema["pattern"], fullmatch=True).filter(
        lambda v: schema["minLength"] <= len(v) <= schema["maxLength"]))
    assert _accepts(kind, value), (schema, value)


@pytest.mark.parametrize("value", ["a\u202eb", "a\x00b", "a\u200bb", " a", "a "])
def test_a_text_schema_refuses_hidden_characters_and_untrimmed_text(value):
    assert not re.search(_schema_of(line(20))["pattern"], value)
    assert re.search(_schema_of(paragraphs(20))["pattern"], "第一行\r\n第二行\t完")


def test_the_codes_a_services_rules_give_are_read_from_its_source():
    from servicekit.openapi import codes_in_package

    codes = codes_in_package("servicekit")
    assert "bad_file_name" in codes[400] and "token_expired" in codes[401] and "file_too_large" in codes[413]
    assert codes_in_package("no_such_package_here") == {}
