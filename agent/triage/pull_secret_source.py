"""Pulls refused to pods that carry no pull secret while their older siblings do: the ServiceAccount lost them.

A pod's `imagePullSecrets` often come from nowhere in its workload: the ServiceAccount admission plugin copies
the ServiceAccount's own `imagePullSecrets` into every pod it admits. When the ServiceAccount is re-created or
re-applied without them (Terraform, Pulumi, a chart, `kubectl apply` of an older manifest), nothing running
changes: pods admitted before keep the copy, and nodes that cached the image keep starting them. Only pods
admitted afterwards (a scale-up, a rescheduled pod, a new node) lack the secret, and the private registry
refuses them (401/403, "authentication required", "denied"). The victims' ImagePullBackOff says "no pull
secret"; the thing to mend is the ServiceAccount.

The evidence any instance leaves, read here: a pull the registry refused for a pod without pull secrets
(the scan's `pod.image_pull` with an empty `pull_secrets`); older pods of the SAME controller (same owner,
same pod template: the template cannot be what differs) and the same ServiceAccount that DO carry pull
secrets; the ServiceAccount as it is now, no longer listing those secrets; and its last write (managedFields
or creation) between the admission of the newest pod that carries them and the first one that does not.

Not named: siblings that carry no secret either (the registry's own rules changed, or it never had one);
siblings of another owner (a rollout whose template dropped the secret: the rollout's own story); a
ServiceAccount that still lists the secret (the secret's contents are refused: another story); a write
after the failing pods were admitted or one that cannot be dated. The survey calls `read` (reading only);
`found` is pure over what was read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml, pods_at_ends
from agent.triage.subject import workload_of_pod

CHECK = "change.pull_secret_source"
WEIGHT = 0.95
"""The ServiceAccount write that took the pull secret away outranks the refused pulls it caused."""
STORE = "pull_secret_source"
MAX_WORKLOADS = 2
MAX_FAILING = 2
MAX_CARRYING = 2
PULL_WAITING = ("ImagePullBackOff", "ErrImagePull")
_BY = re.compile(r"\b(?:written|created|updated|applied) by ([\w.@/-]+?)(?=[:,( ]|$)")
"""The manager a timeline summary names: `... created by Terraform:`, `... written by helm (now ...)`."""

Call = Callable[..., Awaitable[Any]]


@dataclass
class LostSecret:
    """A ServiceAccount written without the pull secrets its older pods still carry."""

    account: Ref
    secrets: list[str]
    written: datetime
    manager: str
    workload: Ref
    failing: int
    error: str
    evidence: list[str]


def refused_without_secret(facts: Facts) -> list[tuple[Ref, str]]:
    """Workloads whose pulls the registry refused while their pods had no pull secret, with the refusal's words."""
    out: list[tuple[Ref, str]] = []
    for f in facts.findings():
        details = f.get("details") or {}
        ref = Ref.of(f.get("object"))
        if (f.get("check") == "pod.image_pull" and isinstance(details, dict) and details.get("pull_secrets") == []
                and ref is not None and all(not r.same_object(ref) for r, _ in out)):
            out.append((ref, str(details.get("error") or "")))
    return out


async def read(facts: Facts, call: Call) -> None:
    """Reading only: for each refused workload, its newest and oldest pods, and their ServiceAccounts."""
    refused = refused_without_secret(facts)[:MAX_WORKLOADS]
    if not refused:
        return
    store = facts.reads.setdefault(STORE, {"pods": [], "accounts": []})
    for workload, _ in refused:
        store["pods"] += await pods_at_ends(call, workload, MAX_CARRYING, MAX_FAILING, "survey-pull-secret")
        accounts = {str((p.get("spec") or {}).get("serviceAccountName") or "default") for p, _ in store["pods"]
                    if (p.get("metadata") or {}).get("namespace", workload.namespace) == workload.namespace}
        read_before = {(a.get("metadata") or {}).get("name") for a, _ in store["accounts"]
                       if (a.get("metadata") or {}).get("namespace", workload.namespace) == workload.namespace}
        for name in sorted(accounts - read_before):  # two workloads of a namespace often share its account
            got = await get_yaml(call, "ServiceAccount", name, workload.namespace, f"survey-pull-secret-sa-{name}")
            if got is not None:
                store["accounts"].append(got)


def _secrets(obj: dict[str, Any]) -> list[str]:
    """The names of an object's `imagePullSecrets` (a pod's spec or a ServiceAccount's top level)."""
    items = (obj.get("spec") or {}).get("imagePullSecrets") if "spec" in obj else obj.get("imagePullSecrets")
    return [str(s.get("name")) for s in items or [] if isinstance(s, dict) and s.get("name")]


def _pull_failing(pod: dict[str, Any]) -> bool:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    statuses += (pod.get("status") or {}).get("initContainerStatuses") or []
    return any(((s.get("state") or {}).get("waiting") or {}).get("reason") in PULL_WAITING
               for s in statuses if isinstance(s, dict))


def _owner(pod: dict[str, Any]) -> str:
    refs = (pod.get("metadata") or {}).get("ownerReferences") or []
    return next((f"{r.get('kind')}/{r.get('name')}" for r in refs if isinstance(r, dict) and r.get("controller")),
                next((f"{r.get('kind')}/{r.get('name')}" for r in refs if isinstance(r, dict)), ""))


def last_write(account: dict[str, Any]) -> tuple[datetime, str] | None:
    """When the ServiceAccount was last written and by which manager (its creation when no later write shows)."""
    meta = account.get("metadata") or {}
    entries = [(parse_time(m.get("time")), str(m.get("manager") or ""))
               for m in meta.get("managedFields") or [] if isinstance(m, dict)]
    dated = [(t, who) for t, who in entries if t is not None]
    created = parse_time(meta.get("creationTimestamp"))
    if created is not None:
        dated.append((created, ""))
    return max(dated, key=lambda d: (d[0], bool(d[1]))) if dated else None


def _timeline_write(facts: Facts, namespace: str, name: str) -> tuple[datetime, str] | None:
    """The newest write of that ServiceAccount in the change timelines, with the manager its summary names (a
    `k8s_get` answer may leave managedFields out; the timeline still says who wrote it)."""
    out: tuple[datetime, str] | None = None
    for change, _, target in facts.writes_to(("ServiceAccount",), deletions=False):
        at = parse_time(change.get("at"))
        if at is None or target.name != name or target.namespace != namespace:
            continue
        who = _BY.search(str(change.get("summary") or ""))
        out = _newest(out, (at, who.group(1) if who else ""))
    return out


def _newest(a: tuple[datetime, str] | None, b: tuple[datetime, str] | None) -> tuple[datetime, str] | None:
    """The later of two dated writes; at the same moment, the one that names its writer."""
    dated = [w for w in (a, b) if w is not None]
    return max(dated, key=lambda d: (d[0], bool(d[1]))) if dated else None


def found(facts: Facts) -> list[LostSecret]:
    """Each ServiceAccount written, between the admission of the last pod that carries pull secrets and the first
    refused one, without those secrets; the carrying and the refused pod share an owner and the account."""
    store = facts.reads.get(STORE) or {}
    pods: list[tuple[dict[str, Any], str]] = store.get("pods") or []
    out: list[LostSecret] = []
    for workload, error in refused_without_secret(facts):
        mine = [(p, e) for p, e in pods if workload_of_pod(str((p.get("metadata") or {}).get("name") or ""))
                == workload.name and (p.get("metadata") or {}).get("namespace", workload.namespace)
                == workload.namespace]
        failing = [(p, e) for p, e in mine if _pull_failing(p) and not _secrets(p)]
        for account, account_id in store.get("accounts") or []:
            meta = account.get("metadata") or {}
            name = str(meta.get("name") or "")
            if (meta.get("namespace") or workload.namespace) != workload.namespace:
                continue
            victims = [(p, e) for p, e in failing if str((p.get("spec") or {}).get("serviceAccountName")
                                                         or "default") == name]
            owners = {_owner(p) for p, _ in victims}
            carrying = [(p, e) for p, e in mine if _secrets(p) and _owner(p) in owners and _owner(p)
                        and str((p.get("spec") or {}).get("serviceAccountName") or "default") == name]
            lost = sorted({s for p, _ in carrying for s in _secrets(p)} - set(_secrets(account)))
            write = _newest(last_write(account), _timeline_write(facts, workload.namespace, name))
            if not victims or not lost or write is None:
                continue
            carried_until = max(parse_time((p.get("metadata") or {}).get("creationTimestamp")) or write[0]
                                for p, _ in carrying)
            first_refused = min(parse_time((p.get("metadata") or {}).get("creationTimestamp")) or write[0]
                                for p, _ in victims)
            if not carried_until <= write[0] <= first_refused:
                continue  # written before pods that still got the secrets, or after the refused ones: not this
            out.append(LostSecret(Ref("ServiceAccount", workload.namespace, name), lost, write[0], write[1],
                                  workload, len(victims), error,
                                  [account_id] + [e for _, e in victims[:1] + carrying[:1] if e]))
    return out


def finding(ls: LostSecret, at: datetime) -> dict[str, Any]:
    """The suspect's finding: which secrets the write dropped, who wrote it, when, and whose pulls it broke."""
    ago = minutes_text(int((at - ls.written).total_seconds() // 60))
    who = f" by {ls.manager}" if ls.manager else ""
    secrets = ", ".join(ls.secrets)
    refusal = f" ({ls.error})" if ls.error else ""
    message = (f"{ls.account} was written{who} {ago} before the alert without imagePullSecrets {secrets}, which "
               f"the older pods of {ls.workload} still carry (admission copies a ServiceAccount's imagePullSecrets "
               f"into each pod it creates): the pods created since have no pull secret and the registry refuses their "
               f"pulls{refusal}. Put imagePullSecrets back on the ServiceAccount (or declare them in "
               f"the pod template), then delete the failing pods")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": "ServiceAccount", "namespace": ls.account.namespace, "name": ls.account.name},
            "reason": "PullSecretsDropped", "message": message, "evidence": [],
            "details": {"secrets": ls.secrets, "written": str(ls.written), "manager": ls.manager,
                        "workload": str(ls.workload), "failing_pods": ls.failing}}
