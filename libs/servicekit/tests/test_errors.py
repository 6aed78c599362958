"""The JSON errors: servicekit.errors is pure (no web framework), servicekit.http renders every error
as {"error": {"code", "message"}} with a Chinese message; a refused request names each field and why."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI, Query
from pydantic import BaseModel, ConfigDict, Field

from servicekit.errors import Conflict, validation_message
from servicekit.http import install_error_handlers


class Line(BaseModel):
    model_config = ConfigDict(extra="forbid")
    budget: Decimal = Field(gt=0, decimal_places=2)
    name: str = Field(min_length=1, max_length=10)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lines: list[Line]


app = FastAPI()
install_error_handlers(app)


@app.post("/things")
async def create(body: Body, page: int = Query(1, ge=1)) -> dict:
    return {"ok": True}


@app.post("/clash")
async def clash() -> dict:
    raise Conflict("计划已作废", code="illegal_transition")


@app.get("/boom")
async def boom() -> dict:
    raise RuntimeError("a bug")


@pytest.fixture
async def client():
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client


def test_the_error_types_import_no_web_framework() -> None:
    code = "import sys, servicekit.errors; print(sorted(m for m in ('fastapi', 'starlette') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


async def test_a_refused_body_names_each_field_and_why_in_chinese(client) -> None:
    response = await client.post("/things?page=0", json={"lines": [{"budget": "0", "name": "", "x": 1}]})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"] == ("参数 page：须不小于 1；字段 lines[0].budget：须大于 0；"
                                "字段 lines[0].name：至少 1 个字符；字段 lines[0].x：不是可接受的字段")
    assert [d["type"] for d in error["details"]] == ["greater_than_equal", "greater_than", "string_too_short",
                                                     "extra_forbidden"]


async def test_a_missing_body_and_a_missing_field(client) -> None:
    missing = await client.post("/things", json={"lines": [{"budget": "1.00"}]})
    assert missing.json()["error"]["message"] == "字段 lines[0].name：必填"
    bad_json = await client.post("/things", content=b'{"lines": [', headers={"content-type": "application/json"})
    assert bad_json.json()["error"]["message"] == "请求体：不是有效的 JSON"
    no_body = await client.post("/things")
    assert no_body.json()["error"] == {"code": "validation_error", "message": "请求体：必填",
                                       "details": no_body.json()["error"]["details"]}


def test_a_validator_s_own_message_is_kept() -> None:
    errors = [{"loc": ("body", "amount"), "msg": "Value error, 预留金额必须大于零", "type": "value_error"}]
    assert validation_message(errors) == "字段 amount：预留金额必须大于零"


async def test_framework_errors_keep_their_codes_with_chinese_messages(client) -> None:
    no_route = await client.get("/nowhere")
    wrong_method = await client.get("/things")
    bug = await client.get("/boom")
    assert (no_route.status_code, no_route.json()["error"]) == (404, {"code": "not_found", "message": "没有这个地址"})
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"] == {"code": "method_not_allowed", "message": "这个地址不接受该请求方法"}
    assert bug.status_code == 500 and bug.json()["error"]["code"] == "internal_error"
    assert "服务内部错误" in bug.json()["error"]["message"]


async def test_a_domain_error_keeps_its_status_code_and_message(client) -> None:
    response = await client.post("/clash")
    assert (response.status_code, response.json()) == (
        409, {"error": {"code": "illegal_transition", "message": "计划已作废"}})


def test_validation_details_give_each_field_its_reason_in_chinese():
    from servicekit.errors import validation_details

    details = validation_details([{"loc": ("body", "lines", 0, "quantity"), "msg": "Input should be greater than 0",
                                   "type": "greater_than", "ctx": {"gt": 0}}])
    assert details[0]["loc"] == ["body", "lines", 0, "quantity"] and details[0]["type"] == "greater_than"
    assert "Input" not in details[0]["msg"] and details[0]["msg"]
