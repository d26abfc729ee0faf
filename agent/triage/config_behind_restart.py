"""A workload restarted "with no visible revision": the config it mounts, written just before, is the change.

`kubectl rollout restart` (or deleting the pods) recreates every pod without changing the pod
template's images or env, so the timeline can only say "all pods recreated". The usual reason is a
ConfigMap or Secret the pods read at start (a volume, a projected volume, envFrom, valueFrom) that
was edited just before: the restart is how the new file is loaded, and the file is what changed
behaviour. This module pairs such a restart with a write, shortly before it, to an object the
workload uses (the timeline's `related`, or the topology's settings), reads the leaf diff with
value_diff (or the current leaves when the previous value was not recorded), and, when the
workload's clients quote a server error whose meaning is a server setting (server_error_codes),
names that setting's leaf. Secrets are named, their values never read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage import server_error_codes, value_diff
from agent.triage.facts import Facts, LogEvidence, Ref, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import workload_of_pod

Call = Callable[..., Awaitable[Any]]

CHECK = "config.behind_restart"
WEIGHT = 0.9
"""A config written and loaded by a restart is the thing to revert; the restart and the clients are its victims."""
BEFORE = timedelta(hours=2)
"""How long before the restart a write to what the workload reads still counts as the reason for it."""
WINDOW = timedelta(hours=6)
"""How long before the incident the restart may be."""

_REVISIONLESS = re.compile(r"recreated|restart", re.I)
_SAME_TEMPLATE = re.compile(r"pod template unchanged|restartedAt", re.I)
"""A Deployment's `kubectl rollout restart` makes a revision whose template differs only by that annotation."""
_WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")


@dataclass
class ConfigRestart:
    """A config write a workload's revisionless restart loaded, and what its clients now get."""

    config: Ref
    workload: Ref
    write: dict[str, Any]
    restart: dict[str, Any]
    minutes_before: int
    data_key: str
    leaves: list[value_diff.LeafChange]
    recorded: bool
    """Whether the previous value was recorded (leaves are a diff) or not (leaves are current values)."""
    governing: list[value_diff.LeafChange] = field(default_factory=list)
    """Leaves named by the settings the clients' server errors point at."""
    said: str = ""
    log: LogEvidence | None = None
    victims: list[Ref] = field(default_factory=list)


def _restarts(facts: Facts) -> list[dict[str, Any]]:
    out = []
    for c, _, _ in facts.writes_to(_WORKLOADS, within=WINDOW, timeline_only=True):
        said = " ".join([str(c.get("summary") or ""), *(str(d) for d in c.get("diff") or [])])
        if c.get("type") != "rollout":
            continue
        if (c.get("revision") in (None, "") and _REVISIONLESS.search(said)) or _SAME_TEMPLATE.search(said):
            out.append(c)
    return out


def _used_by(facts: Facts, workload: Ref) -> set[Ref]:
    """The ConfigMaps the topology says the workload reads (its settings), beside the timeline's `related`."""
    out: set[Ref] = set()
    for data, _ in facts.topologies:
        for s in data.get("settings") or []:
            cm, wl = Ref.of((s or {}).get("configmap")), Ref.of((s or {}).get("workload"))
            if cm is not None and wl is not None and wl.same_object(workload):
                out.add(cm)
    return out


def _writes(facts: Facts) -> list[tuple[dict[str, Any], Ref, dict[str, Any]]]:
    """(config write, workload, restart) pairs: a write to what the workload reads within BEFORE of its restart."""
    out = []
    for restart in _restarts(facts):
        workload = Ref.of(restart.get("object"))
        at = parse_time(restart.get("at"))
        if workload is None or at is None:
            continue
        used = _used_by(facts, workload)
        for c, _, target in facts.writes_to(("ConfigMap", "Secret"), timeline_only=True):
            when = parse_time(c.get("at"))
            if when is None:
                continue
            related = [r for r in (Ref.of(x) for x in c.get("related") or []) if r is not None]
            if not (any(r.same_object(workload) for r in related) or any(u.same_object(target) for u in used)):
                continue
            if at - BEFORE <= when <= at + timedelta(minutes=1):
                out.append((c, workload, restart))
    return out


async def read(facts: Facts, call: Call) -> None:
    """Reading only: each ConfigMap written before a revisionless restart of a workload that reads it."""
    seen = {(str(o.get("kind")), str((o.get("metadata") or {}).get("namespace") or ""),
             str((o.get("metadata") or {}).get("name"))) for o, _ in facts.objects}
    for write, _, _ in _writes(facts)[:2]:
        target = Ref.of(write.get("object"))
        if target is None or target.kind != "ConfigMap" or (target.kind, target.namespace, target.name) in seen:
            continue
        got = await get_yaml(call, "ConfigMap", target.name, target.namespace, f"survey-restart-config-{target.name}")
        if got is not None and got[0].get("kind") == "ConfigMap":
            facts.objects.append(got)
            seen.add((target.kind, target.namespace, target.name))


def _data(facts: Facts, target: Ref) -> dict[str, str]:
    obj = facts.object_named(target.kind, target.namespace, target.name)
    return {str(k): str(v) for k, v in ((obj or {}).get("data") or {}).items()}


def _keys(write: dict[str, Any]) -> list[str]:
    return list(dict.fromkeys(m.group(1) for d in write.get("diff") or []
                              if (m := re.search(r"\bdata key (\S+)", str(d)))))


def _recorded(write: dict[str, Any], key: str) -> list[value_diff.LeafChange] | None:
    """The leaf diff when the timeline's diff carries the previous and the new value (`data key k 'a' -> 'b'`)."""
    for line in (str(d) for d in write.get("diff") or []):
        m = re.search(rf"\bdata key {re.escape(key)} '(.*)' -> '(.*)'", line)
        if m:
            return value_diff.diff(m.group(1), m.group(2), key)
    return None


def _norm(name: str) -> str:
    return name.rsplit(".", 1)[-1].replace("-", "_").lower()


def _clients_errors(facts: Facts, workload: Ref) -> list[tuple[LogEvidence, str, list[str]]]:
    """Logs (not the workload's own) whose errors quote a server error with a governing setting."""
    return server_error_codes.logs_quoting(facts.logs, skip=lambda log: workload_of_pod(log.pod) == workload.name and (
        not log.namespace or log.namespace == workload.namespace))


def found(facts: Facts) -> list[ConfigRestart]:
    """Each config write loaded by a revisionless restart, with its leaves and the clients' server errors."""
    out: list[ConfigRestart] = []
    for write, workload, restart in _writes(facts):
        target = Ref.of(write.get("object"))
        at, restarted = parse_time(write.get("at")), parse_time(restart.get("at"))
        if target is None or at is None or restarted is None or any(x.config.same_object(target) for x in out):
            continue
        data = _data(facts, target) if target.kind == "ConfigMap" else {}
        keys = _keys(write) or list(data)
        key = keys[0] if keys else ""
        diffed = _recorded(write, key) if key else None
        current = value_diff.leaves(data.get(key), key) or {} if key else {}
        leaves = diffed if diffed else [value_diff.LeafChange(p, None, v) for p, v in current.items()]
        errors = _clients_errors(facts, workload)
        wanted = {_norm(n) for _, _, names in errors for n in names}
        governing = [leaf for leaf in leaves if _norm(leaf.path) in wanted]
        if not diffed and not governing:
            continue  # neither a recorded diff nor a setting the clients' errors point at: no proof of effect
        first = errors[0] if errors else None
        victims = [workload, Ref("", first[0].namespace, workload_of_pod(first[0].pod))] if first else [workload]
        out.append(ConfigRestart(target, workload, write, restart, int((facts.at - at).total_seconds() // 60), key,
                                 leaves, bool(diffed), governing, first[1] if first else "",
                                 first[0] if first else None, victims))
    return out


def finding(x: ConfigRestart) -> dict[str, Any]:
    """The suspect's finding: the write, the setting it holds now (or its diff), the restart that loaded it, and
    the clients' error that the setting governs (quoted, so meaning.py says what the code means)."""
    who = str(x.write.get("summary") or "").split(":", 1)[0]
    restarted = str(x.restart.get("at") or "")[11:16]
    shown = x.governing or x.leaves
    if x.recorded:
        what = "; ".join(leaf.text(x.data_key) for leaf in shown[:3])
    else:
        what = (f"{x.data_key} sets " + ", ".join(f"{leaf.path}={leaf.new}" for leaf in shown[:3])
                + " (previous value not recorded)")
    said = f"; its clients now fail with '{x.said}'" if x.said else ""
    message = (f"{x.config} was written {x.minutes_before} min before the alert and {x.workload} was restarted at "
               f"{restarted} with no new revision, which loaded it{said}. Its {what}. The setting, "
               f"not the restart or the clients, changed behaviour: revert it in {x.config}")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": x.config.kind, "namespace": x.config.namespace, "name": x.config.name},
            "reason": "ConfigLoadedByRestart", "message": message,
            "evidence": [e for e in (x.said, who) if e],
            "details": {"workload": str(x.workload), "write_at": x.write.get("at"), "restart_at": x.restart.get("at"),
                        "data_key": x.data_key, "leaves": [{"path": v.path, "old": v.old, "new": v.new}
                                                           for v in shown[:6]]}}
