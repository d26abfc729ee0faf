"""An object-store client signing for one region while its bucket lives in another: the write that set the region.

S3 (and stores that speak its protocol) checks that a request is signed for the bucket's own region. A bucket moved
to another region (a migration to a new bucket, a DR switch) with the client's region setting left behind is
refused on every call, in the store's own words that name both regions: AWS S3 `AuthorizationHeaderMalformed: The
authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-1'` (boto3, the Java SDK,
aws-sdk-go's `api error AuthorizationHeaderMalformed`, minio-go in Argo's and Loki's executors), MinIO's `the region
is wrong; expecting 'us-east-1'`. Whatever uploads (a workflow's artifact sidecar, a log shipper, a backup tool)
fails though the work itself succeeded.

The cause is the config that carries the region: a ConfigMap whose text sets a region key (`region: us-east-1`,
`AWS_REGION=...`, `s3.region`) to the refused region, or a workload whose env was written to it, written within
`LEAD` before the incident. The error's regions make the link, not a name: a written config holding the expected
region, or a region write older than `LEAD`, names nothing; neither does a write with no such refusal.

`read` (reading only; Secrets are never read) reaches the 48 h timeline and reads the ConfigMaps it shows written
(bounded); `found` is pure over the facts.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import managed_writes
from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time, said_by, written_by
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject

Call = Callable[..., Awaitable[Any]]

CHECK = "change.region_mismatch"
WEIGHT = 0.93
"""Above the refused uploader's own failure and a bare write to a config: the store's error names the region."""
STORE = "region_mismatch"
LEAD = timedelta(hours=48)
MAX_CONFIGS = 6
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "CronJob")

REFUSED = re.compile(r"region\s+(?:'(?P<wrong>[a-z]{2}(?:-[a-z]+)+-\d)'\s+)?is wrong;\s*expecting\s+"
                     r"'(?P<right>[a-z]{2}(?:-[a-z]+)+-\d)'", re.I)
"""The store's refusal naming the region it expected (and, from AWS, the one the request was signed for)."""
REGION_SET = re.compile(r"(?im)^[\s\"'-]*(?:[\w.-]*[._-])?region[\"']?\s*[:=]\s*[\"']?"
                        r"(?P<value>[a-z]{2}(?:-[a-z]+)+-\d)[\"']?\s*,?\s*$")
"""A config line that sets a region (`region: us-east-1`, `AWS_REGION=us-east-1`, `s3.region = "eu-west-1"`)."""
ENV_SET = re.compile(r"\benv (?P<key>\w*REGION\w*)=(?P<old>'[^']*'|\S+) -> (?:(?P=key)=)?(?P<new>'[^']*'|\S+)", re.I)


@dataclass(frozen=True)
class Refusal:
    wrong: str
    """The region the request was signed for; "" when the store's words do not say it (MinIO)."""
    right: str
    line: str
    log: LogEvidence


@dataclass
class Mismatch:
    target: Ref
    region: str
    refusal: Refusal
    at: datetime
    by: str
    where: str
    evidence: list[str] = field(default_factory=list)


def refusals(facts: Facts) -> list[Refusal]:
    """The store's refusals naming the region expected, one per pod."""
    out: list[Refusal] = []
    for log in facts.logs:
        texts = [said_by(e) for e in log.entries()] + list(log.last_lines)
        for text in texts:
            if m := REFUSED.search(text):
                out.append(Refusal(m["wrong"] or "", m["right"], text.strip(), log))
                break
    return out


def _mismatched(value: str, refusal: Refusal) -> bool:
    return value.lower() == refusal.wrong.lower() if refusal.wrong else value.lower() != refusal.right.lower()


def judge_config(obj: dict[str, Any], refusal: Refusal) -> str | None:
    """The data key of a ConfigMap whose text sets a region to the refused one, else None."""
    for key, value in ((obj.get("data") or {}).items()):
        text = str(value)
        if re.search(r"region", str(key), re.I) and re.fullmatch(r"\s*[a-z]{2}(?:-[a-z]+)+-\d\s*", text) \
                and _mismatched(text.strip(), refusal):
            return str(key)
        if any(_mismatched(m["value"], refusal) for m in REGION_SET.finditer(text)):
            return str(key)
    return None


def judge_env(change: dict[str, Any], refusal: Refusal) -> str | None:
    """The env var a workload write set to the refused region, else None."""
    for line in (str(d) for d in change.get("diff") or []):
        if (m := ENV_SET.search(line)) and _mismatched(m["new"].strip("'\""), refusal) \
                and m["old"].strip("'\"") != m["new"].strip("'\""):
            return f"env {m['key']} {m['old']} -> {m['new']}"
    return None


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when a store refused a request for its region: the 48 h timeline and the ConfigMaps written."""
    if STORE in facts.reads:
        return
    facts.reads[STORE] = {}
    if not refusals(facts):
        return
    await managed_writes.reach(facts, call, at, "survey-region-history")
    configs: dict[str, Any] = {}
    for _, _, target in facts.writes_to(("ConfigMap",), within=LEAD, deletions=False)[:MAX_CONFIGS]:
        key = f"{target.namespace}/{target.name}"
        if key in configs:
            continue
        got = await get_yaml(call, "ConfigMap", target.name, target.namespace, f"survey-region-cm-{target.name}")
        if got is not None:
            configs[key] = got
    facts.reads[STORE] = configs


def found(facts: Facts) -> list[Mismatch]:
    """The newest write within LEAD that set the region a store refused, per refusal (the first refusal's)."""
    configs = facts.reads.get(STORE) or {}
    for refusal in refusals(facts):
        best: Mismatch | None = None
        for change, evidence, target in facts.writes_to((*WORKLOADS, "ConfigMap"), within=LEAD, deletions=False):
            when = parse_time(change.get("at"))
            if when is None or (best is not None and when <= best.at):
                continue
            where: str | None = None
            ids = [evidence]
            if target.kind == "ConfigMap":
                got = configs.get(f"{target.namespace}/{target.name}")
                if got is not None and (key := judge_config(got[0], refusal)):
                    where, ids = f"data key {key}", [evidence, got[1]]
            else:
                where = judge_env(change, refusal)
            if where:
                best = Mismatch(target, refusal.wrong or "another region", refusal, when, written_by(change), where,
                                [e for e in (*ids, refusal.log.evidence_id) if e])
        if best is not None:
            return [best]
    return []


def finding(m: Mismatch, at: datetime) -> dict[str, Any]:
    ago = minutes_text(int((at - m.at).total_seconds() // 60))
    by = f" by {m.by}" if m.by else ""
    victim = f"pod {m.refusal.log.namespace}/{m.refusal.log.pod}"
    message = (f"{m.target}: {m.where} written{by} {ago} before the incident sets the object store's region to "
               f"{m.region}, but the bucket lives in {m.refusal.right}: the store refuses every request signed for "
               f"the wrong region, so {victim} fails to save or read its artifacts "
               f"though its own work succeeded: '{m.refusal.line[:200]}'. Set the region to {m.refusal.right} "
               f"(or point the config back at a bucket in {m.region})")
    return {"check": CHECK, "severity": "critical", "reason": "StoreRegionMismatch",
            "object": {"kind": m.target.kind, "namespace": m.target.namespace, "name": m.target.name},
            "message": message, "evidence": [m.where, m.refusal.line[:200]],
            "details": {"signed_for": m.refusal.wrong, "expected": m.refusal.right, "by": m.by}}


def _owners(pod: str, namespace: str) -> list[Ref]:
    """The objects a refused pod may belong to, of any kind: its name's leading parts (`wf-x8q2m-step-391` ->
    `wf-x8q2m-step`, `wf-x8q2m`, `wf`), as controllers name their pods after their owner."""
    parts = pod.split("-")
    return [Ref("", namespace, pod)] + [Ref("", namespace, "-".join(parts[:i])) for i in range(len(parts) - 1, 0, -1)
                                        if len("-".join(parts[:i])) >= 4]


def _alike(facts: Facts, owners: list[Ref]) -> list[Ref]:
    """The objects failing alike beside the refused pods' owners (the same kind, namespace and check): every run of
    a pipeline uploads through the same config, though only some runs' logs were read."""
    def ref_of(f: dict[str, Any]) -> Ref | None:
        return Ref.of(f.get("owner")) or Ref.of(f.get("object"))
    matched = [(ref, str(f.get("check"))) for f in facts.findings() if (ref := ref_of(f)) is not None
               and any(o.same_object(ref) for o in owners)]
    return [ref for f in facts.findings() if (ref := ref_of(f)) is not None and any(
        ref.kind == m.kind and ref.namespace == m.namespace and str(f.get("check")) == check for m, check in matched)]


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the written config, its finding, evidence ids, what the refused pods belong to) for `agent.triage.behind`."""
    out = []
    for m in found(facts):
        refused = [r for r in refusals(facts) if (r.wrong, r.right) == (m.refusal.wrong, m.refusal.right)]
        victims = [ref for r in refused for ref in _owners(r.log.pod, r.log.namespace)]
        victims += _alike(facts, victims)
        out.append((m.target, finding(m, facts.at), m.evidence, victims))
    return out
