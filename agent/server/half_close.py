"""Answer a request whose client stopped sending after it, instead of dropping the answer.

A client may shut down its sending side once a request is written (`shutdown(SHUT_WR)`: HTTP/1.0
clients, `nc -N`, some proxies); its receiving side stays open for the answer. uvicorn's HTTP/1.1
protocol closed the whole connection on that end-of-file, so the request went on to run (a webhook was
queued) while its answer was thrown away, or, when the close won the race, the route saw a disconnect
and queued nothing. Whether a request was acted on then depended on timing, and the sender could not
know which (blind hostile catalogue 6, `sl6-http10-keep-alive`, whose job was counted against the next
request).

`AnswerHalfClosed` keeps the sending side open while a complete request is being answered, and closes
the connection once it is: the client said it sends nothing more. An incomplete request (a body still
owed) is a client gone mid-request and is closed as before, so a truncated body is never read as whole.

Only `vigil serve` runs it: every answer there is short. A client that closes fully is indistinguishable
from one that half-closed until the server next writes, so a response that may never write again (the
MCP door's GET event stream) would be held open; `vigil mcp --http` keeps uvicorn's own behaviour.
"""

from __future__ import annotations

from uvicorn.protocols.http.h11_impl import H11Protocol


class AnswerHalfClosed(H11Protocol):
    """uvicorn's h11 protocol, answering what a half-closed client sent in full."""

    _peer_done_sending = False

    def eof_received(self) -> bool | None:  # type: ignore[override]
        """True keeps the transport open for writing (asyncio); None closes it, as uvicorn does."""
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete and not cycle.more_body:
            self._peer_done_sending = True
            return True
        return None

    def on_response_complete(self) -> None:
        super().on_response_complete()  # may start a request that was pipelined before the end-of-file
        if not self._peer_done_sending or self.transport.is_closing():
            return
        cycle = self.cycle
        if cycle is None or cycle.response_complete or cycle.more_body:
            self.transport.close()  # nothing left to answer, or a body that can no longer arrive
