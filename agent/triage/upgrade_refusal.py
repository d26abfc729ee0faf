"""A controller upgraded to a release that refuses an object it built before, the object itself unchanged.

A controller release can make a validation stricter by default: ingress-nginx 1.12 turned on
`strict-validate-path-type`, so a regex path under pathType Prefix or Exact is now refused (`ingress ns/x contains
invalid paths: path /api/v[0-9]+ cannot be used with pathType Prefix`); a Traefik, Contour, HAProxy or Kong release
starts refusing an annotation value, a path or a route rule it used to accept (`Skipping ingress ns/x: ...`,
`ignoring ingress ns/x: invalid ...`, `HTTPProxy ns/x is invalid`); cert-manager or an operator rejects a resource
field it ignored before. Nobody wrote the refused object: its host now answers from the controller's default (a
404 from the default backend) or keeps an old configuration, and the only write in view is the controller's own
rollout, often in another namespace. The object looks like the culprit (and a partial recording may add claims
about its backends or class); the upgrade is.

agent.triage.controller_switch names a written setting the refusal carries the word of; agent.triage.controller_api
names an upgrade that ignores a whole API group in silence. This module covers the refusal after a version move
with no setting written: a rollout of a workload (Deployment, DaemonSet, StatefulSet) whose image moved to another
major or minor version within `LEAD` (engine_upgrade.version_move), whose pods print, from the rollout on and never
before, a line that refuses (controller_switch.REFUSES, or `invalid`/`not supported`) and names an object of a kind
a controller builds (`ingress ns/x`, `httpproxy ns/x`), and that object was not written since the rollout (a write
of the object itself after it is its own story). Twins: a patch release (no version move), the same refusal already
printed before the rollout (chronic), a refused object edited after the rollout, a line naming no object.

`read` (reading only, when such a version move is in the timeline) greps the newest pods of the upgraded workload
for refusal stems; `found` is pure over what was kept.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.controller_switch import REFUSES, object_in
from agent.triage.engine_upgrade import version_move
from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.proxy_config import line_time
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.upgrade_refusal"
WEIGHT = 0.93
"""The controller's own word that, since its upgrade, it refuses an unchanged object: above the object's symptom
(its 404s, a missing-backend claim) and the object's own findings."""
STORE = "upgrade_refusal"
LEAD = timedelta(hours=24)
SLACK = timedelta(minutes=1)
WORKLOADS = ("Deployment", "DaemonSet", "StatefulSet")
MAX_UPGRADES = 2
MAX_PODS = 1
"""The newest listed pod: a controller's replicas refuse the same objects."""
STEMS = ("invalid", "skip", "ignor", "reject")
"""What `k8s_logs` greps for (a case-insensitive substring each): the stems of a controller's refusals."""
INVALID = re.compile(r"\b(?:invalid|not supported|unsupported)\b", re.I)
KINDS = {"ingress": "Ingress", "ingressroute": "IngressRoute", "httpproxy": "HTTPProxy", "httproute": "HTTPRoute",
         "certificate": "Certificate", "gateway": "Gateway", "middleware": "Middleware", "service": "Service"}
"""Kinds a controller builds, as its refusal names them (controller_switch.object_in's kind words)."""

KLOG = re.compile(r"^[IWEF](?P<mo>\d\d)(?P<d>\d\d) (?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d)")
"""klog's header (`E1201 13:59:39.000000 7 main.go:90] ...`): month and day, no year."""

Call = Callable[..., Awaitable[Any]]


def upgrades(facts: Facts) -> list[tuple[dict[str, Any], Ref, tuple[str, str]]]:
    """Rollouts of a workload within LEAD that moved an image to another major or minor version, newest first."""
    out: list[tuple[dict[str, Any], Ref, tuple[str, str]]] = []
    for change, _, target in facts.writes_to(WORKLOADS, within=LEAD, deletions=False):
        moved = version_move(change)
        if moved is not None and change.get("type") == "rollout" and not any(t.same_object(target)
                                                                             for _, t, _ in out):
            out.append((change, target, moved))
    return sorted(out, key=lambda u: str(u[0].get("at")), reverse=True)[:MAX_UPGRADES]


async def read(_subject: Subject, facts: Facts, call: Call, _at: str) -> None:
    """Reading only: each upgraded workload's newest pods' lines carrying a refusal stem (facts.reads[STORE])."""
    if STORE in facts.reads:
        return
    store: list[dict[str, Any]] = facts.reads.setdefault(STORE, [])
    for change, target, moved in upgrades(facts):
        got = await call("k8s_list", {"kind": "Pod", "namespace": target.namespace},
                         f"survey-upgrade-refusal-pods-{target.name}")
        rows = (got.data.get("rows") or []) if got is not None and got.ok and isinstance(got.data, dict) else []
        pods = [str(r.get("name")) for r in rows if isinstance(r, dict)
                and workload_of_pod(str(r.get("name") or "")) == target.name]
        for pod in pods[-MAX_PODS:]:
            lines: list[str] = []
            evidence: list[str] = []
            for stem in STEMS:
                logs = await call("k8s_logs", {"name": pod, "namespace": target.namespace, "grep": stem,
                                               "tail": 10000, "budget_tokens": 1500},
                                  f"survey-upgrade-refusal-logs-{pod}-{stem.replace(' ', '-')}")
                if logs is None or not logs.ok:
                    continue
                kept = [ln.strip() for ln in str(logs.full_text or "").splitlines()[1:] if ln.strip()]
                lines += [ln for ln in kept if ln not in lines]
                if kept and logs.evidence_id:
                    evidence.append(logs.evidence_id)
            store.append({"change": change, "target": target, "moved": moved, "pod": pod, "lines": lines,
                          "evidence": evidence})


@dataclass
class Refusal:
    """An upgraded controller that refuses an object nobody wrote since the upgrade."""

    controller: Ref
    at: datetime
    old: str
    new: str
    refused: Ref
    pod: str
    lines: list[str]
    evidence: list[str] = field(default_factory=list)


def refused_object(line: str) -> Ref | None:
    """The object a refusal line names, with its kind (None: not a refusal, or no object of a built kind)."""
    if not (REFUSES.search(line) or INVALID.search(line)):
        return None
    said = object_in(line)
    if " " not in said:
        return None
    kind, where = said.split(" ", 1)
    namespace, name = where.split("/", 1)
    return Ref(KINDS[kind], namespace, name) if kind in KINDS else None


def when(line: str, now: datetime) -> datetime | None:
    """When a controller printed a line: its RFC 3339 or nginx stamp, else klog's header in the year that puts it
    at or before `now` (klog prints no year)."""
    stamped = line_time(line)
    if stamped is not None:
        return stamped
    m = KLOG.match(line.strip())
    if m is None:
        return None
    for year in (now.year, now.year - 1):
        t = parse_time(f"{year}-{m['mo']}-{m['d']}T{m['h']}:{m['mi']}:{m['s']}Z")
        if t is not None and t <= now + timedelta(days=1):
            return t
    return None


def _written_since(facts: Facts, obj: Ref, since: datetime) -> bool:
    """Whether the timelines show a write of the object itself from the upgrade on."""
    for change, _, target in facts.writes_to((obj.kind,)):
        at = parse_time(change.get("at"))
        if target.same_object(obj) and at is not None and at >= since - SLACK:
            return True
    return False


def found(facts: Facts) -> list[Refusal]:
    """Each upgrade after which its controller refuses an unchanged object, never before it."""
    out: list[Refusal] = []
    for entry in facts.reads.get(STORE) or []:
        change, target = entry["change"], entry["target"]
        written = parse_time(change.get("at"))
        if written is None or any(r.controller.same_object(target) for r in out):
            continue
        hits: dict[Ref, list[tuple[datetime | None, str]]] = {}
        for line in entry.get("lines") or []:
            obj = refused_object(line)
            if obj is not None and not obj.same_object(target):
                hits.setdefault(obj, []).append((when(line, facts.at), line))
        for obj, said in hits.items():
            times = [t for t, _ in said if t is not None]
            if not times or min(times) < written - SLACK or min(times) > facts.at + SLACK:
                continue  # undated, chronic (refused before the upgrade), or only after the incident
            if _written_since(facts, obj, written):
                continue
            old, new = entry["moved"]
            out.append(Refusal(target, written, old, new, obj, entry["pod"],
                               [ln for _, ln in sorted(said, key=lambda s: str(s[0]))],
                               [e for e in entry.get("evidence") or [] if e]))
            break
    return out


def _quote(line: str) -> str:
    """The controller's sentence: the text after klog's `file.go:123]` header, or a JSON line's message fields."""
    fields = re.findall(r'"(?:error|err|msg|message)"\s*:\s*"((?:[^"\\]|\\.)*)"', line)
    if fields:
        return ": ".join(fields)[:220]
    header = re.search(r"\.go:\d+\]\s*", line)
    return (line[header.end():] if header else line)[:220]


def finding(r: Refusal, at: datetime) -> dict[str, Any]:
    """The version move, what the new release refuses, and that the refused object did not change."""
    ago = minutes_text(int((at - r.at).total_seconds() // 60))
    count = f"{len(r.lines)} line{'s' if len(r.lines) != 1 else ''} from {r.pod}"
    message = (f"{r.controller} was upgraded {ago} before the incident ({r.old} -> {r.new}), and since then it "
               f"refuses {r.refused}, which nobody wrote since: '{_quote(r.lines[0])}' ({count}, none before the "
               f"upgrade). The new release validates what the old one accepted (a stricter default), so it no "
               f"longer builds {r.refused} and its traffic falls to the controller's default (404 from the "
               f"default backend, no route). Roll {r.controller} back, or fix {r.refused} to the new rules, or "
               f"turn the new validation off in the controller's settings")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": r.controller.kind, "namespace": r.controller.namespace, "name": r.controller.name},
            "reason": "UpgradeRefusesObject", "message": message, "evidence": [r.lines[0][:240], f"{r.old} -> {r.new}"],
            "details": {"old_image": r.old, "new_image": r.new, "refused": str(r.refused),
                        "upgraded_at": r.at.isoformat()}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The upgraded controller; it explains the refused object and itself (behind.py's hook)."""
    return [(r.controller, finding(r, facts.at), r.evidence, [r.refused, r.controller]) for r in found(facts)]
