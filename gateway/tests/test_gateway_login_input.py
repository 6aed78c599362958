"""A log-in name with a NUL or another control character is a 422 naming the field, not a 500 (on
PostgreSQL a NUL in a query parameter is an error; schemathesis found it, issue 11)."""

import pytest


@pytest.mark.parametrize("username", ["purchaser-a\x00", "\x1bpurchaser", "purchaser\u202e"])
async def test_a_login_name_with_a_control_character_is_refused(gateway, username):
    response = await gateway.post("/api/v1/auth/token", data={"username": username, "password": "x"})
    assert response.status_code == 422, response.text
    assert "字段 username：不能含" in response.json()["error"]["message"], response.text
