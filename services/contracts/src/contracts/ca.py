"""The platform seal CA made from the command line: the contracts service's public entry point for
deployment tools (devstack's `keys`, a production install). Keep this module's name and command line
stable; what it calls inside the service may move.

    python -m contracts.ca FOLDER [--name NAME]

writes FOLDER/ca.cert.pem and FOLDER/ca.key.pem (mode 0600), the CA_CERT_FILE and CA_KEY_FILE the
service reads, unless the certificate is there already; every unit's seal certificate chains to it."""

from __future__ import annotations

import argparse
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from contracts.seals import create_ca

PLATFORM_CA_NAME = "湖南省政府采购平台电子签章CA"


def write_ca(folder: Path, name: str = PLATFORM_CA_NAME) -> tuple[Path, Path, bool]:
    """(certificate file, key file, whether they were made now)."""
    cert_file, key_file = folder / "ca.cert.pem", folder / "ca.key.pem"
    if cert_file.exists():
        return cert_file, key_file, False
    folder.mkdir(parents=True, exist_ok=True)
    ca = create_ca(name)
    key_file.write_bytes(ca.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,  # type: ignore[union-attr]
                                              serialization.NoEncryption()))
    key_file.chmod(0o600)
    cert_file.write_text(ca.pem())
    return cert_file, key_file, True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m contracts.ca", description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="where ca.cert.pem and ca.key.pem are written")
    parser.add_argument("--name", default=PLATFORM_CA_NAME, help="the CA's common name")
    args = parser.parse_args(argv)
    cert_file, key_file, made = write_ca(args.folder, args.name)
    print(f"platform seal CA{'' if made else ' (already there)'}: {cert_file} (key {key_file}); "
          "keep the key safe: every seal chains to it")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
