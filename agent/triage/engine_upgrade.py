"""A server upgrade brought a limit its clients now hit, with no write of the limit's setting in view.

A server's limits have defaults, and a new version may enforce a default the old one did not (RabbitMQ started
closing channels whose delivery stays unacknowledged past `consumer_timeout`, 30 minutes, in 3.8.15; Elasticsearch
7 lowered `search.max_buckets` to 10000 and began counting it; a connection cap or message-size default can move
the same way). Nothing in the cluster writes the setting: the server's image tag changes, and its clients, which
did the same work yesterday, start failing in the limit's words (`delivery acknowledgement on channel 1 timed
out`, `too_many_buckets_exception`). Their errors, crashes and redeliveries are what a triage sees; the upgrade
is hours older and in another namespace.

agent.triage.limit_hit names a write that lowered such a limit (or raised what drives into it); this module
covers the write that changed no setting: a rollout of the enforcing server (its object named like the software
the limit table ties to the error, agent.triage.limit_table `engine`) whose image moved to another major or minor
version within `LEAD` before the incident (or an operator's resource for it, matched by name or kind, whose image or
version field was written to one: a RabbitmqCluster's `spec.image`, an Elasticsearch's or Strimzi Kafka's
`version`; never a chart's version), when the clients' limit errors were not seen before it and the erring
client's own workload did not roll out after it (then its own change, a slower job or a bigger batch, is the
likelier story). The finding names the upgrade, the limit and its meaning, and the client's line. Twins: the same
errors with the server unchanged or only patched, the upgrade with the clients failing in other words, the
client's own release after the upgrade. Reading only: one longer change history when such an error is in view.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, error_words, minutes_text, parse_time
from agent.triage.limit_hit import all_logs
from agent.triage.limit_table import LIMITS, Limit
from agent.triage.subject import Subject, workload_of_pod

Call = Callable[..., Awaitable[Any]]

CHECK = "change.engine_upgrade"
WEIGHT = 0.93
"""Above the clients' own crashes and channel errors: the server's upgrade is what changed the limit."""
LEAD = timedelta(hours=24)
HISTORY_WINDOW = "24h"
SLACK = timedelta(minutes=2)
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")
IMAGE_MOVE = re.compile(r"\bimage(?:Name)?:?\s+['\"]?(?P<old>[^\s'\"]+)['\"]?\s+->\s+['\"]?(?P<new>[^\s'\"]+)")
"""A rollout diff's image line (`rabbitmq image repo/rabbitmq:3.8.9 -> repo/rabbitmq:3.13.7`), or an operator
resource's image field written (`spec.image: rabbitmq:3.9-management -> rabbitmq:3.13-management` on a
RabbitmqCluster, `spec.imageName: ...postgresql:14.10 -> ...postgresql:16.2` on a CloudNativePG Cluster)."""
VERSION = re.compile(r":v?(?P<major>\d+)\.(?P<minor>\d+)")
VERSION_FIELD = re.compile(r"(?:^|\s)(?P<path>spec\.[\w.\[\]]*?)\bversion:?\s+['\"]?(?P<old>v?\d+\.\d+[^\s'\"]*)['\"]?"
                           r"\s+->\s+['\"]?(?P<new>v?\d+\.\d+[^\s'\"]*)")
"""An operator resource's server version written (`spec.version: 7.17.9 -> 8.12.0` on an ECK Elasticsearch,
`spec.kafka.version: 3.6.1 -> 3.7.0` on a Strimzi Kafka): the operator rolls the server to it, often with no
workload of its own in the timeline (Strimzi's pod sets, CloudNativePG's pods). Only a `spec.` path: a label's
`app.kubernetes.io/version` on a workload is no server's version."""
BARE = re.compile(r"^v?(?P<major>\d+)\.(?P<minor>\d+)")
NOT_SERVER = re.compile(r"chart|helm|api_?version|schema|template", re.I)
"""A version that is not the server's: a chart's, an API's, a schema's."""
CORE_KINDS = frozenset({"ConfigMap", "Secret", "Service", "Ingress", "HorizontalPodAutoscaler", "Node", "Pod",
                        "Event", "Job", "CronJob", "NetworkPolicy", "HelmRelease", "Application", "Kustomization",
                        "ReplicaSet", "ControllerRevision", "ServiceAccount", "Namespace"})
"""Kinds whose writes are never a server's operator-driven upgrade (a HelmRelease's version is its chart's)."""
CLIENT_SIDE = frozenset({"kafka_poll_interval"})
"""Families whose limit the client sets (a Kafka consumer's max.poll.interval.ms): a server upgrade cannot bring it."""


@dataclass
class LimitError:
    """A client's line in one limit family's words, and when it was first seen (None when not known)."""

    family: Limit
    said: str
    log: LogEvidence
    first: datetime | None


@dataclass
class Upgrade:
    """The enforcing server's version move, and the client error it explains."""

    server: Ref
    at: datetime
    old: str
    new: str
    error: LimitError
    evidence: list[str] = field(default_factory=list)


def limit_errors(facts: Facts) -> list[LimitError]:
    """Each (family with an enforcing engine, pod) whose logs print the family's words, earliest time kept."""
    out: dict[tuple[str, str], LimitError] = {}
    for log in all_logs(facts):
        for entry in log.entries():
            text = error_words(entry)
            _keep(out, log, text, parse_time(entry.get("first_seen")))
        for line in log.last_lines:
            _keep(out, log, line, None)
    return list(out.values())


def _keep(out: dict[tuple[str, str], LimitError], log: LogEvidence, text: str, when: datetime | None) -> None:
    for family in LIMITS:
        found = family.error.search(text) if family.engine is not None and family.name not in CLIENT_SIDE else None
        if found is None:
            continue
        key = (family.name, f"{log.namespace}/{log.pod}")
        seen = out.get(key)
        if seen is None:
            start = max(0, found.start() - 40)
            out[key] = LimitError(family, " ".join(text[start:start + 220].split()), log, when)
        elif when is not None and (seen.first is None or when < seen.first):
            seen.first = when


def version_move(change: dict[str, Any]) -> tuple[str, str] | None:
    """(old image, new image) when a rollout moved an image to another major or minor version; None otherwise
    (a patch release, a digest, a tag without a version, no image line)."""
    for line in change.get("diff") or []:
        moved = IMAGE_MOVE.search(str(line))
        if moved is not None:
            old, new = VERSION.search(moved["old"]), VERSION.search(moved["new"])
        elif (field := VERSION_FIELD.search(str(line))) is not None and not NOT_SERVER.search(field["path"]):
            moved, old, new = field, BARE.match(field["old"]), BARE.match(field["new"])
        else:
            continue
        if old and new and (old["major"], old["minor"]) != (new["major"], new["minor"]):
            return moved["old"], moved["new"]
    return None


def server_write(change: dict[str, Any], target: Ref) -> bool:
    """A write that can upgrade a server: a workload's rollout, or a write to an operator's resource (a custom kind
    holding the server's version or image)."""
    if target.kind in WORKLOADS:
        return change.get("type") == "rollout"
    return target.kind not in CORE_KINDS and change.get("type") in ("other", "config", "rollout")


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: a day of changes, when a client prints an enforced limit's words and no history read reaches
    that far (the upgrade is often hours older than the survey's window)."""
    del subject
    if not limit_errors(facts) or facts.history_reaches(LEAD):
        return
    history = await call("k8s_changes", {"at": at, "window": HISTORY_WINDOW}, "survey-engine-upgrade-history")
    if history is not None and history.ok and isinstance(history.data, dict):
        facts.history.append((history.data, history.evidence_id))


def found(facts: Facts) -> list[Upgrade]:
    """The newest version move of a server the limit's engine names, made before its clients' errors began, with
    no release of the erring client after it."""
    errors = limit_errors(facts)
    if not errors:
        return []
    writes = sorted(facts.writes_to(None, within=LEAD, deletions=False), key=lambda w: str(w[0].get("at")),
                    reverse=True)
    for change, evidence, server in writes:
        moved, at = version_move(change), parse_time(change.get("at"))
        if moved is None or at is None or not server_write(change, server):
            continue
        for error in errors:
            engine = error.family.engine
            client = (error.log.namespace, workload_of_pod(error.log.pod))
            if engine is None or not (engine.search(server.name) or engine.search(moved[1])
                                      or engine.search(server.kind)):
                continue
            if client == (server.namespace, server.name):
                continue  # the server's own lines: the client is elsewhere
            if error.first is not None and error.first < at - SLACK:
                continue  # the clients hit the limit before the upgrade
            if _client_released_after(facts, client, at):
                continue
            return [Upgrade(server, at, moved[0], moved[1], error,
                            [e for e in (evidence, error.log.evidence_id) if e])]
    return []


def _client_released_after(facts: Facts, client: tuple[str, str], at: datetime) -> bool:
    for change, _, target in facts.writes_to(WORKLOADS, within=LEAD, deletions=False):
        when = parse_time(change.get("at"))
        if (target.namespace, target.name) == client and when is not None and when > at:
            return True
    return False


def finding(hit: Upgrade, at: datetime) -> dict[str, Any]:
    """The upgrade first, then the limit it brought and what it means, then the client's line."""
    ago = minutes_text(int((at - hit.at).total_seconds() // 60))
    client = f"{hit.error.log.namespace}/{workload_of_pod(hit.error.log.pod)}"
    message = (f"{hit.server} was upgraded {hit.old.rsplit('/', 1)[-1]} -> {hit.new.rsplit('/', 1)[-1]} {ago} before "
               f"the incident, and the new version enforces a limit its clients now hit: {hit.error.family.short}. "
               f"{client} logs '{hit.error.said[:120]}' (no write of the limit's setting in view: the new "
               f"version's default applies). Set the limit for the clients' real work on {hit.server.name}, or make "
               f"the work fit it")
    return {"check": CHECK, "severity": "critical", "reason": "UpgradeBroughtLimit",
            "object": {"kind": hit.server.kind, "namespace": hit.server.namespace, "name": hit.server.name},
            "message": message, "evidence": [f"image {hit.old} -> {hit.new}", hit.error.said[:200]],
            "details": {"family": hit.error.family.name, "old": hit.old, "new": hit.new, "client": client}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The server whose upgrade brought the limit its clients hit."""
    return [(h.server, finding(h, facts.at), h.evidence,
             [h.server, Ref("", h.error.log.namespace, workload_of_pod(h.error.log.pod))])
            for h in found(facts)]
