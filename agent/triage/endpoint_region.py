"""An object-store endpoint URL written to another region than the bucket's: the store answers with a redirect.

`region_mismatch`'s sibling for the endpoint rather than the signing region. A client given a regional endpoint
(`AWS_ENDPOINT_URL_S3=https://s3.eu-central-1.amazonaws.com`, boto3's `endpoint_url`, a `s3.endpoint` setting of
Loki, Thanos, Velero or Spark) sends every request to that region. S3 does not serve a bucket from another region's
endpoint: it answers `301 PermanentRedirect` (`The bucket you are attempting to access must be addressed using the
specified endpoint`), which SDKs surface as an error without naming either region (aws-sdk-go-v2 `api error
PermanentRedirect`, boto3 `An error occurred (PermanentRedirect)`, the Java SDK's `S3Exception ... Status Code:
301`). Whatever reads or writes the bucket fails; its own code did not change, a shared config did (often one
holding endpoints for several services, restarted into the pods by a reloader).

Evidence any instance leaves: the redirect refusal in a workload's log, and a ConfigMap written within LEAD whose
value is an S3 endpoint URL naming a region that differs from the region the same ConfigMap sets elsewhere
(`AWS_REGION`, `region:`), or whose endpoint key is what its latest write wrote. `read` (only when a log holds the
refusal) reaches the 48 h timeline and reads the ConfigMaps written there (bounded; Secrets never); `found` is pure.
Not named: an endpoint of the ConfigMap's own region that was not just written, a config with no endpoint URL, a
write after the refusals began, refusals of another kind.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import managed_writes
from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time, said_by, written_by
from agent.triage.kube_reads import get_yaml, rows_of
from agent.triage.region_mismatch import REGION_SET, _alike, _owners
from agent.triage.subject import Subject

Call = Callable[..., Awaitable[Any]]

CHECK = "change.endpoint_region"
WEIGHT = 0.93
"""Above the redirected client's own failure and a bare write to a config: the endpoint names the other region."""
STORE = "endpoint_region"
LEAD = timedelta(hours=48)
MAX_CONFIGS = 6
MAX_READERS = 3
TAIL = 2000
STAMP = re.compile(r"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?Z?)")
REDIRECT = re.compile(r"PermanentRedirect|must be addressed using the specified endpoint", re.I)
"""S3's refusal of a request sent to an endpoint outside the bucket's region."""
ENDPOINT = re.compile(r"s3[.-](?:fips[.-])?(?:dualstack\.)?(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com", re.I)
"""A regional S3 endpoint host, with the region it names."""
REGION_VALUE = re.compile(r"\s*[a-z]{2}(?:-[a-z]+)+-\d\s*")


@dataclass(frozen=True)
class Redirect:
    line: str
    log: LogEvidence


@dataclass
class Misdirected:
    target: Ref
    key: str
    url: str
    region: str
    why: str
    refusal: Redirect
    at: datetime
    by: str
    evidence: list[str] = field(default_factory=list)


def redirects(facts: Facts) -> list[Redirect]:
    """The store's redirect refusals, one per pod."""
    out: list[Redirect] = []
    for log in facts.logs:
        for text in [said_by(e) for e in log.entries()] + list(log.last_lines):
            if REDIRECT.search(text):
                out.append(Redirect(text.strip(), log))
                break
    return out


def _latest_keys(obj: dict[str, Any]) -> set[str]:
    """The data keys the ConfigMap's newest managedFields entry wrote."""
    entries = [m for m in (obj.get("metadata") or {}).get("managedFields") or [] if isinstance(m, dict)]
    if not entries:
        return set()
    newest = max(entries, key=lambda m: str(m.get("time") or ""))
    data = ((newest.get("fieldsV1") or {}).get("f:data") or {})
    return {k.removeprefix("f:") for k in data}


def judge(obj: dict[str, Any]) -> tuple[str, str, str, str] | None:
    """(data key, endpoint URL, its region, why it is wrong) of a ConfigMap pointing S3 at another region, else None:
    its region differs from a region the same ConfigMap sets, or it is what the newest write wrote."""
    data = {str(k): str(v) for k, v in (obj.get("data") or {}).items()}
    regions = {v.strip() for k, v in data.items() if re.search(r"region", k, re.I) and REGION_VALUE.fullmatch(v)}
    regions |= {m["value"] for v in data.values() for m in REGION_SET.finditer(v)}
    written = _latest_keys(obj)
    for key, value in data.items():
        m = ENDPOINT.search(value)
        if m is None:
            continue
        region = m["region"].lower()
        other = sorted(r for r in regions if r.lower() != region)
        if other:
            return key, value.strip()[:120], region, f"while the same ConfigMap sets the region {other[0]}"
        if key in written:
            return key, value.strip()[:120], region, "just written"
    return None


async def _related_redirects(call: Call, change: dict[str, Any], target: Ref) -> list[Redirect]:
    """The redirect refusals in the logs of one pod of each workload the timeline says reads the written ConfigMap
    (the page may name only what the failing uploads break further on, whose own logs were never read)."""
    out: list[Redirect] = []
    for ref in [r for r in (Ref.of(x) for x in change.get("related") or []) if r is not None][:MAX_READERS]:
        pods = await call("k8s_list", {"kind": "Pod", "namespace": ref.namespace}, f"survey-endpoint-pods-{ref.name}")
        mine = [str(r.get("name")) for r in rows_of(pods) if str(r.get("name")).startswith(ref.name + "-")]
        for pod, needle in [(p, n) for p in mine[:1] for n in ("PermanentRedirect", "specified endpoint")]:
            got = await call("k8s_logs", {"name": pod, "namespace": ref.namespace, "tail": TAIL, "grep": needle},
                             f"survey-endpoint-log-{pod}-{needle.split()[0]}")
            lines = [ln for ln in str(getattr(got, "full_text", "") or getattr(got, "text", "") or "").splitlines()
                     if REDIRECT.search(ln)] if got is not None and got.ok else []
            if lines and got is not None:
                stamp = STAMP.search(lines[0])
                log = LogEvidence(pod=pod, namespace=ref.namespace, evidence_id=got.evidence_id,
                                  top={"example": lines[-1][:400], "first_seen": stamp.group(1) if stamp else None},
                                  hosts=[], error_classes=set(), previous=False)
                out.append(Redirect(lines[-1].strip()[:400], log))
                break
    return out


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when a ConfigMap was written within LEAD: the ConfigMaps written, and, for one pointing S3 at
    another region, the redirect refusals in its readers' logs (or the logs already surveyed)."""
    if STORE in facts.reads:
        return
    facts.reads[STORE] = {}
    if not facts.writes_to(("ConfigMap",), within=LEAD, deletions=False):
        return
    await managed_writes.reach(facts, call, at, "survey-endpoint-history")
    configs: dict[str, Any] = {}
    found_redirects: list[Redirect] = []
    for change, _, target in facts.writes_to(("ConfigMap",), within=LEAD, deletions=False)[:MAX_CONFIGS]:
        key = f"{target.namespace}/{target.name}"
        if key in configs:
            continue
        got = await get_yaml(call, "ConfigMap", target.name, target.namespace, f"survey-endpoint-cm-{target.name}")
        if got is None or judge(got[0]) is None:
            continue
        configs[key] = got
        if not redirects(facts):
            found_redirects += await _related_redirects(call, change, target)
    facts.reads[STORE] = {"configs": configs, "redirects": found_redirects}


def _first_seen(refusal: Redirect) -> datetime | None:
    times = [t for e in refusal.log.entries() for t in [parse_time(e.get("first_seen") or e.get("since"))] if t]
    return min(times) if times else None


def _all_redirects(facts: Facts) -> list[Redirect]:
    return redirects(facts) + list((facts.reads.get(STORE) or {}).get("redirects") or [])


def found(facts: Facts) -> list[Misdirected]:
    """The newest ConfigMap write within LEAD pointing S3 at another region, before the first redirect."""
    configs = (facts.reads.get(STORE) or {}).get("configs") or {}
    for refusal in _all_redirects(facts):
        first = _first_seen(refusal)
        best: Misdirected | None = None
        for change, evidence, target in facts.writes_to(("ConfigMap",), within=LEAD, deletions=False):
            when = parse_time(change.get("at"))
            got = configs.get(f"{target.namespace}/{target.name}")
            if when is None or got is None or (best is not None and when <= best.at) or \
                    (first is not None and when > first + timedelta(minutes=2)):
                continue
            judged = judge(got[0])
            if judged is not None:
                best = Misdirected(target, *judged, refusal, when, written_by(change),
                                   [e for e in (evidence, got[1], refusal.log.evidence_id) if e])
        if best is not None:
            return [best]
    return []


def finding(m: Misdirected, at: datetime) -> dict[str, Any]:
    ago = minutes_text(int((at - m.at).total_seconds() // 60))
    by = f" by {m.by}" if m.by else ""
    victim = f"pod {m.refusal.log.namespace}/{m.refusal.log.pod}"
    message = (f"{m.target}: data key {m.key} = {m.url} (written{by} {ago} before the incident) points the object "
               f"store client at region {m.region}, {m.why}: S3 serves a bucket only from its own region's endpoint "
               f"and answers 301 PermanentRedirect to every request, so {victim} fails: '{m.refusal.line[:200]}'. "
               f"Point {m.key} back at the bucket's region (or remove it)")
    return {"check": CHECK, "severity": "critical", "reason": "StoreEndpointOtherRegion",
            "object": {"kind": m.target.kind, "namespace": m.target.namespace, "name": m.target.name},
            "message": message, "evidence": [f"{m.key} = {m.url}", m.refusal.line[:200]],
            "details": {"key": m.key, "endpoint": m.url, "region": m.region, "by": m.by}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the written config, its finding, evidence ids, what the redirected pods belong to)."""
    out = []
    for m in found(facts):
        victims = [ref for r in _all_redirects(facts) for ref in _owners(r.log.pod, r.log.namespace)]
        victims += _alike(facts, victims)
        out.append((m.target, finding(m, facts.at), m.evidence, victims))
    return out
