"""Structured logs: one JSON object per line (or readable text in the embedded default), always with
the service name and whatever the current context names: request id, trace id, project, contract,
order, plan, event.

    with log_context(project_id=p.id):
        log.info("quote recorded", extra={"supplier_id": s})
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from pythonjsonlogger.orjson import OrjsonFormatter, orjson_default

_context: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("log_context", default={})
TEXT_TIME = "%H:%M:%S"  # the embedded default's readable lines
# How long AccessLog's lines are kept before one write takes them all: measured in the gateway under load
# (issue 14), a line written at once was a write system call a request, a third of all its writes.
FLUSH_AFTER = 0.05
FLUSH_LINES = 256  # or as soon as this many are kept
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Adds fields to every log line written inside the block (and in tasks it spawns)."""
    token = _context.set({**_context.get(), **{k: v for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


def bind_context(**fields: Any) -> None:
    """Adds fields for the rest of the current task (a request, a handled event)."""
    _context.set({**_context.get(), **{k: v for k, v in fields.items() if v is not None}})


def current_context() -> dict[str, Any]:
    return dict(_context.get())


class _ContextFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        for key, value in _context.get().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        extras = " ".join(f"{k}={v}" for k, v in record.__dict__.items()
                          if k not in _STANDARD and k not in ("service", "color_message") and not k.startswith("_"))
        line = f"{self.formatTime(record, TEXT_TIME)} {record.levelname:<5} {record.name}: {record.getMessage()}"
        if extras:
            line += f"  [{extras}]"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class ServiceHandler(logging.StreamHandler):
    """The one handler configure_logging installs: every line to stdout, JSON or text, with the service
    name and the log context. It also writes AccessLog's lines, which skip the logging machinery."""

    def __init__(self, service: str, fmt: str) -> None:
        super().__init__(sys.stdout)
        self.service = service
        self.json = fmt == "json"
        self._kept: list[str] = []  # AccessLog's lines not yet written (write_soon)
        self._flush_soon = False
        self._second = -1
        self._stamp = ""

    def line(self, logger: str, message: str, fields: dict[str, Any], now: float) -> str:
        """What format(record) gives for an INFO record of `logger` with `fields` as its extra
        (tests/test_logging.py holds the two together)."""
        second = int(now)
        if second != self._second:  # strftime once a second, not once a line
            self._second = second
            self._stamp = time.strftime(logging.Formatter.default_time_format if self.json else TEXT_TIME,
                                        time.localtime(now))
        context = _context.get()
        if self.json:
            stamp = logging.Formatter.default_msec_format % (self._stamp, int((now - second) * 1000))
            data = {"time": stamp, "level": "INFO", "logger": logger,
                    "message": message, **fields, "service": self.service}
            for key, value in context.items():
                data.setdefault(key, value)
            return orjson.dumps(data, default=orjson_default, option=orjson.OPT_NON_STR_KEYS).decode()
        extras = " ".join([*(f"{k}={v}" for k, v in fields.items() if k != "service"),
                           *(f"{k}={v}" for k, v in context.items() if k not in fields and k != "service")])
        return f"{self._stamp} INFO  {logger}: {message}" + (f"  [{extras}]" if extras else "")

    def write_soon(self, line: str) -> None:
        """Keeps the line for FLUSH_AFTER seconds, then writes it with the others kept meanwhile in one
        write to stdout: a system call for the requests of a twentieth of a second, not one a request
        (stdout is unbuffered where the platform runs: PYTHONUNBUFFERED). At once outside an event loop;
        kept lines go out first when any other record is written, when FLUSH_LINES are kept, and on
        flush() (logging.shutdown calls it at exit)."""
        with self.lock:  # type: ignore[union-attr]  # a record of another thread may be writing them
            self._kept.append(line)
        if len(self._kept) >= FLUSH_LINES:
            self.flush()
            return
        if self._flush_soon:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        self._flush_soon = True
        loop.call_later(FLUSH_AFTER, self._flush_later)

    def _flush_later(self) -> None:
        self._flush_soon = False
        self.flush()

    def _write_kept(self) -> None:
        if self._kept:
            with self.lock:  # type: ignore[union-attr]
                lines, self._kept = self._kept, []
                if lines:
                    self.stream.write("\n".join(lines) + "\n")

    def emit(self, record: logging.LogRecord) -> None:
        self._write_kept()  # the lines stay in the order they were made
        super().emit(record)

    def flush(self) -> None:
        self._write_kept()
        super().flush()


class AccessLog:
    """One line per request, at INFO, the same line the logger would write, for about a fifth of its CPU.

    Measured in the gateway (issue 14): `log.info(...)` of the access line cost ~90 µs of CPU a request
    under load — LogRecord, caller lookup, filter, python-json-logger, a flush per line — as much as the
    whole pass-through. Here the line is rendered straight from its fields and written with the others
    of the next FLUSH_AFTER seconds in one write (a hard kill loses at most those). Wherever anything
    else listens (a handler on the logger or a parent, a test's capture, no configure_logging), the line
    goes through the logger as usual."""

    def __init__(self, name: str) -> None:
        self.logger = logging.getLogger(name)

    def info(self, message: str, fields: dict[str, Any]) -> None:
        logger = self.logger
        if not logger.isEnabledFor(logging.INFO):
            return
        handler = _only_service_handler(logger)
        if handler is None:
            logger.info(message, extra=fields)
            return
        handler.write_soon(handler.line(logger.name, message, fields, time.time()))


def _only_service_handler(logger: logging.Logger) -> ServiceHandler | None:
    """configure_logging's handler, when it is all that would see the logger's INFO lines."""
    current: logging.Logger | None = logger
    while current is not None:
        if current.filters:
            return None
        if current.handlers:
            only = current.handlers[0]
            if (current.parent is None and len(current.handlers) == 1 and isinstance(only, ServiceHandler)
                    and only.level <= logging.INFO):
                return only
            return None
        if not current.propagate:
            return None
        current = current.parent
    return None


def configure_logging(service: str, *, level: str = "INFO", fmt: str = "json") -> None:
    handler = ServiceHandler(service, fmt)
    if fmt == "json":  # orjson: a line in about a tenth of the CPU of json.dumps (bench/README.md, issue 14)
        handler.setFormatter(OrjsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s",
                                             rename_fields={"asctime": "time", "levelname": "level",
                                                            "name": "logger"}))
    else:
        handler.setFormatter(_TextFormatter())
    handler.addFilter(_ContextFilter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "uvicorn.access", "faststream", "sqlalchemy.engine", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
