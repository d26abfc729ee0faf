"""Async access to the Prometheus HTTP API through `prometheus-api-client`, with errors a model can act on.

`PrometheusConnect` (the design card's client) is synchronous and built on `requests`; each call
here runs it in a worker thread so an MCP server keeps serving other calls meanwhile. Two endpoints
the library does not wrap (`/api/v1/alerts`, `/api/v1/rules`) go through the same `requests`
session, so auth, TLS and timeouts are identical for every call.

Failures become `PromError` with a message that says what happened and what to try. PromQL errors
keep Prometheus' own text verbatim, including the `line:column` position it reports, because that
is the most useful thing a model can see when it wrote a bad query.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar, TypeVar

import anyio.to_thread
import requests
from prometheus_api_client import PrometheusApiClientException, PrometheusConnect
from urllib3.util.retry import Retry

from mcp_servers.common.http_auth import BackendSettings, safe_url

T = TypeVar("T")

ENV_PREFIX = "VIGIL_PROMETHEUS"


class PromSettings(BackendSettings):
    """Where Prometheus is and how to reach it."""

    ENV_PREFIX: ClassVar[str] = ENV_PREFIX

    url: str = "http://127.0.0.1:9090"
    """Base URL; a path prefix is kept (Thanos, Mimir `/prometheus`, a Grafana proxy)."""
    timeout_seconds: float = 30.0
    """Per request. Also sent to Prometheus as the query `timeout` so it stops work we gave up on."""
    retries: int = 1
    """Retries on connection failure and on 502/504 from a proxy; never on a PromQL error."""


class PromError(Exception):
    """A failed Prometheus call, phrased for the model: what happened; what to try."""

    def __init__(self, message: str, *, status: int | None = None, error_type: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type


_STATUS = re.compile(r"HTTP Status Code (\d+) \((.*)\)\s*$", re.S)


def _api_error(status: int, body: bytes | str, url: str) -> PromError:
    """Turn an HTTP error answer into a PromError, keeping Prometheus' own error text."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    error_type, detail = None, text.strip()
    try:
        payload = json.loads(text)
        if isinstance(payload, dict) and payload.get("status") == "error":
            error_type = str(payload.get("errorType") or "") or None
            detail = str(payload.get("error") or "")
    except ValueError:
        pass
    detail = detail[:600]
    if status in (401, 403):
        return PromError(
            f"Prometheus at {url} refused the request (HTTP {status}: {detail or 'no detail'}); the "
            f"credentials are missing or wrong: check {ENV_PREFIX}_BEARER_TOKEN or _USERNAME/_PASSWORD.",
            status=status, error_type=error_type,
        )
    if status == 400 and error_type == "bad_data":
        return PromError(
            f"PromQL error (bad_data): {detail}. The position is line:column in the expression; fix the "
            "expression there and retry.",
            status=status, error_type=error_type,
        )
    if status == 422:
        return PromError(
            f"PromQL execution error ({error_type or 'execution'}): {detail}. The expression parsed but "
            "could not be evaluated; change the matching or aggregation and retry.",
            status=status, error_type=error_type,
        )
    if status == 503 and error_type in ("timeout", "canceled"):
        return PromError(
            f"Prometheus gave up on the query ({error_type}: {detail}); narrow the time range, raise the "
            "step, or aggregate (sum by (...)) before retrying.",
            status=status, error_type=error_type,
        )
    if status == 404:
        return PromError(
            f"Prometheus at {url} answered 404 for this API path; the URL may miss a path prefix "
            f"({ENV_PREFIX}_URL) or the server is not Prometheus-compatible.",
            status=status, error_type=error_type,
        )
    if status >= 500:
        return PromError(
            f"Prometheus at {url} failed with HTTP {status} ({detail or 'no detail'}); it may be overloaded "
            "or restarting: retry in a minute or ask a cheaper query.",
            status=status, error_type=error_type,
        )
    return PromError(
        f"Prometheus rejected the request (HTTP {status}, {error_type or 'error'}): {detail}",
        status=status, error_type=error_type,
    )


class PrometheusClient:
    """The calls Vigil's tools make, each async, each raising only PromError."""

    def __init__(self, settings: PromSettings) -> None:
        self.settings = settings
        self._base = settings.url.rstrip("/")
        self.url = safe_url(self._base)
        """For messages: the base URL without credentials."""
        retry = Retry(
            total=settings.retries,
            connect=settings.retries,
            read=0,
            status=settings.retries,
            backoff_factor=0.2,
            status_forcelist=(502, 504),
            allowed_methods=frozenset({"GET", "POST"}),
            raise_on_status=False,
        )
        session = settings.auth.requests_session()
        self._pc = PrometheusConnect(
            url=self._base,
            session=session,
            retry=retry,
            timeout=settings.timeout_seconds,  # type: ignore[arg-type]
        )
        self._session = session

    def close(self) -> None:
        self._pc.close()

    async def _run(self, func: Callable[[], T]) -> T:
        try:
            return await anyio.to_thread.run_sync(func)
        except PromError:
            raise
        except PrometheusApiClientException as exc:
            raise self._from_library(exc) from None
        except requests.exceptions.RequestException as exc:
            if isinstance(exc, requests.exceptions.Timeout) or "timed out" in str(exc):
                # urllib3 reports a read timeout after retries as a ConnectionError; it is still a timeout
                raise PromError(
                    f"Prometheus at {self.url} did not answer within {self.settings.timeout_seconds:g}s; it is slow "
                    "or overloaded: narrow the time range, raise the step, or aggregate before retrying."
                ) from None
            if isinstance(exc, requests.exceptions.ConnectionError):
                raise PromError(
                    f"Prometheus at {self.url} is not reachable ({_reason(exc)}); check that it is running and "
                    f"that {ENV_PREFIX}_URL is right, then retry."
                ) from None
            raise PromError(f"the request to Prometheus at {self.url} failed: {_reason(exc)}") from None
        except (ValueError, KeyError) as exc:
            raise PromError(
                f"Prometheus at {self.url} sent an answer Vigil cannot read ({exc}); is the URL a Prometheus API?"
            ) from None

    def _from_library(self, exc: PrometheusApiClientException) -> PromError:
        match = _STATUS.match(str(exc))
        if not match:
            return PromError(f"Prometheus call failed: {exc}")
        status, body_repr = int(match.group(1)), match.group(2)
        try:
            body = ast.literal_eval(body_repr)
        except (ValueError, SyntaxError):
            body = body_repr
        return _api_error(status, body if isinstance(body, bytes | str) else str(body), self.url)

    def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET an API path the library does not wrap, through the library's own session."""
        response = self._session.get(f"{self._base}{path}", params=params, timeout=self.settings.timeout_seconds)
        if response.status_code != 200:
            raise _api_error(response.status_code, response.content, self.url)
        payload = response.json()
        return payload.get("data")

    def _timeout_param(self) -> dict[str, str]:
        return {"timeout": f"{max(1, int(self.settings.timeout_seconds))}s"}

    async def query(self, expr: str, at: datetime) -> list[dict[str, Any]] | list[Any]:
        """Instant query; a vector as a list of {metric, value}, or a scalar/string as [ts, "v"]."""
        params = {"time": at.timestamp(), **self._timeout_param()}
        return await self._run(lambda: self._pc.custom_query(expr, params=params))

    async def query_range(self, expr: str, start: datetime, end: datetime, step_seconds: float) -> list[dict[str, Any]]:
        """Range query; a list of {metric, values: [[ts, "v"], ...]}."""
        step = f"{step_seconds:g}s"
        return await self._run(
            lambda: self._pc.custom_query_range(expr, start, end, step, params=self._timeout_param())
        )

    async def label_names(self, params: dict[str, Any]) -> list[str]:
        return await self._run(lambda: self._pc.get_label_names(params=dict(params)))

    async def label_values(self, label: str, params: dict[str, Any]) -> list[str]:
        return await self._run(lambda: self._pc.get_label_values(label, params=dict(params)))

    async def series(self, match: str, start: datetime, end: datetime) -> list[dict[str, str]]:
        return await self._run(lambda: self._pc.get_series(start, end, params={"match[]": match}))

    async def metadata(self, metric: str | None, limit: int | None) -> dict[str, list[dict[str, str]]]:
        params: dict[str, Any] = {}
        if metric:
            params["metric"] = metric
        if limit:
            params["limit"] = limit
        return await self._run(lambda: self._get("/api/v1/metadata", params))

    async def alerts(self) -> list[dict[str, Any]]:
        data = await self._run(lambda: self._get("/api/v1/alerts"))
        return list((data or {}).get("alerts") or [])

    async def rules(self, rule_type: str | None) -> list[dict[str, Any]]:
        params = {"type": rule_type} if rule_type else None
        data = await self._run(lambda: self._get("/api/v1/rules", params))
        return list((data or {}).get("groups") or [])

    async def targets(self, state: str | None) -> dict[str, Any]:
        params = {"state": state} if state else None
        return dict(await self._run(lambda: self._get("/api/v1/targets", params)) or {})


def _reason(exc: BaseException) -> str:
    """The innermost readable reason of a requests/urllib3 error, without URLs full of parameters."""
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "timed out", "certificate verify failed",
                   "Max retries exceeded", "Remote end closed connection"):
        if marker in text:
            return marker.lower() if marker != "Max retries exceeded" else "no answer after retries"
    return text.split(" (Caused by", 1)[0][:200]
