"""/docs at the gateway: one OpenAPI document with every route of every service, cached, and still
served when a service is down."""

from __future__ import annotations

from devstack.broker import free_port
from gateway.openapi import merge


def service_doc(prefix: str, thing: dict, extra_schemas: dict | None = None) -> dict:
    return {"openapi": "3.1.0", "info": {"title": "x", "version": "1"},
            "paths": {f"{prefix}/things": {"get": {"tags": ["things"], "responses": {"200": {
                "description": "ok", "content": {"application/json": {"schema": {
                    "$ref": "#/components/schemas/Thing"}}}}}}},
                      "/healthz": {"get": {"responses": {"200": {"description": "ok"}}}}},
            "components": {"schemas": {"Thing": thing, **(extra_schemas or {})}}}


OWN = {"openapi": "3.1.0", "info": {"title": "gateway", "version": "1", "description": "entry"},
       "paths": {"/api/v1/me": {"get": {"responses": {"200": {"description": "ok"}}}}}}


def test_paths_of_every_service_join_the_gateways_own():
    same = {"type": "object"}
    doc = merge(OWN, {"plans": service_doc("/api/v1/plans", same), "orders": service_doc("/api/v1/orders", same)})
    assert set(doc["paths"]) == {"/api/v1/me", "/api/v1/plans/things", "/api/v1/orders/things"}
    assert doc["components"]["schemas"]["Thing"] == same  # the same definition is shared
    assert doc["x-services"] == {"plans": "ok", "orders": "ok"}
    responses = doc["paths"]["/api/v1/orders/things"]["get"]["responses"]
    assert {"200", "429", "502", "504"} <= set(responses)
    assert doc["components"]["securitySchemes"]["OAuth2Password"]["flows"]["password"]["tokenUrl"] \
        == "/api/v1/auth/token"
    assert OWN["paths"].keys() == {"/api/v1/me"}  # the input is left as it was


def test_a_schema_name_two_services_define_differently_is_renamed_in_the_second():
    plans_thing = {"type": "object", "properties": {"a": {"type": "string"}}}
    orders_thing = {"type": "object", "properties": {"b": {"type": "integer"}}}
    holder = {"type": "object", "properties": {"thing": {"$ref": "#/components/schemas/Thing"}}}
    doc = merge(OWN, {"plans": service_doc("/api/v1/plans", plans_thing, {"Holder": holder}),
                      "orders": service_doc("/api/v1/orders", orders_thing, {"Holder": holder})})
    schemas = doc["components"]["schemas"]
    assert schemas["Thing"] == plans_thing and schemas["orders_Thing"] == orders_thing
    # Holder looks the same in both, but in orders it points at a different Thing: renamed too.
    assert schemas["orders_Holder"]["properties"]["thing"]["$ref"] == "#/components/schemas/orders_Thing"
    assert schemas["Holder"]["properties"]["thing"]["$ref"] == "#/components/schemas/Thing"
    ref = doc["paths"]["/api/v1/orders/things"]["get"]["responses"]["200"]["content"]["application/json"]
    assert ref["schema"]["$ref"] == "#/components/schemas/orders_Thing"


def test_a_service_missing_from_the_document_is_said_so():
    doc = merge(OWN, {"plans": service_doc("/api/v1/plans", {}), "orders": None})
    assert doc["x-services"] == {"plans": "ok", "orders": "unavailable"}
    assert "orders" in doc["info"]["description"]
    assert not any(path.startswith("/api/v1/orders") for path in doc["paths"])


async def test_docs_show_every_route_of_every_service(gateway, stubs):
    response = await gateway.get("/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    for stub in stubs.values():
        assert f"{stub.prefix}/things" in doc["paths"]
    assert {"/api/v1/auth/token", "/api/v1/me"} <= set(doc["paths"])
    assert all(status == "ok" for status in doc["x-services"].values())
    page = await gateway.get("/docs")
    assert page.status_code == 200 and "/openapi.json" in page.text


async def test_the_merged_document_is_cached(make_gateway, stubs):
    async with make_gateway(openapi_cache_seconds=3600) as gw:
        before = stubs["plans"].openapi_calls
        for _ in range(3):
            assert (await gw.get("/openapi.json")).status_code == 200
        assert stubs["plans"].openapi_calls == before + 1


async def test_docs_still_work_when_a_service_is_down(make_gateway):
    async with make_gateway(contracts_url=f"http://127.0.0.1:{free_port()}") as gw:
        response = await gw.get("/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["x-services"]["contracts"] == "unavailable"
    assert "/api/v1/plans/things" in doc["paths"]
    assert not any(path.startswith("/api/v1/contracts") for path in doc["paths"])


async def test_a_service_that_goes_down_keeps_its_last_document(make_gateway):
    async with make_gateway(openapi_cache_seconds=0) as gw:
        assert (await gw.get("/openapi.json")).json()["x-services"]["plans"] == "ok"
        gw.service.app.state.openapi.urls["plans"] = f"http://127.0.0.1:{free_port()}"
        doc = (await gw.get("/openapi.json")).json()
    assert doc["x-services"]["plans"] == "stale"
    assert "/api/v1/plans/things" in doc["paths"]
