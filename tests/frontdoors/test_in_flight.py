"""`vigil_http_requests_in_flight` counts a request from the moment it reaches the app until the app is
done with it (agent/server/in_flight.py), which is what the hostile runner waits on before it counts jobs
(`benchmarks/frontdoors/run_hostile.py`, `settled_jobs`)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest

from agent.server.in_flight import GAUGE
from benchmarks.frontdoors.run_hostile import server_counts, settled_jobs
from tests.frontdoors.conftest import AM_TOKEN, Service
from tests.frontdoors.test_half_close import request, serving
from tests.frontdoors.test_webhooks import alertmanager_payload

pytestmark = pytest.mark.anyio


async def in_flight(service: Service) -> int:
    text = (await service.client.get("/metrics")).text
    [line] = [line for line in text.splitlines() if line.startswith(GAUGE + " ")]
    return int(line.split()[1])


async def test_a_request_counts_until_its_route_is_done(service: Service) -> None:
    assert await in_flight(service) == 1, "at rest, only the /metrics request reading the gauge"
    body = json.dumps(alertmanager_payload(alertname="InFlight")).encode()
    release = anyio.Event()

    async def trickle() -> AsyncIterator[bytes]:
        yield body[:20]
        await release.wait()  # the route is reading the body: in flight, nothing queued yet
        yield body[20:]

    statuses: list[int] = []

    async def post() -> None:
        answer = await service.client.post("/webhooks/alertmanager", content=trickle(), headers={
            "authorization": f"Bearer {AM_TOKEN}", "content-type": "application/json"})
        statuses.append(answer.status_code)

    async with anyio.create_task_group() as group:
        group.start_soon(post)
        with anyio.fail_after(5):
            while await in_flight(service) != 2:
                await anyio.sleep(0.01)
        assert sum((await service.door.queue.counts()).values()) == 0
        release.set()
    assert statuses == [202]
    assert await in_flight(service) == 1
    assert sum((await service.door.queue.counts()).values()) == 1


def test_the_runner_counts_a_job_its_request_queues_after_the_count_began(tmp_path: Path) -> None:
    """The hostile runner's count waits for a request still being read, so its job is charged to it."""
    data = request("Settle")
    with serving(tmp_path) as (port, _door), socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(data[:-40])

        def finish() -> None:
            time.sleep(0.5)
            sock.sendall(data[-40:])

        sender = threading.Thread(target=finish)
        started = time.monotonic()
        sender.start()
        while server_counts(port)[1] != 2 and time.monotonic() - started < 0.4:
            time.sleep(0.005)  # the request's head has reached the app: it is in flight
        assert server_counts(port) == (0, 2), "in flight, nothing queued yet"
        jobs, settled = settled_jobs(port)
        sender.join()
    assert (jobs, settled) == (1, True)
    assert time.monotonic() - started >= 0.5


async def test_a_reading_that_shows_nothing_else_in_flight_includes_every_finished_requests_job(
        service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    """/metrics reads the gauge before it counts the queue: a request that finishes while the queue is being
    counted shows as still in flight, never as done beside a count that misses its job (CI caught the
    runner charging zero jobs to a request when it finished between the two reads)."""
    body = json.dumps(alertmanager_payload(alertname="ReadOrder")).encode()
    release, finished = anyio.Event(), anyio.Event()

    async def trickle() -> AsyncIterator[bytes]:
        yield body[:20]
        await release.wait()
        yield body[20:]

    async def post() -> None:
        await service.client.post("/webhooks/alertmanager", content=trickle(), headers={
            "authorization": f"Bearer {AM_TOKEN}", "content-type": "application/json"})
        finished.set()

    counted = service.door.render_metrics

    async def count_then_let_the_request_finish() -> str:
        text = await counted()  # the queue is counted while the request is still reading its body
        release.set()
        with anyio.fail_after(5):
            await finished.wait()
        return str(text)

    async with anyio.create_task_group() as group:
        group.start_soon(post)
        with anyio.fail_after(5):
            while await in_flight(service) != 2:
                await anyio.sleep(0.01)
        monkeypatch.setattr(service.door, "render_metrics", count_then_let_the_request_finish)
        jobs, gauge = metrics_reading((await service.client.get("/metrics")).text)
    assert (jobs, gauge) == (0, 2), "counted before the job was queued, so the request still shows in flight"
    monkeypatch.setattr(service.door, "render_metrics", counted)
    assert metrics_reading((await service.client.get("/metrics")).text) == (1, 1)


def metrics_reading(text: str) -> tuple[int, int]:
    """(jobs in any state, requests in flight) from one /metrics answer."""
    jobs = sum(int(float(line.rsplit(" ", 1)[1])) for line in text.splitlines() if line.startswith("vigil_jobs{"))
    [gauge] = [int(line.split()[1]) for line in text.splitlines() if line.startswith(GAUGE + " ")]
    return jobs, gauge
