"""The gateway's own /metrics (no login, never the console's or a service's), its requests counted by
route (a pass-through by the prefix of its service), and its server span when tracing is on."""

from __future__ import annotations

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families

from contracts_schema.envelope import new_traceparent
from servicekit import tracing


def sample(text: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and s.labels == labels:
                return s.value
    return 0.0


async def test_the_gateway_serves_its_own_metrics_without_login_and_counts_by_route(gateway, stubs, tokens):
    before = (await gateway.get("/metrics")).text
    for plan in ("PL1", "PL2"):
        assert (await gateway.get(f"/api/v1/plans/{plan}")).status_code == 200
    assert (await gateway.get("/plans/new")).status_code == 502  # a console page (no console in these tests)
    response = await gateway.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    assert not any(seen["path"] == "/metrics" for stub in stubs.values() for seen in stub.seen)
    text = response.text

    def moved(name: str, **labels: str) -> float:
        return sample(text, name, **labels) - sample(before, name, **labels)

    assert moved("http_requests_total", route="/api/v1/plans/*", method="GET", status="200") == 2
    assert moved("http_requests_total", route="/*", method="GET", status="502") == 1
    assert moved("http_request_duration_seconds_count", route="/api/v1/plans/*", method="GET") == 2
    assert moved("http_requests_total", route="/metrics", method="GET", status="200") == 1


async def test_no_service_metrics_are_reachable_through_the_api(gateway, stubs):
    await gateway.get("/api/v1/plans/metrics")
    await gateway.get("/api/v1/metrics")
    paths = [seen["path"] for stub in stubs.values() for seen in stub.seen]
    assert "/metrics" not in paths  # the plans service is asked for /api/v1/plans/metrics: a plan id, not metrics


async def test_with_tracing_on_the_gateway_span_is_the_parent_the_service_sees(gateway, stubs):
    exporter = InMemorySpanExporter()
    tracing.configure("gateway", exporter=exporter)
    try:
        caller = new_traceparent()
        assert (await gateway.get("/api/v1/catalog/categories", headers={"traceparent": caller})).status_code == 200
    finally:
        tracing.shutdown()
    (span,) = exporter.get_finished_spans()
    assert span.name == "GET /api/v1/catalog/*" and f"{span.parent.span_id:016x}" == caller.split("-")[2]
    forwarded = stubs["catalog"].seen[-1]["headers"]["traceparent"]
    assert forwarded == tracing.traceparent_of(span) and forwarded.split("-")[1] == caller.split("-")[1]
