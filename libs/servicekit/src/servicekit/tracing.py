"""Traces: the W3C `traceparent` every request and event already carries becomes OpenTelemetry spans,
exported over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set (`http://collector:4318`). Off by
default: the SDK is then never imported, and the hot path pays one global read (`enabled()`).

    HTTP server span   "GET /api/v1/plans/{plan_id}"   (servicekit.http.RequestContextMiddleware),
                       child of the caller's traceparent (the gateway's own server span)
    event send span    "send <ce_type>"   made when the event is recorded (servicekit.outbox.emit), child
                       of the request's span; its id is the traceparent header of the Kafka record
    event process span "process <ce_type>"   (servicekit.inbox.Dispatcher), child of the send span; the
                       events its handler records are children of it, so one trace follows a whole flow

Spans are made with explicit parents (from the traceparent strings), never the global OpenTelemetry
context or tracer provider: one provider per process, set by `configure`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_tracer: Any = None
_provider: Any = None

SERVER, PRODUCER, CONSUMER = "server", "producer", "consumer"


def enabled() -> bool:
    return _tracer is not None


def configure(service: str, *, endpoint: str | None = None, exporter: Any = None) -> bool:
    """Turns tracing on for this process: spans go to `exporter` (tests: an in-memory one, exported at
    once) or to OTLP/HTTP at `endpoint` (batched). Neither: off. Returns whether it is on."""
    global _tracer, _provider
    if exporter is None and not endpoint:
        return False
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(
            endpoint=endpoint.rstrip("/") + "/v1/traces")))  # type: ignore[union-attr]
    shutdown()
    _provider, _tracer = provider, provider.get_tracer("servicekit")
    return True


def shutdown() -> None:
    """Flushes and turns tracing off (a service stopping; tests)."""
    global _tracer, _provider
    provider, _provider, _tracer = _provider, None, None
    if provider is not None:
        provider.shutdown()


def _parent(traceparent: str | None) -> Any:
    from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags, set_span_in_context

    parts = (traceparent or "").split("-")
    if len(parts) != 4 or len(parts[1]) != 32 or len(parts[2]) != 16:
        return None
    try:
        context = SpanContext(int(parts[1], 16), int(parts[2], 16), is_remote=True,
                              trace_flags=TraceFlags(int(parts[3], 16) & 1))
    except ValueError:
        return None
    return set_span_in_context(NonRecordingSpan(context)) if context.is_valid else None


def traceparent_of(span: Any) -> str:
    context = span.get_span_context()
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


def start(name: str, kind: str, parent: str | None, attributes: dict[str, Any] | None = None) -> Any:
    """A started span (call only when `enabled()`); end it with `finish`."""
    from opentelemetry.trace import SpanKind

    kinds = {SERVER: SpanKind.SERVER, PRODUCER: SpanKind.PRODUCER, CONSUMER: SpanKind.CONSUMER}
    return _tracer.start_span(name, context=_parent(parent), kind=kinds[kind], attributes=attributes)


def finish(span: Any, *, error: str | None = None, attributes: dict[str, Any] | None = None) -> None:
    from opentelemetry.trace import Status, StatusCode

    if attributes:
        span.set_attributes(attributes)
    if error:
        span.set_status(Status(StatusCode.ERROR, error))
    span.end()


@contextmanager
def span(name: str, kind: str, parent: str | None, attributes: dict[str, Any] | None = None) -> Iterator[Any]:
    """`with span(...) as s:` — a span around a block (an exception marks it failed)."""
    current = start(name, kind, parent, attributes)
    try:
        yield current
    except BaseException as exc:
        finish(current, error=f"{type(exc).__name__}: {exc}")
        raise
    finish(current)
