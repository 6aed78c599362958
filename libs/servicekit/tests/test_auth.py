"""The token check: a verified token is remembered until it expires, never longer, and a bad one never."""

import time

import pytest

from servicekit.auth import TokenVerifier
from servicekit.errors import Unauthorized
from servicekit.testing import TokenFactory

TOKENS = TokenFactory.generate()


def verifier() -> TokenVerifier:
    return TokenVerifier(TOKENS.public_pem, issuer=TOKENS.issuer, audience=TOKENS.audience)


def test_a_verified_token_is_remembered_and_gives_the_same_person():
    check = verifier()
    token = TOKENS.token("purchaser-a", "11430000006100011A", "purchaser", "湖南省教育厅")
    first = check.verify(token)
    assert check.verify(token) is first
    assert (first.username, first.org_id, first.role) == ("purchaser-a", "11430000006100011A", "purchaser")


def test_a_remembered_token_still_expires(monkeypatch):
    check = verifier()
    token = TOKENS.token("purchaser-a", "11430000006100011A", "purchaser", ttl=60)
    check.verify(token)
    later = time.time() + 61
    monkeypatch.setattr("servicekit.auth.time.time", lambda: later)

    def decode_again(again: str):  # PyJWT reads its own clock: what matters is that it is asked again
        raise Unauthorized("登录已过期，请重新登录", code="token_expired")

    monkeypatch.setattr(check, "_decode", decode_again)
    with pytest.raises(Unauthorized) as refused:
        check.verify(token)
    assert refused.value.code == "token_expired" and token not in check._verified


def test_a_token_that_failed_is_not_remembered():
    check = verifier()
    other = TokenFactory.generate().token("purchaser-a", "11430000006100011A", "purchaser")  # signed by another key
    for _ in range(2):
        with pytest.raises(Unauthorized):
            check.verify(other)
    assert not check._verified


def test_the_memory_is_bounded():
    check = verifier()
    check.CACHE_SIZE = 3
    for n in range(5):
        check.verify(TOKENS.token(f"purchaser-{n}", "11430000006100011A", "purchaser"))
    assert len(check._verified) == 3
