"""Prose after "waiting for" is not a host (agent.triage.init_wait._hosts): client-go's leader election and
informers say "timed out waiting for the condition" and "waiting for all caches to sync"; a wait loop's own
"waiting for orders-db" still names its host."""

from __future__ import annotations

from agent.triage.init_wait import _IN_OUTPUT, _hosts


def test_client_go_prose_names_no_host() -> None:
    lines = ["leaderelection.go:285] failed to renew lease ops/x: timed out waiting for the condition",
             "shared_informer.go:311] Waiting for all caches to sync", "waiting for a lease on ops/x"]
    assert _hosts(lines, _IN_OUTPUT) == []


def test_a_wait_loops_own_line_still_names_its_host() -> None:
    assert _hosts(["waiting for orders-db", "waiting for the condition"], _IN_OUTPUT) == ["orders-db"]
