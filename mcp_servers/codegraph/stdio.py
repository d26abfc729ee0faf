"""Serving MCP over stdio without a thread hop per message.

The SDK's `stdio_server()` reads stdin and writes stdout through `anyio.wrap_file`, which runs
every line read, write and flush in a worker thread: three thread hand-offs per call, each one a
wait for the scheduler, which on a busy machine costs more than the code graph's answer itself.
Here stdin and stdout become asyncio pipe streams on the event loop, and the SDK's own
`stdio_server()` does the rest (JSON-RPC parsing, the session) with them.

As the SDK does, the process's fd 0 and fd 1 are pointed away from the wire while serving (stdin
at the null device, stdout at stderr), so a stray `print` in a handler or a child process cannot
corrupt the protocol; the wire is served from private duplicates and restored afterwards. When
stdin is not something asyncio can watch (a regular file), or the event loop is not asyncio, the
SDK's threaded transport is used unchanged.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.stdio import stdio_server

from mcp_servers.common.sdk import lowlevel

MAX_LINE_BYTES = 64 * 1024 * 1024
"""A longer JSON-RPC line is dropped (the session answers a parse error), never buffered whole."""


class _Lines:
    """stdin as the async iterator of text lines `stdio_server()` reads."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader

    def __aiter__(self) -> _Lines:
        return self

    async def __anext__(self) -> str:
        while True:
            try:
                line = await self._reader.readuntil(b"\n")
            except asyncio.IncompleteReadError as exc:  # end of input: a last line without newline
                if exc.partial:
                    return exc.partial.decode("utf-8", "replace")
                raise StopAsyncIteration from None
            except asyncio.LimitOverrunError as exc:
                await self._discard_line(exc.consumed)
                return "{}\n"  # not a JSON-RPC message: the session reports it and carries on
            return line.decode("utf-8", "replace")

    async def _discard_line(self, consumed: int) -> None:
        await self._reader.readexactly(consumed)
        while True:
            try:
                await self._reader.readuntil(b"\n")
                return
            except asyncio.LimitOverrunError as exc:
                await self._reader.readexactly(exc.consumed)
            except asyncio.IncompleteReadError:
                return


class _Out:
    """stdout as the async file `stdio_server()` writes to (write, then flush)."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer

    async def write(self, text: str) -> None:
        self._writer.write(text.encode("utf-8"))

    async def flush(self) -> None:
        await self._writer.drain()


async def run_stdio(server: MCPServer) -> None:
    """Serve `server` on this process's stdin and stdout until stdin closes."""
    try:
        loop = asyncio.get_running_loop()  # RuntimeError under another event loop (trio)
    except RuntimeError:
        loop = None
    if sys.platform == "win32" or loop is None:
        await server.run_stdio_async()
        return
    wire_in, wire_out = os.dup(0), os.dup(1)
    reader = asyncio.StreamReader(limit=MAX_LINE_BYTES)
    transports: list[Any] = []
    try:
        read_transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader),
                                                         os.fdopen(wire_in, "rb", buffering=0, closefd=False))
        transports.append(read_transport)
        write_transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin,
                                                                  os.fdopen(wire_out, "wb", buffering=0, closefd=False))
        transports.append(write_transport)
    except (ValueError, OSError):  # a regular file or something else asyncio cannot poll
        for transport in transports:
            transport.close()
        os.close(wire_in)
        os.close(wire_out)
        await server.run_stdio_async()
        return
    writer = asyncio.StreamWriter(write_transport, protocol, None, loop)
    saved_in, saved_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    try:
        os.dup2(devnull, 0)
        os.dup2(2, 1)
        low = lowlevel(server)
        async with stdio_server(_Lines(reader), _Out(writer)) as (read_stream, write_stream):  # type: ignore[arg-type]
            await low.run(read_stream, write_stream, low.create_initialization_options())
    finally:
        os.dup2(saved_in, 0)
        os.dup2(saved_out, 1)
        for fd in (saved_in, saved_out, devnull):
            os.close(fd)
        for transport in transports:
            transport.close()
        for fd in (wire_in, wire_out):
            try:
                os.close(fd)
            except OSError:
                pass
