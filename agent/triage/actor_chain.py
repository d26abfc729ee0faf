"""Who did it: a change a controller made to the subject's path, traced back to that controller's own config.

Many disruptions are written by a controller, not a person: cluster-proportional-autoscaler sets a
Deployment's `spec.replicas` from its ConfigMap's params, the descheduler evicts pods by its policy's
thresholds, a VPA rewrites requests at admission. The victim's state (one CoreDNS replica, pods
evicted every few minutes) is then the effect; what changed is the controller's own configuration,
edited shortly before it started acting. Kubernetes records each link:

- the config write: the change timeline's ConfigMap write (its managedFields manager and time) and the
  workloads that read it (`related`: mounted, envFrom, or named after the app);
- the actor: that workload, known by its name, app labels, service account, image and command
  (`cluster-proportional-autoscaler`, `descheduler`), and the objects its arguments say it acts on
  (`--target=Deployment/coredns`);
- the acts: events whose source component or reporting controller is the actor
  ("pod evicted from n2 node by sigs.k8s.io/descheduler"), timeline writes to the victim by a manager
  named like the actor, and the actor's own log of what it did ("updating replicas from 2 to 1").

When the actor's config was written before it started acting (and it was not already acting before the
write), and what it acted on is on the subject's path (the subject itself, its topology, or the cluster
DNS its failing lookups go through), the config is the suspect and its finding says what the actor did,
to whom, why (the setting, its current leaves) and when. An actor that acted with no config change, or
whose config changed only after the disruption began, is not blamed here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import eviction_strategy, value_diff
from agent.triage.facts import Facts, Ref, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

Call = Callable[..., Awaitable[Any]]

CHECK = "change.actor_config"
WEIGHT = 0.92
"""The config that drove a controller's acts explains the victim's state (a scan's finding on it ranks below)."""
HISTORY_WINDOW = "48h"
"""How far back a controller's config write is looked for: an autoscaler's params may bite only at the next peak."""
LEAD = timedelta(hours=48)
"""The longest time from the config write to the incident."""
QUIET = timedelta(hours=6)
"""An actor already acting this long before the write was not set off by it."""
MAX_CONFIGS = 4
MAX_ACTORS = 2
_WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "CronJob")
"""Kinds an actor runs as: a controller Deployment, or a CronJob run every few minutes (the descheduler's chart
default)."""
_TARGET = re.compile(r"(?i)\b(?P<kind>deployment|statefulset|replicaset|daemonset|replicationcontroller)s?"
                     r"(?:\.apps)?/(?P<name>[a-z0-9][a-z0-9.-]*)")
"""An argument naming what a controller acts on: cluster-proportional-autoscaler's `--target=Deployment/coredns`."""
_NAMESPACE_ARG = re.compile(r"^--?namespace=(?P<ns>[a-z0-9-]+)$")
_BY = re.compile(r"\bby (?P<who>[\w.-]+(?:/[\w.-]+)*)")
"""The actor an event's message names: "pod evicted from n2 node by sigs.k8s.io/descheduler"."""
_LOG_ACT = re.compile(r"(?i)replicas? from (?P<old>\d+) to (?P<new>\d+)|\bfrom (?P<o3>\d+) to (?P<n3>\d+) replicas?"
                      r"|scal(?:ed|ing) \S+ (?:from (?P<o2>\d+) )?to (?P<n2>\d+)|\bevict(?:ed|ing)\b")
"""A controller's own log of an act: cluster-proportional-autoscaler's "updating replicas from 2 to 1",
kube-downscaler's "Scaling down Deployment web/shop from 4 to 1 replicas", "scaled coredns to 1", "evicting pod"."""
_NAMED = re.compile(r"(?i)\b(?P<kind>deployment|statefulset) (?P<ns>[a-z0-9-]+)/(?P<name>[a-z0-9][a-z0-9.-]*)")
"""The object a log line says was acted on: "Scaling down Deployment web/storefront from 4 to 1 replicas"."""
_POD_KV = re.compile(r'\bpod="?(?P<ns>[a-z0-9][a-z0-9-]*)/(?P<name>[a-z0-9][a-z0-9.-]*)')
"""A structured log's pod key: the descheduler's `"Evicted pod" pod="content/cms-api-7c9f-x2x9z"`."""
_SETTING_DIFF = re.compile(r"^(?:init container )?\S+ (?:args|command|env)\b")
"""A rollout diff line of a container's arguments, command or env ("descheduler args [...] -> [...]")."""
_STAMP = re.compile(r"(?P<t>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?)"
                    r"|^[IWEF](?P<mo>\d\d)(?P<d>\d\d) (?P<hms>\d\d:\d\d:\d\d)")
"""A line's time: RFC 3339 anywhere (a prefix, a JSON `ts`), or a klog header `I1124 21:31:10.000000` (no year)."""
_CORE = frozenset({"kubelet", "default-scheduler", "replicaset-controller", "deployment-controller",
                   "statefulset-controller", "daemonset-controller", "job-controller", "node-controller",
                   "endpoint-controller", "taint-eviction-controller", "horizontal-pod-autoscaler",
                   "kube-controller-manager",
                   "kubectl", "kubectl-edit", "kubectl-client-side-apply", "kubectl-patch", "kubectl-scale", "helm"})
"""Components whose own settings are no ConfigMap a cluster user edits: their acts are told by other modules."""
_DNS_NAMES = frozenset({"coredns", "kube-dns"})
"""The cluster DNS workload's names (CoreDNS ships as `coredns`, labelled `k8s-app: kube-dns`)."""
_DNS_FAILURE = re.compile(r"getaddrinfo (?:ENOTFOUND|EAI_AGAIN)|no such host|UnknownHostException|"
                          r"Temporary failure in name resolution|Could not resolve host|server misbehaving|"
                          r"Name or service not known|lookup \S+ on [0-9a-f.:\[\]]+: ", re.I)


@dataclass
class Actor:
    """A controller workload whose config was written, and what it is known by."""

    workload: Ref
    names: set[str]
    targets: list[Ref]
    args: list[str]
    evidence: str


@dataclass
class Act:
    """One thing the actor did to a victim, and when."""

    victim: Ref
    what: str
    at: datetime | None
    count: int = 1


@dataclass
class ActorChain:
    """A controller's config write, the controller, and what it then did to the subject's path."""

    config: Ref
    actor: Actor
    write_at: datetime
    by: str
    acts: list[Act]
    leaves: list[str]
    victims: list[Ref]
    evidence: list[str] = field(default_factory=list)
    strategy: str = ""
    meaning: str = ""


# ---- who the actor is --------------------------------------------------------------------------

def _template(obj: dict[str, Any]) -> dict[str, Any]:
    """The pod template of a workload, or of a CronJob's jobTemplate."""
    spec = obj.get("spec") or {}
    job = (spec.get("jobTemplate") or {}).get("spec") or {}
    return spec.get("template") or job.get("template") or {}


def _containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = _template(obj).get("spec") or obj.get("spec") or {}
    return [c for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])] if isinstance(c, dict)]


def actor_names(obj: dict[str, Any]) -> set[str]:
    """What a controller is called in the records it leaves: its name, app labels, service account, image and
    command basenames (`registry.k8s.io/descheduler/descheduler:v0.31.0` -> `descheduler`)."""
    meta = obj.get("metadata") or {}
    template = _template(obj)
    labels = {**(meta.get("labels") or {}), **((template.get("metadata") or {}).get("labels") or {})}
    names = {str(meta.get("name") or "")}
    names |= {str(labels[k]) for k in ("app", "app.kubernetes.io/name", "k8s-app") if labels.get(k)}
    names.add(str((template.get("spec") or {}).get("serviceAccountName") or ""))
    for c in _containers(obj):
        image = str(c.get("image") or "").rsplit("/", 1)[-1].split("@")[0].split(":")[0]
        command = [str(x) for x in c.get("command") or []][:1]
        names |= {image, *(x.rsplit("/", 1)[-1] for x in command)}
    return {n.lower() for n in names if len(n) >= 3 and n not in ("default",)}


def actor_args(obj: dict[str, Any]) -> list[str]:
    return [str(a) for c in _containers(obj) for a in [*(c.get("command") or []), *(c.get("args") or [])]]


def targets(obj: dict[str, Any]) -> list[Ref]:
    """The objects a controller's arguments say it acts on, in the namespace its `--namespace` names."""
    args = actor_args(obj)
    ns = next((m.group("ns") for a in args if (m := _NAMESPACE_ARG.match(a))), "") \
        or str((obj.get("metadata") or {}).get("namespace") or "")
    out: list[Ref] = []
    for a in args:
        if a.startswith("--default-params") or "{" in a:
            continue
        for m in _TARGET.finditer(a):
            kind = {"statefulset": "StatefulSet", "replicaset": "ReplicaSet", "daemonset": "DaemonSet",
                    "replicationcontroller": "ReplicationController"}.get(m.group("kind").lower(), "Deployment")
            ref = Ref(kind, ns, m.group("name"))
            if ref not in out:
                out.append(ref)
    return out


def names_actor(text: str, names: set[str]) -> bool:
    """Whether a source/manager/reporting-controller string is the actor: one of its path or dot segments
    (`sigs.k8s.io/descheduler`) or the whole string is one of its names."""
    low = text.strip().lower()
    if not low or low in _CORE:
        return False
    segments = {low, *re.split(r"[/]", low), low.rsplit("/", 1)[-1]}
    return bool(segments & names)


# ---- what it did -------------------------------------------------------------------------------

def event_acts(rows: list[dict[str, Any]], actor: Actor) -> list[Act]:
    """Events the actor reported (its source component/reporting controller, or the actor its message
    names), one act per victim workload and reason with the count and the first time."""
    acts: dict[tuple[Ref, str], Act] = {}
    for r in rows:
        source = str(r.get("source") or "")
        by = _BY.search(str(r.get("message") or ""))
        if not (names_actor(source, actor.names) or (by and names_actor(by.group("who"), actor.names))):
            continue
        kind, name = str(r.get("kind") or ""), str(r.get("name") or "")
        victim = Ref("", str(r.get("namespace") or ""), workload_of_pod(name) if kind == "Pod" else name)
        reason = str(r.get("reason") or "acted")
        at = parse_time(r.get("first_seen")) or parse_time(r.get("last_seen"))
        count = int(r.get("count") or 1)
        key = (victim, reason)
        if key in acts:
            acts[key].count += count
            old = acts[key].at
            acts[key].at = min(old, at) if old and at else old or at
        else:
            acts[key] = Act(victim, f"{reason}: {str(r.get('message') or '')[:70]}", at, count)
    return list(acts.values())


def change_acts(changes: list[dict[str, Any]], actor: Actor) -> list[Act]:
    """Timeline writes to another object whose manager is the actor (a `spec.replicas` set by the autoscaler)."""
    out: list[Act] = []
    for c in changes:
        target = Ref.of(c.get("object"))
        if target is None or target.same_object(actor.workload):
            continue
        said = " ".join([str(c.get("summary") or ""), *(str(d) for d in c.get("diff") or [])])
        managers = [m.rstrip(":,") for m in re.findall(r"\bby ([\w.:/-]+)", said)]
        if any(names_actor(m, actor.names) for m in managers):
            out.append(Act(target, f"wrote {'; '.join(str(d) for d in (c.get('diff') or [])[:2]) or said[:120]}",
                           parse_time(c.get("at"))))
    return out


def _line_time(line: str, now: datetime) -> tuple[datetime | None, int]:
    """When a log line was written and where its text starts after the header; a klog header's year is the one
    that puts the line at or before `now`."""
    m = _STAMP.search(line)
    if m is None:
        return None, 0
    if m.group("t"):
        return parse_time(m.group("t")), m.end() if m.start() == 0 else 0
    try:
        t = datetime.fromisoformat(f"{now.year}-{m.group('mo')}-{m.group('d')}T{m.group('hms')}+00:00")
    except ValueError:
        return None, 0
    rest = line.find("] ", m.end())  # klog: `I1124 21:31:10.000000  1 file.go:167] message`
    return (t.replace(year=now.year - 1) if t > now + timedelta(days=1) else t), rest + 2 if rest >= 0 else m.end()


def log_acts(text: str, actor: Actor, now: datetime) -> list[Act]:
    """The actor's own log lines that say it changed its target (replicas from N to M) or evicted pods."""
    default = actor.targets[0] if actor.targets else Ref("", "", "")
    out: list[Act] = []
    for line in text.splitlines():
        named = _NAMED.search(line)
        keyed = _POD_KV.search(line)
        victim = Ref(named.group("kind").capitalize().replace("set", "Set"), named.group("ns"), named.group("name")) \
            if named else Ref("", keyed.group("ns"), workload_of_pod(keyed.group("name"))) if keyed else default
        m = _LOG_ACT.search(line)
        at, start = _line_time(line.strip(), now)
        if m is None or at is None:
            continue
        said = line.strip()[start:].strip()
        old = m.group("old") or m.group("o3") or m.group("o2")
        new = m.group("new") or m.group("n3") or m.group("n2")
        unit = "replica" if new == "1" else "replicas"
        what = f"scaled {victim.name} from {old} to {new} {unit}" if old and new else \
            f"scaled {victim.name} to {new} {unit}" if new else said[:120]
        out.append(Act(victim, f"{what} (its log: '{said[:60]}')", at))
    return out


# ---- the chain ---------------------------------------------------------------------------------

def _dns_failing(facts: Facts) -> bool:
    for log in facts.logs:
        for e in [log.top or {}, *log.more, *log.warnings]:
            if any(_DNS_FAILURE.search(str(e.get(k) or "")) for k in ("message", "example", "template")):
                return True
    return False


def on_path(victim: Ref, subject: Subject, facts: Facts, victim_obj: dict[str, Any] | None = None) -> bool:
    """Whether the victim is the subject, in the subject's topology, or the cluster DNS its failing lookups use."""
    if not victim.name:
        return False
    if subject.mentions(victim.name):
        return True
    if not subject.namespace and any(len(n) >= 3 and n in victim.name.lower().split("-") for n in subject.names):
        return True  # an alert that names no namespace ("cms 5xx ratio"): the workload named after what it names
    pattern = re.compile(rf"(?<![\w-]){re.escape(victim.name)}(?![\w-])")
    if any(pattern.search(json.dumps(data, default=str)) for data, _ in facts.topologies):
        return True
    names = {victim.name.lower()} | (actor_names(victim_obj) if victim_obj else set())
    return bool(names & _DNS_NAMES) and _dns_failing(facts)


def _once(acts: list[Act], default: datetime) -> list[Act]:
    """The acts in time order, one per victim and minute: the write the timeline shows and the log line the actor
    wrote about it are one act (the log's words, which say from and to, are kept)."""
    out: dict[tuple[str, datetime], Act] = {}
    for a in sorted(acts, key=lambda a: (a.at or default, not a.what.startswith("scaled"))):
        key = (a.victim.name, (a.at or default).replace(second=0, microsecond=0))
        out.setdefault(key, a)
    return list(out.values())


def chain(config_change: dict[str, Any], actor: Actor, acts: list[Act], config_obj: dict[str, Any] | None,
          victims_on_path: list[Ref], facts: Facts) -> ActorChain | None:
    """The chain when the write came before the acts (none in QUIET before it) and an act hit the path."""
    config = Ref.of(config_change.get("object"))
    write_at = parse_time(config_change.get("at"))
    if config is None or write_at is None or not facts.at - LEAD <= write_at <= facts.at:
        return None
    hits = [a for a in acts if any(a.victim.same_object(v) for v in victims_on_path)]
    if not hits:
        return None
    timed = [a for a in hits if a.at is not None]
    if any(write_at - QUIET <= a.at < write_at for a in timed if a.at is not None):
        return None  # already acting before its config changed: the write did not set it off
    after = [a for a in timed if a.at is not None and write_at <= a.at <= facts.at + timedelta(minutes=30)]
    if timed and not after:
        return None
    summary = str(config_change.get("summary") or "")
    by = m.group(1) if (m := re.search(r"updated by ([\w.:, -]+?)(?::|$| \()", summary)) else ""
    leaves = _own_settings(config_change)[:3] + settings_of(config_obj)
    return ActorChain(config, actor, write_at, by, _once(after or hits, write_at),
                      leaves[:8], [v for v in victims_on_path if any(a.victim.same_object(v) for a in hits)])


_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?[a-zA-Z%]*$|^(?:true|false)$")


def settings_of(config: dict[str, Any] | None, most: int = 6) -> list[str]:
    """A controller config's settings as `path=value`, tunables first: numbers, sizes and switches are what an
    edit of a controller's params or policy changes (thresholds, coresPerReplica, min), names and kinds are not.
    A long path keeps its last two segments (`thresholds.cpu=45`)."""
    tunable: list[str] = []
    other: list[str] = []
    for key, value in ((config or {}).get("data") or {}).items():
        flat = value_diff.leaves(str(value), str(key))
        if not flat:
            if len(str(value)) <= 80:
                (tunable if _NUMBER.match(str(value)) else other).append(f"{key}={value}")
            continue
        for path, leaf in flat.items():
            short = ".".join([x for x in path.split(".") if not x.isdigit()][-2:])
            (tunable if _NUMBER.match(leaf) else other).append(f"{short}={leaf}")
    return list(dict.fromkeys(tunable + other))[:most]


def finding(c: ActorChain) -> dict[str, Any]:
    """The config's finding: what the actor did to whom, the write that preceded it, the settings now."""
    first = c.acts[0]
    total = sum(a.count for a in c.acts)
    when = (first.at.strftime("%H:%M") if first.at.date() == c.write_at.date() or first.at.date()
            == datetime.now(first.at.tzinfo).date() else first.at.strftime("%Y-%m-%d %H:%M")) if first.at else "then"
    acted = f"{first.what}" + (f", {total} times in all" if total > 1 else "")
    if c.strategy:
        logged = sum(1 for a in c.acts if "(its log: " in a.what)
        total = max(total - logged, logged)  # the events and the log tell the same evictions: the larger count
        acted = (f"evicted its pods {total} times by strategy {c.strategy}, which {c.meaning}"
                 if c.meaning else f"{acted} (strategy {c.strategy})")
    settings = f" Settings now: {', '.join(c.leaves)}." if c.leaves else ""
    on = ", ".join(str(v) for v in c.victims)
    written = f"{c.write_at.strftime('%Y-%m-%d %H:%M')}{' by ' + c.by if c.by else ''}"
    whose = f"{c.config}, a controller, had its own settings changed {written}" \
        if c.config.same_object(c.actor.workload) else \
        f"{c.config} (written {written}) configures the controller {c.actor.workload}"
    message = (f"{whose}; from {when} it acted on {on}: {acted}.{settings} The victim's state is the effect of "
               f"that config: revert it")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": c.config.kind, "namespace": c.config.namespace, "name": c.config.name},
            "reason": "ControllerConfigChanged", "message": message,
            "evidence": [first.what[:200]],
            "details": {"actor": str(c.actor.workload), "write_at": c.write_at.isoformat(), "strategy": c.strategy,
                        "acts": [{"victim": str(a.victim), "what": a.what, "at": a.at.isoformat() if a.at else None,
                                  "count": a.count} for a in c.acts[:6]],
                        "explains": [str(v) for v in c.victims if v.kind], "leaves": c.leaves}}


# ---- reading -----------------------------------------------------------------------------------

def _actor(obj: dict[str, Any], evidence: str) -> Actor:
    meta = obj.get("metadata") or {}
    ref = Ref(str(obj.get("kind") or "Deployment"), str(meta.get("namespace") or ""), str(meta.get("name") or ""))
    return Actor(ref, actor_names(obj), targets(obj), actor_args(obj), evidence)


def _config_changes(facts: Facts, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[Ref] = set()
    out: list[dict[str, Any]] = []
    for c in sorted(entries, key=lambda c: str(c.get("at") or ""), reverse=True):
        ref, at = Ref.of(c.get("object")), parse_time(c.get("at"))
        if ref is None or at is None or not facts.at - LEAD <= at <= facts.at or ref in seen:
            continue
        if (ref.kind == "ConfigMap" and any(r.kind in _WORKLOADS for r in (Ref.of(x) for x in c.get("related") or [])
                                            if r)) or (ref.kind in _WORKLOADS and _own_settings(c)):
            seen.add(ref)
            out.append(c)
    return out[:MAX_CONFIGS]


def _own_settings(change: dict[str, Any]) -> list[str]:
    """A rollout's diff lines that change the workload's own arguments, command or env (not its image): a
    controller's settings given on its command line."""
    if change.get("type") != "rollout":
        return []
    return [str(d) for d in change.get("diff") or [] if _SETTING_DIFF.search(str(d))]


async def _events(call: Call, ns: str, cache: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    if ns not in cache:
        got = await call("k8s_events", {"namespace": ns}, f"survey-actor-events-{ns}")
        ok = got is not None and got.ok and isinstance(got.data, dict)
        cache[ns] = [r for r in (got.data.get("events") or []) if isinstance(r, dict)] if ok else []
    return cache[ns]


async def _actor_log(call: Call, actor: Actor) -> str:
    """The actor pod's log lines about replicas (an autoscaler writes no event for its scale)."""
    listed = await call("k8s_list", {"kind": "Pod", "namespace": actor.workload.namespace},
                        f"survey-actor-pods-{actor.workload.name}")
    rows = (listed.data.get("rows") or []) if listed is not None and listed.ok and isinstance(listed.data, dict) else []
    run = re.compile(rf"{re.escape(actor.workload.name)}-\d+-[a-z0-9]{{5}}")  # a CronJob's Job's pod
    pod = next((str(r.get("name")) for r in rows if isinstance(r, dict)
                and (workload_of_pod(str(r.get("name"))) == actor.workload.name
                     or (actor.workload.kind == "CronJob" and run.fullmatch(str(r.get("name")))))), "")
    if not pod:
        return ""
    texts: list[str] = []
    for word in ("replicas", "evict"):
        got = await call("k8s_logs", {"name": pod, "namespace": actor.workload.namespace, "grep": word,
                                      "tail": 10000}, f"survey-actor-log-{actor.workload.name}-{word}")
        if got is not None and got.ok:
            texts.append(str(got.full_text))
    return "\n".join(texts)


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Read the controllers behind recent ConfigMap writes and what they did; keep the chains that reach the
    subject's path in `facts.reads["actor_chain"]`."""
    outcome = await call("k8s_changes", {"at": at, "window": HISTORY_WINDOW}, "survey-actor-history")
    if outcome is None or not outcome.ok or not isinstance(outcome.data, dict):
        return
    entries = [c for c in outcome.data.get("changes") or [] if isinstance(c, dict)]
    events: dict[str, list[dict[str, Any]]] = {}
    chains: list[ActorChain] = []
    for change in _config_changes(facts, entries):
        config = Ref.of(change.get("object"))
        if config is None:
            continue
        users = [config] if config.kind in _WORKLOADS else \
            [r for r in (Ref.of(x) for x in change.get("related") or []) if r and r.kind in _WORKLOADS]
        for user in users[:MAX_ACTORS]:
            got = await get_yaml(call, user.kind, user.name, user.namespace, f"survey-actor-{user.name}")
            if got is None:
                continue
            actor = _actor(got[0], got[1])
            acts = change_acts(entries, actor)
            namespaces = list(dict.fromkeys([subject.namespace, *(t.namespace for t in actor.targets)]))
            for ns in [n for n in namespaces if n] or [""]:  # no namespace known: every namespace's events
                acts += event_acts(await _events(call, ns, events), actor)
            log_text = await _actor_log(call, actor) if actor.targets or acts else ""
            acts += log_acts(log_text, actor, facts.at)
            if not acts:
                continue  # a workload that acted on nothing we can see is an application, not an actor here
            victims: list[Ref] = []
            for v in list(dict.fromkeys([*actor.targets, *(a.victim for a in acts)])):
                obj = None
                if v in actor.targets:
                    read_v = await get_yaml(call, v.kind, v.name, v.namespace, f"survey-actor-victim-{v.name}")
                    obj = read_v[0] if read_v else None
                if on_path(v, subject, facts, obj):
                    victims.append(v)
            config_obj = await get_yaml(call, "ConfigMap", config.name, config.namespace,
                                        f"survey-actor-config-{config.name}") if config.kind == "ConfigMap" else None
            found = chain(change, actor, acts, config_obj[0] if config_obj else None, victims, facts)
            if found is not None:
                found.evidence = [e for e in (outcome.evidence_id, actor.evidence,
                                              config_obj[1] if config_obj else "") if e]
                policy = " ".join(str(v) for v in ((config_obj[0] if config_obj else {}).get("data") or {}).values())
                records = [a.what for a in found.acts] + [line for line in log_text.splitlines()
                                                          if any(a.victim.name and a.victim.name in line
                                                                 for a in found.acts)]
                found.strategy, found.meaning = eviction_strategy.describe(records, policy)
                chains.append(found)
    facts.reads["actor_chain"] = chains


def found(facts: Facts) -> list[ActorChain]:
    """The chains the survey read (pure over the facts, for the ranking)."""
    got = facts.reads.get("actor_chain")
    return [c for c in got if isinstance(c, ActorChain)] if isinstance(got, list) else []
