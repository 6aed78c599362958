"""servicekit.logging: AccessLog writes the very line the logger would (JSON and text), flushes the lines
of FLUSH_AFTER seconds in one write, and steps aside for anything else that listens."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given, settings, strategies as st

from servicekit.logging import FLUSH_AFTER, FLUSH_LINES, AccessLog, ServiceHandler, configure_logging, log_context

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


def count_writes(handler: ServiceHandler) -> list[int]:
    """The lines each write to the handler's stream carried."""
    writes: list[int] = []
    real_write = handler.stream.write
    handler.stream.write = lambda text: (writes.append(text.count("\n")), real_write(text))[1]
    return writes


async def test_the_lines_of_a_twentieth_of_a_second_go_out_in_one_write(configured, monkeypatch):
    handler = configured("json")
    writes, timers = count_writes(handler), []
    monkeypatch.setattr(asyncio.get_running_loop(), "call_later",
                        lambda delay, callback: timers.append((delay, callback)))  # the clock, by hand
    access = AccessLog("gateway.access")
    for number in range(3):
        access.info(f"GET /{number} 200", {})
    assert writes == [] and [delay for delay, _ in timers] == [FLUSH_AFTER]  # one timer for the three
    timers.pop()[1]()
    assert writes == [3]
    access.info("GET /3 200", {})
    timers.pop()[1]()
    assert writes == [3, 1] and timers == []
    assert [json.loads(line)["message"] for line in written(handler)] == [f"GET /{n} 200" for n in range(4)]


async def test_kept_lines_go_out_before_any_other_record_and_when_there_are_many(configured, monkeypatch):
    handler = configured("text")
    writes = count_writes(handler)
    monkeypatch.setattr(asyncio.get_running_loop(), "call_later", lambda delay, callback: None)  # never fires
    access = AccessLog("gateway.access")
    access.info("GET /a 200", {})
    logging.getLogger("gateway.edge").warning("a record through the logger")
    assert [line.partition(" ")[2] for line in written(handler)] == [
        "INFO  gateway.access: GET /a 200", "WARNING gateway.edge: a record through the logger"]
    for number in range(FLUSH_LINES):
        access.info(f"GET /{number} 200", {})
    assert writes[2:] == [FLUSH_LINES] and len(written(handler)) == 2 + FLUSH_LINES


def test_a_line_still_waiting_when_the_process_exits_is_written():
    program = ("import asyncio\n"
               "from servicekit.logging import AccessLog, configure_logging\n"
               "configure_logging('gateway', fmt='json')\n"
               "async def main():\n"
               "    AccessLog('gateway.access').info('GET /last 200', {})\n"
               "asyncio.run(main())\n")  # the loop closes before the timer's flush
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=True)
    assert [json.loads(line)["message"] for line in out.stdout.splitlines()] == ["GET /last 200"]


def test_outside_an_event_loop_the_line_is_written_at_once(configured):
    handler = configured("text")
    writes = count_writes(handler)
    AccessLog("gateway.access").info("GET / 200", {"upstream": "gateway"})
    assert writes == [1]
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
