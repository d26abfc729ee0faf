"""A workload's cloud identity binding broken: its calls go out as the node's (or the default) identity.

A pod gets its own cloud identity only through a binding that names its ServiceAccount: an EKS
PodIdentityAssociation (`spec.namespace` + `spec.serviceAccount` -> `roleARN`), IRSA's
`eks.amazonaws.com/role-arn` annotation on the ServiceAccount, GKE Workload Identity's
`iam.gke.io/gcp-service-account` annotation, Azure Workload Identity's `azure.workload.identity/client-id`
annotation. When the binding no longer matches the ServiceAccount the pods run as (the association's
serviceAccount renamed, the annotation removed, the pods moved to another ServiceAccount), the SDK's default chain
finds no workload credentials and falls back to the node's: the EC2 instance profile
(`assumed-role/<node role>/i-0abc...`: the session name of an instance role is the instance id), GKE's node
service account (`<n>-compute@developer.gserviceaccount.com`). The cloud then refuses with AccessDenied /
PERMISSION_DENIED naming that node identity, not the workload's role. The error is where it shows, and a rollout
of the workload (which only recreated the pods, so they started without the binding) is a red herring: the
binding's write is the cause.

The binding object is named when it was written before the first such refusal and its current value no longer
covers the pods' ServiceAccount: an association in the pods' namespace for another ServiceAccount (and none for
theirs), or the pods' ServiceAccount written and now without its identity annotation. A refusal that names the
workload's own role (a policy that lacks a permission: access_rule's class) or a binding that still matches is not
named here.

The survey calls `read` (reading only, when a log names a node identity): the failing pod (its ServiceAccount),
that ServiceAccount, and the identity bindings the timeline shows written. `found` is pure over what was read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.identity_binding"
WEIGHT = 0.94
"""Above the refusals it explains and above the rollout that only recreated the pods without credentials."""
RECORD = "identity_binding"
LEAD = timedelta(hours=48)
"""How long before the first refusal a binding's write may have been made (pods keep their credentials until they
are recreated, so the write may be long before)."""
MAX_BINDINGS = 6
MAX_PODS = 2

NODE_IDENTITY = (
    re.compile(r"assumed-role/([\w+=,.@-]+)/(i-[0-9a-f]{8,17})\b"),
    re.compile(r"\b([a-z0-9-]*\d+-compute@developer\.gserviceaccount\.com)\b"),
    re.compile(r"\b([\w-]+-agentpool)\b.{0,80}(?:does not have authorization|AuthorizationFailed)", re.I),
)
"""A cloud refusal's caller that is the node's identity: an EC2 instance role (session name = instance id), GKE's
default compute service account, AKS's kubelet (agentpool) managed identity."""

EXCHANGE_REFUSED = (
    re.compile(r"AADSTS70021\b.{0,200}?(?:Assertion Subject: '([^']+)')?", re.S),
    re.compile(r"No matching federated identity record found.{0,200}?(?:Assertion Subject: '([^']+)')?", re.S),
    re.compile(r"(?:Not authorized to perform|not authorized to perform) (sts:AssumeRoleWithWebIdentity)"),
    re.compile(r"Permission '(iam\.serviceAccounts\.getAccessToken)' denied"),
    re.compile(r"auth/kubernetes/login\b.{0,200}?(service account (?:name|namespace) not authorized)", re.S | re.I),
)
"""The cloud (or Vault) refusing the exchange of the pod's ServiceAccount token itself: Azure Workload Identity's
`AADSTS70021: No matching federated identity record found for presented assertion ... Assertion Subject:
'system:serviceaccount:<ns>:<sa>'`, IRSA's `Not authorized to perform sts:AssumeRoleWithWebIdentity`, GKE Workload
Identity's `Permission 'iam.serviceAccounts.getAccessToken' denied` (no roles/iam.workloadIdentityUser for the
KSA), Vault Kubernetes auth's `service account name not authorized` (the role's bound_service_account_names). The
binding exists but no longer names the pods' ServiceAccount; the group is what the refusal names."""

REFUSED = re.compile(r"AccessDenied|not authorized to perform|PERMISSION_DENIED|Permission .{0,40} denied|"
                     r"AuthorizationFailed|does not have authorization|\b403\b", re.I)

ANNOTATIONS = ("eks.amazonaws.com/role-arn", "iam.gke.io/gcp-service-account", "azure.workload.identity/client-id")
"""ServiceAccount annotations that bind it to a cloud identity (IRSA, GKE, Azure Workload Identity)."""

BINDING_KINDS = frozenset({"podidentityassociation", "serviceaccount", "iampolicymember",
                           "federatedidentitycredential", "iamserviceaccount"})


@dataclass
class Refusal:
    """A pod whose cloud call was refused as the node's identity."""

    pod: str
    namespace: str
    identity: str
    line: str
    first: datetime | None
    evidence: str
    exchange: bool = False
    """The token exchange itself was refused (EXCHANGE_REFUSED), not a call made as the node's identity."""


@dataclass
class Broken:
    """A binding written before the refusals that no longer covers the pods' ServiceAccount."""

    target: Ref
    change: dict[str, Any]
    refusal: Refusal
    account: str
    how: str
    victims: list[Ref] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


_STAMP = re.compile(r"\b(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)")


def refusals(facts: Facts) -> list[Refusal]:
    """Each pod whose logs show a cloud refusal naming a node identity."""
    out: list[Refusal] = []
    for log in facts.logs:
        for entry in [log.top or {}, *log.more]:
            for key in ("example", "message"):
                text = str(entry.get(key) or "")
                hit = next((m for p in NODE_IDENTITY if (m := p.search(text))), None)
                exchange = next((m for p in EXCHANGE_REFUSED if (m := p.search(text))), None)
                if any(r.pod == log.pod for r in out) or \
                        (exchange is None and (hit is None or not REFUSED.search(text))):
                    continue
                identity = hit.group(1) if hit is not None and exchange is None else \
                    (exchange.group(1) if exchange is not None and exchange.group(1) else "workload identity")
                stamp = _STAMP.search(str(entry.get("first_seen") or entry.get("first") or "") or text)
                out.append(Refusal(log.pod, log.namespace, identity, text,
                                   parse_time(stamp.group(1) + "Z") if stamp else None, log.evidence_id,
                                   exchange is not None))
    return out


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only, when a pod's cloud call is refused as a node identity: the pod, its ServiceAccount, and the
    identity bindings written in the timeline."""
    if RECORD in facts.reads:
        return
    seen = refusals(facts)
    if not seen:
        return
    kept: dict[str, Any] = facts.reads.setdefault(RECORD, {"objects": {}, "evidence": {}})

    async def keep(ref: Ref) -> dict[str, Any] | None:
        if str(ref) in kept["objects"]:
            return dict(kept["objects"][str(ref)])
        got = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-identity-{ref.kind.lower()}-{ref.name}")
        if got is None:
            return None
        kept["objects"][str(ref)] = got[0]
        kept["evidence"][str(ref)] = got[1]
        return got[0]

    for refusal in seen[:MAX_PODS]:
        pod = await keep(Ref("Pod", refusal.namespace, refusal.pod))
        account = str(((pod or {}).get("spec") or {}).get("serviceAccountName") or "default")
        await keep(Ref("ServiceAccount", refusal.namespace, account))
    for _, _, ref in facts.writes_to(BINDING_KINDS)[:MAX_BINDINGS]:
        await keep(ref)


def _account(kept: dict[str, Any], refusal: Refusal) -> str:
    pod = (kept.get("objects") or {}).get(str(Ref("Pod", refusal.namespace, refusal.pod))) or {}
    return str((pod.get("spec") or {}).get("serviceAccountName") or "default")


SUBJECT = re.compile(r"system:serviceaccount:([a-z0-9-]+):([a-z0-9.-]+)|\.svc\.id\.goog\[([a-z0-9-]+)/([a-z0-9.-]+)\]")
"""The ServiceAccount a federated binding names: Azure's FederatedIdentityCredential `spec.subject`
(`system:serviceaccount:<ns>:<sa>`), a Config Connector IAMPolicyMember's workloadIdentityUser member
(`serviceAccount:<project>.svc.id.goog[<ns>/<sa>]`)."""


def _bound(obj: dict[str, Any]) -> tuple[str, str]:
    """(namespace, ServiceAccount) an association-like binding names: an EKS association's spec.namespace and
    spec.serviceAccount, else the SUBJECT its spec carries; ('', '') when it names none."""
    spec = obj.get("spec") or {}
    bound_sa = str(spec.get("serviceAccount") or spec.get("serviceAccountName") or "")
    if bound_sa:
        return str(spec.get("namespace") or ""), bound_sa
    subject = SUBJECT.search(" ".join(str(spec.get(k) or "") for k in ("subject", "member", "members")))
    if subject is None:
        return "", ""
    return subject.group(1) or subject.group(3), subject.group(2) or subject.group(4)


def _covers(obj: dict[str, Any], namespace: str, account: str) -> bool | None:
    """Whether an association-like binding covers the ServiceAccount (None: not about that namespace)."""
    bound_ns, bound_sa = _bound(obj)
    if not bound_sa or (bound_ns and bound_ns != namespace):
        return None
    return bound_sa == account


def found(facts: Facts) -> list[Broken]:
    """Each binding written before the node-identity refusals that no longer covers the pods' ServiceAccount."""
    kept = facts.reads.get(RECORD)
    if not isinstance(kept, dict):
        return []
    objects: dict[str, dict[str, Any]] = kept.get("objects") or {}
    out: list[Broken] = []
    for refusal in refusals(facts):
        account = _account(kept, refusal)
        first = refusal.first or facts.at
        writes = facts.writes_to(BINDING_KINDS, within=LEAD, until=first)
        associations = [(r, o) for _, _, r in facts.writes_to(BINDING_KINDS)
                        for o in [objects.get(str(r))] if o and r.kind.lower() != "serviceaccount"]
        covered = any(_covers(o, refusal.namespace, account) for _, o in associations)
        for change, evidence, ref in sorted(writes, key=lambda w: str(w[0].get("at")), reverse=True):
            obj = objects.get(str(ref))
            if obj is None or any(b.target.same_object(ref) for b in out):
                continue
            how = ""
            if ref.kind.lower() == "serviceaccount":
                notes = (obj.get("metadata") or {}).get("annotations") or {}
                mine = ref.namespace == refusal.namespace and ref.name == account
                rewritten = [a for a in ANNOTATIONS if notes.get(a) and
                             any(a in str(d) for d in [*(change.get("diff") or []), change.get("summary")])]
                if mine and not any(notes.get(a) for a in ANNOTATIONS):
                    how = (f"the pods' ServiceAccount {account} now carries no identity annotation "
                           f"({', '.join(ANNOTATIONS)})")
                elif mine and refusal.exchange and rewritten:
                    how = (f"the pods' ServiceAccount {account} had its {rewritten[0]} annotation rewritten to "
                           f"{notes[rewritten[0]]}, an identity that does not trust this ServiceAccount")
            elif _covers(obj, refusal.namespace, account) is False and not covered:
                spec = obj.get("spec") or {}
                role = spec.get("roleARN") or spec.get("roleArn") or spec.get("role") or ""
                how = (f"its serviceAccount is {_bound(obj)[1]} in "
                       f"namespace {refusal.namespace}, but the pods run as ServiceAccount {account}, so no Pod "
                       f"Identity / workload identity credentials reach them" + (f" (role {role})" if role else ""))
            if how:
                victim = Ref("", refusal.namespace, workload_of_pod(refusal.pod))
                ids = [e for e in (evidence, refusal.evidence, kept.get("evidence", {}).get(str(ref))) if e]
                out.append(Broken(ref, change, refusal, account, how, [victim], ids))
    return out


def finding(broken: Broken, at: datetime) -> dict[str, Any]:
    """The binding's finding, its meaning first (the headline is cut)."""
    when = parse_time(broken.change.get("at"))
    ago = f" {minutes_text(int((at - when).total_seconds() // 60))} before the alert" if when else ""
    diff = "; ".join(str(d) for d in broken.change.get("diff") or [])[:160]
    victim = broken.victims[0] if broken.victims else None
    refused = (f"The cloud refuses the token exchange for the pods' ServiceAccount ({broken.refusal.identity}): "
               f"'{broken.refusal.line[-220:]}'. " if broken.refusal.exchange else
               f"The SDK falls back to the node role / node identity {broken.refusal.identity}, which the cloud "
               f"refuses (AccessDenied): '{broken.refusal.line[-220:]}'. ")
    message = (f"{broken.target} (the workload identity binding of {victim or broken.refusal.pod}) was written{ago} "
               f"and no longer matches: {broken.how}. {refused}"
               f"The write: {diff or broken.change.get('summary') or ''}. A rollout of the workload only recreated "
               f"its pods without credentials; point the binding back at serviceAccount {broken.account}")
    return {"check": CHECK, "severity": "critical", "reason": "IdentityBindingBroken",
            "object": {"kind": broken.target.kind, "namespace": broken.target.namespace,
                       "name": broken.target.name},
            "message": message, "evidence": [broken.refusal.line[:200]],
            "details": {"service_account": broken.account, "node_identity": broken.refusal.identity}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The binding that stopped covering the pods; it explains the workload refused as the node."""
    return [(b.target, finding(b, facts.at), b.evidence, b.victims) for b in found(facts)]
