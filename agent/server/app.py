"""The ASGI application behind `vigil serve`.

    POST /webhooks/alertmanager   Alertmanager webhook v4 (bearer or basic auth)
    POST /webhooks/pagerduty      PagerDuty webhooks v3 (HMAC-SHA256 signatures)
    POST /slack/events            the Slack app: slash command, events, interactivity
    GET  /approvals               pending approvals (bearer token, agent/server/approvals_api.py)
    POST /approvals/{id}/approve  decide one as a named approver (or .../deny)
    GET  /healthz                 the process is alive
    GET  /readyz                  the queue answers and the workers run (else 503)
    GET  /metrics                 Prometheus text exposition

`create_app` takes the investigation function as a parameter so tests can run the whole service
with a deterministic one; production uses `agent.runtime.investigate_incident`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from agent import telemetry
from agent.config import Config
from agent.queue import JobQueue, open_queue
from agent.queue.model import Backoff
from agent.server import approvals_api, webhooks
from agent.server.head_rules import HeadRules
from agent.server.in_flight import CountInFlight, RequestsInFlight
from agent.server.limits import HeaderLimit
from agent.server.service import FrontDoor, InvestigateFn
from agent.server.settings import ServeSettings, read_env
from agent.server.slack import SlackEndpoint, not_configured

log = logging.getLogger("vigil.serve")


def create_app(settings: ServeSettings, config: Config, *, investigate: InvestigateFn | None = None,
               queue: JobQueue | None = None, slack_client: AsyncWebClient | None = None,
               http: httpx.AsyncClient | None = None, environ: dict[str, str] | None = None) -> Starlette:
    """The service, ready for uvicorn. Workers start with the app's lifespan (none when settings.workers=0)."""
    queue = queue or open_queue(settings.queue_url_for(config.state_dir),
                                Backoff(base_seconds=settings.retry_base_seconds))
    door = FrontDoor(settings, config, queue, investigate=investigate, slack_client=slack_client, http=http,
                     environ=environ)
    routes = [
        Route("/webhooks/alertmanager", last_resort("alertmanager", webhooks.alertmanager), methods=["POST"]),
        Route("/webhooks/pagerduty", last_resort("pagerduty", webhooks.pagerduty), methods=["POST"]),
        Route("/approvals", last_resort("approvals", approvals_api.list_pending), methods=["GET"]),
        Route("/approvals/{request_id}/{verb}", last_resort("approvals", approvals_api.decide), methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    signing_secret = read_env(settings.slack.signing_secret_env, environ)
    if settings.slack.enabled and signing_secret and door.slack is not None:
        slack = SlackEndpoint(door, signing_secret, door.slack)
        routes.append(Route("/slack/events", last_resort("slack", slack.handle), methods=["POST"]))
    else:
        routes.append(Route("/slack/events", not_configured, methods=["POST"]))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if config.telemetry.otlp_endpoint:
            telemetry.ensure_telemetry(config.telemetry)
        unregister = telemetry.register_queue_depth(lambda: queue.counts()["queued"])
        task = asyncio.create_task(door.pool.run()) if settings.workers > 0 else None
        app.state.workers = task
        try:
            yield
        finally:
            unregister()
            door.pool.stop()
            if task is not None:
                try:
                    await asyncio.wait_for(task, timeout=10)
                except TimeoutError:
                    log.warning("jobs still running at shutdown; their leases will expire and they will run again")
            await door.aclose()
            queue.close()

    in_flight = RequestsInFlight()
    app = Starlette(routes=routes, lifespan=lifespan,
                    middleware=[Middleware(CountInFlight, counter=in_flight), Middleware(HeaderLimit),
                                Middleware(HeadRules)],
                    exception_handlers={HTTPException: http_error})  # type: ignore[dict-item]
    app.state.in_flight = in_flight
    app.router.redirect_slashes = False  # `/approvals/` is not a route; a redirect built from Host is no answer
    app.state.door = door
    app.state.workers = None
    return app


FRONT_DOOR_FAILED = "front door %s: unexpected %s while handling a request"
"""The log line of `last_resort`; the fuzz test asserts it never appears (every cause is fixed upstream)."""


Endpoint = Callable[[Request], Awaitable[Response]]


def last_resort(source: str, endpoint: Endpoint) -> Endpoint:
    """Wrap a front-door route so that a bug nobody has found yet answers a 503 (the sender retries
    later) and is logged with its traceback here, instead of a 500 whose body could echo internals.

    Bad input is refused upstream with a 4xx naming the field; this is only the net under that.
    """

    async def guarded(request: Request) -> Response:
        try:
            return await endpoint(request)
        except Exception as exc:
            log.exception(FRONT_DOOR_FAILED, source, type(exc).__name__)
            door: FrontDoor = request.app.state.door
            door.count(source, "internal_error")
            return JSONResponse({"error": "internal_error", "detail": "Vigil could not handle this request and "
                                 "logged why; retry later"}, status_code=503)

    return guarded


ROUTING_ERRORS = {404: ("not_found", "no such route; see the module docstring of agent/server/app.py for the "
                        "routes vigil serve answers"),
                  405: ("method_not_allowed", "this route does not take {method}; it takes {allow}")}


async def http_error(request: Request, exc: Exception) -> Response:
    """The router's own refusals (an unknown path, a method a route does not take) in the same JSON
    shape as every other refusal: `error` and `detail`, never Starlette's bare text."""
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    error, detail = ROUTING_ERRORS.get(exc.status_code, ("http_error", str(exc.detail)))
    detail = detail.format(method=request.method[:20], allow=headers.get("Allow", "other methods"))
    return JSONResponse({"error": error, "detail": detail}, status_code=exc.status_code, headers=headers)


async def healthz(_: Request) -> Response:
    return PlainTextResponse("ok\n")


async def readyz(request: Request) -> Response:
    door: FrontDoor = request.app.state.door
    problems: list[str] = []
    try:
        await door.queue.ping()
    except Exception as exc:
        problems.append(f"queue: {exc}")
    task: Any = request.app.state.workers
    if door.settings.workers > 0 and (task is None or task.done()):
        problems.append("workers: not running")
    if problems:
        return JSONResponse({"ready": False, "problems": problems}, status_code=503)
    return JSONResponse({"ready": True, "queue": door.queue.sync.url.split("@")[-1],
                         "workers": door.settings.workers})


async def metrics(request: Request) -> Response:
    """The front doors' own series, then Vigil's OpenTelemetry instruments (model tokens and cost, tool
    latency, guardrail denials, investigation duration, queue depth), both in the 0.0.4 text format."""
    door: FrontDoor = request.app.state.door
    # The gauge is read before the queue is counted: a reader that sees only its own request in flight
    # then also sees every job the finished requests queued (read after, a request finishing between the
    # two reads showed "nothing in flight" beside a count without its job).
    in_flight = request.app.state.in_flight.exposition().encode()
    ours = (await door.render_metrics()).encode()
    try:
        instruments, _ = await asyncio.to_thread(telemetry.metrics_exposition)
    except Exception as exc:  # telemetry trouble must not take the front doors' metrics down with it
        log.warning("OpenTelemetry metrics unavailable: %s", exc)
        instruments = b""
    ours += in_flight
    return Response(ours + instruments, media_type="text/plain; version=0.0.4; charset=utf-8")
