"""/metrics of every process of the running platform: each parses with Prometheus' own text parser and
its figures move when a flow runs — a plan created while the plans relay is off waits in the outbox,
is published once the relay is back (waiting goes back to 0), and bidding counts it consumed with no lag
left; the gateway counts the requests it passed and never hands out a service's /metrics."""

from __future__ import annotations

import signal

import httpx
from prometheus_client.parser import text_string_to_metric_families

from contracts_schema.events.plans import PlanCreated
from contracts_schema.topics import PLANS
from devstack.stack import ALL
from platform_client import wait_for
from test_walking_skeleton import PLAN


def metrics_of(stack, name: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = httpx.get(stack.url(name) + "/metrics", timeout=10)  # no login
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain"), name
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def value(figures, name: str, **labels: str) -> float:
    return figures.get((name, tuple(sorted(labels.items()))), 0.0)


def test_every_process_serves_metrics_that_parse(stack):
    for spec in ALL:
        figures = metrics_of(stack, spec.name)
        assert value(figures, "process_cpu_seconds_total") > 0, spec.name
        assert any(name == "http_requests_total" for name, _ in figures), spec.name


def test_the_outbox_fills_while_the_relay_is_off_and_empties_when_it_is_back_and_bidding_consumes(stack, as_user):
    consumed = dict(type=PlanCreated.ce_type(), outcome="handled")
    before = value(metrics_of(stack, "bidding"), "events_consumed_total", **consumed)
    stack.kill("plans", signal.SIGTERM)
    stack.start("plans", overrides={"OUTBOX_RELAY_ENABLED": "false"})  # an API-only replica: nothing published
    purchaser = as_user("purchaser-a")
    assert purchaser.post("/api/v1/plans", json={**PLAN, "name": "metrics: waits in the outbox"}).status_code == 201
    figures = metrics_of(stack, "plans")
    assert value(figures, "outbox_waiting") >= 1 and value(figures, "outbox_oldest_waiting_age_seconds") >= 0

    stack.kill("plans", signal.SIGTERM)
    stack.start("plans")  # relay on: publishes what waits
    wait_for(lambda: value(metrics_of(stack, "plans"), "outbox_waiting") == 0, what="the outbox emptied")
    assert value(metrics_of(stack, "plans"), "events_published_total", topic=PLANS) >= 1
    wait_for(lambda: value(metrics_of(stack, "bidding"), "events_consumed_total", **consumed) > before,
             what="bidding consumed the plan")

    def no_lag_on_plans():
        lags = {labels: v for (name, labels), v in metrics_of(stack, "bidding").items() if name == "consumer_lag"
                and dict(labels)["topic"] == PLANS}
        return lags if lags and not any(lags.values()) else None

    lags = wait_for(no_lag_on_plans, what="bidding caught up with plans.events")
    assert all(v >= 0 for v in lags.values())
    bidding = metrics_of(stack, "bidding")
    assert ("dlq_size", (("topic", "bidding.dlq"),)) in bidding
    assert value(bidding, "timer_last_run_timestamp_seconds", timer="bidding timer tick") > 0


def test_the_gateway_counts_what_it_passed_and_never_hands_out_a_services_metrics(stack, as_user):
    purchaser = as_user("purchaser-a")
    before = value(metrics_of(stack, "gateway"), "http_requests_total", route="/api/v1/plans/*", method="GET",
                   status="200")
    assert purchaser.get("/api/v1/plans").status_code == 200
    after = metrics_of(stack, "gateway")
    assert value(after, "http_requests_total", route="/api/v1/plans/*", method="GET", status="200") == before + 1
    for path in ("/api/v1/plans/metrics", "/api/v1/metrics", "/api/v1/catalog/metrics"):
        assert "# TYPE" not in purchaser.get(path).text, path
    plans = metrics_of(stack, "plans")  # the pass-through arrived with its route template at the service
    assert value(plans, "http_requests_total", route="/api/v1/plans", method="GET", status="200") >= 1
