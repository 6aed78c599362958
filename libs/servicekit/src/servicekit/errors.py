"""The JSON error model: every public error is `{"error": {"code": ..., "message": ...}}`.

Domain code raises these (they carry no I/O and import no web framework); the HTTP layer
(`servicekit.http.install_error_handlers`) renders them. Bad input is a 4xx and
changes nothing: raise before writing, or inside the transaction so it rolls back."""

from typing import Any


class APIError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details


class BadRequest(APIError):
    status, code = 400, "bad_request"


class Unauthorized(APIError):
    status, code = 401, "unauthorized"


class Forbidden(APIError):
    status, code = 403, "forbidden"


class NotFound(APIError):
    status, code = 404, "not_found"


class Conflict(APIError):
    """An illegal state transition or a clash with the current state: nothing changed."""

    status, code = 409, "conflict"


class Invalid(APIError):
    """Well-formed input that breaks a business rule (a price above the ceiling, say)."""

    status, code = 422, "invalid"


class TooLarge(APIError):
    status, code = 413, "too_large"


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"error": error}


# Why a field was refused, in Chinese, by pydantic's error type; `{name}` is filled from the error's ctx.
_REASONS = {
    "missing": "必填",
    "extra_forbidden": "不是可接受的字段",
    "string_type": "须为文本",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "至多 {max_length} 个字符",
    "string_pattern_mismatch": "格式不正确",
    "too_short": "至少 {min_length} 项",
    "too_long": "至多 {max_length} 项",
    "greater_than": "须大于 {gt}",
    "greater_than_equal": "须不小于 {ge}",
    "less_than": "须小于 {lt}",
    "less_than_equal": "须不大于 {le}",
    "multiple_of": "须为 {multiple_of} 的整数倍",
    "int_type": "须为整数",
    "int_parsing": "须为整数",
    "int_from_float": "须为整数",
    "float_type": "须为数字",
    "float_parsing": "须为数字",
    "decimal_type": "须为数字",
    "decimal_parsing": "须为数字",
    "decimal_max_places": "至多 {decimal_places} 位小数",
    "decimal_max_digits": "至多 {max_digits} 位数字",
    "decimal_whole_digits": "整数部分至多 {whole_digits} 位",
    "finite_number": "须为有限的数",
    "bool_type": "须为 true 或 false",
    "bool_parsing": "须为 true 或 false",
    "date_type": "须为日期（YYYY-MM-DD）",
    "date_parsing": "须为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "须为日期（YYYY-MM-DD）",
    "datetime_type": "须为时间（ISO 8601）",
    "datetime_parsing": "须为时间（ISO 8601）",
    "datetime_from_date_parsing": "须为时间（ISO 8601）",
    "timezone_aware": "须带时区",
    "literal_error": "须为以下之一：{expected}",
    "enum": "须为以下之一：{expected}",
    "list_type": "须为列表",
    "dict_type": "须为对象",
    "model_type": "须为对象",
    "model_attributes_type": "须为对象",
    "uuid_type": "须为 UUID",
    "uuid_parsing": "须为 UUID",
    "json_invalid": "不是有效的 JSON",
    "url_parsing": "须为网址",
    "url_type": "须为网址",
}


def _where(loc: Any) -> str:
    """`lines[0].quantity` from pydantic's loc ("body", "lines", 0, "quantity")."""
    where = ""
    for part in loc or ():
        if part in ("body", "query", "path", "header", "cookie") and not where:
            continue
        where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
    return where


def _reason(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    reason = _REASONS.get(kind)
    if reason is not None:
        try:
            return reason.format(**(error.get("ctx") or {}))
        except (KeyError, IndexError):
            return reason.split("{")[0].rstrip("：: ") or reason
    msg = str(error.get("msg", ""))
    return msg.removeprefix("Value error, ") or "取值不正确"


def validation_details(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each refused field with its reason in Chinese (`msg`), so a frontend can show it beside the field."""
    return [{"loc": list(e.get("loc") or ()), "msg": _reason(e), "type": e.get("type")} for e in errors]


def validation_message(errors: list[dict[str, Any]]) -> str:
    """One Chinese sentence naming each refused field and why (the first five), from pydantic's
    errors: `字段 budget_amount：须大于 0；字段 name：必填`. Query and path parameters are 参数."""
    parts = []
    for error in errors[:5]:
        loc = tuple(error.get("loc") or ())
        where = "" if error.get("type") == "json_invalid" else _where(loc)
        noun = "参数" if loc[:1] in (("query",), ("path",), ("header",), ("cookie",)) else "字段"
        parts.append(f"{noun} {where}：{_reason(error)}" if where else f"请求体：{_reason(error)}")
    return "；".join(parts) or "请求不正确"
