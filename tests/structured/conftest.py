"""Fixtures for the structured-answer tests: the replay API server (tests/kubernetes), the real
Prometheus loaded with the generated incident (tests/prometheus) and the Loki API in its documented
format (tests/loki)."""

from tests.kubernetes.conftest import anyio_backend, bundles, replays
from tests.prometheus.conftest import incident_file, prometheus

__all__ = ["anyio_backend", "bundles", "incident_file", "prometheus", "replays"]
