"""Async client for the four Loki HTTP API endpoints Vigil reads, with errors a model can act on.

Endpoints (Grafana Loki HTTP API, v1): `GET /loki/api/v1/query_range`, `/loki/api/v1/labels`,
`/loki/api/v1/label/<name>/values`, `/loki/api/v1/index/stats`. Times go out as nanosecond unix
epochs, the unit Loki uses natively. Multi-tenant Loki needs `X-Scope-OrgID`: set it as a custom
header (`VIGIL_LOKI_HEADERS="X-Scope-OrgID: team-a"`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from mcp_servers.common.http_auth import BackendSettings, safe_url

ENV_PREFIX = "VIGIL_LOKI"


class LokiSettings(BackendSettings):
    """Where Loki is and how to reach it."""

    ENV_PREFIX: ClassVar[str] = ENV_PREFIX

    url: str = "http://127.0.0.1:3100"


class LokiError(Exception):
    """A failed Loki call, phrased for the model: what happened; what to try."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def ns(at: datetime) -> int:
    return int(at.timestamp() * 1_000_000_000)


class LokiClient:
    """One `httpx.AsyncClient` per server; every method raises only LokiError."""

    def __init__(self, settings: LokiSettings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self._base = settings.url.rstrip("/")
        self.url = safe_url(self._base)
        """For messages: the base URL without credentials."""
        kwargs = settings.auth.httpx_kwargs()
        self._http = httpx.AsyncClient(base_url=self._base, timeout=settings.timeout_seconds, transport=transport,
                                       **kwargs)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _get(self, path: str, params: dict[str, Any]) -> Any:
        try:
            response = await self._http.get(path, params=params)
        except httpx.TimeoutException:
            raise LokiError(
                f"Loki at {self.url} did not answer within {self.settings.timeout_seconds:g}s; narrow the time "
                "window, make the stream selector more selective, or lower the limit, then retry."
            ) from None
        except httpx.HTTPError as exc:
            raise LokiError(
                f"Loki at {self.url} is not reachable ({type(exc).__name__}: {str(exc)[:120] or 'no detail'}); "
                f"check that it is running and that {ENV_PREFIX}_URL is right, then retry."
            ) from None
        if response.status_code != 200:
            raise self._error(response)
        try:
            payload = response.json()
        except ValueError:
            raise LokiError(f"Loki at {self.url} answered with something that is not JSON; is it Loki?") from None
        if isinstance(payload, dict) and payload.get("status") not in (None, "success"):
            raise LokiError(f"Loki reported an error: {payload.get('error') or payload}")
        return payload

    def _error(self, response: httpx.Response) -> LokiError:
        status = response.status_code
        detail = response.text.strip()[:600] or "no detail"
        if status == 400:
            return LokiError(
                f"Loki rejected the query (HTTP 400): {detail}. Fix the LogQL at the position shown and retry.",
                status,
            )
        if status in (401, 403):
            return LokiError(
                f"Loki at {self.url} refused the request (HTTP {status}: {detail}); check the credentials "
                f"({ENV_PREFIX}_BEARER_TOKEN or _USERNAME/_PASSWORD) and, for multi-tenant Loki, the "
                "X-Scope-OrgID header.",
                status,
            )
        if status == 429:
            retry = response.headers.get("Retry-After")
            when = f"after {retry}s" if retry else "in a minute"
            return LokiError(
                f"Loki is rate limiting queries (HTTP 429: {detail}); retry {when}, and prefer a narrower window "
                "or a more selective stream selector so the query costs less.",
                status,
            )
        if status == 404:
            return LokiError(f"Loki at {self.url} answered 404 for this API path; check {ENV_PREFIX}_URL "
                             "(a path prefix may be missing).", status)
        if status >= 500:
            return LokiError(
                f"Loki at {self.url} failed with HTTP {status} ({detail}); it may be overloaded or restarting: "
                "retry shortly with a narrower window or a smaller limit.",
                status,
            )
        return LokiError(f"Loki rejected the request (HTTP {status}): {detail}", status)

    async def query_range(self, query: str, start: datetime, end: datetime, limit: int, direction: str,
                          step: str | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"query": query, "start": ns(start), "end": ns(end), "limit": limit,
                                  "direction": direction}
        if step:
            params["step"] = step
        payload = await self._get("/loki/api/v1/query_range", params)
        return dict(payload.get("data") or {})

    async def labels(self, start: datetime, end: datetime) -> list[str]:
        payload = await self._get("/loki/api/v1/labels", {"start": ns(start), "end": ns(end)})
        return list(payload.get("data") or [])

    async def label_values(self, label: str, start: datetime, end: datetime, query: str | None) -> list[str]:
        params: dict[str, Any] = {"start": ns(start), "end": ns(end)}
        if query:
            params["query"] = query
        payload = await self._get(f"/loki/api/v1/label/{quote(label, safe='')}/values", params)
        return list(payload.get("data") or [])

    async def index_stats(self, query: str, start: datetime, end: datetime) -> dict[str, int]:
        payload = await self._get("/loki/api/v1/index/stats", {"query": query, "start": ns(start), "end": ns(end)})
        return {k: int(payload.get(k, 0) or 0) for k in ("streams", "chunks", "entries", "bytes")}
