"""Benchmark: log facts over 10,000 lines of mixed formats, and over 10,000 error lines.

The mixed sample is what a pod or a Loki window usually holds: mostly info lines (JSON, logfmt,
Envoy and nginx access logs, klog, logback) with about one line in eight an error of some class,
and a multi-line stack trace (Python, Java, Go or Node) every 250 lines. The error-only sample is
the worst case: every line is an error to classify, mask and group. Lines are generated with a
fixed seed, so runs compare.

Run: .venv/bin/python benchmarks/logs/bench_logfacts.py [--lines 10000] [--runs 5]
Writes benchmarks/results/logfacts.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from mcp_servers.common.logfacts import extract

ROOT = Path(__file__).resolve().parents[2]
RESULT = ROOT / "benchmarks" / "results" / "logfacts.json"

TRACES = [
    ["Traceback (most recent call last):", '  File "/app/worker.py", line 41, in <module>', "    main()",
     '  File "/app/settings.py", line 12, in load', '    return os.environ["DATABASE_URL"]',
     "KeyError: 'DATABASE_URL'"],
    ["java.lang.IllegalStateException: pool init failed",
     "\tat com.zaxxer.hikari.pool.HikariPool.<init>(HikariPool.java:115)",
     "Caused by: java.net.UnknownHostException: payments-db",
     "\tat java.net.InetAddress.getAllByName0(InetAddress.java:1533)", "\t... 20 more"],
    ["panic: runtime error: invalid memory address or nil pointer dereference", "", "goroutine 7 [running]:",
     "main.(*Store).Get(0x0)", "\t/src/store.go:88 +0x2e", "main.main()", "\t/src/main.go:17 +0x25"],
    ["TypeError: Cannot read properties of undefined (reading 'id')", "    at handler (/app/routes/cart.js:33:18)",
     "    at Layer.handle (/app/node_modules/express/lib/router/layer.js:95:5)"],
]


def _info(rng: random.Random, i: int) -> str:
    ip = f"10.0.{rng.randint(0, 9)}.{rng.randint(2, 250)}"
    kind = rng.randrange(6)
    if kind == 0:
        return json.dumps({"level": "info", "ts": 1709287200 + i, "msg": "request served", "path": f"/cart/{i}",
                           "status": 200, "duration_ms": rng.randint(1, 300)})
    if kind == 1:
        return f'ts=2026-03-01T10:{i % 60:02d}:00Z level=info msg="cache hit" key=user:{i} ttl={rng.randint(1, 60)}s'
    if kind == 2:
        return (f'[2026-03-01T10:00:{i % 60:02d}.000Z] "GET /api/items/{i} HTTP/1.1" 200 - 0 {rng.randint(100, 9000)} '
                f'{rng.randint(1, 90)} 3 "-" "okhttp/4.9" "{rng.getrandbits(128):032x}" "items" "{ip}:8080"')
    if kind == 3:
        return (f'{ip} - - [01/Mar/2026:10:00:00 +0000] "GET /static/{i}.js HTTP/1.1" 200 {rng.randint(100, 9000)} '
                '"-" "Mozilla/5.0"')
    if kind == 4:
        return f"I0301 10:00:{i % 60:02d}.{i:06d}       1 controller.go:120] synced {i} objects"
    return f"2026-03-01 10:00:00.{i % 1000:03d}  INFO 1 --- [nio-8080-exec-{i % 9}] c.e.shop.Api : served order {i}"


def _error(rng: random.Random, i: int) -> str:
    ip = f"10.0.3.{rng.randint(2, 250)}"
    choices = [
        f'level=error msg="db ping" err="dial tcp {ip}:5432: connect: connection refused"',
        json.dumps({"level": "error", "msg": "charge failed", "error": f"Post https://psp.example/v1/{i}: "
                    "context deadline exceeded"}),
        f'[2026-03-01T10:00:00.000Z] "POST /pay HTTP/1.1" 503 UF 10 91 3 - "-" "okhttp" "{i:x}" "payments" "{ip}:8080"',
        "2026/03/01 10:00:00 [error] 31#31: *7 upstream timed out (110: Connection timed out) while reading "
        f'response header from upstream, client: 10.0.0.9, upstream: "http://{ip}:8080/api"',
        f"E0301 10:00:00.{i:06d}       1 reflector.go:138] failed to list *v1.Pod: Unauthorized",
        "Error: Environment variable DEPLOY_ENV is undefined",
        f"2026-03-01 10:00:00.000 ERROR 1 --- [main] c.e.Client : java.net.UnknownHostException: ledger-{i % 3}",
        f'{{"level":"warn","msg":"slow query","duration_ms":{rng.randint(1000, 9000)}}}',
    ]
    return rng.choice(choices)


def mixed(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    out: list[str] = []
    i = 0
    while len(out) < n:
        i += 1
        if i % 250 == 0:
            out.extend(TRACES[(i // 250) % len(TRACES)])
        out.append(_error(rng, i) if rng.random() < 0.125 else _info(rng, i))
    return out[:n]


def errors_only(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [_error(rng, i) for i in range(n)]


def measure(lines: list[str], runs: int, fn: Callable[[list[str]], object]) -> dict[str, float]:
    fn(lines)  # warm the regex caches
    times, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn(lines)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    median = statistics.median(times)
    return {"median_s": round(median, 4), "min_s": round(min(times), 4), "max_s": round(max(times), 4),
            "cpu_median_s": round(statistics.median(cpu), 4), "lines_per_s": round(len(lines) / median),
            "lines_per_cpu_s": round(len(lines) / statistics.median(cpu))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sample = mixed(args.lines)
    worst = errors_only(args.lines)
    facts = extract(sample)
    result = {
        "benchmark": "logfacts",
        "lines": args.lines,
        "runs": args.runs,
        "mixed": measure(sample, args.runs, extract),
        "mixed_with_baseline": measure(sample, args.runs, lambda ls: extract(ls, baseline=ls[: len(ls) // 2])),
        "errors_only": measure(worst, args.runs, extract),
        "mixed_sample": {"formats": facts.formats, "error_kinds": len(facts.errors) + facts.errors_left_out,
                         "traces": len(facts.traces), "top_error": facts.errors[0].template if facts.errors else None},
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count(),
                    "platform": platform.platform()},
        "note": "wall and CPU time of extract() in one process; the machine is shared by other work, so wall "
                "times vary between runs; CPU time is the steadier figure",
    }
    RESULT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
