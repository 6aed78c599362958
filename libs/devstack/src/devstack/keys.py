"""Key material of the embedded default, made once under var/keys: the gateway's JWT signing key
(services get the public half) and, for contracts, the demo CA."""

from __future__ import annotations

import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def ensure_jwt_keys(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    private, public = folder / "jwt-private.pem", folder / "jwt-public.pem"
    if not (private.exists() and public.exists()):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))
        private.chmod(0o600)
        public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                         serialization.PublicFormat.SubjectPublicKeyInfo))
    console = folder / "web-secret"  # the console's CSRF key (web/session.py)
    if not console.exists():
        console.write_text(secrets.token_urlsafe(32))
        console.chmod(0o600)
    return private, public


COMPOSE_PASSWORDS = ("postgres-password", "minio-root-user", "minio-root-password", "grafana-admin-password")


def ensure_compose_secrets(folder: Path) -> list[Path]:
    """The passwords docker-compose.yml mounts as secrets (there is no default one), made once, random.
    The containers run as an unprivileged user (uid 10001) and docker-compose bind-mounts a secret file
    with its mode on this machine, so the files are readable (0644) and the folder is the lock: 0700."""
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for name in COMPOSE_PASSWORDS:
        path = folder / name
        if not path.exists():
            path.write_text("framework" if name == "minio-root-user" else secrets.token_urlsafe(24))
            made.append(path)
    for path in folder.iterdir():
        if path.is_file():
            path.chmod(0o644)
    folder.chmod(0o700)
    return made
