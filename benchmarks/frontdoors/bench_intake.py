"""Webhook intake benchmark: requests per second and latency percentiles of `vigil serve` on loopback,
each request verified, committed durably to the queue and answered 202.

Bounded load: a fixed number of Alertmanager webhooks (distinct incidents, so each one is a real
insert rather than a merge) sent by a fixed number of concurrent clients; it stops by itself. Runs
against SQLite (WAL, synchronous=FULL) and, when the Debian PostgreSQL binaries are present, a
throwaway PostgreSQL cluster (fsync on). Workers are off (`--workers 0`) so only intake is measured.

    .venv/bin/python benchmarks/frontdoors/bench_intake.py [--requests 2000] [--concurrency 32]

Writes benchmarks/results/frontdoors_intake.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results" / "frontdoors_intake.json"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
TOKEN = "bench-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def postgres() -> Iterator[str | None]:
    """A throwaway PostgreSQL on a free loopback port, or None when the binaries are absent."""
    if not (PG_BIN / "initdb").exists():
        yield None
        return
    root = Path(tempfile.mkdtemp(prefix="vigil-bench-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    data = root / "data"
    subprocess.run([*as_user, str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "vigil", "--no-sync"],
                   check=True, capture_output=True)
    subprocess.run([*as_user, str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-o",
                    f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=on", "start"],
                   check=True, capture_output=True)
    try:
        yield f"postgresql://vigil@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def vigil_serve(queue_url: str, workdir: Path) -> Iterator[str]:
    port = free_port()
    config = workdir / "vigil.yaml"
    config.write_text(json.dumps({"state_dir": str(workdir / "state")}))
    env = {**os.environ, "VIGIL_CONFIG": str(config), "VIGIL_ALERTMANAGER_TOKEN": TOKEN}
    proc = subprocess.Popen([sys.executable, "-m", "agent.cli.serve", "serve", "--port", str(port),
                             "--workers", "0", "--queue-url", queue_url], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("vigil serve did not start")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def payload(i: int) -> bytes:
    labels = {"alertname": f"BenchAlert{i}", "namespace": "bench", "severity": "warning"}
    return json.dumps({"version": "4", "status": "firing", "receiver": "vigil", "groupLabels": labels,
                       "commonLabels": labels, "commonAnnotations": {"summary": f"bench {i}"},
                       "alerts": [{"status": "firing", "labels": labels, "annotations": {"summary": f"bench {i}"},
                                   "startsAt": "2026-03-12T14:20:00Z"}]}).encode()


async def load(url: str, requests: int, concurrency: int, path: str = "/webhooks/alertmanager") -> dict[str, Any]:
    """Send `requests` requests from `concurrency` clients; POST webhooks, or GET any other path."""
    bodies = [payload(i) for i in range(requests)]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    next_index = 0
    headers = {"Authorization": f"Bearer {TOKEN}", "content-type": "application/json"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        await client.post(f"{url}/webhooks/alertmanager", content=payload(-1), headers=headers)  # warm up

        async def worker() -> None:
            nonlocal next_index
            while next_index < requests:
                body = bodies[next_index]
                next_index += 1
                started = time.perf_counter()
                if path == "/webhooks/alertmanager":
                    response = await client.post(f"{url}{path}", content=body, headers=headers)
                else:
                    response = await client.get(f"{url}{path}")
                latencies.append(time.perf_counter() - started)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 2)

    return {"requests": requests, "concurrency": concurrency, "seconds": round(elapsed, 3),
            "requests_per_second": round(requests / elapsed, 1), "p50_ms": pct(0.50), "p90_ms": pct(0.90),
            "p99_ms": pct(0.99), "max_ms": round(latencies[-1] * 1000, 2),
            "mean_ms": round(statistics.fmean(latencies) * 1000, 2), "statuses": statuses}


def enqueue_latency(url: str) -> dict[str, Any]:
    """The server's own view: time to commit each accepted request (vigil_enqueue_seconds histogram)."""
    buckets: list[tuple[float, float]] = []
    count = total = 0.0
    for line in httpx.get(f"{url}/metrics").text.splitlines():
        if line.startswith("vigil_enqueue_seconds_bucket"):
            bound = line.split('le="')[1].split('"')[0]
            buckets.append((float("inf") if bound == "+Inf" else float(bound), float(line.rsplit(" ", 1)[1])))
        elif line.startswith("vigil_enqueue_seconds_count"):
            count = float(line.rsplit(" ", 1)[1])
        elif line.startswith("vigil_enqueue_seconds_sum"):
            total = float(line.rsplit(" ", 1)[1])
    p99_bound = next((b for b, c in buckets if count and c >= 0.99 * count), None)
    return {"commits": int(count), "mean_ms": round(total / count * 1000, 2) if count else None,
            "p99_at_most_ms": None if p99_bound is None else p99_bound * 1000}


def measure(url: str, requests: int, concurrency: int) -> dict[str, Any]:
    result = asyncio.run(load(url, requests, concurrency))
    result["server_enqueue"] = enqueue_latency(url)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    results: dict[str, Any] = {"benchmark": "webhook intake (Alertmanager, durable enqueue, 202)",
                               "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                           "platform": platform.platform()},
                               "backends": {}}
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        (work / "sqlite").mkdir()
        with vigil_serve(f"sqlite:///{work / 'sqlite' / 'jobs.db'}", work / "sqlite") as url:
            # The same client against /healthz: what HTTP alone costs on this machine.
            results["baseline_healthz"] = asyncio.run(load(url, args.requests, args.concurrency, "/healthz"))
            results["backends"]["sqlite"] = measure(url, args.requests, args.concurrency)
        with postgres() as pg_url:
            if pg_url is None:
                results["backends"]["postgresql"] = {"skipped": "PostgreSQL binaries absent"}
            else:
                (work / "pg").mkdir()
                with vigil_serve(pg_url, work / "pg") as url:
                    results["backends"]["postgresql"] = measure(url, args.requests, args.concurrency)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    rows = [("healthz", results["baseline_healthz"]), *results["backends"].items()]
    for backend, r in rows:
        if "skipped" in r:
            print(f"{backend:<11} skipped: {r['skipped']}")
            continue
        server = r.get("server_enqueue")
        commit = f"   server commit mean {server['mean_ms']} ms, p99 <= {server['p99_at_most_ms']} ms" if server else ""
        print(f"{backend:<11} {r['requests_per_second']:>8} req/s   p50 {r['p50_ms']} ms   p99 {r['p99_ms']} ms   "
              f"max {r['max_ms']} ms   ({r['requests']} requests, {r['concurrency']} concurrent, "
              f"statuses {r['statuses']}){commit}")
    print(f"results: {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
