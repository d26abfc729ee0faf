"""Fixtures shared with other suites: a real bare git remote seeded with the demo GitOps repository, and a
throwaway PostgreSQL cluster (Debian's package) for the audit anchors."""

from tests.frontdoors.conftest import postgres_url
from tests.gitops.conftest import anyio_backend, remote

__all__ = ["anyio_backend", "postgres_url", "remote"]
