"""Idempotent consumers: a handler's effect and the record of the event id commit together.

The inbox row is inserted first, in the handler's transaction, on the primary key
(consumer, event_id): a redelivered event fails that insert and changes nothing. Never
select-then-insert: two deliveries racing would both pass the select."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts_schema.envelope import Envelope, EnvelopeError, decode_headers
from contracts_schema.events import Event
from contracts_schema.types import utcnow
from servicekit import tracing
from servicekit.logging import log_context
from servicekit.metrics import Metrics

log = logging.getLogger("servicekit.inbox")

Handler = Callable[[AsyncSession, Any, Envelope], Awaitable[None]]


def log_fields(event: Event) -> dict[str, str]:
    """What an event is about, for the log lines of its handling: the id of its aggregate under the
    event's own key field, and every other id it carries at its top level (a field named `*_id`).
    So a handler's lines name the project, contract or order without the plumbing knowing which
    fields a service's events have."""
    fields = {name: value for name, value in event if name.endswith("_id") and isinstance(value, str)}
    fields[event.key_field] = event.aggregate_id
    return fields


class EventHandlers:
    """A service's event handlers, one function per consumed event type:

        handlers = EventHandlers()

        @handlers.on(PlanCreated)
        async def plan_created(session, event: PlanCreated, envelope) -> None: ...
    """

    def __init__(self) -> None:
        self._by_type: dict[str, tuple[type[Event], Handler]] = {}

    def on(self, *event_classes: type[Event]) -> Callable[[Handler], Handler]:
        def register(func: Handler) -> Handler:
            for cls in event_classes:
                if cls.ce_type() in self._by_type:
                    raise ValueError(f"two handlers for {cls.ce_type()}")
                self._by_type[cls.ce_type()] = (cls, func)
            return func
        return register

    def lookup(self, ce_type: str) -> tuple[type[Event], Handler] | None:
        return self._by_type.get(ce_type)

    def topics(self) -> list[str]:
        return sorted({cls.topic() for cls, _ in self._by_type.values()})

    def __bool__(self) -> bool:
        return bool(self._by_type)


class PoisonEvent(Exception):
    """The message can never be handled (not an envelope, or a body its model rejects)."""


@dataclass
class Outcome:
    status: str  # handled | duplicate | ignored | dead_lettered
    error: str | None = None


DeadLetter = Callable[[str, bytes, dict[str, str], str, str, int], Awaitable[None]]


class Dispatcher:
    """Delivers one Kafka record to its handler: inbox + effect in one transaction, bounded retries
    with backoff, then the dead-letter topic. Returning means the offset may be committed; raising
    means it must not (the record will be delivered again)."""

    def __init__(self, consumer: str, db: Any, handlers: EventHandlers, *, dead_letter: DeadLetter | None,
                 max_attempts: int = 5, backoff: float = 0.2, metrics: Metrics | None = None) -> None:
        self.consumer = consumer
        self.metrics = metrics
        self.db = db
        self.handlers = handlers
        self.dead_letter = dead_letter
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.inbox = db.metadata.tables["inbox"]

    async def deliver(self, topic: str, key: str, headers: dict[str, str], body: bytes) -> Outcome:
        outcome = await self._deliver(topic, key, headers, body)
        if self.metrics is not None:
            ce_type = headers.get("ce_type", "")
            self.metrics.event_outcome(ce_type if self.handlers.lookup(ce_type) else "other", outcome.status)
        return outcome

    async def _deliver(self, topic: str, key: str, headers: dict[str, str], body: bytes) -> Outcome:
        try:
            envelope = decode_headers(headers)
            found = self.handlers.lookup(envelope.type)
            if found is None:
                return Outcome("ignored")
            cls, handler = found
            try:
                event = cls.model_validate_json(body)
            except ValidationError as bad:
                raise PoisonEvent(f"{envelope.type} body does not match its schema: {bad}") from None
        except (EnvelopeError, PoisonEvent) as poison:
            return await self._park(topic, key, headers, body, str(poison), attempts=1)

        if tracing.enabled():
            with tracing.span(f"process {envelope.type}", tracing.CONSUMER, envelope.traceparent, {
                    "messaging.system": "kafka", "messaging.destination.name": topic,
                    "messaging.operation.type": "process", "messaging.message.id": envelope.id,
                    "messaging.consumer.group.name": self.consumer}) as span:
                outcome = await self._handle(topic, key, headers, body, event, envelope, handler,
                                             tracing.traceparent_of(span))
                span.set_attribute("servicekit.outcome", outcome.status)
                return outcome
        return await self._handle(topic, key, headers, body, event, envelope, handler, envelope.traceparent)

    async def _handle(self, topic: str, key: str, headers: dict[str, str], body: bytes, event: Event,
                      envelope: Envelope, handler: Handler, traceparent: str | None) -> Outcome:
        with log_context(event_id=envelope.id, event_type=envelope.type, traceparent=traceparent,
                         trace_id=envelope.trace_id, **log_fields(event)):
            delay = self.backoff
            for attempt in range(1, self.max_attempts + 1):
                try:
                    applied = await self.apply(topic, event, envelope, handler)
                    return Outcome("handled" if applied else "duplicate")
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 — any failure is retried, then parked
                    error = f"{type(exc).__name__}: {exc}"
                    if self.metrics is not None:
                        self.metrics.events_failed.labels(envelope.type).inc()
                    if attempt == self.max_attempts:
                        log.exception("event failed %d times; parking it on the dead-letter topic", attempt)
                        return await self._park(topic, key, headers, body, error, attempts=attempt)
                    log.warning("event handler failed (attempt %d of %d), retrying in %.1fs: %s",
                                attempt, self.max_attempts, delay, error)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)
        raise AssertionError("unreachable")

    async def apply(self, topic: str, event: Event, envelope: Envelope, handler: Handler) -> bool:
        """One attempt. False when the event was already applied (the inbox has its id)."""
        try:
            async with self.db.transaction() as session:
                try:
                    async with session.begin_nested():
                        await session.exec(sa.insert(self.inbox).values(
                            consumer=self.consumer, event_id=envelope.id, type=envelope.type, topic=topic,
                            processed_at=utcnow()))
                except IntegrityError:
                    raise _AlreadyApplied from None
                await handler(session, event, envelope)
        except _AlreadyApplied:
            log.info("duplicate event ignored")
            return False
        return True

    async def _park(self, topic: str, key: str, headers: dict[str, str], body: bytes, error: str,
                    attempts: int) -> Outcome:
        if self.dead_letter is None:
            raise RuntimeError(f"no dead-letter topic to park the event on: {error}")
        await self.dead_letter(topic, body, headers, key, error, attempts)
        log.error("event parked on the dead-letter topic", extra={"error": error, "source_topic": topic})
        return Outcome("dead_lettered", error)


class _AlreadyApplied(Exception):
    pass
