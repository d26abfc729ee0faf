"""Fixtures for the Loki tests: generated incident logs served in Loki's documented API format.

No Loki server can be installed here, so `loki_api.py` serves the streams over real HTTP in the
format of Loki's HTTP API documentation. The incident: three `checkout` pods log access lines and
cache hits all along; from INCIDENT on, checkout-2 also logs a new error, `payment failed ...
connection refused`, and its access lines turn to 500s.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from tests.loki.loki_api import LokiState, Stream, loki_api

NS = 1_000_000_000
START = 1_777_636_800  # 2026-05-01T12:00:00Z
INCIDENT = START + 2 * 3600
END = START + 3 * 3600
BAD_POD = "checkout-2"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def incident_streams(every: int = 10) -> list[Stream]:
    rng = random.Random(11)
    streams = []
    for i in range(3):
        pod = f"checkout-{i}"
        entries: list[tuple[int, str]] = []
        for t in range(START, END, every):
            ts = t * NS + i * 1000
            failing = pod == BAD_POD and t >= INCIDENT
            code = 500 if failing else 200
            entries.append((ts, f'10.1.{i}.{rng.randint(2, 250)} - - "GET /cart/{rng.randint(1, 99999)} HTTP/1.1" '
                                f"{code} {rng.randint(100, 9000)} {rng.randint(1, 400)}ms"))
            entries.append((ts + 1, f'level=info msg="cache hit" key=user:{rng.randint(1, 9999)} '
                                    f"ttl={rng.randint(1, 60)}s"))
            if failing:
                entries.append((ts + 2, f'level=error msg="payment failed" order={rng.getrandbits(48):x} '
                                        f'err="dial tcp 10.0.3.7:5432: connect: connection refused"'))
        streams.append(Stream({"namespace": "shop", "app": "checkout", "pod": pod}, entries))
    streams.append(Stream({"namespace": "shop", "app": "cart", "pod": "cart-0"},
                          [(t * NS, f"level=info msg=ok n={t % 97}") for t in range(START, END, 60)]))
    return streams


@pytest.fixture
def state() -> LokiState:
    return LokiState(streams=incident_streams())


@pytest.fixture
def loki_url(state: LokiState) -> Iterator[str]:
    with loki_api(state) as url:
        yield url
