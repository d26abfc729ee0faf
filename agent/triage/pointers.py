"""Names that point nowhere: a reference whose target is gone, elsewhere, or not the name it claims.

Three classes share one question, "where does this name lead?", and one shape of answer: the object
that holds the reference is the suspect, not the healthy-looking thing at either end of it.

- agent.triage.external_name: a Service of type ExternalName whose `spec.externalName` no longer
  resolves (a decommissioned host, a renamed in-cluster Service, a CNAME chain ending nowhere).
- agent.triage.init_wait: an init container looping on a host that does not exist (`until nslookup
  X`, `nc -z X`, `pg_isready -h X`), typically after a rename: the waiting workload holds the stale name.
- agent.triage.cert_names: a TLS client refusing a certificate that does not cover the name it
  dialled; the cert-manager Certificate that issues the server's Secret lacks that name in dnsNames.

This module holds what they share (reading Kubernetes objects as YAML, host names as Service
references, the suspect record) and is the one hook the survey and the ranking call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref
from agent.triage.kube_reads import Call

Keep = Callable[[Any, Facts], LogEvidence | None]


@dataclass
class Suspect:
    """One object holding a reference that points nowhere, with the finding ranked for it."""

    ref: Ref
    finding: dict[str, Any]
    log: LogEvidence | None
    evidence: list[str]
    explains: list[Ref] = field(default_factory=list)
    """Objects that look involved only because of this reference (the look-alike Service a rename created)."""


def service_of(host: str, namespace: str) -> tuple[str, str] | None:
    """The (Service, namespace) a host name means inside the cluster, or None for an outside name.

    `db`, `db.shop`, `db.shop.svc`, `db.shop.svc.cluster.local` (any cluster domain after `svc`) are
    Service names the cluster's DNS answers; a two-label name is read as `service.namespace` only
    when the caller can check that namespace (it may as well be `example.com`)."""
    name = host.strip().strip("'\"").lower().rstrip(".")
    name = name.split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1]
    name = name.split(":", 1)[0]
    labels = name.split(".")
    if not name or not all(labels):
        return None
    if len(labels) == 1:
        return labels[0], namespace
    if len(labels) == 2 or (len(labels) >= 3 and labels[2] == "svc"):
        return labels[0], labels[1]
    return None


def objects(facts: Facts, kind: str) -> list[tuple[dict[str, Any], str]]:
    """The objects of one kind the survey read one by one, with their evidence ids."""
    return [(o, e) for o, e in facts.objects if isinstance(o, dict) and str(o.get("kind")) == kind]


def meta(obj: dict[str, Any]) -> dict[str, Any]:
    value = obj.get("metadata")
    return value if isinstance(value, dict) else {}


def log_texts(log: LogEvidence) -> list[str]:
    """Every line the log facts kept of one pod: the errors' messages and examples, warnings, last lines."""
    out: list[str] = []
    for error in [log.top or {}, *log.more, *log.warnings]:
        for key in ("message", "example", "template"):
            value = error.get(key)
            if isinstance(value, str) and value and value not in out:
                out.append(value)
    out += [line for line in log.last_lines if line not in out]
    return out


async def read(facts: Facts, call: Call, keep: Keep) -> None:
    """The survey's reads for the three classes (reading only; each is skipped when its sign is absent)."""
    from agent.triage import cert_names, external_name, init_wait

    await asyncio.gather(external_name.read(facts, call), init_wait.read(facts, call, keep),
                         cert_names.read(facts, call))


def weights() -> dict[str, float]:
    """How likely each of these findings is a cause (agent.triage.rank.CHECK_WEIGHT)."""
    from agent.triage import cert_names, external_name, init_wait

    return {external_name.CHECK: external_name.WEIGHT, init_wait.CHECK: init_wait.WEIGHT,
            cert_names.CHECK: cert_names.WEIGHT, cert_names.SECRET_CHECK: cert_names.SECRET_WEIGHT}


def suspects(facts: Facts) -> list[Suspect]:
    """Every reference that points nowhere which the facts show, for the ranking."""
    from agent.triage import cert_names, external_name, init_wait

    return [*external_name.suspects(facts), *init_wait.suspects(facts), *cert_names.suspects(facts)]
