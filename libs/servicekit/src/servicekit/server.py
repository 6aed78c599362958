"""The HTTP protocol every process serves with: uvicorn's httptools protocol, its writes joined.

uvicorn writes a response's status line and headers in one `transport.write` and each body part in
another, and uvloop sends each write to the socket at once: two `send` system calls for every small
answer. Measured in the gateway under load (issue 14), joining them took its CPU per proxied request
from ~150 to ~110 µs (bench/README.md, "The gateway's CPU").

`JoinedWrites` stands between uvicorn and the socket's transport: a write is kept until the end of
the current turn of the event loop, and what the turn wrote leaves in one write. Nothing waits
longer than that turn; a write of JOIN_BELOW bytes or more, or what is kept reaching it, goes out at
once (a download streamed without a pause is never held whole); close and write_eof send what is
kept first; abort drops it. It is given to uvicorn through its own
extension point, `uvicorn.run(http=JoinedHttpToolsProtocol)`: uvicorn itself is not patched."""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

JOIN_BELOW = 64 * 1024


class JoinedWrites:
    """A transport that hands its writes to `transport` once per turn of the event loop."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self.transport = transport
        self.loop = loop
        self.kept: list[bytes] = []
        self.kept_bytes = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self.kept:
            if len(data) >= JOIN_BELOW:
                self.transport.write(data)
                return
            self.loop.call_soon(self.flush)
        self.kept.append(bytes(data))
        self.kept_bytes += len(data)
        if self.kept_bytes >= JOIN_BELOW:
            self.flush()

    def writelines(self, lines: Any) -> None:
        for data in lines:
            self.write(data)

    def flush(self) -> None:
        """Sends what is kept (a flush scheduled before it ran finds nothing and does nothing)."""
        if not self.kept:
            return
        kept, self.kept, self.kept_bytes = self.kept, [], 0
        if not self.transport.is_closing():
            self.transport.write(kept[0] if len(kept) == 1 else b"".join(kept))

    def get_write_buffer_size(self) -> int:
        return self.transport.get_write_buffer_size() + self.kept_bytes

    def write_eof(self) -> None:
        self.flush()
        self.transport.write_eof()

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def abort(self) -> None:
        self.kept, self.kept_bytes = [], 0
        self.transport.abort()

    def __getattr__(self, name: str) -> Any:  # is_closing, get_extra_info, pause_reading, set_protocol, ...
        return getattr(self.transport, name)


class JoinedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, writing through JoinedWrites."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(JoinedWrites(transport, self.loop))  # type: ignore[arg-type]
