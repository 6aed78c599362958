"""The rules are pure: importing a service's domain.py (and the servicekit types and errors it uses) loads
no web framework and no database driver — a rule can be read and tested without either."""

import subprocess
import sys

import pytest

DOMAINS = ["plans.domain", "catalog.domain", "bidding.domain", "contracts.domain", "orders.domain"]


@pytest.mark.parametrize("module", DOMAINS)
def test_a_domain_imports_no_web_framework(module):
    probe = (f"import sys, {module}; heavy = sorted(m for m in ('fastapi', 'starlette', 'uvicorn', 'aiokafka') "
             f"if m in sys.modules); print(','.join(heavy))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "", f"{module} pulls in {loaded}"
