"""The Kafka bus of a service (FastStream over aiokafka).

- Producer: acks="all", idempotence off (see DEVELOPERS.md on Tansu), no linger; only the outbox
  relay and the dead-letter path publish.
- Consumer: one subscriber per service on every topic it handles, group id = service name,
  auto_offset_reset=earliest (a new group starts from the first event, never skips), auto-commit off
  and AckPolicy.NACK_ON_ERROR: the offset is committed after the handler's transaction; the
  Dispatcher retries with backoff and parks poison events on `<service>.dlq`, so a failing event
  neither spins nor is skipped silently.
- Topics are created at start with the configured partitions.
- The broker may lose what it had (the embedded Tansu keeps nothing on disk; a topic may be deleted
  and created again). `BrokerWatch` looks every second: the service's marker topic gone (created only
  after a full replay, so a restarted broker lacks it), a topic missing, a partition ending below the
  relay's last record there a second earlier (and a fetch not finding that record: Tansu's end offsets are
  short after a multi-record produce), or a commit refused for an unknown partition. Then it creates the topics
  again, restarts the consumer (it rejoins and starts from the earliest record: the group's offsets
  went with the broker; the inbox ignores what it already applied) and has the relay replay the
  retained outbox rows, in order. Identical client errors are logged with a count, not per poll.
- Readiness (`state()`): the consumer is assigned and fetching, the relay can publish."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError, UnknownTopicOrPartitionError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from contracts_schema.topics import dead_letter_topic
from servicekit.inbox import Dispatcher
from servicekit.outbox import OutboxMessage, OutboxRelay, Placed

log = logging.getLogger("servicekit.bus")


def marker_topic(service: str) -> str:
    """The topic whose presence says the broker still holds what this service's relay published."""
    return f"{service}.outbox-marker"


class RepeatCounter:
    """Says whether the n-th identical error should be logged: the 1st, 10th, 100th, ..."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def count(self, key: str) -> int | None:
        """The count when this occurrence is to be logged, else None."""
        n = self.counts[key] = self.counts.get(key, 0) + 1
        while n >= 10 and n % 10 == 0:
            n //= 10
        return self.counts[key] if n == 1 else None

    def reset(self, key: str | None = None) -> None:
        if key is None:
            self.counts.clear()
        else:
            self.counts.pop(key, None)


class _RepeatFilter(logging.Filter):
    """The Kafka client logs the same complaint on every retry (a broker away: ~60 lines a second);
    pass the 1st, 10th, 100th... of each, with the count."""

    def __init__(self) -> None:
        super().__init__()
        self.counter = RepeatCounter()
        self.seen: dict[str, float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        key = f"{record.name}:{record.getMessage()}"
        now = record.created
        if now - self.seen.get(key, now) > 60:  # quiet for a minute: a new episode
            self.counter.reset(key)
        self.seen[key] = now
        n = self.counter.count(key)
        if n is None:
            return False
        if n > 1:
            record.msg, record.args = f"{record.getMessage()} (repeated {n} times)", ()
        return True


_repeat_filter = _RepeatFilter()
logging.getLogger("aiokafka").addFilter(_repeat_filter)
for _name in ("aiokafka.conn", "aiokafka.cluster", "aiokafka.consumer.group_coordinator", "aiokafka.consumer.fetcher",
              "aiokafka.consumer.consumer", "aiokafka.producer.sender", "aiokafka.client"):
    logging.getLogger(_name).addFilter(_repeat_filter)


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
        self.subscriber: Any = None
        self.started = False
        self.commit_failures = RepeatCounter()
        self.topic_lost = False  # a commit was refused for an unknown topic or partition: BrokerWatch recovers
        self.recovering = False
        self.lost_since: float | None = None  # when BrokerWatch found the consumer's topics lost

    def subscribe(self, dispatcher: Dispatcher, topics: list[str]) -> None:
        """Routes every record of `topics` through the dispatcher, in order, one at a time; commits
        after each (a refused commit is counted, not fatal: the inbox ignores a redelivery)."""
        self.subscribed_topics = topics

        self.subscriber = self.broker.subscriber(
            *topics, group_id=self.service, auto_offset_reset="earliest", ack_policy=AckPolicy.MANUAL,
            decoder=_raw_body, session_timeout_ms=self.session_timeout_ms, fetch_max_wait_ms=self.fetch_max_wait_ms,
            heartbeat_interval_ms=max(300, self.session_timeout_ms // 3))

        @self.subscriber
        async def _on_record(message: KafkaMessage) -> None:
            record = message.raw_message
            headers = {k: v.decode() for k, v in (record.headers or ())}
            key = record.key.decode() if isinstance(record.key, bytes) else str(record.key or "")
            try:
                await dispatcher.deliver(record.topic, key, headers, record.value or b"")
            except BaseException:
                await message.nack()  # delivered again, never skipped
                raise
            await self._commit(message)

    async def _commit(self, message: KafkaMessage) -> None:
        try:
            await message.ack()
        except KafkaError as exc:
            error = describe(exc)
            if isinstance(exc, UnknownTopicOrPartitionError):
                self.topic_lost = True
            if (n := self.commit_failures.count(error)) is not None:
                log.warning("offset commit refused (%d time(s)): %s; the broker watch recovers the consumer",
                            n, error)
        else:
            self.commit_failures.reset()
            self.topic_lost = False

    def consumer(self) -> AIOKafkaConsumer | None:
        return getattr(self.subscriber, "consumer", None) if self.subscriber is not None else None

    def consumer_problem(self) -> str | None:
        """Why the consumer is not assigned and fetching, or None when it is (or there is none)."""
        if not self.subscribed_topics:
            return None
        consumer = self.consumer()
        if self.recovering or self.lost_since is not None:
            return "事件消费者正在恢复（代理丢失了主题）"
        if consumer is None:
            return "事件消费者未启动"
        if self.topic_lost:
            return "事件消费者的主题或分区已丢失"
        if not consumer.assignment():
            return "事件消费者尚未分配到分区"
        return None

    def consumer_covers(self) -> bool:
        """The consumer is assigned partitions of every topic it subscribes to."""
        consumer = self.consumer()
        return consumer is not None and {tp.topic for tp in consumer.assignment()} >= set(self.subscribed_topics)

    async def restart_consumer(self) -> None:
        """A fresh consumer: it rejoins the group and reads from the committed offsets, or from the
        earliest record where there are none (a broker that forgot its groups)."""
        if self.subscriber is None or not self.started:
            return
        await self.subscriber.stop()
        await self.subscriber.start()
        self.topic_lost = False
        self.commit_failures.reset()

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

    async def publish(self, messages: list[OutboxMessage]) -> list[Placed]:
        """Sends a batch (acks=all), waits until the broker has every one of them, and says where
        each went."""
        futures = [await self.broker.publish(m.body, topic=m.topic, key=m.key.encode(), headers=m.headers,
                                             no_confirm=True) for m in messages]
        return [Placed(r.topic, r.partition, r.offset) for r in await asyncio.gather(*futures)]

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


class BrokerWatch:
    """Finds out every `every` seconds whether the broker lost what it had, and rebuilds it from the
    outbox (see the module's doc). `problem` says why the service cannot publish or consume, for
    readiness."""

    def __init__(self, bus: KafkaBus, relay: OutboxRelay | None, produces: list[str]) -> None:
        self.bus = bus
        self.relay = relay
        self.produces = list(produces)
        self.marker = marker_topic(bus.service)
        self.problem: str | None = "尚未检查消息代理"
        self.marker_seen = False
        self.recoveries = 0
        self._probe: AIOKafkaConsumer | None = None
        self._cluster: Any = None  # aiokafka's ClusterMetadata of the last look
        self._failures = RepeatCounter()  # the broker not answering
        self._recovery_failures = RepeatCounter()  # a look or a recovery cut short after the broker answered
        self._lock = asyncio.Lock()
        self._settled: dict[tuple[str, int], int] = {}  # the relay's positions at the previous look
        if relay is not None:
            relay.verify = self.check

    async def check(self) -> None:
        """One look; recovers what it finds lost. Says so in `problem` when the broker does not answer."""
        async with self._lock:
            await self._check()
        if self.relay is not None:
            self.relay.verified = self.problem is None

    async def _check(self) -> None:
        try:
            topics = await self._topics()
        except Exception as exc:  # noqa: BLE001 — the broker away: say so, try again next time
            await self._drop_probe()
            error = describe(exc) if str(exc) else type(exc).__name__
            self.problem = f"消息代理无法连接：{error}"
            if (n := self._failures.count(error)) is not None:
                log.warning("the broker does not answer (%d time(s)): %s", n, error)
            return
        self._failures.reset()
        needed = self.bus.topics_needed(self.produces)
        missing = {t for t in needed if t not in topics}
        everything = self.relay is not None and self.marker not in topics
        lost = set(self.relay.lost) if self.relay else set()
        if self.relay and not everything:
            # Against the offsets of the previous look: records acknowledged a second ago at least; and a
            # partition that seems to end below one is lost only if a fetch does not find that record.
            settled, self._settled = self._settled, dict(self.relay.positions.last)
            settled = {tp: offset for tp, offset in settled.items() if tp[0] in topics}
            # A partition the topic no longer has (recreated with fewer: seen with the embedded broker) is
            # lost; asked for its end offset the client would wait for it until its timeout, every look.
            gone = {tp for tp in settled if tp[1] not in self._partitions(tp[0])}
            lost |= {topic for topic, _ in gone}
            settled = {tp: offset for tp, offset in settled.items() if tp not in gone}
            if settled:
                suspects = self.relay.positions.below_end_offsets(await self._end_offsets(list(settled)), settled)
                lost |= {topic for topic, _ in await self._not_found(suspects)}
        consumer_lost = bool(self.bus.subscribed_topics) and (
            bool(missing & set(self.bus.subscribed_topics)) or (self.marker_seen and self.marker not in topics))
        if consumer_lost and self.bus.lost_since is None:
            self.bus.lost_since = asyncio.get_running_loop().time()
        if missing or everything or lost:
            await self._recover(missing, everything, lost | (missing & set(self.produces)))
        await self._heal_consumer()
        self.marker_seen = self.marker_seen or self.marker in topics or everything
        self.problem = None

    async def _heal_consumer(self) -> None:
        """After its topics were lost the consumer rejoins the group by itself (the broker no longer
        knows it) and, with no committed offsets, reads from the earliest record. Restart it when a
        commit is refused for a partition the broker does not have although the topics exist again, or
        when it is still not assigned every topic after two session timeouts."""
        bus = self.bus
        if not bus.subscribed_topics:
            return
        now = asyncio.get_running_loop().time()
        if bus.lost_since is not None and bus.consumer_covers():
            log.info("the consumer fetches again, %.1f s after its topics were lost", now - bus.lost_since)
            bus.lost_since = None
        stuck = bus.lost_since is not None and now - bus.lost_since > 2 * bus.session_timeout_ms / 1000
        if bus.topic_lost or stuck:
            log.warning("restarting the consumer: %s", "a commit was refused for an unknown partition"
                        if bus.topic_lost else "not assigned every topic after two session timeouts")
            bus.recovering = True
            try:
                await bus.restart_consumer()
            finally:
                bus.recovering = False
            bus.lost_since = None

    async def _recover(self, missing: set[str], everything: bool, lost: set[str]) -> None:
        started = asyncio.get_running_loop().time()
        if self.marker_seen or missing - {self.marker}:
            log.warning("the broker lost what it had (%s); rebuilding it from the outbox",
                        "everything: restarted?" if everything else ", ".join(sorted(missing | lost)) or "offsets")
        self.problem = "消息代理丢失了数据，正在从发件箱恢复"
        await ensure_topics(self.bus.bootstrap, self.bus.topics_needed(self.produces), partitions=self.bus.partitions,
                            replication=self.bus.replication)
        self.bus.topic_lost = False  # a commit refused before the topics were back says nothing now
        replayed = 0
        if self.relay is not None and (everything or lost):
            topics = None if everything else lost
            self.relay.positions.forget(topics)
            self._settled = {}
            replayed = await self.relay.replay(topics)
            if everything:
                await ensure_topics(self.bus.bootstrap, [self.marker], partitions=1, replication=self.bus.replication)
        self.recoveries += 1
        log.info("broker rebuilt in %.1f s: %d outbox row(s) published again",
                 asyncio.get_running_loop().time() - started, replayed)

    async def run(self, every: float = 1.0) -> None:
        try:
            while True:
                try:
                    await self.check()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 — a recovery cut short: again next time
                    self.problem = f"从发件箱恢复失败：{describe(exc)}"
                    await self._drop_probe()
                    if (n := self._recovery_failures.count(describe(exc))) is not None:
                        log.warning("rebuilding the broker failed (%d time(s)): %s", n, describe(exc))
                else:
                    self._recovery_failures.reset()
                await asyncio.sleep(every)
        finally:
            await self._drop_probe()

    async def _topics(self) -> set[str]:
        if self._probe is None:
            probe = AIOKafkaConsumer(bootstrap_servers=self.bus.bootstrap, group_id=None, enable_auto_commit=False,
                                     request_timeout_ms=3000, client_id=f"{self.bus.service}-watch")
            await asyncio.wait_for(probe.start(), timeout=5)
            self._probe = probe
        # The whole cluster's metadata, fresh at every look (what the probe's client keeps is refreshed
        # only now and then: a partition added or gone since would be unknown to it).
        self._cluster = await asyncio.wait_for(self._probe._client.fetch_all_metadata(), timeout=5)
        return set(self._cluster.topics())

    def _partitions(self, topic: str) -> set[int]:
        return set(self._cluster.partitions_for_topic(topic) or ()) if self._cluster is not None else set()

    async def _end_offsets(self, partitions: list[tuple[str, int]]) -> dict[tuple[str, int], int]:
        if not partitions or self._probe is None:
            return {}
        # the client asks the partitions' leaders from its own metadata: bring it up to this look's
        await asyncio.wait_for(self._probe._client.force_metadata_update(), timeout=5)
        ends = await asyncio.wait_for(self._probe.end_offsets([TopicPartition(t, p) for t, p in partitions]),
                                      timeout=5)
        return {(tp.topic, tp.partition): offset for tp, offset in ends.items()}

    async def _not_found(self, suspects: dict[tuple[str, int], int], timeout: float = 2.0) -> set[tuple[str, int]]:
        """Of the partitions whose reported end is below our record at `offset`, those where a fetch
        from that offset finds nothing. Tansu reports the end of a partition as the base offset of its
        last produce batch + 1 (README, "The embedded broker"), so the report alone does not prove a
        loss; the fetch (a record at or after the offset, or a high watermark above it) disproves one."""
        if not suspects or self._probe is None:
            return set(suspects)
        probe, loop = self._probe, asyncio.get_running_loop()
        wanted = {TopicPartition(topic, partition): offset for (topic, partition), offset in suspects.items()}
        found: set[TopicPartition] = set()
        probe.assign(list(wanted))
        try:
            for tp, offset in wanted.items():
                probe.seek(tp, offset)
            deadline = loop.time() + timeout
            while len(found) < len(wanted) and loop.time() < deadline:
                batch = await probe.getmany(*(tp for tp in wanted if tp not in found), timeout_ms=500)
                found |= {tp for tp, records in batch.items() if any(r.offset >= wanted[tp] for r in records)}
                found |= {tp for tp in wanted if (probe.highwater(tp) or 0) > wanted[tp]}
        finally:
            probe.unsubscribe()
        return {(tp.topic, tp.partition) for tp in wanted if tp not in found}

    async def _drop_probe(self) -> None:
        probe, self._probe = self._probe, None
        if probe is not None:
            try:
                await asyncio.wait_for(probe.stop(), timeout=5)
            except Exception:  # noqa: BLE001 — closing a client of a broker that went away
                pass


class KafkaFigures:
    """What /metrics shows of the broker, read when it is scraped (never on the hot path): records on
    the service's dead-letter topic (end - beginning offsets) and its consumer group's lag per
    partition (end offset - committed offset, from the group's committed offsets: the whole group's,
    whichever replica reads the partition). Its own clients, dropped after an error, made again at the
    next scrape."""

    def __init__(self, bus: KafkaBus) -> None:
        self.bus = bus
        self._probe: AIOKafkaConsumer | None = None
        self._admin: AIOKafkaAdminClient | None = None

    async def read(self) -> tuple[dict[str, int], dict[tuple[str, int], int]]:
        from servicekit.metrics import consumer_lag

        dlq = dead_letter_topic(self.bus.service)
        try:
            probe = await self._probe_client()
            known = await probe.topics()
            topics = [t for t in (dlq, *self.bus.subscribed_topics) if t in known]
            partitions = [TopicPartition(t, p) for t in topics for p in sorted(probe.partitions_for_topic(t) or ())]
            ends = await probe.end_offsets(partitions) if partitions else {}
            beginnings = await probe.beginning_offsets(partitions) if partitions else {}
            committed: dict[TopicPartition, Any] = {}
            group_partitions = [tp for tp in partitions if tp.topic != dlq]
            if group_partitions:
                # Name the partitions: asked for "all of the group's" the embedded broker answers a
                # frame the client cannot read (and the connection is dropped).
                admin = await self._admin_client()
                committed = await admin.list_consumer_group_offsets(self.bus.service, partitions=group_partitions)
        except BaseException:
            await self.close()
            raise
        sizes = {dlq: sum(max(0, ends[tp] - beginnings.get(tp, 0)) for tp in partitions if tp.topic == dlq)}
        lag = {(tp.topic, tp.partition): consumer_lag(ends[tp], getattr(committed.get(tp), "offset", None),
                                                      beginnings.get(tp, 0))
               for tp in partitions if tp.topic != dlq}
        return sizes, lag

    async def _probe_client(self) -> AIOKafkaConsumer:
        if self._probe is None:
            probe = AIOKafkaConsumer(bootstrap_servers=self.bus.bootstrap, group_id=None, enable_auto_commit=False,
                                     request_timeout_ms=3000, client_id=f"{self.bus.service}-metrics")
            self._probe = probe  # closed by close() even when it does not start
            await probe.start()
        return self._probe

    async def _admin_client(self) -> AIOKafkaAdminClient:
        if self._admin is None:
            admin = AIOKafkaAdminClient(bootstrap_servers=self.bus.bootstrap, request_timeout_ms=3000,
                                        client_id=f"{self.bus.service}-metrics")
            self._admin = admin
            await admin.start()
        return self._admin

    async def close(self) -> None:
        probe, admin, self._probe, self._admin = self._probe, self._admin, None, None
        for client in (probe, admin):
            if client is not None:
                try:
                    await asyncio.wait_for(client.close() if client is admin else client.stop(), timeout=5)
                except Exception:  # noqa: BLE001 — closing a client of a broker that went away
                    pass


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
