"""The queue contract, run against both backends: SQLite (WAL) and a real PostgreSQL 15."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from agent.queue import Backoff, JobQueue, ReplayError, liveness, open_queue
from agent.queue.postgres import PostgresQueue
from agent.queue.sqlite import SQLiteQueue


@pytest.fixture(params=["sqlite", "postgres"])
def queue(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[JobQueue]:
    backoff = Backoff(base_seconds=0.0, factor=2.0, cap_seconds=0.0)
    q: JobQueue
    if request.param == "sqlite":
        q = SQLiteQueue(tmp_path / "jobs.db", backoff=backoff)
    else:
        url = request.getfixturevalue("postgres_url")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DROP TABLE IF EXISTS vigil_jobs, vigil_nonces")
        q = PostgresQueue(url, backoff=backoff)
    yield q
    q.close()


def test_enqueue_then_claim_then_complete(queue: JobQueue) -> None:
    made = queue.enqueue("investigate", "fp1", {"incident": {"title": "t"}}, source="alertmanager")
    assert made.created and made.state == "queued"
    job = queue.claim("w1", lease_seconds=30)
    assert job is not None and job.id == made.job_id
    assert (job.state, job.attempts, job.worker, job.payload) == ("running", 1, "w1", {"incident": {"title": "t"}})
    assert queue.claim("w2", lease_seconds=30) is None, "a running job is not handed out twice"
    assert queue.complete(job.id, "w1", {"markdown": "# report"})
    done = queue.get(job.id)
    assert done is not None and done.state == "done" and done.result == {"markdown": "# report"}
    assert done.finished_at is not None


def test_duplicates_merge_into_the_active_job_and_are_counted(queue: JobQueue) -> None:
    first = queue.enqueue("investigate", "fp", {"n": 1})
    second = queue.enqueue("investigate", "fp", {"n": 2})
    other = queue.enqueue("investigate", "other", {"n": 3})
    assert not second.created and second.job_id == first.job_id
    assert other.created and other.job_id != first.job_id
    job = queue.get(first.job_id)
    assert job is not None and job.deliveries == 2 and job.payload == {"n": 1}


def test_dedupe_window_covers_recently_finished_jobs(queue: JobQueue) -> None:
    made = queue.enqueue("investigate", "fp", {}, dedupe_window_seconds=3600)
    job = queue.claim("w", 30)
    assert job is not None
    queue.complete(job.id, "w")
    again = queue.enqueue("investigate", "fp", {}, dedupe_window_seconds=3600)
    assert again.job_id == made.job_id and again.state == "done"
    fresh = queue.enqueue("investigate", "fp", {}, dedupe_window_seconds=0)
    assert fresh.created, "outside the window a repeat is a new investigation"


def test_a_replayed_nonce_is_refused_and_stores_nothing(queue: JobQueue) -> None:
    queue.enqueue("investigate", "fp", {}, nonce="pd:EV1")
    with pytest.raises(ReplayError):
        queue.enqueue("investigate", "fp-different", {}, nonce="pd:EV1")
    assert queue.counts()["queued"] == 1
    queue.remember("slack:abc")
    with pytest.raises(ReplayError):
        queue.remember("slack:abc")


def test_failures_retry_with_backoff_then_dead_letter(tmp_path: Path) -> None:
    q = SQLiteQueue(tmp_path / "jobs.db", backoff=Backoff(base_seconds=0.2, factor=2, cap_seconds=1))
    made = q.enqueue("investigate", "fp", {}, max_attempts=2)
    job = q.claim("w", 30)
    assert job is not None
    assert q.fail(job.id, "w", "boom") == "queued"
    assert q.claim("w", 30) is None, "the backoff delays the next attempt"
    time.sleep(0.25)
    job = q.claim("w", 30)
    assert job is not None and job.attempts == 2
    assert q.fail(job.id, "w", "boom again") == "dead"
    dead = q.get(made.job_id)
    assert dead is not None and dead.state == "dead" and dead.last_error == "boom again"
    assert [j.id for j in q.list(("dead",))] == [made.job_id]
    assert q.retry(made.job_id)
    revived = q.claim("w", 30)
    assert revived is not None and revived.attempts == 1


def test_permanent_failure_skips_retries(queue: JobQueue) -> None:
    queue.enqueue("investigate", "fp", {}, max_attempts=5)
    job = queue.claim("w", 30)
    assert job is not None
    assert queue.fail(job.id, "w", "unreadable payload", retry=False) == "dead"


def test_an_expired_lease_puts_the_job_back(queue: JobQueue) -> None:
    made = queue.enqueue("investigate", "fp", {})
    crashed = queue.claim("dead-worker", lease_seconds=0.05)
    assert crashed is not None
    time.sleep(0.1)
    again = queue.claim("w2", lease_seconds=30)
    assert again is not None and again.id == made.job_id and again.attempts == 2
    assert not queue.complete(made.job_id, "dead-worker"), "the old worker lost the job with its lease"
    assert queue.complete(made.job_id, "w2")


def test_a_job_of_a_worker_killed_on_this_host_is_taken_back_at_once(queue: JobQueue) -> None:
    """A real process is SIGKILLed while it 'holds' a job with a 300 s lease; the next claim on this
    host takes the job back at once. A job of a live worker, or of one on another host, keeps its lease."""
    victim = subprocess.Popen(["sleep", "60"])
    dead_name = str(liveness.WorkerName(socket.gethostname(), liveness.boot_id(), victim.pid,
                                        liveness.start_time(victim.pid) or "", "victim"))
    alive_name = str(liveness.this_process())
    elsewhere = str(liveness.WorkerName("another-host", "b", 1, "1", "x"))
    jobs = [queue.enqueue("investigate", f"fp{i}", {}).job_id for i in range(3)]
    for worker in (dead_name, alive_name, elsewhere):
        assert queue.claim(worker, lease_seconds=300) is not None
    assert queue.claim("w2", lease_seconds=30) is None, "the victim still runs: every lease holds"
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    again = queue.claim("w2", lease_seconds=30)
    assert again is not None and again.id == jobs[0] and again.attempts == 2
    assert queue.get(jobs[0]).last_error == liveness.RECLAIMED  # type: ignore[union-attr]
    assert queue.claim("w3", lease_seconds=30) is None, "a live worker and another host's keep their jobs"
    assert not queue.complete(jobs[0], dead_name)


def test_liveness_judges_only_what_it_can_prove() -> None:
    proc = subprocess.Popen(["sleep", "60"])
    here, boot = socket.gethostname(), liveness.boot_id()
    started = liveness.start_time(proc.pid) or ""
    name = liveness.WorkerName(here, boot, proc.pid, started, "n")
    assert not liveness.provably_dead(str(name))
    assert liveness.provably_dead(str(name.__class__(here, boot, proc.pid, started + "1", "n"))), "pid reused"
    if boot:
        assert liveness.provably_dead(str(name.__class__(here, "another-boot", proc.pid, started, "n"))), "rebooted"
    assert not liveness.provably_dead(str(name.__class__("another-host", boot, 999_999_999, started, "n")))
    assert not liveness.provably_dead("w-without-structure") and not liveness.provably_dead(None)
    os.kill(proc.pid, signal.SIGKILL)
    time.sleep(0.2)
    assert liveness.provably_dead(str(name)), "a zombie (killed, not yet reaped) is dead"
    proc.wait()
    assert liveness.provably_dead(str(name))
    assert liveness.WorkerName.parse(str(name)) == name


def test_resolved_cancels_queued_jobs_and_marks_finished_ones(queue: JobQueue) -> None:
    waiting = queue.enqueue("investigate", "fpA", {})
    finished = queue.enqueue("investigate", "fpB", {})
    job = queue.claim("w", 30)
    assert job is not None and job.id == waiting.job_id
    queue.complete(job.id, "w")
    assert queue.close_incident("fpB", "resolved") == [finished.job_id]
    cancelled = queue.get(finished.job_id)
    assert cancelled is not None and cancelled.state == "cancelled" and cancelled.incident_status == "resolved"
    queue.close_incident("fpA", "acknowledged")
    acked = queue.get(waiting.job_id)
    assert acked is not None and acked.state == "done" and acked.incident_status == "acknowledged"


def test_concurrent_claims_never_hand_out_a_job_twice(queue: JobQueue) -> None:
    ids = {queue.enqueue("investigate", f"fp{i}", {}).job_id for i in range(40)}
    taken: list[str] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        while (job := queue.claim(name, 30)) is not None:
            with lock:
                taken.append(job.id)
            queue.complete(job.id, name)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(taken) == sorted(ids)
    assert queue.counts()["done"] == 40


def test_find_by_ref_and_open_queue_urls(tmp_path: Path) -> None:
    q = open_queue(f"sqlite:///{tmp_path}/a/jobs.db")
    assert isinstance(q, SQLiteQueue) and q.path == tmp_path / "a" / "jobs.db"
    made = q.enqueue("investigate", "fp", {}, ref="slack:C1:1.0")
    found = q.find_by_ref("slack:C1:1.0")
    assert found is not None and found.id == made.job_id
    assert q.find_by_ref("slack:C1:2.0") is None
    journal = q._conn().execute("PRAGMA journal_mode").fetchone()[0]
    assert journal == "wal"


@pytest.mark.anyio
async def test_worker_pool_retries_dead_letters_and_reports_outcomes(tmp_path: Path) -> None:
    import anyio

    from agent.queue import Job, JobContext, PermanentError, WorkerPool

    q = SQLiteQueue(tmp_path / "jobs.db", backoff=Backoff(base_seconds=0.0))
    flaky = q.enqueue("investigate", "flaky", {}, max_attempts=3).job_id
    broken = q.enqueue("investigate", "broken", {}, max_attempts=3).job_id
    orphan = q.enqueue("nobody-handles-this", "x", {}).job_id
    tries: dict[str, int] = {}
    outcomes: list[tuple[str, str]] = []

    async def handler(job: Job, ctx: JobContext) -> dict[str, str]:
        tries[job.dedupe_key] = tries.get(job.dedupe_key, 0) + 1
        if job.dedupe_key == "broken":
            raise PermanentError("the payload can never work")
        if tries[job.dedupe_key] < 3:
            raise RuntimeError("transient")
        await ctx.save({"partial": "kept"})
        return {"ok": "yes"}

    pool = WorkerPool(q, {"investigate": handler}, concurrency=2, poll_seconds=0.02,
                      on_finish=lambda job, outcome: outcomes.append((job.dedupe_key, outcome)))
    async with anyio.create_task_group() as tg:
        tg.start_soon(pool.run)
        with anyio.fail_after(10):
            while q.counts()["queued"] or q.counts()["running"]:
                await anyio.sleep(0.02)
        pool.stop()
    assert (q.get(flaky).state, q.get(flaky).attempts, q.get(flaky).result) == ("done", 3, {"ok": "yes"})  # type: ignore[union-attr]
    assert (q.get(broken).state, q.get(broken).attempts) == ("dead", 1)  # type: ignore[union-attr]
    assert q.get(orphan).state == "dead" and "no handler" in (q.get(orphan).last_error or "")  # type: ignore[union-attr]
    assert outcomes.count(("flaky", "retry")) == 2 and ("flaky", "done") in outcomes and ("broken", "dead") in outcomes
