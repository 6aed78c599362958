"""The process set of `devstack up` under circus (a process manager, not code of our own).

circus's arbiter runs in the `devstack up` process and watches one process per watcher: a process that
dies (a crash, a SIGKILL) is started again alone while the others keep running; one that dies again
within FLAPPING_WINDOW s is held back RETRY_IN s before each new try, never given up (the watcher's own
backoff, below: circus's flapping plugin lost its start command). `devstack status | restart NAME | stop` talk to the arbiter over a unix socket in the var
folder. Ctrl-C (or SIGTERM) on `devstack up` stops every process (SIGTERM, then SIGKILL after
GRACEFUL_TIMEOUT s) and exits. Every line a process writes is printed prefixed with its name."""

from __future__ import annotations

import datetime
import logging
import os
import select
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

FLAPPING_WINDOW = 30.0
RETRY_IN = 5.0
GRACEFUL_TIMEOUT = 10.0
CHECK_DELAY = 0.5

_COLOURS = (36, 33, 32, 35, 34, 31, 96, 93, 92, 95)
_print_lock = threading.Lock()
_width = 10



def endpoint(var: Path) -> str:
    return f"ipc://{var.resolve() / 'devstack.sock'}"


def _events(var: Path) -> str:
    return f"ipc://{var.resolve() / 'devstack-events.sock'}"


def say(name: str, text: str, colour: int | None = None) -> None:
    """One line (or several) on the terminal as `HH:MM:SS name | text`, the way honcho printed them."""
    stamp = datetime.datetime.now().strftime("%H:%M:%S")
    prefix = f"{stamp} {name:<{_width}} | "
    if colour is not None and sys.stdout.isatty():
        prefix = f"\033[{colour}m{prefix}\033[0m"
    with _print_lock:
        for line in text.rstrip("\n").split("\n"):
            sys.stdout.write(prefix + line + "\n")
        sys.stdout.flush()


class PrefixedOutput:
    """A circus stream: the bytes a process writes, printed line by line under its name."""

    def __init__(self, name: str, colour: int | None) -> None:
        self.name, self.colour = name, colour
        self.partial = b""

    def __call__(self, data: dict[str, Any]) -> None:
        chunk = data["data"]
        *lines, self.partial = (self.partial + (chunk if isinstance(chunk, bytes) else chunk.encode())).split(b"\n")
        if lines:
            say(self.name, b"\n".join(lines).decode(errors="replace"), self.colour)

    def close(self) -> None:
        if self.partial:
            say(self.name, self.partial.decode(errors="replace"), self.colour)
            self.partial = b""


def _exited(watcher: Any, arbiter: Any, hook_name: str, **info: Any) -> bool:
    """circus's after_reap hook: say which process ended and how (circus starts it again unless stopping)."""
    code = info.get("exit_code")
    how = f"signal {-code}" if isinstance(code, int) and code < 0 else f"exit code {code}"
    say("circus", f"{watcher.name} (pid {info.get('process_pid')}) ended with {how}")
    return True


class _CircusLog(logging.Handler):
    """circus's and its event loop's log lines, under the name circus; the loop's periodic check that
    meets a stop under way (ConflictError, harmless) is left out."""

    def filter(self, record: logging.LogRecord) -> bool:
        from circus.exc import ConflictError

        return not (record.exc_info and isinstance(record.exc_info[1], ConflictError))

    def emit(self, record: logging.LogRecord) -> None:
        say("circus", self.format(record))


def _drain(redirector: Any, process: Any) -> None:
    """Prints what a dead process wrote last and unregisters its pipes from the event loop while they are
    still open. circus's reap closes them without unregistering when it runs before the pipes' end was
    read: the loop keeps a handler for a closed fd, and the next process of any watcher that gets that fd
    number fails to start ("error in 'contracts': fd 23 added twice", seen in the chaos matrix: 8 s
    without contracts)."""
    for name, pipe in redirector.get_process_pipes(process):
        try:
            fd = pipe.fileno()
        except ValueError:
            continue  # closed already
        while select.select([fd], [], [], 0)[0]:
            try:
                data = os.read(fd, 65536)
            except OSError:
                break
            if not data:
                break
            redirector.redirect[name]({"data": data, "pid": process.pid, "name": name})
        redirector.remove_fd(fd)


def _reaping_watcher() -> type:
    """circus's Watcher with three changes, all inside the arbiter's own loop:

    - a dead process its periodic check finds before the SIGCHLD handler does is reaped. circus 0.19's
      manage_processes drops such a process silently: no `reap` event and no after_reap hook (no "ended
      with" line, and the death is not counted below). On a busy machine the check often comes first.
    - the backoff: a process that dies again within FLAPPING_WINDOW s of its last death is not started
      again for RETRY_IN s. circus's flapping plugin did this by casting `stop` and, RETRY_IN s later,
      `start` from a timer thread; when the stop was still under way (a process slow to end on SIGTERM)
      the arbiter refused the start as a conflict, a cast has no answer, and the process stayed stopped
      for good (seen: catalog, and contracts in the chaos sample, never started again).
    - a dead process's pipes are read to their end and unregistered before circus closes them (_drain)."""
    from circus.process import DEAD_OR_ZOMBIE, UNEXISTING
    from circus.watcher import Watcher
    from tornado import gen

    class ReapingWatcher(Watcher):
        last_death: float | None = None
        held_until = 0.0
        tries = 0

        def reap_process(self, pid, status=None):  # type: ignore[no-untyped-def]
            process = self.processes.get(pid)
            if process is not None:
                if not self.is_stopping() and not self.is_stopped():
                    self._died(time.monotonic())
                if self.stream_redirector:
                    _drain(self.stream_redirector, process)
            return super().reap_process(pid, status)

        def _died(self, now: float) -> None:
            if self.last_death is not None and now - self.last_death <= FLAPPING_WINDOW:
                self.tries += 1
                self.held_until = now + RETRY_IN
                say("circus", f"{self.name}: flapping detected: died twice within {FLAPPING_WINDOW:g} s, "
                              f"started again in {RETRY_IN:g} s (attempt number {self.tries})")
                self.last_death = None  # the next two deaths count afresh, as circus's plugin did
            else:
                self.tries = 0
                self.last_death = now

        @gen.coroutine
        def manage_processes(self):  # type: ignore[no-untyped-def]
            if not self.is_stopped():
                for process in list(self.processes.values()):
                    if process.status in (DEAD_OR_ZOMBIE, UNEXISTING):
                        self.reap_process(process.pid)
                if not self.processes and time.monotonic() < self.held_until:
                    return  # held back; the arbiter's next check (every CHECK_DELAY s) looks again
            yield super().manage_processes()

        @gen.coroutine
        def _start(self):  # type: ignore[no-untyped-def]
            self.held_until, self.last_death = 0.0, None  # an operator's start or restart is not held back
            yield super()._start()

    return ReapingWatcher


def _before_each_start(prepare: Callable[[], None]) -> Callable[..., bool]:
    """circus's before_spawn hook: `prepare()` runs before every start of the process; what it raises is
    printed and the process is started anyway."""

    def hook(watcher: Any, arbiter: Any, hook_name: str, **info: Any) -> bool:
        try:
            prepare()
        except Exception as exc:  # noqa: BLE001 — a failed preparation must not keep the process down
            say("circus", f"{watcher.name}: before its start: {exc}")
        return True

    return hook


def run(processes: dict[str, tuple[list[str], dict[str, str]]], var: Path,
        before_start: dict[str, Callable[[], None]] | None = None) -> None:
    """Runs {name: (command, environment)} until Ctrl-C, SIGTERM or `devstack stop` (blocks);
    `before_start[name]()` runs before every start of that process."""
    from circus.arbiter import Arbiter

    Watcher = _reaping_watcher()  # noqa: N806

    global _width
    _width = max(len(name) for name in (*processes, "devstack", "circus"))
    for logger in (logging.getLogger("circus"), logging.getLogger("tornado")):
        logger.handlers[:] = [_CircusLog()]
        logger.setLevel(logging.INFO)
        logger.propagate = False
    watchers = []
    for index, (name, (command, env)) in enumerate(processes.items()):
        colour = _COLOURS[index % len(_COLOURS)]
        watchers.append(Watcher(
            name, command[0], args=command[1:], env=env, copy_env=False,
            stdout_stream={"stream": PrefixedOutput(name, colour)},
            stderr_stream={"stream": PrefixedOutput(name, colour)},
            graceful_timeout=GRACEFUL_TIMEOUT, stop_children=True, max_retry=-1,
            hooks={"after_reap": (_exited, False),
                   **({"before_spawn": (_before_each_start(before_start[name]), False)}
                      if name in (before_start or {}) else {})},
            priority=len(processes) - index))  # started in the order given
    arbiter = Arbiter(watchers, endpoint(var), _events(var), check_delay=CHECK_DELAY, multicast_endpoint=None,
                      loglevel="info")
    try:
        arbiter.start()
    finally:
        for path in var.resolve().glob("devstack*.sock"):
            path.unlink(missing_ok=True)


# ------------------------------------------------------------------- talking to a running `devstack up`

class NotRunning(Exception):
    pass


class Refused(Exception):
    """The arbiter answered with an error (an unknown process name …)."""


def call(var: Path, command: str, timeout: float = 30.0, **properties: Any) -> dict[str, Any]:
    from circus.client import CircusClient
    from circus.exc import CallError

    if not (var.resolve() / "devstack.sock").exists():
        raise NotRunning(f"no platform is running from {var} (start it with `make run`)")
    client = CircusClient(endpoint=endpoint(var), timeout=timeout)
    try:
        answer = client.send_message(command, **properties)
    except CallError as exc:
        raise NotRunning(f"the platform started from {var} does not answer: {exc}") from exc
    finally:
        client.stop()
    if answer.get("status") != "ok":
        raise Refused(answer.get("reason") or str(answer))
    return answer


def status(var: Path) -> list[dict[str, Any]]:
    """Each process: name, state (active, stopped …), pid and uptime in seconds (None when not running)."""
    states = call(var, "status")["statuses"]
    infos = call(var, "stats")["infos"]
    rows = []
    for name in sorted(states):
        running = [info for info in (infos.get(name) or {}).values() if isinstance(info, dict)]
        first = running[0] if running else None
        rows.append({"name": name, "state": states[name], "pid": first["pid"] if first else None,
                     "uptime": first["age"] if first else None})
    return rows


def restart(var: Path, name: str, timeout: float = 30.0) -> None:
    """Restarts one process and waits until it runs again. Right after a crash circus may be starting it
    already (or holding it back); a restart then can fail inside circus ("fd added
    twice") and leave the watcher stopped for good — seen with `devstack restart broker` after a SIGKILL
    (the chaos matrix). A stopped watcher is started again here."""
    try:
        call(var, "restart", name=name, waiting=True)
    except Refused:
        if name not in {row["name"] for row in status(var)}:
            raise
    deadline = time.monotonic() + timeout
    while True:
        row = next(row for row in status(var) if row["name"] == name)
        if row["state"] == "active" and row["pid"]:
            return
        if row["state"] == "stopped":
            call(var, "start", name=name, waiting=True)
        if time.monotonic() > deadline:
            raise Refused(f"{name} is {row['state']} {timeout:g} s after the restart")
        time.sleep(0.2)


def stop(var: Path) -> None:
    call(var, "quit", waiting=True)
