"""The API answers as its document says (issues 11 and 13): schemathesis generates requests from the
gateway's merged OpenAPI (/openapi.json: every service's public routes) and sends them through the
gateway to the real services, as a purchaser, a supplier and anonymous. Every answer is checked:
- not_a_server_error: no input is a 500;
- status_code_conformance: the status is one the operation documents (every 4xx included);
- response_schema_conformance and content_type_conformance: the body is what the document says, the
  error model `{"error": {"code", "message"}}` included, with the documented media type;
- validated_as_documented (here): a request the document allows is never refused as malformed (400, or
  422 `validation_error`): the server validates what the schema says. A business rule may still refuse it
  with its own code (an unknown plan: 422 `unknown_plan`).

Bounded so that the whole test takes a couple of minutes on two cores: per operation EXAMPLES cases that
fit the schema and as many that do not (schemathesis's positive and negative modes); generating a case
costs more than sending it, so each is sent as all three roles, each role paced under the gateway's rate
limit (a 429 would hide the service behind it); no operation is started once TIME_BUDGET is spent (the
order is shuffled, so a run cut short leaves out other operations the next time, and says which). A
failure fails the test with the request as a curl line; the test prints the operations and requests run."""

from __future__ import annotations

import random
import time
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_schema_conformance,
                                 status_code_conformance)

from devstack.stack import LocalStack
from platform_client import wait_for

pytestmark = pytest.mark.stack

EXAMPLES = 6  # cases per operation and mode (positive, negative); each is sent as every role
TIME_BUDGET = 150.0  # seconds: no operation is started after that (the test says which were left)
ROLES = {  # username, requests per second (under the gateway's per-user and anonymous limits)
    "purchaser": ("purchaser-a", 40.0),
    "supplier": ("supplier-1", 40.0),
    "anonymous": (None, 19.0),
}


@schemathesis.check
def validated_as_documented(ctx: Any, response: Any, case: Any) -> None:
    """A request generated to fit the document is not refused as malformed."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    code = None
    if response.status_code in (400, 422):
        try:
            code = response.json()["error"]["code"]
        except (ValueError, KeyError, TypeError):
            code = "?"
    if response.status_code == 400 or code == "validation_error":
        raise AssertionError(f"a request the document allows was refused as malformed: {response.status_code} "
                             f"{response.text[:500]}")
    return None


CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, content_type_conformance,
          validated_as_documented]


def test_every_answer_is_as_documented(stack: LocalStack, as_user: Any, anonymous: httpx.Client) -> None:
    headers = {role: {"Authorization": as_user(username).headers["Authorization"]} if username else {}
               for role, (username, _) in ROLES.items()}
    def complete() -> dict[str, Any] | None:  # a service slow to answer its document is asked again soon
        document = anonymous.get("/openapi.json").json()
        return document if set(document["x-services"].values()) == {"ok"} else None

    schema = schemathesis.openapi.from_dict(wait_for(complete, timeout=60, what="every service in /openapi.json"))
    schema.config.update(base_url=stack.url("gateway"))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 45, "the merged OpenAPI lists every service's routes"
    seed = random.randrange(2**32)
    random.Random(seed).shuffle(operations)  # a run cut short by the budget leaves out other operations next time
    cases, tried = 0, []
    last = dict.fromkeys(ROLES, 0.0)
    started = time.monotonic()

    for operation in operations:
        if time.monotonic() - started > TIME_BUDGET:
            break
        tried.append(operation.label)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            # Generating a case costs more than sending it (a nested agreement: ~1.5 s), so each case
            # generated is sent as every role.
            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.generate],
                      suppress_health_check=list(HealthCheck))
            def send(case: Any) -> None:
                nonlocal cases
                for role, (_, per_second) in ROLES.items():
                    time.sleep(max(0.0, last[role] + 1 / per_second - time.monotonic()))  # pacing, not waiting
                    last[role] = time.monotonic()
                    cases += 1
                    case.call_and_validate(headers=headers[role], checks=CHECKS, timeout=30)

            try:
                send()
            except Unsatisfiable:
                pass  # an operation with nothing to vary in this mode (no parameters, no body)

    left = sorted(set(o.label for o in operations) - set(tried))
    print(f"\nschemathesis as {', '.join(ROLES)}: {len(tried)} of {len(operations)} operations (order seed {seed}), "
          f"{cases} requests, every answer as documented, {time.monotonic() - started:.0f} s"
          + (f"; left for lack of time: {', '.join(left)}" if left else ""))
