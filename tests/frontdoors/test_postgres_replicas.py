"""Several replicas on one real PostgreSQL 15 (Debian package, started by the fixture): no job is
processed twice, none is missed, and duplicates landing on different replicas still merge."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import anyio
import httpx
import psycopg
import pytest

from agent.queue import Job, JobContext, WorkerPool
from agent.queue.postgres import PostgresQueue
from tests.frontdoors.conftest import AM_TOKEN
from tests.frontdoors.test_durability import serve, wait_for
from tests.frontdoors.test_webhooks import alertmanager_payload


def fresh_schema(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS vigil_jobs, vigil_nonces")


@pytest.mark.anyio
async def test_two_worker_pools_never_process_a_job_twice(postgres_url: str) -> None:
    fresh_schema(postgres_url)
    producer = PostgresQueue(postgres_url)
    ids = {producer.enqueue("investigate", f"fp{i}", {"i": i}).job_id for i in range(120)}
    seen: list[tuple[str, str]] = []

    async def handler(job: Job, ctx: JobContext) -> dict[str, Any]:
        seen.append((job.id, ctx.worker))
        await anyio.sleep(0.002)
        return {"by": ctx.worker}

    replicas = [PostgresQueue(postgres_url), PostgresQueue(postgres_url)]
    pools = [WorkerPool(q, {"investigate": handler}, concurrency=4, poll_seconds=0.05, name=f"replica-{i}")
             for i, q in enumerate(replicas)]
    async with anyio.create_task_group() as tg:
        for pool in pools:
            tg.start_soon(pool.run)
        deadline = time.monotonic() + 60
        while producer.counts()["done"] < 120 and time.monotonic() < deadline:
            await anyio.sleep(0.05)
        for pool in pools:
            pool.stop()
    processed = [job_id for job_id, _ in seen]
    assert sorted(processed) == sorted(ids), "each job exactly once"
    assert {worker for _, worker in seen} == {"replica-0", "replica-1"}, "both replicas took work"
    assert producer.counts()["done"] == 120
    for q in (producer, *replicas):
        q.close()


@pytest.mark.slow
def test_two_serve_replicas_share_one_queue(postgres_url: str, tmp_path: Path) -> None:
    """Two `vigil serve` processes behind an imaginary load balancer: a burst for one incident spread
    over both makes one job; distinct incidents are each investigated once."""
    fresh_schema(postgres_url)
    env = {"VIGIL_SERVE__QUEUE_URL": postgres_url}
    with serve(tmp_path / "a", workers=2, name="a", env_extra=env) as (url_a, _), \
        serve(tmp_path / "b", workers=2, name="b", env_extra=env) as (url_b, _):
        same = json.dumps(alertmanager_payload()).encode()
        distinct = [json.dumps(alertmanager_payload(alertname=f"Alert{i}")).encode() for i in range(10)]

        async def fire() -> list[httpx.Response]:
            headers = {"Authorization": f"Bearer {AM_TOKEN}", "content-type": "application/json"}
            async with httpx.AsyncClient(timeout=30) as client:
                calls = [client.post(f"{(url_a, url_b)[i % 2]}/webhooks/alertmanager", content=same,
                                     headers=headers) for i in range(20)]
                calls += [client.post(f"{(url_a, url_b)[i % 2]}/webhooks/alertmanager", content=body,
                                      headers=headers) for i, body in enumerate(distinct)]
                return await asyncio.gather(*calls)

        responses = asyncio.run(fire())
        assert all(r.status_code == 202 for r in responses)
        burst_jobs = {r.json()["jobs"][0]["job"] for r in responses[:20]}
        assert len(burst_jobs) == 1
        queue = PostgresQueue(postgres_url)
        wait_for(lambda: queue.counts()["done"] == 11, seconds=60)
        [burst_job] = burst_jobs
        merged = queue.get(burst_job)
        assert merged is not None and merged.deliveries == 20
        queue.close()
    reports = []
    for side in ("a", "b"):
        audit = tmp_path / side / "state" / "audit.jsonl"
        if audit.exists():
            reports += [json.loads(line) for line in audit.read_text().splitlines()
                        if line and json.loads(line).get("kind") == "report"]
    fingerprints = [r["fingerprint"] for r in reports]
    assert len(fingerprints) == 11 and len(set(fingerprints)) == 11, "each incident investigated once"


@pytest.mark.anyio
async def test_an_approval_clicked_on_one_replica_reaches_the_investigation_on_another(
        postgres_url: str, tmp_path: Path, recorder: Any) -> None:
    from slack_sdk.web.async_client import AsyncWebClient

    from agent.config import Config
    from agent.queue.approvals import PostgresApprovalStore
    from agent.server.app import create_app
    from agent.server.blocks import APPROVE_ACTION
    from agent.server.settings import ServeSettings
    from tests.frontdoors.conftest import SLACK_SECRET, Service
    from tests.frontdoors.test_slack import ApprovingInvestigation, action_body, command_body, post_slack

    fresh_schema(postgres_url)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS vigil_approvals")
    environ = {"VIGIL_SLACK_SIGNING_SECRET": SLACK_SECRET, "VIGIL_SLACK_BOT_TOKEN": "xoxb-test"}
    settings = ServeSettings.model_validate({"workers": 1, "queue_url": postgres_url,
                                             "slack": {"api_url": recorder.url + "/api/"}})
    fake = ApprovingInvestigation()
    replicas = []
    for name in ("a", "b"):
        app = create_app(settings, Config(state_dir=tmp_path / name), investigate=fake, environ=environ,
                         slack_client=AsyncWebClient(token="xoxb-test", base_url=recorder.url + "/api/"))
        replicas.append(app)
    assert all(isinstance(app.state.door.approvals, PostgresApprovalStore) for app in replicas)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=replicas[0]), base_url="http://a") as a, \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=replicas[1]), base_url="http://b") as b:
        on_a = Service(replicas[0], replicas[0].state.door, a, fake, recorder, environ)
        on_b = Service(replicas[1], replicas[1].state.door, b, fake, recorder, environ)
        assert (await post_slack(on_a, command_body("investigate payments in namespace payments"))).status_code == 200

        async def click_on_b() -> None:
            with anyio.fail_after(10):
                while not (pending := replicas[1].state.door.approvals.pending()):
                    await anyio.sleep(0.05)
            assert (await post_slack(on_b, action_body(APPROVE_ACTION, pending[0]["id"], "U5"))).status_code == 200

        async with anyio.create_task_group() as tg:
            tg.start_soon(click_on_b)
            await on_a.run_jobs(seconds=15)
    [decision] = fake.decisions
    assert decision.approved and decision.approver == "slack:U5"
    for app in replicas:
        app.state.door.queue.sync.close()
