"""A workload rolled onto a ConfigMap that holds FEWER keys than the one it used before, and now runs on defaults.

Generated ConfigMaps get a new (hashed) name on every content change — Kustomize's `configMapGenerator`, Helm
charts that name the ConfigMap by a checksum, Jsonnet/Tanka — and the workload's template is rewritten to point at
the new name, so the rollout's diff shows `configMapRef OLD removed` / `configMapRef NEW added` (or a volume's
`configMap OLD -> configMap NEW`). When the new one lost keys (an overlay's generator with `behavior: replace`
where `merge` was meant, a values file that dropped a block, a renamed key), the program starts without those
settings: it falls back to its built-in default, usually `localhost`, and says so ("PRICING_URL not set,
defaulting to http://localhost:8080") or fails against it (`connect ECONNREFUSED 127.0.0.1:8080`,
`Connection refused` to localhost); its callers then see 5xx. The image bump in the same rollout is innocent.

Read from the rollout's own diff (which ConfigMap it left for which), both ConfigMaps' key sets (read once, a
handful at most), and the workload's own logs: a dropped key that no log names, and no localhost refusal, is
left alone (a key set that shrank by an unused key is not an incident). Only key NAMES are compared: values are
never read into the finding, so a Secret-like value in a ConfigMap is never quoted.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, parse_time
from agent.triage.kube_reads import Call, get_yaml
from agent.triage.subject import workload_of_pod

CHECK = "change.configmap_keys_dropped"
WEIGHT = 0.95
"""Settings the workload lost with its ConfigMap explain its errors and its callers': above the rollout's image."""

WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")
WITHIN = timedelta(hours=6)
MAX_READS = 8
READS = "configmap_keys"
MAX_PODS = 2

ENV_FROM = re.compile(r"^(?P<container>\S+) configMapRef (?P<name>\S+) (?P<how>added|removed)\b")
VOLUME = re.compile(r"^volume (?P<volume>\S+) configMap (?P<old>\S+) -> configMap (?P<new>\S+)$")

LOCAL_DEFAULT = re.compile(
    r"(?:ECONNREFUSED|connection refused|Connection refused|connect: connection refused|dial tcp)\s*"
    r"(?:to\s+)?(?:\[?::1\]?|127\.0\.0\.1|localhost)|(?:localhost|127\.0\.0\.1)(?::\d+)?\b.*(?:refused|"
    r"ECONNREFUSED)|defaulting to \S*(?:localhost|127\.0\.0\.1)|(?:not set|missing|undefined|is required)"
    r".{0,60}(?:localhost|127\.0\.0\.1)", re.I)
"""A program on its built-in default address: refused connections to itself, or its own 'defaulting to' line."""


@dataclass
class Dropped:
    """A workload's ConfigMap swap that lost keys, and the workload's log that shows the loss."""

    workload: Ref
    config: Ref
    previous: str
    keys: list[str]
    minutes: int
    said: str
    log: LogEvidence | None
    evidence: list[str] = field(default_factory=list)


def swaps(diff: list[str]) -> list[tuple[str, str]]:
    """(old, new) ConfigMap names a rollout's template diff moved a container or a volume from and to."""
    removed: dict[str, str] = {}
    added: dict[str, str] = {}
    out: list[tuple[str, str]] = []
    for line in diff:
        line = str(line)
        env = ENV_FROM.match(line)
        if env:
            (added if env["how"] == "added" else removed)[env["container"]] = env["name"]
            continue
        vol = VOLUME.match(line)
        if vol and vol["old"] != vol["new"]:
            out.append((vol["old"], vol["new"]))
    out += [(removed[c], added[c]) for c in removed if c in added and removed[c] != added[c]]
    return list(dict.fromkeys(out))


def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(READS, {})


def _recent(facts: Facts) -> list[tuple[dict[str, Any], Ref, list[tuple[str, str]]]]:
    out = []
    for change in facts.change_list():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or target.kind not in WORKLOADS or not facts.at - WITHIN <= at <= facts.at:
            continue
        pairs = swaps([str(d) for d in change.get("diff") or []])
        if pairs:
            out.append((change, target, pairs))
    return out


def _said(logs: list[LogEvidence], keys: list[str]) -> tuple[str, LogEvidence | None]:
    """The first log line naming a dropped key, else the first showing a localhost default; with its log."""
    lines = [(str(e.get("message") or e.get("example") or ""), log) for log in logs
             for e in [*log.entries(), *({"message": line} for line in log.last_lines)]]
    named = [(line, log) for line, log in lines
             if any(re.search(rf"(?<![\w]){re.escape(k)}(?![\w])", line) for k in keys)]
    local = [(line, log) for line, log in lines if LOCAL_DEFAULT.search(line)]
    return next(iter(named + local), ("", None))


def found(facts: Facts) -> list[Dropped]:
    """Recent rollouts onto a ConfigMap with fewer keys than the previous one, whose logs show the loss."""
    store = _store(facts)
    out: list[Dropped] = []
    for change, target, pairs in _recent(facts):
        at = parse_time(change.get("at"))
        for old, new in pairs:
            before = store.get(f"{target.namespace}/{old}")
            after = store.get(f"{target.namespace}/{new}")
            if before is None or after is None:
                continue
            keys = sorted(set(before[0]) - set(after[0]))
            if not keys:
                continue
            logs = [log for log in facts.logs if log.namespace == target.namespace
                    and workload_of_pod(log.pod) == target.name]
            said, log = _said(logs, keys)
            if not said:
                continue
            minutes = int((facts.at - at).total_seconds() // 60) if at else 0
            evidence = [e for e in (facts.changes_id, before[1], after[1], log.evidence_id if log else None) if e]
            out.append(Dropped(target, Ref("ConfigMap", target.namespace, new), old, keys, minutes, said[:200], log,
                               evidence))
    return out


def finding(d: Dropped) -> dict[str, Any]:
    """The new ConfigMap as the suspect: the keys it lacks first, the workload that rolled onto it, its log."""
    keys = ", ".join(d.keys[:6]) + (f" (+{len(d.keys) - 6} more)" if len(d.keys) > 6 else "")
    message = (f"{d.config} lacks keys {keys} that {d.previous} held: a regenerated ConfigMap whose key set shrank "
               "(a Kustomize configMapGenerator with behavior: replace where merge was meant, or a values/overlay "
               f"that lost them); {d.workload} rolled onto it {d.minutes} min before the alert and runs on its "
               f"defaults (localhost): '{d.said}'. Restore the keys (behavior: merge) or roll {d.workload.name} back "
               f"to {d.previous}")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": "ConfigMap", "namespace": d.config.namespace, "name": d.config.name},
            "reason": "ConfigMapKeysDropped", "message": message, "evidence": [d.said],
            "details": {"dropped": d.keys, "previous": d.previous, "workload": str(d.workload),
                        "minutes_before": d.minutes}}


def _keys_of(obj: dict[str, Any]) -> list[str]:
    return sorted({*(obj.get("data") or {}), *(obj.get("binaryData") or {})})


async def read(facts: Facts, call: Call, keep: Callable[[Any, Facts], LogEvidence | None]) -> None:
    """Reading only, bounded: the key sets of the ConfigMaps recent rollouts moved between and, where one lost
    keys and no log of the workload was read yet, two of its pods' logs (`keep` files them in `facts`)."""
    store = _store(facts)
    for _, target, pairs in _recent(facts)[:4]:
        for name in [n for pair in pairs for n in pair]:
            key = f"{target.namespace}/{name}"
            if key in store or len(store) >= MAX_READS:
                continue
            got = await get_yaml(call, "ConfigMap", name, target.namespace, f"survey-cmkeys-{name}")
            if got is not None:
                store[key] = (_keys_of(got[0]), got[1])
        shrank = any(set(store.get(f"{target.namespace}/{old}", ([], ""))[0])
                     - set(store.get(f"{target.namespace}/{new}", (None, ""))[0] or []) for old, new in pairs
                     if f"{target.namespace}/{new}" in store)
        if not shrank or any(log.namespace == target.namespace and workload_of_pod(log.pod) == target.name
                             for log in facts.logs):
            continue
        listed = await call("k8s_list", {"kind": "Pod", "namespace": target.namespace},
                            f"survey-cmkeys-pods-{target.name}")
        rows = (listed.data or {}).get("rows") or [] if listed is not None and listed.ok else []
        pods = [str(r.get("name")) for r in rows if isinstance(r, dict)
                and workload_of_pod(str(r.get("name") or "")) == target.name][:MAX_PODS]
        for pod in pods:
            keep(await call("k8s_logs", {"name": pod, "namespace": target.namespace, "tail": 300},
                            f"survey-cmkeys-logs-{pod}"), facts)
