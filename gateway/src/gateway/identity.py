"""Identity: argon2 password hashes and RS256 access tokens; the public key is published as a JWKS."""

from __future__ import annotations

import base64
import hashlib
import time
from dataclasses import dataclass

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the timing of both answers alike.
_DUMMY_HASH = _hasher.hash("not a password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def _b64(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class TokenIssuer:
    private_pem: str
    issuer: str
    audience: str
    ttl: int

    def __post_init__(self) -> None:
        key = serialization.load_pem_private_key(self.private_pem.encode(), password=None)
        assert isinstance(key, RSAPrivateKey), "JWT signing key must be RSA"
        self._public = key.public_key()
        numbers = self._public.public_numbers()
        self.kid = hashlib.sha256(_b64(numbers.n).encode()).hexdigest()[:16]
        self.jwk = {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid,
                    "n": _b64(numbers.n), "e": _b64(numbers.e)}
        self.public_pem = self._public.public_bytes(serialization.Encoding.PEM,
                                                    serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def issue(self, *, username: str, org_id: str, org_name: str, role: str) -> tuple[str, int]:
        now = int(time.time())
        claims = {"sub": username, "uid": username, "org": org_id, "org_name": org_name, "role": role,
                  "iss": self.issuer, "aud": self.audience, "iat": now, "nbf": now, "exp": now + self.ttl}
        return jwt.encode(claims, self.private_pem, algorithm="RS256", headers={"kid": self.kid}), self.ttl
