"""`python -m contracts.ca FOLDER`: the public entry point deployment tools make the platform seal CA with."""

from __future__ import annotations

import subprocess
import sys

from contracts.ca import PLATFORM_CA_NAME
from contracts.ca import load_ca


def test_it_makes_the_ca_once_and_the_service_can_load_it(tmp_path) -> None:
    first = subprocess.run([sys.executable, "-m", "contracts.ca", str(tmp_path)], capture_output=True, text=True,
                           check=True)
    cert, key = tmp_path / "ca.cert.pem", tmp_path / "ca.key.pem"
    made = cert.read_bytes()
    assert str(cert) in first.stdout and key.stat().st_mode & 0o077 == 0
    assert PLATFORM_CA_NAME in load_ca(cert, key).name

    again = subprocess.run([sys.executable, "-m", "contracts.ca", str(tmp_path)], capture_output=True, text=True,
                           check=True)
    assert "already there" in again.stdout and cert.read_bytes() == made
