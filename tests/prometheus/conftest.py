"""Fixtures for the Prometheus server tests: a real Debian `prometheus`, loaded with generated data.

The generated incident is small but shaped like a real one: twelve pods of a `checkout` service
whose memory is flat for three hours until, at INCIDENT, one pod (checkout-7) starts leaking, and
whose 5xx rate jumps on checkout-3 at the same moment. A test can then check that the summaries
name exactly those series and that time. All timestamps are fixed, so answers are reproducible.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from mcp_servers.prometheus.local import LocalPrometheus

START = 1_777_636_800  # 2026-05-01T12:00:00Z
INCIDENT = START + 3 * 3600  # 15:00Z
END = START + 4 * 3600  # 16:00Z
SCRAPE = 30
PODS = 12
LEAKING_POD = "checkout-7"
ERRORING_POD = "checkout-3"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def incident_openmetrics() -> str:
    """OpenMetrics text for the generated incident (sorted per metric family, `# EOF`-terminated)."""
    rng = random.Random(7)
    lines = [
        "# HELP container_memory_working_set_bytes Current working set of the container in bytes.",
        "# TYPE container_memory_working_set_bytes gauge",
        "# UNIT container_memory_working_set_bytes bytes",
    ]
    for i in range(PODS):
        pod = f"checkout-{i}"
        base = 300e6 + i * 5e6
        for t in range(START, END + 1, SCRAPE):
            value = base + rng.gauss(0, 3e6)
            if pod == LEAKING_POD and t >= INCIDENT:
                value += (t - INCIDENT) * 60e3  # 60 kB/s leak: +216 MB in an hour
            lines.append(
                f'container_memory_working_set_bytes{{namespace="shop",pod="{pod}",container="app"}} '
                f"{value:.0f} {t}"
            )
    lines += [
        "# HELP http_requests Requests served.",
        "# TYPE http_requests counter",
    ]
    for i in range(PODS):
        pod = f"checkout-{i}"
        for code in ("200", "500"):
            total = 0.0
            for t in range(START, END + 1, SCRAPE):
                rate = 20.0 + 2 * math.sin(t / 600) if code == "200" else 0.05
                if code == "500" and pod == ERRORING_POD and t >= INCIDENT:
                    rate = 8.0
                total += rate * SCRAPE * (1 + rng.uniform(-0.05, 0.05))
                lines.append(
                    f'http_requests_total{{namespace="shop",pod="{pod}",code="{code}"}} {total:.1f} {t}'
                )
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="session")
def incident_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("om") / "incident.om"
    path.write_text(incident_openmetrics(), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def prometheus(incident_file: Path) -> Iterator[LocalPrometheus]:
    """One real Prometheus for the whole session (start-up is ~0.3 s but backfill costs more)."""
    with LocalPrometheus(incident_file) as prom:
        yield prom
