"""Repeated restarts of a workload by a config-restarter controller that was just changed: the controller's change.

Config-restarter controllers roll a workload when a ConfigMap or Secret it uses changes: Stakater Reloader (it
writes a `STAKATER_<NAME>_CONFIGMAP`/`_SECRET` env var holding the config's hash, or a
`reloader.stakater.com/last-reloaded-from` annotation, into the pod template), Wave (`wave.pusher.com/config-hash`),
kube-config-reloader-style operators and anything that sets `kubectl.kubernetes.io/restartedAt`. Each such write
is a real rollout: new pods start cold (caches empty, JIT cold, connections to open) and, where readiness is too
lenient, answer errors in a burst. A change to the controller itself (Reloader given `--auto-reload-all=true`, a
new watch scope, a chart bump that changed its default) makes it restart workloads it left alone before, and a
config rewritten on a schedule (a CronJob syncing a snapshot every ten minutes) then rolls the app every ten
minutes. The app's rollouts are where it shows; the controller's change is what to undo.

`found` (pure, over the change timeline the survey and other modules read) looks for a workload rolled out at
least MIN_RESTARTS times in the LEAD where every rollout's diff only changes a restarter's marker (its env var or
annotation: a hash or a timestamp; no image, args or other env), attributes the marker to a controller (by the
marker's form and the rollouts' change-cause), and finds that controller's own write (its Deployment or its
ConfigMap, by name or image) made before the first such restart. Not named: restarts that began before the
controller's write (its change did not start them), a workload whose rollouts change its image (a deploy loop,
not a restarter), a controller not written in the LEAD.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.subject import Subject

CHECK = "change.restart_controller"
WEIGHT = 0.94
"""The controller's change explains a run of restarts no one else asked for: above each restart's own rollout."""
LEAD = timedelta(hours=24)
MIN_RESTARTS = 3


@dataclass(frozen=True)
class Restarter:
    """A config-restarter controller: the marker it writes into a pod template and the words that name it."""

    name: str
    marker: re.Pattern[str]
    words: re.Pattern[str]


RESTARTERS = (
    Restarter("Reloader", re.compile(r"\bSTAKATER_\w+|reloader\.stakater\.com/[\w.-]+", re.I),
              re.compile(r"reloader|stakater", re.I)),
    Restarter("Wave", re.compile(r"wave\.pusher\.com/[\w.-]+", re.I), re.compile(r"\bwave\b|pusher", re.I)),
    Restarter("config reloader", re.compile(r"(?:config|configmap|secret)[-_.]?(?:hash|checksum|reload\w*)", re.I),
              re.compile(r"config[-_]?reloader|configmap[-_]?reload|secret[-_]?reload", re.I)),
    Restarter("a restart annotation", re.compile(r"kubectl\.kubernetes\.io/restartedAt", re.I),
              re.compile(r"restart(?:er|-controller)|rollout[-_]restarter", re.I)),
)

_ROLLOUT_DIFF = re.compile(r"\b(?:image|args|command)\b", re.I)
"""What a real deploy changes; a restarter changes none of it."""
_CAUSE = re.compile(r"change-cause:\s*([^)]+)\)", re.I)

Call = Callable[..., Awaitable[Any]]


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Nothing of its own: the survey's timeline (and longer histories other modules read) is enough."""
    return None


def _restarter(change: dict[str, Any]) -> Restarter | None:
    """The restarter whose marker is all a rollout changed, or None for a real deploy."""
    diff = [str(d) for d in change.get("diff") or []]
    summary = str(change.get("summary") or "")
    said = " ".join(diff) or summary
    if not diff and "rolled out" not in summary:
        return None
    if _ROLLOUT_DIFF.search(re.sub(r"STAKATER_\w+|'[^']*'", "", said)):
        return None
    cause = _CAUSE.search(summary)
    for r in RESTARTERS:
        if r.marker.search(said) or (cause and r.words.search(cause.group(1)) and "template unchanged" not in said):
            return r
    return None


@dataclass
class Restarts:
    """A controller whose write began a run of marker-only restarts of a workload."""

    controller: Ref
    restarter: str
    written: datetime
    what: str
    victim: Ref
    count: int
    first: datetime
    marker: str
    evidence: list[str] = field(default_factory=list)


def _controller_write(facts: Facts, r: Restarter, before: datetime, victim: Ref
                      ) -> tuple[dict[str, Any], str, Ref] | None:
    """The restarter's own newest write before `before` in the LEAD: a workload or ConfigMap named like it (or
    running its image)."""
    best: tuple[dict[str, Any], str, Ref] | None = None
    for change, evidence, target in facts.writes_to(None, within=LEAD, deletions=False):
        when = parse_time(change.get("at"))
        if when is None or when > before or target.same_object(victim):
            continue
        if _restarter(change) is not None:
            continue  # another workload the restarter rolled: a victim too, not the restarter
        said = f"{target.name} {_CAUSE.sub('', str(change.get('summary') or ''))}"
        if not r.words.search(said) or target.kind not in ("Deployment", "StatefulSet", "DaemonSet", "ConfigMap"):
            continue
        if best is None or str(change.get("at")) > str(best[0].get("at")):
            best = (change, evidence, target)
    return best


def found(facts: Facts) -> list[Restarts]:
    """Workloads restarted MIN_RESTARTS times or more by a restarter's marker alone, after the restarter's write."""
    runs: dict[tuple[str, str], list[tuple[dict[str, Any], str, Ref, datetime]]] = {}
    for change, evidence, target in facts.writes_to({"Deployment", "StatefulSet", "DaemonSet"}, within=LEAD,
                                                    deletions=False):
        r = _restarter(change)
        when = parse_time(change.get("at"))
        if r is None or when is None:
            continue
        runs.setdefault((str(target), r.name), []).append((change, evidence, target, when))
    out: list[Restarts] = []
    for (_, name), items in runs.items():
        if len(items) < MIN_RESTARTS:
            continue
        r = next(x for x in RESTARTERS if x.name == name)
        items.sort(key=lambda i: i[3])
        victim, first = items[0][2], items[0][3]
        write = _controller_write(facts, r, first, victim)
        if write is None:
            continue
        change, evidence, controller = write
        written = parse_time(change.get("at"))
        if written is None:
            continue
        diff = "; ".join(str(d) for d in change.get("diff") or []) or str(change.get("summary") or "")
        marker = next((m.group(0) for c, _, _, _ in items for m in [r.marker.search(" ".join(
            map(str, c.get("diff") or [])))] if m), "")
        out.append(Restarts(controller, r.name, written, diff, victim, len(items), first, marker,
                            [e for e in [evidence, *(i[1] for i in items[-3:])] if e]))
    out.sort(key=lambda x: -x.count)
    return out[:1]


def _short(what: str) -> str:
    """The controller's write in few words: flags an args change added or removed, else the diff's start."""
    m = re.search(r"args (\[[^\]]*\]) -> (\[[^\]]*\]?)", what)
    if m is None:
        return what[:160]
    old = set(re.findall(r"'([^']+)'", m.group(1)))
    new = re.findall(r"'([^']+)'", m.group(2))
    added = [a for a in new if a not in old]
    gone = [a for a in old if a not in new]
    parts = [f"args + {' '.join(added)}" if added else "", f"args - {' '.join(gone)}" if gone else ""]
    rest = re.sub(r";?\s*\S+ args \[.*", "", what).strip("; ")
    return "; ".join(p for p in [*parts, rest[:100]] if p) or what[:160]


def finding(hit: Restarts, at: datetime) -> dict[str, Any]:
    """What the controller's change means first (it now restarts the workload again and again), then the run."""
    ago = minutes_text(int((at - hit.written).total_seconds() // 60))
    span = max(1, int((at - hit.first).total_seconds() // 60))
    every = f"about every {minutes_text(span // max(1, hit.count - 1))}" if hit.count > 1 else ""
    marker = f" (only its {hit.marker} changes)" if hit.marker else ""
    message = (f"{hit.controller} ({hit.restarter}, a config-restarter controller) was changed {ago} before the "
               f"alert ({_short(hit.what)}) and since then does a rolling restart of {hit.victim} {every}: "
               f"{hit.count} rollouts{marker}, each when a config it now watches is rewritten; each restart's cold "
               f"pods answer errors. Revert the controller's change (or stop it watching that workload)")
    return {"check": CHECK, "severity": "critical", "reason": "RestarterChanged",
            "object": {"kind": hit.controller.kind, "namespace": hit.controller.namespace,
                       "name": hit.controller.name},
            "message": message, "evidence": [hit.what[:200]],
            "details": {"restarts": hit.count, "victim": str(hit.victim),
                        "written": hit.written.isoformat().replace("+00:00", "Z")}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The changed restarter, explaining the workload it keeps restarting."""
    return [(h.controller, finding(h, facts.at), h.evidence, [h.victim]) for h in found(facts)]
