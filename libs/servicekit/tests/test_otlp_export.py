"""Spans leave the process over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set: a real HTTP receiver
(what a collector's OTLP/HTTP port is) gets them as protobuf at /v1/traces, parent and child intact."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from servicekit import tracing


class Receiver(BaseHTTPRequestHandler):
    received: list[tuple[str, str, bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((self.path, self.headers["Content-Type"], body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_spans_are_exported_to_the_configured_otlp_http_endpoint():
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert tracing.configure("plans", endpoint=f"http://127.0.0.1:{server.server_port}")
        with tracing.span("GET /api/v1/plans/{plan_id}", tracing.SERVER, None) as request:
            parent = tracing.traceparent_of(request)
            with tracing.span("send hunan.framework.plans.PlanCreated.v1", tracing.PRODUCER, parent):
                pass
        tracing.shutdown()  # flushes the batch
    finally:
        server.shutdown()
        tracing.shutdown()
    (path, content_type, body), = Receiver.received
    assert path == "/v1/traces" and content_type == "application/x-protobuf"
    export = ExportTraceServiceRequest.FromString(body)
    resource = export.resource_spans[0]
    assert {a.key: a.value.string_value for a in resource.resource.attributes}["service.name"] == "plans"
    spans = {s.name: s for scope in resource.scope_spans for s in scope.spans}
    server_span, send_span = spans["GET /api/v1/plans/{plan_id}"], spans["send hunan.framework.plans.PlanCreated.v1"]
    assert send_span.parent_span_id == server_span.span_id and send_span.trace_id == server_span.trace_id
