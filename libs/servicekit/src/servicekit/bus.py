"""The Kafka bus of a service (FastStream over aiokafka).

- Producer: acks="all", idempotence off (see DEVELOPERS.md on Tansu), no linger; only the outbox
  relay and the dead-letter path publish.
- Consumer: one subscriber per service on every topic it handles, group id = service name,
  auto_offset_reset=earliest (a new group starts from the first event, never skips), auto-commit off
  and AckPolicy.NACK_ON_ERROR: the offset is committed after the handler's transaction; the
  Dispatcher retries with backoff and parks poison events on `<service>.dlq`, so a failing event
  neither spins nor is skipped silently.
- Topics are created at start with the configured partitions."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from contracts_schema.topics import dead_letter_topic
from servicekit.inbox import Dispatcher
from servicekit.outbox import OutboxMessage

log = logging.getLogger("servicekit.bus")


class BrokerUnreachable(Exception):
    pass


async def ensure_topics(bootstrap: str, topics: list[str], *, partitions: int, replication: int = 1,
                        timeout: float = 15.0) -> None:
    """Creates the missing topics; waits up to `timeout` seconds for the broker, then raises
    BrokerUnreachable with the reason."""
    deadline = asyncio.get_running_loop().time() + timeout
    last_error: Exception | None = None
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
        try:
            await asyncio.wait_for(admin.start(), timeout=max(0.5, deadline - asyncio.get_running_loop().time()))
            existing = set(await admin.list_topics())
            missing = [t for t in topics if t not in existing]
            if missing:
                try:
                    await admin.create_topics([NewTopic(t, num_partitions=partitions, replication_factor=replication)
                                               for t in missing])
                except TopicAlreadyExistsError:
                    pass  # another service created it meanwhile
                log.info("created topics %s", ", ".join(missing))
            return
        except (KafkaError, OSError, TimeoutError) as exc:
            last_error = exc
        finally:
            try:
                await admin.close()
            except Exception:  # noqa: BLE001 — closing a client that never connected
                pass
        if asyncio.get_running_loop().time() >= deadline:
            reason = f"{type(last_error).__name__}: {last_error}" if str(last_error) else type(last_error).__name__
            raise BrokerUnreachable(reason)
        await asyncio.sleep(0.5)


class KafkaBus:
    def __init__(self, service: str, bootstrap: str, *, partitions: int = 3, replication: int = 1,
                 session_timeout_ms: int = 10000, fetch_max_wait_ms: int = 500) -> None:
        self.service = service
        self.session_timeout_ms = session_timeout_ms
        self.fetch_max_wait_ms = fetch_max_wait_ms
        self.bootstrap = bootstrap
        self.partitions = partitions
        self.replication = replication
        self.broker = KafkaBroker(
            bootstrap, acks="all", enable_idempotence=False, linger_ms=0, client_id=service,
            logger=_quiet_logger(f"{service}.kafka"), log_level=logging.DEBUG,
        )
        self.subscribed_topics: list[str] = []
        self.started = False

    def subscribe(self, dispatcher: Dispatcher, topics: list[str]) -> None:
        """Routes every record of `topics` through the dispatcher, in order, one at a time."""
        self.subscribed_topics = topics

        @self.broker.subscriber(*topics, group_id=self.service, auto_offset_reset="earliest",
                                ack_policy=AckPolicy.NACK_ON_ERROR, decoder=_raw_body,
                                session_timeout_ms=self.session_timeout_ms, fetch_max_wait_ms=self.fetch_max_wait_ms,
                                heartbeat_interval_ms=max(300, self.session_timeout_ms // 3))
        async def _on_record(message: KafkaMessage) -> None:
            record = message.raw_message
            headers = {k: v.decode() for k, v in (record.headers or ())}
            key = record.key.decode() if isinstance(record.key, bytes) else str(record.key or "")
            await dispatcher.deliver(record.topic, key, headers, record.value or b"")

    def topics_needed(self, produces: list[str]) -> list[str]:
        return sorted({*produces, *self.subscribed_topics, dead_letter_topic(self.service)})

    async def start(self, produces: list[str], timeout: float) -> None:
        await ensure_topics(self.bootstrap, self.topics_needed(produces), partitions=self.partitions,
                            replication=self.replication, timeout=timeout)
        await self.broker.start()
        self.started = True

    async def close(self) -> None:
        if self.started:
            await self.broker.stop()
            self.started = False

    async def publish(self, messages: list[OutboxMessage]) -> None:
        """Sends a batch (acks=all) and waits until the broker has every one of them."""
        futures = [await self.broker.publish(m.body, topic=m.topic, key=m.key.encode(), headers=m.headers,
                                             no_confirm=True) for m in messages]
        await asyncio.gather(*futures)

    async def dead_letter(self, topic: str, body: bytes, headers: dict[str, str], key: str, error: str,
                          attempts: int) -> None:
        await self.broker.publish(body, topic=dead_letter_topic(self.service), key=key.encode() or None, headers={
            **headers, "x-dlq-source-topic": topic, "x-dlq-consumer": self.service,
            "x-dlq-error": error[:2000], "x-dlq-attempts": str(attempts),
        })

    async def ping(self) -> bool:
        try:
            return self.started and await self.broker.ping(timeout=2.0)
        except Exception:  # noqa: BLE001
            return False


async def _raw_body(message: Any) -> bytes:
    """No decoding by FastStream: a body that is not JSON must reach the Dispatcher (which parks it),
    not fail before it and be redelivered forever."""
    return message.body


def describe(exc: Any) -> str:
    """One line: the root error's type and first line (SQLAlchemy wraps the driver's error)."""
    exc = getattr(exc, "orig", None) or exc
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _quiet_logger(name: str) -> logging.Logger:
    """FastStream logs every consumed message; keep its chatter to warnings and errors."""
    logger = logging.getLogger(name)
    logger.setLevel(logging.WARNING)
    return logger
