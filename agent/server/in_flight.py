"""How many HTTP requests the app is handling right now, as the gauge `vigil_http_requests_in_flight`.

A request goes on running after its client has gone (a dropped connection does not cancel a route
that is committing a job), so "every answer has been read" is not "every request is finished". The
gauge says the second: operators see requests piling up behind a slow queue, and a harness that counts
jobs per request (benchmarks/frontdoors/run_hostile.py) waits for it to fall to its own /metrics request
before counting, so a job is charged to the request that queued it, never to the next one.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

GAUGE = "vigil_http_requests_in_flight"


class RequestsInFlight:
    """The count, shared by the middleware that changes it and the /metrics route that reads it."""

    def __init__(self) -> None:
        self.value = 0

    def exposition(self) -> str:
        """The gauge in the Prometheus 0.0.4 text format (the reading /metrics request counts itself)."""
        return (f"# HELP {GAUGE} HTTP requests being handled, including this one and any whose client left.\n"
                f"# TYPE {GAUGE} gauge\n{GAUGE} {self.value}\n")


class CountInFlight:
    """ASGI middleware: +1 when an HTTP request reaches the app, -1 when the app is done with it."""

    def __init__(self, app: ASGIApp, counter: RequestsInFlight) -> None:
        self.app = app
        self.counter = counter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.counter.value += 1  # before the first await: counted before the connection can close
        try:
            await self.app(scope, receive, send)
        finally:
            self.counter.value -= 1
