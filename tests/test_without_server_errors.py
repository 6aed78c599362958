"""No input is a 500 (issue 11): schemathesis generates requests from the gateway's merged OpenAPI
(/openapi.json: every service's public routes) and sends them through the gateway to the real
services, as a purchaser, a supplier and anonymous. Only the server-error check runs
(not_a_server_error); the status-code and response-schema checks belong to the integrators' conventions.

Bounded so that the whole test takes a few minutes on two cores: per operation at most MAX_EXAMPLES
cases that fit the schema and as many that do not (schemathesis's positive and negative modes), each
role paced under the gateway's rate limit (a 429 would hide the service behind it), and no operation is
started once a role has spent its TIME_BUDGET. A server error fails the test with the request as a curl
line; the test prints per role the operations and cases run."""

from __future__ import annotations

import time
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from devstack.stack import LocalStack

pytestmark = pytest.mark.stack

TIME_BUDGET = 90.0  # seconds per role
ROLES = {  # username, examples per operation and mode, requests per second (under the gateway's limits)
    "purchaser": ("purchaser-a", 15, 40.0),
    "supplier": ("supplier-1", 15, 40.0),
    "anonymous": (None, 8, 15.0),
}


@pytest.mark.parametrize("role", list(ROLES))
def test_no_request_is_answered_with_a_server_error(role: str, stack: LocalStack, as_user: Any) -> None:
    username, examples, per_second = ROLES[role]
    headers = {"Authorization": as_user(username).headers["Authorization"]} if username else {}
    schema = schemathesis.openapi.from_url(stack.url("gateway") + "/openapi.json", timeout=30)
    schema.config.update(base_url=stack.url("gateway"))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20, "the merged OpenAPI lists every service's routes"
    cases, tried = 0, []
    started = last = time.monotonic()

    for operation in operations:
        if time.monotonic() - started > TIME_BUDGET:
            break
        tried.append(operation.label)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
                      suppress_health_check=list(HealthCheck))
            def send(case: Any) -> None:
                nonlocal cases, last
                time.sleep(max(0.0, last + 1 / per_second - time.monotonic()))  # pacing, not waiting for a state
                last = time.monotonic()
                cases += 1
                case.call_and_validate(headers=headers, checks=[not_a_server_error], timeout=30)

            try:
                send()
            except Unsatisfiable:
                pass  # an operation with nothing to vary in this mode (no parameters, no body)

    print(f"\nschemathesis as {role}: {len(tried)} of {len(operations)} operations, {cases} cases, no server error, "
          f"{time.monotonic() - started:.0f} s")
