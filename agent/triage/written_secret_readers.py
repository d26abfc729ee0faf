"""Read the logs of the workload that reads a credential Secret written just before the incident.

A credential is often not the failing service's own: an identity provider's LDAP bind password (Keycloak, Dex,
Authentik federating Active Directory), a gateway's upstream API key, a broker bridge's password. Rewrite that Secret
with a value the far side does not accept (rotated here before the directory, pasted wrong) and the workload that
reads it is refused in its own log (`LDAP: error code 49 ... data 52e`, `ldap_bind: Invalid credentials (49)`, `401
Unauthorized`), while the service that pages is one hop away and says only that its call failed (`oauth2: cannot
fetch token: 500`, a 502 from its login handler). When that hop is not an in-cluster Service the survey can follow
(an external hostname, an ingress in between), nobody reads the reader's log, and the write stays unexplained.

This module only reads: for a Secret written in WINDOW that sets a credential-looking data key, whose timeline
entry names the workloads that read it, it keeps the log facts of one running pod of each such reader not yet read
(up to MAX_READERS), so credential_write can judge the refusal there against the write. Nothing is named here; no
Secret is read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, last_lines, log_evidence
from agent.triage.kube_reads import pod_of
from agent.triage.subject import Subject, workload_of_pod

CHECK = "read.written_secret_readers"
WEIGHT = 0.0
"""Names nothing: its reads feed credential_write."""
WINDOW = timedelta(hours=2)
MAX_READERS = 2
_READERS = ("Deployment", "StatefulSet", "DaemonSet")
_DATA_KEY = re.compile(r"data key (\S+)")
_CREDENTIAL_KEY = re.compile(r"token|key|secret|passw|pwd|credential|auth|bind|api|dsn", re.I)
"""Data key names that hold a credential (`ldap-bind`, `api_key`, `password`, `client-secret`)."""

Call = Callable[..., Awaitable[Any]]


def readers_to_read(facts: Facts) -> list[Ref]:
    """The workloads the timeline says read a credential Secret written in WINDOW, whose logs were not read yet."""
    read = {(log.namespace, workload_of_pod(log.pod)) for log in facts.logs}
    out: list[Ref] = []
    for change, _, _ in facts.writes_to(("Secret",), within=WINDOW, deletions=False, timeline_only=True):
        keys = _DATA_KEY.findall(str(change.get("summary") or ""))
        if not any(_CREDENTIAL_KEY.search(k) for k in keys):
            continue
        for ref in (Ref.of(r) for r in change.get("related") or []):
            if ref is None or ref.kind not in _READERS or (ref.namespace, ref.name) in read:
                continue
            if not any(ref.same_object(o) for o in out):
                out.append(ref)
    return out[:MAX_READERS]


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: one running pod's log of each reader of a freshly written credential Secret."""
    if not any(log.top for log in facts.logs):
        return  # nothing of the incident's own fails in words: no reason to look further
    for ref in readers_to_read(facts):
        pod = await pod_of(call, ref, f"survey-secret-reader-pods-{ref.name}", running=True)
        if not pod:
            continue
        got = await call("k8s_logs", {"name": pod, "namespace": ref.namespace, "tail": 300},
                         f"survey-secret-reader-logs-{ref.name}")
        if got is None or not got.ok or not isinstance(got.data, dict):
            continue
        evidence = log_evidence(got.data, got.evidence_id)
        if evidence is None:
            continue
        evidence.last_lines = last_lines(str(getattr(got, "full_text", "") or ""))
        evidence.pod = evidence.pod or pod
        evidence.namespace = evidence.namespace or ref.namespace
        facts.logs.append(evidence)


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """None: this module only reads."""
    return []
