"""A node-configuration agent (a privileged DaemonSet writing host files) rolled out, and new pods on its nodes
cannot get a sandbox or start a container.

Clusters configure nodes with DaemonSets as often as with images: a privileged pod (hostPID, a hostPath of /etc or
the root filesystem, `nsenter -t 1`) copies a containerd or CRI-O config, kubelet flags, sysctls or registry mirrors
onto the host and restarts the runtime. A new revision of such an agent changes every node it runs on within
minutes, yet nothing fails until something new is scheduled there: pods already running keep their sandboxes,
new ones fail at the runtime in its own words: `FailedCreatePodSandBox ... failed to create containerd task ...
OCI runtime create failed: runc create failed: expected cgroupsPath to be of format "slice:prefix:name" for
systemd cgroups` (containerd's runc set to `SystemdCgroup = true` while the kubelet's cgroup driver is cgroupfs),
`cgroup driver` mismatches the other way, a missing runtime handler, a sandbox image it cannot pull. The symptom
names a workload that merely scaled up (an HPA rescale looks guilty); the agent's rollout is the cause.

So when a workload's pods fail at sandbox or container creation, and a DaemonSet that writes to its nodes (it is
privileged, shares the host's PID namespace, or mounts host paths) rolled a new template shortly before the first
failure, runs on every node where they fail, and its template, config or own log speaks of the container runtime
or the kubelet, the DaemonSet is named, with what its config now sets (SystemdCgroup, a runtime key) and what
the runtime's error means. A DaemonSet that is not a host writer, that rolled after the failures began, or whose
nodes do not cover the failing pods' nodes is not.

The survey calls `read` (reading only, when a finding carries a runtime-creation failure): the failing pods' nodes,
the DaemonSets rolled out within the lead, their pods, mounted ConfigMaps and one pod's log. `found` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml, list_names
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.node_config_agent"
WEIGHT = 0.95
"""Above the workload's sandbox failures (which it explains) and the HPA rescale that only revealed them."""
RECORD = "node_config_agent"
LEAD = timedelta(hours=6)
"""How long before the first failure the agent may have rolled (nothing fails until a new pod lands)."""
MAX_AGENTS = 3
MAX_WORKLOADS = 2

FAILED_RUNTIME = re.compile(r"FailedCreatePodSandBox|failed to create pod sandbox|OCI runtime create failed|"
                            r"failed to create (?:containerd )?(?:task|shim)|RunContainerError|"
                            r"no runtime for \"?[a-z0-9-]+\"? is configured|cgroupsPath|"
                            r"failed to find runtime handler|SysctlForbidden|forbidden sysctl", re.I)
"""The kubelet's and the runtime's words for a sandbox or container the runtime could not create (containerd,
CRI-O's `failed to find runtime handler`, crun/runc), or a pod the kubelet refused for a sysctl its config no
longer allows (`SysctlForbidden: forbidden sysctl: "net.core.somaxconn" not allowlisted`)."""
RUNTIME_WORDS = re.compile(r"containerd|cri-o|crio|runc|crun|conmon|kubelet|cgroup|SystemdCgroup|config\.toml|"
                           r"runtime|sysctl", re.I)
"""What a host writer's template, config or log says when it configures the container runtime or kubelet."""
SETTING = re.compile(r"^\s*((?:SystemdCgroup|systemd_cgroup|cgroup_manager|cgroupDriver|sandbox_image|pause_image|"
                     r"default_runtime(?:_name)?|runtime_type|runtime_path|conmon(?:_cgroup)?|"
                     r"allowedUnsafeSysctls|allowed-unsafe-sysctls)\s*[=:]\s*\S+)", re.I | re.M)
"""Runtime and kubelet config keys whose value decides whether sandboxes can be created: containerd's
SystemdCgroup / sandbox_image, CRI-O's cgroup_manager / conmon / conmon_cgroup / pause_image / default_runtime,
the kubelet's cgroupDriver and allowedUnsafeSysctls."""

Call = Callable[..., Awaitable[Any]]


@dataclass
class Agent:
    """A host-writing DaemonSet rolled out before a workload's pods began failing at the runtime on its nodes."""

    daemonset: Ref
    change: dict[str, Any]
    workload: Ref
    failing_nodes: list[str]
    said: str
    first_failure: datetime
    settings: list[str] = field(default_factory=list)
    """Runtime keys its config now sets (`SystemdCgroup = true`), with where they are written."""
    evidence: list[str] = field(default_factory=list)


def failing_workloads(facts: Facts) -> list[tuple[Ref, str, datetime | None]]:
    """(workload, the runtime's words, since) for every finding whose pods fail at sandbox/container creation."""
    out: list[tuple[Ref, str, datetime | None]] = []
    for finding in facts.findings():
        owner = Ref.of(finding.get("owner")) or Ref.of(finding.get("object"))
        texts = [str(finding.get("message") or ""), *(str(e) for e in finding.get("evidence") or [])]
        said = next((t for t in texts if FAILED_RUNTIME.search(t)), "")
        if owner is None or not said or owner.kind in ("Node", "DaemonSet"):
            continue
        if not any(owner.same_object(o) for o, _, _ in out):
            out.append((owner, said, parse_time(finding.get("since"))))
    return out[:MAX_WORKLOADS]


def _agent_writes(facts: Facts) -> list[tuple[dict[str, Any], str, Ref]]:
    """DaemonSet rollouts in the timeline, newest first, one per DaemonSet."""
    out: dict[Ref, tuple[dict[str, Any], str, Ref]] = {}
    for change, eid, target in facts.writes_to(("DaemonSet",), deletions=False):
        if target not in out or str(change.get("at")) > str(out[target][0].get("at")):
            out[target] = (change, eid, target)
    return sorted(out.values(), key=lambda w: str(w[0].get("at")), reverse=True)[:MAX_AGENTS]


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when pods fail at the runtime: their nodes, the DaemonSets rolled out recently, their pods'
    nodes, the ConfigMaps they mount and one pod's log."""
    failing = failing_workloads(facts)
    writes = _agent_writes(facts)
    if not failing or not writes:
        return
    kept: dict[str, Any] = {"objects": {}, "evidence": {}, "nodes": {}, "logs": {}}
    facts.reads[RECORD] = kept

    async def pods(namespace: str, owner: str, only_failing: bool) -> list[dict[str, Any]]:
        listed = await call("k8s_list", {"kind": "Pod", "namespace": namespace},
                            f"survey-node-config-pods-{namespace}-{owner}")
        rows = (listed.data or {}).get("rows") or [] if listed is not None and listed.ok else []
        return [r for r in rows if isinstance(r, dict) and workload_of_pod(str(r.get("name") or "")) == owner
                and (not only_failing or str(r.get("status") or "") not in ("Running", "Succeeded", "Completed"))]

    for workload, _, _ in failing:
        kept["nodes"][str(workload)] = sorted({str(r.get("node")) for r in await pods(
            workload.namespace, workload.name, True) if r.get("node")})
        events = await call("k8s_events", {"namespace": workload.namespace, "warnings_only": True},
                            f"survey-node-config-events-{workload.namespace}")
        if events is not None and events.ok and isinstance(events.data, dict):
            kept["said"] = kept.get("said", []) + [  # the runtime's whole words (findings clip them)
                str(e.get("message")) for e in events.data.get("events") or [] if isinstance(e, dict)
                and FAILED_RUNTIME.search(str(e.get("message") or "")) and workload.name in str(e.get("name") or
                                                                                           e.get("object") or "")]
    for _, _, ds in writes:
        got = await get_yaml(call, "DaemonSet", ds.name, ds.namespace, f"survey-node-config-ds-{ds.name}")
        if got is None:
            continue
        kept["objects"][str(ds)], kept["evidence"][str(ds)] = got
        if not _host_writer(got[0]):
            continue
        rows = await pods(ds.namespace, ds.name, False)
        kept["nodes"][str(ds)] = sorted({str(r.get("node")) for r in rows if r.get("node")})
        listed = await list_names(call, "ConfigMap", ds.namespace, f"survey-node-config-cms-{ds.name}")
        named = sorted(n for n in (listed[0] if listed else set()) if n.startswith(ds.name))
        for name in list(dict.fromkeys([*_configmaps(got[0]), *named]))[:3]:
            cm = await get_yaml(call, "ConfigMap", name, ds.namespace, f"survey-node-config-cm-{name}")
            if cm is not None:
                ref = str(Ref("ConfigMap", ds.namespace, name))
                kept["objects"][ref], kept["evidence"][ref] = cm
        if rows:
            log = await call("k8s_logs", {"name": rows[0]["name"], "namespace": ds.namespace, "tail": 100},
                             f"survey-node-config-log-{ds.name}")
            if log is not None and log.ok:
                kept["logs"][str(ds)] = (str(log.full_text or ""), log.evidence_id)


def _pod_spec(ds: dict[str, Any]) -> dict[str, Any]:
    return (((ds.get("spec") or {}).get("template") or {}).get("spec") or {})


def _host_writer(ds: dict[str, Any]) -> bool:
    """Whether a DaemonSet's pods can write the host: privileged, the host's PID namespace, or a host path."""
    spec = _pod_spec(ds)
    privileged = any(((c.get("securityContext") or {}).get("privileged") is True)
                     for c in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]
                     if isinstance(c, dict))
    host_path = any(isinstance(v, dict) and v.get("hostPath") for v in spec.get("volumes") or [])
    return privileged or spec.get("hostPID") is True or host_path


def _configmaps(ds: dict[str, Any]) -> list[str]:
    return [str(v["configMap"]["name"]) for v in _pod_spec(ds).get("volumes") or []
            if isinstance(v, dict) and isinstance(v.get("configMap"), dict) and v["configMap"].get("name")][:3]


def _settings(ds: Ref, objects: dict[str, dict[str, Any]], log: str) -> tuple[list[str], str]:
    """Runtime keys the agent's template or its ConfigMaps set (each with where), and all their text. A ConfigMap
    the agent mounts counts whole; one only named like the agent counts by the keys its log or env names (the
    variant it copied, `config-al2023.toml`)."""
    obj = objects.get(str(ds)) or {}
    spec = str(_pod_spec(obj))
    mounted = _configmaps(obj)
    texts = [(str(ds), spec)]
    for key, cm in objects.items():
        if not key.startswith(f"ConfigMap {ds.namespace}/"):
            continue
        name = key.split("/", 1)[1]
        texts += [(f"ConfigMap {ds.namespace}/{name} {k}", str(v)) for k, v in (cm.get("data") or {}).items()
                  if name in mounted or k in log or k in spec]
    found: list[str] = []
    for where, text in texts:
        for setting in SETTING.findall(text):
            entry = f"{' '.join(setting.split())} ({where})"
            if entry not in found:
                found.append(entry)
    return found, " ".join(t for _, t in texts)


def found(facts: Facts) -> list[Agent]:
    """Each host-writing DaemonSet rolled out before a workload's runtime failures, on every node they happen."""
    kept = facts.reads.get(RECORD)
    if not isinstance(kept, dict):
        return []
    objects: dict[str, dict[str, Any]] = kept.get("objects") or {}
    evidence: dict[str, str] = kept.get("evidence") or {}
    nodes: dict[str, list[str]] = kept.get("nodes") or {}
    logs: dict[str, tuple[str, str]] = kept.get("logs") or {}
    out: list[Agent] = []
    for workload, said, since in failing_workloads(facts):
        failing = nodes.get(str(workload)) or []
        first = since or facts.at
        for change, eid, ds in _agent_writes(facts):
            obj = objects.get(str(ds))
            written = parse_time(change.get("at"))
            if obj is None or written is None or not _host_writer(obj) or not failing:
                continue
            if not timedelta(0) <= first - written <= LEAD or not set(failing) <= set(nodes.get(str(ds)) or []):
                continue
            log, log_id = logs.get(str(ds), ("", ""))
            settings, text = _settings(ds, objects, log)
            if not RUNTIME_WORDS.search(" ".join([text, log, " ".join(str(d) for d in change.get("diff") or [])])):
                continue
            ids = [eid, evidence.get(str(ds), ""), log_id,
                   *(evidence.get(k, "") for k in objects if k.startswith(f"ConfigMap {ds.namespace}/"))]
            whole = next((w for w in kept.get("said") or [] if said.rstrip("…. ")[-40:] in w or len(w) > len(said)),
                         said)
            if re.search("cgroup", whole, re.I):
                settings.sort(key=lambda x: 0 if "cgroup" in x.lower() else 1)
            out.append(Agent(ds, change, workload, failing, whole, first, settings,
                             [i for i in dict.fromkeys(ids) if i]))
            break
    return out


def _meaning(said: str, settings: list[str]) -> str:
    """What the runtime's error means, in the terms of the setting that decides it."""
    if re.search(r"SysctlForbidden|forbidden sysctl", said, re.I):
        return "the kubelet on those nodes no longer allows the unsafe sysctls the pods ask for (allowedUnsafeSysctls)"
    if re.search(r"configured with (?:systemd|cgroupfs) cgroup manager", said, re.I):
        return "CRI-O's cgroup_manager no longer matches the kubelet's cgroup driver"
    if re.search(r"cgroupsPath.*systemd|for systemd cgroups", said, re.I):
        return ("containerd's runc now uses the systemd cgroup driver (SystemdCgroup = true) while the kubelet's "
                "cgroup driver is cgroupfs")
    if re.search(r"cgroup", said, re.I):
        return "the runtime's cgroup driver no longer matches the kubelet's cgroup driver"
    if re.search(r"no runtime for|failed to find runtime handler", said, re.I):
        return "the runtime handler the pods ask for is no longer configured in the runtime"
    if re.search(r"conmon", said, re.I):
        return "CRI-O's conmon (its container monitor) path or cgroup setting changed"
    if re.search(r"sandbox|pause", said, re.I) and any(re.match(r"(?:sandbox|pause)_image", s) for s in settings):
        return "the runtime's sandbox (pause) image changed"
    return "the container runtime's configuration on those nodes changed"


def finding(agent: Agent, at: datetime) -> dict[str, Any]:
    """The DaemonSet's finding, its meaning first (the headline is cut)."""
    written = parse_time(agent.change.get("at"))
    before = minutes_text(int((agent.first_failure - written).total_seconds() // 60)) if written else "shortly"
    setting = f" Its config sets {'; '.join(agent.settings[:2])}." if agent.settings else ""
    diff = "; ".join(str(d) for d in agent.change.get("diff") or [])[:160]
    how = "FailedCreatePodSandBox" if re.search(r"sandbox", agent.said, re.I) else \
        "SysctlForbidden" if re.search(r"sysctl", agent.said, re.I) else "runtime errors"
    count = len(agent.failing_nodes)
    message = (f"{agent.daemonset}, a node-configuration agent writing the container runtime's config, rolled a "
               f"new template {before} before {agent.workload}'s new pods began failing with {how} on {count} "
               f"node{'s' if count > 1 else ''} it runs on: {_meaning(agent.said, agent.settings)}. Nodes: "
               f"{', '.join(agent.failing_nodes[:3])}."
               f"{setting} The runtime says: '{agent.said[:200]}'." + (f" Rollout: {diff}." if diff else "") +
               f" Roll {agent.daemonset} back (or fix its config to match the kubelet) and restart the runtime on "
               f"those nodes; pods already running there are untouched")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": "DaemonSet", "namespace": agent.daemonset.namespace, "name": agent.daemonset.name},
            "reason": "NodeConfigAgentBrokeRuntime", "message": message,
            "evidence": [agent.said[:200], *agent.settings[:2]],
            "details": {"workload": str(agent.workload), "nodes": agent.failing_nodes, "settings": agent.settings,
                        "change_at": agent.change.get("at")}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The agent whose rollout broke the runtime; it explains the failing workload."""
    return [(a.daemonset, finding(a, facts.at), a.evidence, [a.workload]) for a in found(facts)]
