"""A bucket switched to Requester Pays: readers that do not name themselves as payer are denied.

Object-store buckets managed in-cluster (ACK `Bucket` `spec.requestPayment.payer: Requester`, Crossplane/Upbound
`BucketRequestPaymentConfiguration` `payer: Requester`, Config Connector `StorageBucket` `spec.requesterPays:
true`, a GCS `billing.requesterPays`) can make the REQUESTER pay for each call. From then on every request by
another account (or project) must say it accepts the charge: S3 wants the `x-amz-request-payer: requester` header
(the SDKs' `RequestPayer`/`request-payer` option), GCS a billing project (`userProject`). A reader that does not
send it is refused, in the cloud's plain words: S3 `Access Denied (Service: S3, Status Code: 403)` (nothing says
why), GCS `Bucket is a requester pays bucket but no user project provided` / `UserProjectMissing`. The bucket
stays healthy and the reader's own permissions are unchanged, so its policy and role look right.

Named: the written bucket when (1) the write switched it to Requester Pays within LEAD, (2) a workload's errors
are such denials, first seen after the write, (3) the workload's spec or errors name the bucket, and (4) the
reader is not the bucket's own account (the owner's requests need no payer): when the pod's role ARN
(`AWS_ROLE_ARN`, injected by IRSA) and the bucket's owner account (its status) are both known and equal, it is not
named. `read` fetches (reading only) the failing pods and the written bucket; `found` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agent.triage import pod_spec_words
from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time, said_by, shortest_saying
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.requester_pays"
WEIGHT = 0.92
"""The bucket's own switch explains the readers' denials: above the generic identifier link (0.86) that names the
same write without saying what it requires."""
STORE = "requester_pays"
LEAD = timedelta(hours=24)
SLACK = timedelta(minutes=2)
MAX_PODS = 3
Call = Callable[..., Awaitable[Any]]

_ASSIGN = re.compile(r"([\w.\[\]\"'-]+)\s*(?:=|:)\s*(?:[^\s;]+\s*->\s*)?['\"]?([\w.-]+)['\"]?")
_SWITCH_FIELD = re.compile(r"request(?:er)?[-_]?pay(?:ment|er|s)?|(?:^|\.)payer$", re.I)
_SWITCH_VALUE = re.compile(r"^(?:requester|true)$", re.I)
DENIED = re.compile(r"Access ?Denied|Status Code: 403|\b403 Forbidden\b|requester pays bucket but no user project|"
                    r"UserProjectMissing|user project (?:is )?(?:required|missing)", re.I)
"""A reader's call refused by the store (S3 AccessDenied/403, GCS's missing billing project)."""
_ACCOUNT = re.compile(r"arn:aws[\w-]*:iam::(\d{12}):role/")


@dataclass
class Switched:
    """A bucket switched to Requester Pays and a reader denied since."""

    bucket: Ref
    written: datetime
    field: str
    reader: Ref
    pod: str
    where: str
    said: str
    first: datetime
    accounts: tuple[str, str]
    """(the reader's account, the bucket owner's), "" where unknown."""
    evidence: list[str]


def switched(change: dict[str, Any]) -> str:
    """The diff line of a write that makes its bucket Requester Pays ("" when none)."""
    for line in [str(d) for d in change.get("diff") or []] + [str(change.get("summary") or "")]:
        for m in _ASSIGN.finditer(line):
            leaf = m.group(1).strip("\"'[]")
            if _SWITCH_FIELD.search(leaf) and _SWITCH_VALUE.match(m.group(2)):
                return line.strip()[:160]
    return ""


def denied(log: LogEvidence) -> tuple[str, datetime | None]:
    """The shortest denial line among a pod's errors and when denials were first seen."""
    return shortest_saying(log, DENIED)



def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(STORE, {})  # type: ignore[no-any-return]


def _writes(facts: Facts) -> list[tuple[dict[str, Any], Ref, datetime, str]]:
    out = []
    for change in facts.change_list():
        ref, when, line = Ref.of(change.get("object")), parse_time(change.get("at")), switched(change)
        if ref is not None and when is not None and line and facts.at - LEAD <= when <= facts.at:
            out.append((change, ref, when, line))
    return out


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: when a bucket was switched to Requester Pays and pods are denied, their specs and the bucket."""
    del subject, at
    store = _store(facts)
    writes = _writes(facts)
    failing = [lg for lg in facts.logs if lg.pod and denied(lg)[0]]
    if "pods" in store or not writes or not failing:
        return
    store["pods"], store["buckets"] = {}, {}
    for log in failing[:MAX_PODS]:
        got = await get_yaml(call, "Pod", log.pod, log.namespace, f"survey-requester-pays-pod-{log.pod}")
        if got is not None:
            walked = pod_spec_words.walk(got[0].get("spec") or {})
            store["pods"][log.pod] = {"words": pod_spec_words.words(walked), "evidence": got[1]}
    for _, ref, _, _ in writes[:2]:
        got = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-requester-pays-bucket-{ref.name}")
        if got is not None:
            spec, status = got[0].get("spec") or {}, got[0].get("status") or {}
            names = {ref.name, str(spec.get("name") or ""), str((spec.get("forProvider") or {}).get("bucket") or "")}
            owner = re.search(r"\b(\d{12})\b", str((status.get("ackResourceMetadata") or {}).get("ownerAccountID")
                                                    or status.get("ownerAccountID") or ""))
            store["buckets"][str(ref)] = {"names": sorted(n for n in names if n), "evidence": got[1],
                                          "owner": owner.group(1) if owner else ""}


def _names(text: str, names: list[str]) -> bool:
    low = text.lower()
    return any(len(n) >= 4 and re.search(rf"(?<![a-z0-9-]){re.escape(n.lower())}(?![a-z0-9-])", low) for n in names)


def found(facts: Facts) -> list[Switched]:
    """Per bucket switched to Requester Pays, the first reader denied since that names it (not its owner)."""
    store = _store(facts)
    out: list[Switched] = []
    for _, ref, when, line in _writes(facts):
        bucket = (store.get("buckets") or {}).get(str(ref)) or {}
        names = list(bucket.get("names") or [ref.name])
        for log in facts.logs:
            said, first = denied(log) if log.pod else ("", None)
            first = first or facts.at
            if not said or first < when - SLACK:
                continue
            pod = (store.get("pods") or {}).get(log.pod) or {}
            places = [*(pod.get("words") or []), *[("its error", said_by(e)) for e in log.entries()]]
            place = next(((w, t) for w, t in places if _names(t, names)), None)
            if place is None:
                continue
            role = next((m.group(1) for _, t in pod.get("words") or [] for m in [_ACCOUNT.search(t)] if m), "")
            owner = str(bucket.get("owner") or "")
            if role and owner and role == owner:
                continue  # the owner's own requests need no payer: its denial is something else
            evidence = [e for e in (facts.changes_id, log.evidence_id, pod.get("evidence"), bucket.get("evidence"))
                        if e]
            out.append(Switched(ref, when, line, Ref("Deployment", log.namespace, workload_of_pod(log.pod)),
                                log.pod, f"{place[0]} = {place[1]}"[:100], said, first, (role, owner),
                                [str(e) for e in evidence]))
            break
    return out


def finding(s: Switched, at: datetime) -> dict[str, Any]:
    """The bucket's finding: the switch and what it now requires of readers, the denied reader, early."""
    ago = minutes_text(int((at - s.written).total_seconds() // 60))
    cross = (f", reading cross-account (its role in {s.accounts[0]}, the bucket owned by {s.accounts[1]})"
             if all(s.accounts) else "")
    hit = DENIED.search(s.said)
    quote = s.said[max(0, hit.start() - 30) if hit else 0:][:110]
    message = (f"{s.bucket} was switched to Requester Pays {ago} before the alert ({s.field[:80]}): every request "
               f"from another account must now name its payer (S3 x-amz-request-payer: requester, GCS userProject); "
               f"its reader {s.reader.namespace}/{s.reader.name} ({s.where}) is denied: "
               f"'{quote}'{cross}. Make the reader send the request-payer option or "
               f"switch the bucket back to BucketOwner")
    return {"check": CHECK, "severity": "critical", "reason": "RequesterPays",
            "object": {"kind": s.bucket.kind, "namespace": s.bucket.namespace, "name": s.bucket.name},
            "message": message, "evidence": [s.said[:200]],
            "details": {"field": s.field, "reader": f"{s.reader.namespace}/{s.reader.name}",
                        "written": s.written.isoformat().replace("+00:00", "Z")}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The bucket whose Requester Pays switch denies its readers; it explains them."""
    return [(s.bucket, finding(s, facts.at), s.evidence,
             [Ref("Pod", s.reader.namespace, s.pod), Ref("", s.reader.namespace, s.reader.name)])
            for s in found(facts)]
