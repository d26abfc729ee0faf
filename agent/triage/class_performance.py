"""A storage class (re)created without the performance parameters its sibling classes carry: volumes provisioned
from it since then get the disk type's baseline, and the store on such a volume falls behind.

Cloud disk classes set performance beyond the type's default in the class parameters: AWS EBS gp3 `iops` and
`throughput` (baseline 3000 IOPS, 125 MiB/s), io1/io2 `iopsPerGB`, GCP Hyperdisk/PD `provisioned-iops-on-create`
and `provisioned-throughput-on-create`, Azure Ultra/Premium v2 `DiskIOPSReadWrite` and `DiskMBpsReadWrite`,
Portworx `io_profile`/`priority_io`. A class is immutable, so Terraform, Crossplane or a script re-creates it to
change anything; when the new one is written from a template without those keys nothing fails: existing volumes
keep what they were provisioned with, and only a volume created after the re-creation (a rebuilt replica, a new
StatefulSet ordinal, a restored claim) comes up at the baseline. The store on it (a ClickHouse replica's merges, a
Kafka broker's log flushes, a database's checkpoints) then falls behind and its clients fail in its words (too many
parts, request timed out, replication lag). Nothing names the class; the evidence is the class's recent
creationTimestamp, a sibling class of the same provisioner and disk type that still carries the keys (the
convention the new one lost), and a claim of the class created after it next to the failing clients.

`read` (reading only): the claims of the failing pods' namespaces created within LEAD, their classes, and the other
classes of the same provisioner. `found` is pure. Twins: a class re-created with its keys, a sibling of another
provisioner or disk type, a re-created class none of whose claims is newer than it, a class created long ago.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml, rows_of

Call = Callable[..., Awaitable[Any]]

CHECK = "storage.class_performance"
WEIGHT = 0.92
"""Above the clients' own errors and the store's symptoms: the class is why the new volume is slow."""
STORE = "class_performance"
LEAD = timedelta(days=7)
"""A class re-created this long before the incident, and claims created since, are recent enough to suspect."""
MAX_NAMESPACES = 2
MAX_CLAIMS = 4
MAX_SIBLINGS = 6
PERFORMANCE = re.compile(r"iops|throughput|mbps|io_?profile|priority_io", re.I)
"""Class parameter keys that buy performance above the disk type's baseline."""
TYPE_KEYS = ("type", "skuname", "storageaccounttype", "replication-type")
"""Parameters that say the disk type: a sibling is only comparable with the same type."""


def _victims(facts: Facts) -> list[LogEvidence]:
    return [lg for lg in facts.logs if lg.top and lg.top.get("severity") in ("error", "fatal") and lg.namespace]


async def read(subject: Any, facts: Facts, call: Call, at: str) -> None:
    """Reading only: recent claims next to the failing pods, their classes, and those classes' siblings."""
    if STORE in facts.reads:
        return
    store: dict[str, Any] = facts.reads.setdefault(STORE, {"claims": [], "classes": {}})
    namespaces = list(dict.fromkeys(lg.namespace for lg in _victims(facts)))[:MAX_NAMESPACES]
    for ns in namespaces:
        listed = await call("k8s_list", {"kind": "PersistentVolumeClaim", "namespace": ns},
                            f"survey-class-performance-claims-{ns}")
        recent = [r for r in rows_of(listed) if (t := parse_time(r.get("created"))) is not None
                  and timedelta(0) <= facts.at - t <= LEAD]
        for row in recent[:MAX_CLAIMS]:
            got = await get_yaml(call, "PersistentVolumeClaim", str(row.get("name")), ns,
                                 f"survey-class-performance-claim-{row.get('name')}")
            if got is None:
                continue
            claim, eid = got
            store["claims"].append({"namespace": ns, "name": str(row.get("name")),
                                    "created": (claim.get("metadata") or {}).get("creationTimestamp")
                                    or row.get("created"),
                                    "class": (claim.get("spec") or {}).get("storageClassName"), "evidence": eid})
    wanted = {str(c["class"]) for c in store["claims"] if c.get("class")}
    if not wanted:
        return
    listed = await call("k8s_list", {"kind": "StorageClass"}, "survey-class-performance-classes")
    names = [str(r.get("name")) for r in rows_of(listed) if r.get("name")]
    for name in [*sorted(wanted), *[n for n in names if n not in wanted]][:len(wanted) + MAX_SIBLINGS]:
        got = await get_yaml(call, "StorageClass", name, "", f"survey-class-performance-class-{name}")
        if got is not None:
            store["classes"][name] = {"object": got[0], "evidence": got[1]}


def _type(params: dict[str, Any]) -> str:
    return next((str(v).lower() for k, v in params.items() if k.lower() in TYPE_KEYS), "")


@dataclass
class Lost:
    """A recently created class missing the performance keys a sibling sets, and a claim provisioned since."""

    target: Ref
    created: datetime
    sibling: str
    missing: dict[str, str]
    claim: str
    claim_created: datetime
    victim: LogEvidence
    evidence: list[str] = field(default_factory=list)


def found(facts: Facts) -> list[Lost]:
    """The first class created within LEAD lacking a sibling's performance keys, with a claim of it created after it in
    a namespace whose pods fail."""
    seen = facts.reads.get(STORE) or {}
    classes: dict[str, Any] = seen.get("classes") or {}
    for claim in seen.get("claims") or []:
        name = str(claim.get("class") or "")
        made = parse_time(claim.get("created"))
        entry = classes.get(name)
        victim = next((lg for lg in _victims(facts) if lg.namespace == claim["namespace"]), None)
        if entry is None or made is None or victim is None:
            continue
        obj = entry["object"]
        created = parse_time((obj.get("metadata") or {}).get("creationTimestamp"))
        if created is None or not (timedelta(0) <= facts.at - created <= LEAD) or made < created:
            continue
        params = {str(k): str(v) for k, v in (obj.get("parameters") or {}).items()}
        for sibling, other in classes.items():
            sib = other["object"]
            sib_params = {str(k): str(v) for k, v in (sib.get("parameters") or {}).items()}
            if sibling == name or sib.get("provisioner") != obj.get("provisioner") \
                    or _type(sib_params) != _type(params):
                continue
            missing = {k: v for k, v in sib_params.items() if PERFORMANCE.search(k) and k not in params}
            if missing:
                return [Lost(Ref("StorageClass", "", name), created, sibling, missing,
                             f"{claim['namespace']}/{claim['name']}", made, victim,
                             [e for e in (entry["evidence"], other["evidence"], claim.get("evidence"),
                                          victim.evidence_id) if e])]
    return []


def finding(hit: Lost, at: datetime) -> dict[str, Any]:
    """The keys the class lost first, then the volume provisioned without them and the clients' error."""
    ago = minutes_text(int((at - hit.created).total_seconds() // 60))
    keys = ", ".join(f"{k}={v}" for k, v in hit.missing.items())
    error = str((hit.victim.top or {}).get("example") or (hit.victim.top or {}).get("template") or "")[:200]
    message = (f"{hit.target} was (re)created {ago} before the incident without {', '.join(hit.missing)}, which "
               f"its sibling class {hit.sibling} of the same provisioner and disk type sets ({keys}): a volume "
               f"provisioned from it gets the disk type's baseline performance. Claim {hit.claim} was "
               f"created after it ({hit.claim_created:%Y-%m-%d %H:%M}), so the store on that volume falls behind "
               f"while the older volumes keep their performance; {hit.victim.namespace}/{hit.victim.pod} fails: "
               f"'{error}'. Restore the keys in the class's source and raise the new volume's performance to match")
    return {"check": CHECK, "severity": "critical", "reason": "StorageClassLostPerformance",
            "object": {"kind": "StorageClass", "namespace": "", "name": hit.target.name},
            "message": message, "evidence": [keys, error],
            "details": {"missing": hit.missing, "sibling": hit.sibling, "claim": hit.claim}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The class re-created without its performance keys."""
    return [(h.target, finding(h, facts.at), h.evidence, [h.target]) for h in found(facts)]
