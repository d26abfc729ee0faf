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
