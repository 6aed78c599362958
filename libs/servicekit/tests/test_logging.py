"""servicekit.logging: AccessLog writes the very line the logger would (JSON and text), flushes it by
the end of the event loop's turn, and steps aside for anything else that listens."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given, settings, strategies as st

from servicekit.logging import AccessLog, ServiceHandler, configure_logging, log_context

FIELD = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"), max_size=12)


@contextmanager
def configured_as_a_service(fmt: str) -> Iterator[ServiceHandler]:
    """configure_logging as a service runs it, its stream a buffer; the root as it was, afterwards."""
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    try:
        configure_logging("gateway", fmt=fmt)
        handler = root.handlers[0]
        assert isinstance(handler, ServiceHandler)
        handler.setStream(io.StringIO())
        yield handler
    finally:
        root.handlers[:] = saved
        root.setLevel(level)


@pytest.fixture
def configured():
    with contextlib.ExitStack() as stack:
        yield lambda fmt: stack.enter_context(configured_as_a_service(fmt))


def written(handler: ServiceHandler) -> list[str]:
    return handler.stream.getvalue().split("\n")[:-1]


def without_time(line: str, fmt: str) -> str:
    """The line as written, its clock cut out: byte for byte the rest (key order, spacing, escapes)."""
    if fmt == "json":
        stamp = json.loads(line)["time"]
        assert line.count(stamp) == 1
        return line.replace(stamp, "")
    return line.partition(" ")[2]  # HH:MM:SS first


@settings(max_examples=60, deadline=None)
@given(fmt=st.sampled_from(["json", "text"]), message=FIELD, upstream=FIELD,
       duration=st.floats(min_value=0, max_value=1e6, allow_nan=False), user=st.none() | FIELD, clash=st.booleans())
def test_the_access_line_is_the_line_the_logger_writes(fmt, message, upstream, duration, user, clash):
    access = AccessLog("gateway.access")
    fields = {"upstream": upstream, "duration_ms": duration} | ({"trace_id": "the field's"} if clash else {})
    with configured_as_a_service(fmt) as handler, log_context(request_id="r-1", trace_id="t-1", user=user):
        logging.getLogger("gateway.access").info(message, extra=fields)
        access.info(message, fields)
    by_logger, by_access = written(handler)
    assert without_time(by_access, fmt) == without_time(by_logger, fmt)
    if fmt == "json":  # the same clock format, to the millisecond
        assert len(json.loads(by_access)["time"]) == len(json.loads(by_logger)["time"]) == 23


async def test_lines_of_one_turn_of_the_loop_go_out_in_one_flush(configured):
    handler = configured("json")
    flushes = []
    real_flush = handler.flush
    handler.flush = lambda: (flushes.append(len(written(handler))), real_flush())
    access = AccessLog("gateway.access")
    for number in range(3):
        access.info(f"GET /{number} 200", {})
    assert flushes == []  # not yet: the lines wait in stdout's buffer for the end of this turn
    await asyncio.sleep(0)
    assert flushes == [3]
    access.info("GET /3 200", {})
    await asyncio.sleep(0)
    assert flushes == [3, 4]
    assert [json.loads(line)["message"] for line in written(handler)] == [f"GET /{n} 200" for n in range(4)]


def test_outside_an_event_loop_the_line_is_flushed_at_once(configured):
    handler = configured("text")
    flushed = []
    handler.flush = lambda: flushed.append(True)
    AccessLog("gateway.access").info("GET / 200", {"upstream": "gateway"})
    assert flushed == [True]
    assert written(handler)[0].endswith("INFO  gateway.access: GET / 200  [upstream=gateway]")


class Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.mark.parametrize("where", ["root", "gateway", "gateway.access"])
def test_anything_else_that_listens_gets_the_line_from_the_logger(configured, where):
    handler, recorder = configured("json"), Recorder()
    listening = logging.getLogger("" if where == "root" else where)
    listening.addHandler(recorder)  # a test's capture, a second handler, one on a parent
    try:
        AccessLog("gateway.access").info("GET /plans 200", {"upstream": "plans"})
    finally:
        listening.removeHandler(recorder)
    assert [(r.getMessage(), r.upstream) for r in recorder.records] == [("GET /plans 200", "plans")]
    if where == "root":  # the service's own handler still wrote it
        assert json.loads(written(handler)[0])["upstream"] == "plans"


def test_a_logger_above_info_writes_nothing(configured):
    handler = configured("json")
    logger = logging.getLogger("gateway.access")
    logger.setLevel(logging.WARNING)
    try:
        AccessLog("gateway.access").info("GET / 200", {})
    finally:
        logger.setLevel(logging.NOTSET)
    assert written(handler) == []
