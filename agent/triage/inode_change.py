"""A change that multiplies small files, behind a volume out of inodes while its bytes are free.

A filesystem runs out of inodes long before bytes when a writer keeps many small files: an HTTP cache kept
longer (nginx `proxy_cache_path ... inactive=30d`, Squid `refresh_pattern`/`cache_dir` levels, Varnish
file storage), a log or queue store cut into smaller segments or chunks (Kafka `segment.bytes`/`segment.ms`,
a TSDB's block range), a retention raised, per-item spool files. Writes then fail with ENOSPC ("No space left
on device") although `kubelet_volume_stats_available_bytes` shows room: agent.triage.full_volume names the
claim out of inodes. What to fix is the change: an edit of a ConfigMap or Secret the writer's workload uses,
or a rollout of that workload, whose diff touches how long or how finely it keeps files, made within LEAD
before the incident. A change that touches none of those words is not blamed (the claim stays the suspect).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from agent.triage import full_volume
from agent.triage.facts import Facts, Ref, parse_time
from agent.triage.kube_reads import get_yaml

CHECK = "change.multiplies_files"
WEIGHT = 0.93
"""Above full_volume's claim (0.92): the claim out of inodes is the change's consequence."""

HISTORY_WINDOW = "14d"
MAX_READS = 2
LEAD = timedelta(days=14)
"""Inodes are spent slowly (a cache filling over days): how long before the incident the change may be."""

FILE_COUNT = re.compile(
    r"inactive|retention|retain|expir|\bttl\b|max[_-]?age|segment|chunk|rotat|max[_-]?files|"
    r"cache[_-]?(?:dir|path|valid)|refresh_pattern|block[_-]?(?:range|duration)|spool", re.I)
"""Words of a diff that govern how many files a writer keeps (how long, how finely cut, how deep the tree)."""
SETTING = re.compile(
    r"\binactive=\d+\w*|\b[\w.-]*retention[\w.-]*[\s=:\"']+\d+\w*|\b[\w.-]*segment[._-]?(?:bytes|ms|size)\w*[\s=:\"']+\d+\w*|"
    r"\b[\w.-]*ttl\w*[\s=:\"']+\d+\w*|\bmax[_-]?age[\s=:\"']+\d+\w*|\bchunk[_-]?size\w*[\s=:\"']+\d+\w*|"
    r"\brefresh_pattern\b[^\n]{0,60}|\bproxy_cache_valid\b[^;\n]{0,30}", re.I)
"""A setting, in a config's data, of how long or how finely a writer keeps files (nginx `inactive=30d`, Kafka
`log.segment.bytes=1048576`, `retention.ms`, Squid `refresh_pattern`): what a config edit that names only its
key is judged by."""


@dataclass(frozen=True)
class Multiplied:
    """A change to what a writer keeps, before its volume ran out of inodes."""

    change: dict[str, Any]
    target: Ref
    found: full_volume.FullVolume
    setting: str


def _data_of(facts: Facts, target: Ref) -> str:
    for obj, _ in facts.objects:
        meta = obj.get("metadata") or {}
        if obj.get("kind") == target.kind and meta.get("name") == target.name and \
                (meta.get("namespace") or "") == target.namespace and isinstance(obj.get("data"), dict):
            return "\n".join(str(v) for v in obj["data"].values())
    return ""


def _fits(facts: Facts, change: dict[str, Any], workload: Ref) -> tuple[Ref, str] | None:
    """The changed object and the setting that fits, when the change changes how many files `workload` keeps."""
    target = Ref.of(change.get("object"))
    if target is None:
        return None
    kind = str(change.get("type") or "")
    related = [r for r in (Ref.of(x) for x in change.get("related") or []) if r]
    diff = " ".join(str(d) for d in change.get("diff") or [])  # the summary's "rolled out" names no setting
    in_diff = SETTING.search(diff) or FILE_COUNT.search(diff)
    if kind in ("config", "secret") and any(r.same_object(workload) for r in related):
        in_data = SETTING.search(_data_of(facts, target))
        said = in_diff or in_data
        return (target, said.group(0).strip()) if said else None
    if kind == "rollout" and target.same_object(workload) and in_diff:
        return target, in_diff.group(0).strip()
    return None


def multiplied(facts: Facts) -> list[Multiplied]:
    """Each claim found out of inodes with the newest fitting change of its writer's workload before it."""
    out: list[Multiplied] = []
    for found in full_volume.fillings(facts):
        if not found.inodes:
            continue
        fits = []
        for change, _ in facts.every_change():
            at = parse_time(change.get("at"))
            fit = _fits(facts, change, found.workload)
            if at is not None and fit is not None and facts.at - LEAD <= at <= facts.at:
                fits.append((at, change, fit))
        if fits:
            _, change, (target, setting) = max(fits, key=lambda f: f[0])
            out.append(Multiplied(change, target, found, setting))
    return out


async def read_history(facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """A claim is out of inodes with bytes free: read its namespace's writes over days (the survey's timeline
    covers hours, and a cache fills its inodes slowly). Reading only."""
    out_of_inodes = [f for f in full_volume.fillings(facts) if f.inodes]
    namespaces = sorted({f.namespace for f in out_of_inodes if f.namespace})
    for namespace in namespaces[:1]:
        history = await call("k8s_changes", {"at": at, "window": HISTORY_WINDOW, "namespace": namespace},
                             f"survey-inode-history-{namespace}")
        if history is not None and history.ok and isinstance(history.data, dict):
            facts.history.append((history.data, history.evidence_id))
    workloads = [f.workload for f in out_of_inodes]
    configs = [r for c, _ in facts.every_change() if c.get("type") == "config" and (r := Ref.of(c.get("object")))
               and any(w.same_object(x) for w in workloads for x in (Ref.of(y) for y in c.get("related") or []) if x)]
    for ref in list(dict.fromkeys(configs))[:MAX_READS]:
        got = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-inode-config-{ref.name}")
        if got is not None:
            facts.objects.append(got)


def finding(found: Multiplied) -> dict[str, Any]:
    """The change's finding: the claim out of inodes with bytes free, the writer's ENOSPC, and the change."""
    fv = found.found
    diff = "; ".join(str(d) for d in (found.change.get("diff") or [])[:2]) or str(found.change.get("summary") or "")
    diff = f"{diff[:120]} (now {found.setting[:60]})" if found.setting not in diff else diff[:160]
    quoted = " ".join(fv.said.line.split())[-160:]
    message = (f"{found.target} changed ({found.change.get('at')}) what {fv.workload} keeps: {diff}. Since, "
               f"{fv.claim} is {fv.inodes}: many small files, not bytes, fill it, and writes fail with ENOSPC "
               f"('{quoted}'). Revert the change (shorter retention or inactive time, larger segments), then "
               "clear the old files")
    return {"check": CHECK, "severity": "critical", "object": found.change.get("object"),
            "reason": "ChangeMultipliesFiles", "message": message, "evidence": [quoted],
            "details": {"claim": str(fv.claim), "workload": str(fv.workload), "change_at": found.change.get("at")}}


def explained(found: Multiplied) -> list[Ref]:
    """The claim out of inodes and all it explains."""
    return [r for r in (found.found.claim,) if r] + full_volume.explained(found.found)
