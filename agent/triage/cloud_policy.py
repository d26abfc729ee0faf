"""A cloud IAM / KMS policy managed in-cluster was written so it no longer grants what the app's calls need.

Clusters manage cloud permissions as Kubernetes objects: ACK (`Key` kms.services.k8s.aws with `spec.policy`,
`Role`/`Policy` iam.services.k8s.aws with `policyDocument`/`assumeRolePolicyDocument`, `Bucket` with its policy),
Crossplane (`Key`, `Policy`, `BucketPolicy`, `RolePolicyAttachment`), Config Connector (`IAMPolicyMember`,
`IAMPolicy`, `IAMPartialPolicy` on a `KMSCryptoKey` or bucket), Azure Service Operator (`RoleAssignment`). A write
to one shows nowhere in the workloads: only the app's cloud calls start failing, in the cloud's own words, which
name the caller, the action and the resource:

- AWS: `User: arn:aws:sts::123:assumed-role/<role>/<session> is not authorized to perform: kms:Decrypt on
  resource: arn:aws:kms:...:key/<id> because no resource-based policy allows the kms:Decrypt action` (an S3
  GetObject on an SSE-KMS bucket fails with AccessDenied for the key, not the bucket);
- GCP: `Permission 'cloudkms.cryptoKeyVersions.useToDecrypt' denied on resource 'projects/p/.../cryptoKeys/<k>'`;
- Azure: `The client '<id>' ... does not have authorization to perform action '<action>' over scope '<scope>'`.

The policy object is named when it was written within LEAD before the refusals, it governs the refused resource
(its status ARN / key id, its name or its resourceRef appear in the refused resource), and its CURRENT document no
longer allows the refused action to the refused principal (no Allow statement naming that role with that action
or a wildcard of it, or a Deny that names them). A policy written that still allows the call (it widened, or
another principal was added) is not named; nor is one about another resource.

The survey calls `read` (reading only, when a log shows such a refusal): the YAML of the policy-bearing objects the
timeline shows written. `found` is pure over what was read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.cloud_policy"
WEIGHT = 0.94
"""The write whose current document refuses exactly what the cloud says it refused: above the app's 5xx and any
Service or host its errors name."""
RECORD = "cloud_policy"
LEAD = timedelta(hours=24)
MAX_OBJECTS = 6

POLICY_KINDS = frozenset({"key", "policy", "role", "bucket", "bucketpolicy", "rolepolicyattachment", "iampolicy",
                          "iampolicymember", "iampartialpolicy", "roleassignment", "keypolicy", "alias", "grant",
                          "kmscryptokey", "storagebucket", "queuepolicy", "topicpolicy"})
"""Kinds (ACK, Crossplane, Config Connector, Azure Service Operator) whose spec holds a cloud permission."""

AWS = re.compile(r"(?:User|Principal): (arn:aws[\w-]*:(?:sts|iam)::\d+:(?:assumed-role|role|user)/([\w+=,.@-]+)"
                 r"(?:/[\w+=,.@-]+)?) is not authorized to perform: ([\w-]+:[\w*-]+)"
                 r"(?: on resource: (?:\"([^\"]+)\"|(\S+?)))?(?:\s+(because [^.\"]+|with an explicit deny[^.\"]*))?"
                 r"(?=[\s.\"']|$)")
"""AWS's wording; the resource may be quoted (`on resource: "arn:aws:s3:::my.bucket/key"`, newer services)."""
GCP = re.compile(r"Permission '?([\w.]+)'? denied (?:on|for) (?:resource )?(?:'([\w/.:-]+)'|(?=\(or it may not exist))")
AZURE = re.compile(r"does not have authorization to perform action '([^']+)' over scope '([^']+)'")
GCP_CALLER = re.compile(r"([\w.-]+@[\w.-]+\.gserviceaccount\.com|[\w.-]+\.svc\.id\.goog\[[\w./-]+\]) does not "
                        r"have ([\w.]+) access")
"""GCS's wording names the caller and the permission (`app@p.iam.gserviceaccount.com does not have
storage.objects.get access to the Google Cloud Storage object`) but no resource (`denied on resource (or it may
not exist)`): the bucket is in the request's URL (GCS_BUCKET)."""
GCS_BUCKET = re.compile(r"storage\.googleapis\.com/(?:(?:storage|upload/storage)/v1/b/|download/storage/v1/b/)?"
                        r"([a-z0-9][a-z0-9._-]{1,220}[a-z0-9])(?:/|\?|\s|$)")
AZURE_CALLER = re.compile(r"The client '([^']+)' with object id '([^']+)'")


@dataclass
class Refusal:
    """A cloud refusal: who, what, on what, as the cloud said it."""

    principal: str
    role: str
    action: str
    resource: str
    because: str
    line: str
    pod: str
    namespace: str
    evidence: str


@dataclass
class Narrowed:
    """A policy object written before the refusals whose document no longer allows the refused call."""

    target: Ref
    change: dict[str, Any]
    refusal: Refusal
    allows: list[str]
    """Who the document's Allow statements for that action name now."""
    victims: list[Ref] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


def _parse(text: str) -> tuple[str, str, str, str, str] | None:
    m = AWS.search(text)
    if m:
        return m.group(1), m.group(2), m.group(3), (m.group(4) or m.group(5) or "").rstrip(".,;"), m.group(6) or ""
    m = GCP.search(text)
    caller = GCP_CALLER.search(text)
    if m or caller:
        action = m.group(1) if m else caller.group(2) if caller else ""
        bucket = GCS_BUCKET.search(text)
        resource = (m.group(2) if m else "") or (f"projects/_/buckets/{bucket.group(1)}" if bucket else "")
        return caller.group(1) if caller else "", "", action, resource, ""
    m = AZURE.search(text)
    if m:
        who = AZURE_CALLER.search(text)
        return who.group(2) if who else "", "", m.group(1), m.group(2), ""
    return None


def refusals(facts: Facts) -> list[Refusal]:
    """Every cloud permission refusal in the logs read, one per (role, action, resource)."""
    out: list[Refusal] = []
    for log in facts.logs:
        for entry in [log.top or {}, *log.more, *log.warnings]:
            for key in ("example", "message"):
                text = str(entry.get(key) or "")
                got = _parse(text)
                if got is None or any((r.role, r.action, r.resource) == got[1:4] for r in out):
                    continue
                out.append(Refusal(*got, line=text, pod=log.pod, namespace=log.namespace,
                                   evidence=log.evidence_id))
    return out


def _writes(facts: Facts) -> list[tuple[dict[str, Any], str, Ref]]:
    """Writes within LEAD to policy objects, newest first."""
    return sorted(facts.writes_to(POLICY_KINDS, within=LEAD), key=lambda w: str(w[0].get("at")), reverse=True)


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only, when a cloud call was refused: the policy-bearing objects written in the timeline."""
    if RECORD in facts.reads or not refusals(facts):
        return
    kept: dict[str, Any] = facts.reads.setdefault(RECORD, {"objects": {}, "evidence": {}})
    for _, _, ref in _writes(facts)[:MAX_OBJECTS]:
        got = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-cloud-policy-{ref.name}")
        if got is not None:
            kept["objects"][str(ref)] = got[0]
            kept["evidence"][str(ref)] = got[1]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _documents(obj: dict[str, Any]) -> list[dict[str, Any]]:
    """The IAM-style policy documents in an object's spec (JSON strings or inline maps with `Statement`)."""
    out: list[dict[str, Any]] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if "Statement" in value:
                out.append(value)
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, str) and '"Statement"' in value:
            try:
                walk(json.loads(value))
            except ValueError:
                return

    walk(obj.get("spec") or {})
    return out


def _listed(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _listed(v)]
    return [str(value)] if value is not None else []


def _grants(action: str, patterns: list[str]) -> bool:
    return any(re.fullmatch(re.escape(p).replace(r"\*", ".*"), action, re.I) for p in patterns)


def _statements(documents: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for doc in documents:
        statements = doc.get("Statement")
        for s in statements if isinstance(statements, list) else [statements]:
            if isinstance(s, dict):
                yield s


def allowed_to(documents: list[dict[str, Any]], action: str) -> tuple[list[str], list[str]]:
    """(principals an Allow statement grants the action to, principals a Deny statement refuses it to)."""
    allow: list[str] = []
    deny: list[str] = []
    for s in _statements(documents):
        if not _grants(action, _listed(s.get("Action"))):
            continue
        who = _listed(s.get("Principal"))
        (allow if str(s.get("Effect")) == "Allow" else deny).extend(who)
    return allow, deny


def _governs(obj: dict[str, Any], ref: Ref, resource: str) -> bool:
    """Whether the object is about the refused resource: its ARN / key id in status, its name, or a resourceRef."""
    if not resource:
        return False
    ids = [s for s in _strings([obj.get("status") or {}, (obj.get("spec") or {}).get("keyID"),
                                (obj.get("spec") or {}).get("keyId")])
           if len(s) >= 8 and (s.startswith("arn:") or re.fullmatch(r"[0-9a-f-]{20,}", s))]
    refs = [str(v.get("name")) for v in _find_refs(obj.get("spec") or {})]
    return any(i in resource for i in ids) or any(re.search(rf"\b{re.escape(n)}\b", resource) for n in
                                                     [ref.name, *refs] if len(n) >= 3)


def _find_refs(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        for key, v in value.items():
            if (key.lower().endswith("ref") or key == "owner") and isinstance(v, dict) and v.get("name"):
                yield v  # a resourceRef / keyRef, Azure Service Operator's owner
            elif key.lower().endswith("ref") and isinstance(v, dict) and isinstance(v.get("from"), dict) and \
                    v["from"].get("name"):
                yield v["from"]  # ACK's `keyRef: {from: {name: ...}}`
            else:
                yield from _find_refs(v)
    elif isinstance(value, list):
        for v in value:
            yield from _find_refs(v)


def _members(obj: dict[str, Any]) -> list[str]:
    """Config Connector / ASO bindings: the members or principals the object grants now."""
    spec = obj.get("spec") or {}
    out = _listed(spec.get("member")) + _listed(spec.get("members")) + _listed(spec.get("principalId")) + \
        _listed(spec.get("granteePrincipal"))
    for binding in spec.get("bindings") or []:
        if isinstance(binding, dict):
            out += _listed(binding.get("members"))
    return out


def _still_grants(obj: dict[str, Any], members: list[str], refusal: Refusal) -> bool:
    """Whether a member-style binding still names the refused caller (GCP `serviceAccount:<email>`, Azure's
    principalId = the refused object id, a KMS Grant's granteePrincipal = the refused role) and, for a KMS Grant, still
    lists the refused operation: then the write did not take the permission away."""
    who = (refusal.role or refusal.principal).lower()
    if not who or not any(m.lower().rsplit(":", 1)[-1].rsplit("/", 1)[-1] == who.rsplit("/", 1)[-1] or
                          m.lower().endswith(":" + who) for m in members):
        return False
    operations = _listed((obj.get("spec") or {}).get("operations"))
    return not operations or any(o.lower() == refusal.action.split(":")[-1].lower() for o in operations)


def found(facts: Facts) -> list[Narrowed]:
    """Each policy object written before a refusal that governs its resource and no longer allows the call."""
    kept = facts.reads.get(RECORD)
    if not isinstance(kept, dict):
        return []
    objects: dict[str, dict[str, Any]] = kept.get("objects") or {}
    out: list[Narrowed] = []
    for refusal in refusals(facts):
        for change, evidence, ref in _writes(facts):
            obj = objects.get(str(ref))
            if obj is None or any(n.target.same_object(ref) for n in out) or \
                    not _governs(obj, ref, refusal.resource):
                continue
            documents = _documents(obj)
            if documents:
                allow, deny = allowed_to(documents, refusal.action)
                role = refusal.role.lower()
                named = [p for p in allow if role and re.search(rf"[:/]{re.escape(role)}$", p.lower())]
                denied = [p for p in deny if p == "*" or (role and re.search(rf"[:/]{re.escape(role)}$", p.lower()))]
                if named and not denied:
                    continue
                now = [p.rsplit("/", 1)[-1] for p in allow if not p.endswith(":root")]
            else:
                members = _members(obj)
                if not members or _still_grants(obj, members, refusal):
                    continue
                now = members
            ids = [e for e in (evidence, refusal.evidence, (kept.get("evidence") or {}).get(str(ref))) if e]
            out.append(Narrowed(ref, change, refusal, now,
                                [Ref("", refusal.namespace, workload_of_pod(refusal.pod))], ids))
    return out


def finding(narrowed: Narrowed, at: datetime) -> dict[str, Any]:
    """The policy's finding, its meaning first (the headline is cut)."""
    r = narrowed.refusal
    when = parse_time(narrowed.change.get("at"))
    ago = f" {minutes_text(int((at - when).total_seconds() // 60))} before the alert" if when else ""
    kind = "key policy" if narrowed.target.kind.lower() in ("key", "kmscryptokey", "keypolicy") else "policy"
    who = f"role {r.role}" if r.role else "the app's identity"
    now = f" (its {r.action} statements now name only {', '.join(narrowed.allows[:3])})" if narrowed.allows else ""
    diff = "; ".join(str(d) for d in narrowed.change.get("diff") or [])[:160]
    victim = narrowed.victims[0] if narrowed.victims else r.pod
    message = (f"{narrowed.target}: its {kind} was written{ago} and no longer allows {who} {r.action}{now}, so "
               f"the cloud refuses {victim}'s calls with AccessDenied on {r.resource or 'the resource'}"
               f"{' (' + r.because + ')' if r.because else ''}: '{r.line.strip()[-220:]}'. The write: "
               f"{diff or narrowed.change.get('summary') or ''}. Restore the statement that grants {who} "
               f"{r.action} in {narrowed.target}")
    return {"check": CHECK, "severity": "critical", "reason": "CloudPolicyNarrowed",
            "object": {"kind": narrowed.target.kind, "namespace": narrowed.target.namespace,
                       "name": narrowed.target.name},
            "message": message, "evidence": [r.line[:200]],
            "details": {"action": r.action, "principal": r.principal, "resource": r.resource,
                        "allowed_now": narrowed.allows}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The narrowed policy object; it explains the workload whose cloud calls it refuses."""
    return [(n.target, finding(n, facts.at), n.evidence, n.victims) for n in found(facts)]
