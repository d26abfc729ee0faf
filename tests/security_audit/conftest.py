"""Fixtures shared with the GitOps tests: a real bare remote seeded with the demo GitOps repository."""

from tests.gitops.conftest import anyio_backend, remote

__all__ = ["anyio_backend", "remote"]
