"""Log windows stated as an absolute moment (`k8s_logs since_time=`, the API's `sinceTime`) are judged on the
server's clock, never on the wall clock of the machine investigating.

No real API server runs here: the replay server is served on loopback (recorded-response style, the bundle's
capture time as its now), and the skewed-clock server below is a fake API server on loopback that answers discovery,
one pod and its log the way a real one does (an HTTP `Date` header from its own clock; `sinceSeconds` counted back
from that clock, `sinceTime` compared with the kubelet's stamps).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from agent.triage import log_since
from mcp_servers.common.bundle import Bundle
from mcp_servers.common.server import ServerGuard
from mcp_servers.kubernetes.client import KubeSettings
from mcp_servers.kubernetes.replay import replay_server, write_kubeconfig
from mcp_servers.kubernetes.server import build_server
from tests.kubernetes.test_errors_and_transports import _serve
from tests.policies import DENY_KUBE_SYSTEM

pytestmark = pytest.mark.anyio
LEDGER = "ledger-txfbtbztns-55n2z"
_STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)", re.M)


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_replay_answers_with_its_capture_time_and_honours_since_time(replays, bundles) -> None:  # type: ignore[no-untyped-def]
    """A bundle captured months ago: the `Date` header is the capture, and a moment filters as the same duration
    counted back from the capture does."""
    b = bundles["payments-bad-config"]
    with httpx.Client(base_url=replays["payments-bad-config"].url, timeout=10) as http:
        answer = http.get("/version")
        assert parsedate_to_datetime(answer.headers["date"]) == b.captured_at
        assert len(answer.headers.get_list("date")) == 1
        path = f"/api/v1/namespaces/payments/pods/{LEDGER}/log"
        everything = http.get(path).text.splitlines()
        moment = b.captured_at - timedelta(minutes=20)
        by_time = http.get(path, params={"sinceTime": _iso(moment)}).text.splitlines()
        by_seconds = http.get(path, params={"sinceSeconds": 20 * 60}).text.splitlines()
        assert 0 < len(by_time) < len(everything) and by_time == by_seconds
        both = http.get(path, params={"sinceTime": _iso(moment), "sinceSeconds": 60})
        assert both.status_code == 422 and "at most one" in both.json()["message"]
        bad = http.get(path, params={"sinceTime": "yesterday"})
        assert bad.status_code == 400 and bad.json()["kind"] == "Status"


SERVER_NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
"""The fake API server's clock: months away from this machine's."""
SKEWED_LINES = [(SERVER_NOW - timedelta(minutes=m), f"denied request {m}") for m in (50, 40, 30, 20, 10, 5)]


def _skewed_app(seen: list[dict[str, str]]) -> Starlette:
    date = {"date": formatdate(SERVER_NOW.timestamp(), usegmt=True)}
    pod = {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "gw", "namespace": "shop"},
           "spec": {"containers": [{"name": "proxy"}]},
           "status": {"containerStatuses": [{"name": "proxy", "ready": True, "state": {"running": {}}}]}}
    discovery: dict[str, Any] = {
        "/api": {"kind": "APIVersions", "versions": ["v1"]}, "/apis": {"kind": "APIGroupList", "groups": []},
        "/api/v1": {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
            {"name": "pods", "namespaced": True, "kind": "Pod", "verbs": ["get", "list"]},
            {"name": "pods/log", "namespaced": True, "kind": "Pod", "verbs": ["get"]}]},
        "/api/v1/namespaces/shop/pods/gw": pod}

    async def answer(request: Request) -> Response:
        path = request.url.path
        if path in discovery:
            return JSONResponse(discovery[path], headers=date)
        if path == "/api/v1/namespaces/shop/pods/gw/log":
            q = dict(request.query_params)
            seen.append(q)
            cutoff = None
            if "sinceSeconds" in q:
                cutoff = SERVER_NOW - timedelta(seconds=int(q["sinceSeconds"]))
            elif "sinceTime" in q:
                cutoff = datetime.fromisoformat(q["sinceTime"].replace("Z", "+00:00"))
            kept = [text for t, text in SKEWED_LINES if cutoff is None or t >= cutoff]
            return PlainTextResponse("".join(f"{ln}\n" for ln in kept), headers=date)
        return JSONResponse({"kind": "Status", "code": 404, "reason": "NotFound", "message": "not found"},
                            status_code=404, headers=date)

    return Starlette(routes=[Route("/{p:path}", answer)])


async def test_the_tool_sends_the_moment_to_a_server_whose_clock_is_skewed(tmp_path: Path) -> None:
    """The server's clock is months from ours: a moment 25 minutes before its now keeps the 3 lines stamped after
    it, because the moment reaches the server as `sinceTime` (no duration reckoned on this machine's clock)."""
    seen: list[dict[str, str]] = []
    with _serve(_skewed_app(seen)) as url:
        kubeconfig = write_kubeconfig(tmp_path / "kc", url, "skewed")
        server = build_server(KubeSettings(kubeconfig=str(kubeconfig)),
                              ServerGuard.for_tests(tmp_path, policy_path=DENY_KUBE_SYSTEM))
        async with Client(server) as c:
            moment = (SERVER_NOW - timedelta(minutes=25)).astimezone(timezone(timedelta(hours=2))).isoformat()
            got = await c.call_tool("k8s_logs", {"name": "gw", "namespace": "shop", "since_time": moment,
                                                 "grep": "denied"})
            both = await c.call_tool("k8s_logs", {"name": "gw", "namespace": "shop", "since_time": moment,
                                                  "since": "5m"})
            naive = await c.call_tool("k8s_logs", {"name": "gw", "namespace": "shop",
                                                   "since_time": "2026-03-01T11:35:00"})
    text = "\n".join(getattr(i, "text", "") for i in got.content)
    assert not got.is_error and log_since.matching(text) == 3, text
    assert seen[0].get("sinceTime") == "2026-03-01T11:35:00Z" and "sinceSeconds" not in seen[0]
    assert both.is_error and "not both" in str(both.content)
    assert naive.is_error and "zone" in str(naive.content)
    assert len(seen) == 1


class _Answer:
    """The slice of a hub's outcome that log_since reads."""

    def __init__(self, ok: bool, text: str, evidence_id: str) -> None:
        self.ok, self.text, self.full_text, self.evidence_id = ok, text, text, evidence_id


def _shifted(bundle: Bundle, by: timedelta) -> Bundle:
    """The same bundle with every time moved by `by`: its capture, its incident, and its logs' kubelet stamps."""
    moved = copy.deepcopy(bundle)
    m = moved.manifest
    object.__setattr__(m, "incident_time", m.incident_time + by)
    object.__setattr__(m, "captured_at", (m.captured_at or m.incident_time) + by)

    def stamp(match: re.Match[str]) -> str:
        return _iso(datetime.fromisoformat(match.group(1).replace("Z", "+00:00")) + by)

    for key, text in list(moved.logs.items()):
        moved.logs[key] = _STAMP.sub(stamp, text)
    return moved


async def _split_of(bundle: Bundle, moment: datetime, tmp_path: Path) -> log_since.Split | None:
    with replay_server(bundle, tmp_path / "kubeconfig") as handle:
        server = build_server(KubeSettings(kubeconfig=str(handle.kubeconfig)),
                              ServerGuard.for_tests(tmp_path, policy_path=DENY_KUBE_SYSTEM))
        async with Client(server) as c:
            async def call(tool: str, args: dict[str, Any], step: str) -> _Answer:
                got = await c.call_tool(tool, args)
                return _Answer(not got.is_error, "\n".join(getattr(i, "text", "") for i in got.content), step)

            run: Callable[..., Awaitable[Any]] = call
            return await log_since.split(run, LEDGER, "payments", "ledger", "request served", moment, "t")


async def test_log_since_splits_alike_captured_minutes_or_months_before_the_wall_clock(bundles,  # type: ignore[no-untyped-def]
                                                                                      tmp_path: Path) -> None:
    """The same log captured 3 minutes ago (where the old guess took the wall clock for the server's now) and months
    ago (where it took the incident's time) splits the same way around the same moment."""
    old = bundles["payments-bad-config"]
    fresh = _shifted(old, datetime.now(UTC) - timedelta(minutes=3) - old.captured_at)
    moment = old.captured_at - timedelta(minutes=20)
    shift = fresh.captured_at - old.captured_at
    (tmp_path / "old").mkdir()
    (tmp_path / "fresh").mkdir()
    long_ago = await _split_of(old, moment, tmp_path / "old")
    recent = await _split_of(fresh, moment + shift, tmp_path / "fresh")
    assert long_ago is not None and recent is not None
    assert 0 < long_ago.since < long_ago.total
    assert (recent.total, recent.since) == (long_ago.total, long_ago.since)
