"""The hand-written hostile catalogues against a real `vigil serve` and a real `vigil mcp investigate
--http`, each on loopback, over raw sockets: round 1 (benchmarks/frontdoors/hostile_requests.py, 270
cases) and round 2 (hostile_requests2.py, 383 cases: HTTP framing and smuggling, pipelining, Host and
duplicate credential fields, media-type and charset spellings, signature spellings, Slack
response_url SSRF attempts, other workspaces and apps, approvals decided twice or expired, JSON-RPC
id types) and round 3 (hostile_requests3.py, 253 cases: HTTP/1.0, /0.9 and /2.0 request lines, chunk
extensions and trailers, transfer codings, headers around the 32 KiB bound, gzip and deflate bombs,
every Alertmanager and PagerDuty field with the wrong type, Slack retries and replays under other
spellings, MCP Last-Event-ID and bounded tool arguments, approver names holding NUL, zero-width or
look-alike letters, encoded slashes in approval paths), each written from the docs and public formats
before the server code was read.

Real components throughout: the two servers are the shipped CLIs in subprocesses, the queue is the
real SQLite queue read through the server's own /metrics. Slack's Web API is a loopback recorder
answering in its documented response shapes (no Slack server can run here).

What must hold, per the front-door promise (docs/frontdoors.md): no 5xx for any request; each answer
in the class the catalogue states; no job enqueued by a request that was not accepted, and exactly
the stated number by one that was; every valid control accepted and still in the queue at the end.
Rounds 2 and 3 also seed pending approvals in the server's store and point hostile URLs at a loopback
canary: no request may make the server fetch it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from benchmarks.frontdoors.hostile_client import Response
from benchmarks.frontdoors.hostile_model import ACCEPTED, CLOSED, IGNORED, REFUSED, SERVER_ERROR, Case, Step
from benchmarks.frontdoors.hostile_requests import CASES
from benchmarks.frontdoors.hostile_requests2 import CASES as CASES2
from benchmarks.frontdoors.hostile_requests3 import CASES as CASES3
from benchmarks.frontdoors.run_hostile import classify, new_keys, run_catalogue, servers

CATALOGUES: dict[int, tuple[Case, ...]] = {1: CASES, 2: CASES2, 3: CASES3}


@pytest.fixture(scope="module", params=[1, 2, 3], ids=["round1", "round2", "round3"])
def report(request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    cases = CATALOGUES[request.param]
    keys = new_keys()
    with servers(keys) as (serve_port, mcp_port, workdir):
        result = run_catalogue(cases, keys, serve_port, mcp_port, workdir if request.param >= 2 else None)
        result["catalogue"] = cases
        yield result


def _lines(report: dict[str, Any], *problems: str) -> list[str]:
    return [f"{f['case']}[{f['index']}]: {f['status']} {f['got']} expected {f['expected']} "
            f"new_jobs={f['new_jobs']} {f['detail'][:100]!r}"
            for f in report["failures"] if set(f["problems"]) & set(problems)]


@pytest.mark.parametrize(("cases", "least", "controls"), [(CASES, 120, 20), (CASES2, 150, 12), (CASES3, 200, 10)],
                         ids=["round1", "round2", "round3"])
def test_the_catalogue_is_large_and_covers_every_door(cases: tuple[Case, ...], least: int, controls: int) -> None:
    doors = {c.door for c in cases}
    assert len(cases) >= least
    assert doors == {"alertmanager", "pagerduty", "slack", "approvals", "mcp"}
    assert len({c.name for c in cases}) == len(cases)
    assert sum(c.is_control for c in cases) >= controls


def test_the_rounds_do_not_repeat_each_other() -> None:
    names = [{c.name for c in cases} for cases in (CASES, CASES2, CASES3)]
    assert not names[0] & names[1] and not names[0] & names[2] and not names[1] & names[2]


def test_no_hostile_url_is_fetched(report: dict[str, Any]) -> None:
    """Slash commands and clicks whose response_url, and alerts whose generatorURL, point at the canary."""
    assert report["ssrf_fetches"] == 0, _lines(report, "ssrf")


def test_no_request_gets_a_5xx(report: dict[str, Any]) -> None:
    assert report["server_5xx"] == 0, _lines(report, "5xx")
    assert report["serve_alive_at_end"]


def test_every_answer_is_in_its_stated_class(report: dict[str, Any]) -> None:
    assert report["wrong_class"] == 0, _lines(report, "wrong_class")
    assert report["wrong_status"] == 0, _lines(report, "wrong_status")
    assert report["wrong_body"] == 0, _lines(report, "wrong_body")


def test_nothing_bad_is_enqueued_and_nothing_accepted_is_lost(report: dict[str, Any]) -> None:
    assert report["bad_enqueues"] == 0, _lines(report, "bad_enqueue")
    assert report["lost_accepted"] == 0, _lines(report, "lost_accepted")
    # the controls did reach the queue: without them the counts above would prove nothing
    assert report["jobs_enqueued"] >= 30
    assert report["jobs_in_queue_at_end"] == report["jobs_enqueued"]


def test_what_is_decided_outside_agent_server_is_at_least_safe(report: dict[str, Any]) -> None:
    """The MCP SDK's JSON-RPC parsing is not agent/server's; its slips are listed, never a 5xx."""
    outside = [f for f in report["failures"] if "wrong_class_outside" in f["problems"]]
    assert all(f["got"] != SERVER_ERROR and f["new_jobs"] == 0 for f in outside)
    assert {f["case"] for f in outside} <= {c.name for c in report["catalogue"] if c.outside}


@pytest.mark.parametrize(("status", "body", "door", "new_jobs", "expected"), [
    (503, b"", "alertmanager", 0, SERVER_ERROR),
    (202, b"{}", "alertmanager", 1, ACCEPTED),
    (202, b"{}", "alertmanager", 0, IGNORED),
    (None, b"", "slack", 0, CLOSED),
    (200, b'{"jsonrpc":"2.0","id":1,"result":{"isError":true,"content":[]}}', "mcp", 0, REFUSED),
    (200, b'{"jsonrpc":"2.0","id":1,"result":{"tools":[]}}', "mcp", 0, ACCEPTED),
])
def test_the_classifier_tells_the_classes_apart(status: int | None, body: bytes, door: str, new_jobs: int,
                                                expected: str) -> None:
    reply = Response(status, (("content-type", "application/json"),), body, 0.0)
    assert classify(Step("POST", "/", frozenset()), door, reply, new_jobs) == expected
