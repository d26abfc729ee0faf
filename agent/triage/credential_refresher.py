"""A CronJob that refreshes a short-lived credential Secret stopped succeeding: its consumers' auth fails later.

Some credentials live hours, not months: an ECR authorization token 12 h (`aws ecr get-login-password`),
a GCP access token 1 h (`gcloud auth print-access-token`), an ACR token 3 h (`az acr login
--expose-token`), a Vault lease its TTL. Clusters outside the cloud's own credential provider refresh them
with a CronJob that logs in and rewrites the Secret (`kubectl create secret docker-registry NAME ...
| kubectl apply -f -`) across namespaces. When the CronJob's runs start to fail (its image lost the CLI,
its role lost the permission), nothing breaks at once: the Secret keeps the last token until it expires,
then every pod that pulls with it (a new rollout, a rescheduled pod) gets 401/403 from the registry, in
namespaces far from the CronJob's. The victims' ImagePullBackOff is the symptom; the refresher is the cause.

The survey reads, only when the scan saw a registry refuse a pod's imagePullSecret, the cluster's CronJobs,
and keeps those whose job template writes such a Secret by name and logs in to a registry or token
service. One is the suspect when it has not succeeded since before its last scheduled run
(`status.lastSuccessfulTime` older than `lastScheduleTime`, or never), with the last run's own words
(the log of one pod of it). Names, times and commands only; the Secret's value is never read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agent.triage import pod_spec_words
from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml

CHECK = "credential.refresher_failing"
WEIGHT = 0.95
"""The refresher that stopped renewing the token outranks the pull failures it caused and the stale Secret."""
STORE = "credential_refresher"
MAX_CRONJOBS = 12
LOGIN = re.compile(r"ecr get-login(?:-password)?|get-authorization-token|print-access-token|"
                   r"acr login|--expose-token|docker login|vault (?:read|write|login)|sts assume-role|"
                   r"oauth2/token", re.I)
"""Words of a command that obtains a registry or service token (ECR, GCP, ACR, Vault, STS, OAuth, docker); a
`create secret docker-registry` with a fixed password renews nothing and is not one."""
_PULL_SECRET = re.compile(r"imagePullSecret ([\w.-]+(?:, [\w.-]+)*)")
"""The scan's own wording of a pod.image_pull finding whose registry refused the pod's pull secrets."""

Call = Callable[..., Awaitable[Any]]


@dataclass
class Refresher:
    """A failing CronJob that writes a Secret the registry now refuses."""

    cronjob: Ref
    secret: str
    login: str
    last_success: datetime | None
    last_schedule: datetime
    said: str
    victims: list[Ref]
    evidence: list[str]


def refused_secrets(facts: Facts) -> dict[str, list[Ref]]:
    """Pull-secret name -> the workloads whose pulls the registry refused with it (401/403)."""
    out: dict[str, list[Ref]] = {}
    for f in facts.findings():
        details = f.get("details") or {}
        names = details.get("pull_secrets") if isinstance(details, dict) else None
        if not names:
            m = _PULL_SECRET.search(str(f.get("message") or ""))
            names = m.group(1).split(", ") if m else []
        ref = Ref.of(f.get("object"))
        for name in names or []:
            out.setdefault(str(name), [])
            if ref is not None and ref not in out[str(name)]:
                out[str(name)].append(ref)
    return out




def writes(obj: dict[str, Any], secret: str) -> str | None:
    """The login words when the CronJob's template logs in to a token service and names `secret` as a word."""
    text = pod_spec_words.job_command_text(obj)
    login = LOGIN.search(text)
    if login is None or not re.search(rf"(?<![\w.-]){re.escape(secret)}(?![\w.-])", text):
        return None
    return text[max(0, login.start() - 12):login.end()].split("$(")[-1].strip()


async def read(facts: Facts, call: Call) -> None:
    """Reading only: when a registry refused pull secrets, the CronJobs that write them, and one failed run's log."""
    refused = refused_secrets(facts)
    if not refused:
        return
    store = facts.reads.setdefault(STORE, {})
    listed = await call("k8s_list", {"kind": "CronJob"}, "survey-refresher-cronjobs")
    rows = (listed.data or {}).get("rows") or [] if listed is not None and listed.ok else []
    kept: list[tuple[dict[str, Any], str, str]] = store.setdefault("cronjobs", [])
    for row in [r for r in rows if isinstance(r, dict)][:MAX_CRONJOBS]:
        got = await get_yaml(call, "CronJob", str(row.get("name")), str(row.get("namespace") or ""),
                             f"survey-refresher-{row.get('name')}")
        if got is None or got[0].get("kind") != "CronJob" or not any(writes(got[0], s) for s in refused):
            continue
        meta = got[0].get("metadata") or {}
        said = ""
        pods = await call("k8s_list", {"kind": "pods", "namespace": meta.get("namespace")},
                          f"survey-refresher-pods-{meta.get('name')}")
        prows = (pods.data or {}).get("rows") or [] if pods is not None and pods.ok else []
        runs = sorted((str(p.get("name")) for p in prows if isinstance(p, dict)
                       and str(p.get("name") or "").startswith(f"{meta.get('name')}-")), reverse=True)
        if runs:
            logs = await call("k8s_logs", {"name": runs[0], "namespace": meta.get("namespace"), "tail": 20,
                                           "budget_tokens": 600}, f"survey-refresher-logs-{runs[0]}")
            if logs is not None and logs.ok:
                lines = [ln for ln in str(logs.full_text or logs.text).splitlines()
                         if ln.strip() and not ln.startswith(("====", "repeated ", "["))]
                said = lines[-1].split("Z ", 1)[-1][:160] if lines else ""
        kept.append((got[0], got[1], said))


def found(facts: Facts) -> list[Refresher]:
    """Each read refresher whose last successful run is older than its last scheduled one."""
    refused = refused_secrets(facts)
    out: list[Refresher] = []
    for obj, evidence_id, said in facts.reads.get(STORE, {}).get("cronjobs") or []:
        status = obj.get("status") or {}
        scheduled = parse_time(status.get("lastScheduleTime"))
        success = parse_time(status.get("lastSuccessfulTime"))
        if scheduled is None or (success is not None and success >= scheduled):
            continue  # still renewing: not this one
        meta = obj.get("metadata") or {}
        for secret, victims in refused.items():
            login = writes(obj, secret)
            if login:
                out.append(Refresher(Ref("CronJob", str(meta.get("namespace") or ""), str(meta.get("name") or "")),
                                     secret, login, success, scheduled, said, victims, [evidence_id]))
                break
    return out


def finding(r: Refresher, at: datetime) -> dict[str, Any]:
    """The suspect's finding: what it refreshes, since when it fails, its own words, and who the expiry hit."""
    ago = minutes_text(int((at - r.last_success).total_seconds() // 60)) if r.last_success else ""
    since = f"has not succeeded since {ago} before the alert" if r.last_success else "has never succeeded"
    words = f" (its last run: '{r.said}')" if r.said else ""
    who = ", ".join(str(v) for v in r.victims[:3])
    message = (f"{r.cronjob}, which refreshes the registry token in Secret {r.secret} ({r.login}), {since}{words}: "
               f"the last token expired and the registry now refuses pulls with {r.secret} (401/403, "
               f"ImagePullBackOff: {who}). Fix the refresher and run it once "
               f"(kubectl create job --from=cronjob/{r.cronjob.name})")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": "CronJob", "namespace": r.cronjob.namespace, "name": r.cronjob.name},
            "reason": "CredentialRefresherFailing", "message": message,
            "evidence": [x for x in (r.said,) if x],
            "details": {"secret": r.secret, "login": r.login, "last_success": str(r.last_success or ""),
                        "last_schedule": str(r.last_schedule), "victims": [str(v) for v in r.victims]}}
