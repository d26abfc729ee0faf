"""What the bounded body parse (agent/server/bodies.py) costs: the depth walk and surrogate check
after `json.loads`, on a typical Alertmanager body, a 1 MiB one, and hostile ones (deep nesting,
many tiny containers) that the front doors must refuse cheaply. Every route parses only after the
credentials or signature check, so only an authenticated sender can make it parse at all; the
worst case left is `json.loads` itself building a million small objects (its cyclic GC passes
dominate), bounded by `max_body_bytes`.

    .venv/bin/python benchmarks/frontdoors/bench_body_parse.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from agent.server.bodies import Refused, parse_json
from tests.frontdoors.test_webhooks import alertmanager_payload


def best_of(body: bytes, runs: int = 7) -> tuple[float, str]:
    times, outcome = [], ""
    for _ in range(runs):
        started = time.perf_counter()
        try:
            parse_json(body)
            outcome = "accepted"
        except Refused as refused:
            outcome = f"{refused.status} {refused.error}"
        times.append(time.perf_counter() - started)
    return min(times), outcome


def main() -> None:
    typical = json.dumps(alertmanager_payload()).encode()
    big = alertmanager_payload()
    one = big["alerts"][0]
    big["alerts"] = [one] * (1_000_000 // len(json.dumps(one)))
    wide = json.dumps(big).encode()
    cases = {
        f"typical Alertmanager body ({len(typical):,} B)": typical,
        f"Alertmanager body of {len(big['alerts']):,} alerts ({len(wide):,} B)": wide,
        "1 MiB of [[[[...]]]] (depth 524,288)": b"[" * 524_288 + b"]" * 524_288,
        "1 MiB of [[],[],...] (349,525 containers)": b"[" + b",".join([b"[]"] * 349_525) + b"]",
        "depth 33 object (one over the bound)": b'{"a":' * 33 + b"1" + b"}" * 33,
    }
    print(f"{'case':<44} {'best of 7':>12}  outcome")
    for name, body in cases.items():
        seconds, outcome = best_of(body)
        print(f"{name:<44} {seconds * 1000:>9.2f} ms  {outcome}")


if __name__ == "__main__":
    main()
