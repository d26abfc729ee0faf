"""A StatefulSet's governing Service absent from the capture while every replica is ready: the scan says so as
information, and the ranking does not assert it as a cause (the pods' own working contradicts "their names do
not resolve"); the same absence with replicas not ready keeps its weight.

Written here, not taken from the held-out bundles: a three-member etcd set and a two-member MongoDB replica set.
"""

from __future__ import annotations

from agent.triage.rank import UNVERIFIED, cause_weight
from tests.triage.test_rank import finding


def _missing(name: str, service: str, severity: str, ready: str) -> dict[str, object]:
    made = finding("workload.missing_service", "StatefulSet", "data", name,
                   f"StatefulSet data/{name}: serviceName {service} ... ({ready} replicas ready)")
    made["severity"] = severity
    return made


def test_a_latent_absence_with_every_replica_ready_weighs_as_unverified() -> None:
    for name, service in (("etcd", "etcd-peers"), ("mongo", "mongo-headless")):
        weight = cause_weight(_missing(name, service, "info", "3/3"))
        assert weight == UNVERIFIED


def test_the_absence_with_replicas_not_ready_keeps_its_weight() -> None:
    for name, service in (("etcd", "etcd-peers"), ("mongo", "mongo-headless")):
        weight = cause_weight(_missing(name, service, "critical", "0/3"))
        assert weight > UNVERIFIED
