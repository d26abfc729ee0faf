"""A node-level setting a change made wrong for a workload, which fails there in its software's own words.

Software that needs something of its node says so when it is missing (agent.triage.prerequisites): a kernel
setting (OpenSearch's `vm.max_map_count [65530] is too low`, a JVM's `os::commit_memory ... errno=12` under
strict overcommit, Redis's somaxconn warning, inotify's `too many open files`) or the node's CPU architecture
(`exec format error`). The pod crash-loops and its own error is what an engineer sees first, yet nothing in the
workload changed: what changed is what sets up the node, in one of three places.

- a tuning DaemonSet (or the ConfigMap its sysctl.conf comes from) whose revision writes the key the error names
  to a value on the wrong side (`vm.overcommit_memory=2`, `vm.max_map_count` lowered): it acts on every node it
  runs on, so the workload fails where its pods start after the write on those nodes; a node the DaemonSet does
  not run on is not its doing;
- a node template (Karpenter NodePool or EC2NodeClass, a Cluster API machine template, any node-provisioning
  kind) written before nodes were launched from it: the new nodes boot without the userData or kubelet setting
  that provided the key (the template's spec sets no such key, or a lower one), or with another architecture its
  requirements now admit (arm64 beside amd64), and the workload fails only on those nodes while its pods on
  older nodes run. A failing pod of the same kind on an older node means the template is not what differs;
- the workload's own revision that dropped what set the key for it (a chart's privileged init container running
  `sysctl -w`, a `securityContext.sysctls` entry): here the workload did change, yet its diff names no key its
  error names unless the removed setter's command is read (the rollout diff says what a removed init container
  ran); its pods started since fail, those started before run on nodes the old revision prepared.

The finding names the DaemonSet or template, what its write set or left out, the error quoted from the victim's
logs and the nodes that show it. The survey reads (`read`) only when a pod fails and such a write is in the last
three days; `found` is pure over the facts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.creation_template import NODE_TEMPLATE, made_by
from agent.triage.facts import Facts, Ref, minutes_text, parse_time, said_by
from agent.triage.kernel_settings import values
from agent.triage.kube_reads import get_yaml
from agent.triage.prerequisites import Prerequisite, named
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.node_prerequisite"
WEIGHT = 0.93
"""The node-level write a workload's own prerequisite error names, on exactly the nodes it touched, is what to
undo: above the victim's crash loop (which it explains) and a node template's bare split (node_split, 0.9)."""
READS = "node_prerequisite"
HISTORY_WINDOW = "72h"
LEAD = timedelta(hours=72)
"""How long before the alert the write may be (a template's nodes are replaced over hours or days)."""
FAILING_REASONS = frozenset({"Error", "CrashLoopBackOff", "ContainerCannotRun", "StartError", "OOMKilled"})
WAITING = ("CrashLoopBackOff", "ContainerCannotRun", "StartError", "ErrImagePull", "ImagePullBackOff",
           "CreateContainerError", "RunContainerError")
"""Statuses of a pod that cannot run: a crash loop, or an image with no variant for the node's platform."""
MIN_RESTARTS = 2
MAX_WORKLOADS = 3
MAX_NODES = 8
MAX_TUNERS = 3
"""DaemonSets created within the lead whose spec is read for the kernel keys it sets."""
MAX_NODE_PODS = 10
"""Pods read on the nodes a question names when none of the failing pods says what it lacks."""
ARCH_LABELS = ("kubernetes.io/arch", "beta.kubernetes.io/arch")
TUNING_KINDS = ("daemonset", "configmap", "tuned", "machineconfig", "kubeletconfig", "performanceprofile")
"""Kinds whose write sets a node's kernel keys: a privileged DaemonSet's command, the sysctl.conf it mounts, or a
node-tuning operator's profile (OpenShift's Tuned `[sysctl]` section, a MachineConfig's sysctl.d file)."""
CAPPED = "its node setup caps it:"
"""How `_setup_lacks` says a template sets a limit (the kubelet's podPidsLimit) rather than leaving a key out."""
OWN_KINDS = ("StatefulSet", "Deployment", "ReplicaSet", "Job", "CronJob")
"""Kinds whose own pod template may carry the privileged init container (or `securityContext.sysctls`) that sets
a kernel key on the node its pod lands on: a chart's `sysctl -w vm.max_map_count=262144` before the server starts."""
OS_FIELD = re.compile(r"ami|image|alias|osimage|os_image|ossku|family|release", re.I)
"""Diff words of a template write that chooses the OS image its nodes boot."""

Call = Callable[..., Awaitable[Any]]


@dataclass
class Fit:
    """A node-level write and the workload failing in its software's wording of what that write took away."""

    target: Ref
    change: dict[str, Any]
    shape: str
    """`tuning` (a DaemonSet's kernel keys), `template` (a node template's setup), `arch` (its architectures), `os`
    (the OS image it boots) or `own` (the failing workload's own revision removed what set a key)."""
    prereq: Prerequisite
    workload: Ref
    pod: str
    node: str
    quoted: list[str]
    what: str
    """What the write set or left out (`vm.overcommit_memory=2 (was unset)`, `no userData`)."""
    peers: list[str]
    """Where the same workload runs (older pods, nodes not touched)."""
    minutes_before: int
    evidence: list[str] = field(default_factory=list)


def _rows(data: Any, key: str) -> list[dict[str, Any]]:
    rows = data.get(key) if isinstance(data, dict) else None
    return [r for r in rows or [] if isinstance(r, dict)]


def failing(row: dict[str, Any]) -> bool:
    """A pod that keeps failing (restarts with a failing last state, or waiting in a crash loop)."""
    reason = str(row.get("last_termination_reason") or row.get("status") or "")
    return ((row.get("restarts") or 0) >= MIN_RESTARTS and reason in FAILING_REASONS) or \
        str(row.get("status")) in WAITING


def healthy(row: dict[str, Any]) -> bool:
    return str(row.get("status")) == "Running" and (row.get("restarts") or 0) < MIN_RESTARTS


def candidates(facts: Facts) -> list[tuple[dict[str, Any], Ref, str, str]]:
    """(change, object, evidence, shape) of node-level writes within the lead, newest first: node-template writes
    (not creations) and DaemonSet/ConfigMap writes whose diff assigns a kernel key."""
    out = []
    for change, evidence, target in facts.writes_to(None, within=LEAD):
        created = change.get("type") == "created"
        if target.kind.lower() != "node" and NODE_TEMPLATE.search(target.kind) and not created:
            out.append((change, target, evidence, "template"))
        elif target.kind.lower() in TUNING_KINDS and any(values(str(d)) for d in change.get("diff") or []):
            out.append((change, target, evidence, "tuning"))
        elif target.kind.lower() == "daemonset" and created:
            out.append((change, target, evidence, "tuning"))  # a tuner deployed anew: its spec says what it sets
        elif target.kind in OWN_KINDS and not created and any(
                values(str(d).partition(" -> ")[0]) for d in change.get("diff") or []):
            out.append((change, target, evidence, "own"))  # the workload's own revision touched what set a key
    out.sort(key=lambda c: str(c[0].get("at")), reverse=True)
    return out


def _minutes(facts: Facts, at: datetime) -> int:
    return int((facts.at - at).total_seconds() // 60)


def _workload_ref(facts: Facts, rows: list[dict[str, Any]], ns: str, workload: str) -> Ref:
    """The failing workload as the scan named it (a DaemonSet's pods look like a Deployment's by name alone), else
    a StatefulSet when its pods are numbered, else a Deployment."""
    for finding in facts.findings():
        obj = Ref.of(finding.get("object"))
        if obj is not None and obj.namespace == ns and obj.name == workload and \
                obj.kind in ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicaSet"):
            return obj
    members = [r for r in rows if r.get("namespace") == ns and workload_of_pod(str(r.get("name"))) == workload]
    ordinal = members and all(re.search(r"-\d+$", str(r.get("name"))) for r in members)
    return Ref("StatefulSet" if ordinal else "Deployment", ns, workload)


def _set_keys(change: dict[str, Any], prereq: Prerequisite, need: int | None, spec: str = "") -> str:
    """`key=new (was old)` of the first key of the prerequisite that a diff line set to a harmful value (for a
    DaemonSet created in the window, that its spec sets), or ""."""
    if change.get("type") == "created":
        now = values(spec)
        for key in prereq.keys:
            if key in now and prereq.harms is not None and prereq.harms(key, None, now[key], need):
                return f"{key}={now[key]} (a DaemonSet created then)"
        return ""
    for line in change.get("diff") or []:
        before, arrow, after = str(line).partition(" -> ")
        if not arrow:
            continue
        old, new = values(before), values(after)
        for key in prereq.keys:
            if key in old and key not in new and not prereq.default_ok and (need is None or old[key] >= need):
                return f"{key} no longer set (was {old[key]}: {str(line)[:170]})"  # the setter itself was removed
            if key not in new or old.get(key) == new[key] or prereq.harms is None:
                continue
            if prereq.harms(key, old.get(key), new[key], need):
                was = f"was {old[key]}" if key in old else "was unset"
                extra = ", ".join(f"{k}={v}" for k, v in new.items() if k in prereq.keys and k != key)
                return f"{key}={new[key]} ({was}{', with ' + extra if extra else ''})"
    return ""


def _node_arch(node: dict[str, Any]) -> str:
    labels = (node.get("metadata") or {}).get("labels") or {}
    return next((str(labels[k]) for k in ARCH_LABELS if labels.get(k)),
                str(((node.get("status") or {}).get("nodeInfo") or {}).get("architecture") or ""))


def _created(obj: dict[str, Any]) -> datetime | None:
    return parse_time((obj.get("metadata") or {}).get("creationTimestamp"))


def _setup_lacks(template: dict[str, Any], prereq: Prerequisite, need: int | None) -> str:
    """What the template's node setup says of the prerequisite's keys: "" when it sets one to a sufficient value
    (the template provides it), else what is missing (`no userData`, `userData sets no vm.max_map_count`)."""
    spec = template.get("spec") or {}
    text = json.dumps(spec)
    if prereq.setup is not None and prereq.setup.search(text.replace("\\n", "\n")):
        return ""  # the setup names it: the new nodes get it
    capped = prereq.caps.search(text.replace("\\n", "\n")) if prereq.caps is not None else None
    if capped is not None:
        return f"{CAPPED} {capped.group(0).strip()}"  # a limit below the kernel's own: whatever keys it sets
    found = values(text)
    for key in prereq.keys:
        if key in found:
            if prereq.harms is not None and prereq.harms(key, None, found[key], need):
                return f"its node setup sets {key}={found[key]}"
            return ""
    if prereq.default_ok:
        return ""  # the kernel's default serves it: a setup that sets nothing takes nothing away
    has_setup = bool(re.search(r'"(?:userData|kubelet|kubeletConfiguration|preBootstrapCommands|'
                               r'postBootstrapCommands|files)"', text))
    how = "sysctl" if prereq.keys else "runtime limit"
    if not has_setup:
        return f"its spec has no userData or kubelet setting, so nothing sets {prereq.setting} ({how})"
    return f"its userData sets no {prereq.setting} ({how})"


def _tuning_fit(facts: Facts, change: dict[str, Any], target: Ref, evidence: str, prereq: Prerequisite,
                need: int | None, victim: dict[str, Any], rows: list[dict[str, Any]], spec: str) -> Fit | None:
    """A DaemonSet/ConfigMap write that set the prerequisite's key harmfully, acting on the victim's node."""
    at = parse_time(change.get("at"))
    what = _set_keys(change, prereq, need, spec) if prereq.kind == "sysctl" else ""
    if not what or at is None:
        return None
    daemonsets = [target] if target.kind.lower() == "daemonset" else [
        r for r in (Ref.of(x) for x in change.get("related") or []) if r is not None and r.kind.lower() == "daemonset"]
    ds_nodes = {str(r.get("node")) for r in rows for ds in daemonsets
                if r.get("namespace") == ds.namespace and workload_of_pod(str(r.get("name"))) == ds.name}
    if ds_nodes and str(victim.get("node")) not in ds_nodes:
        return None  # the DaemonSet does not run where the workload fails: not its doing
    ns, wl = str(victim.get("namespace")), workload_of_pod(str(victim.get("name")))
    older = [str(r.get("name")) for r in rows if r.get("namespace") == ns and workload_of_pod(str(r.get("name"))) == wl
             and healthy(r) and (parse_time(r.get("created")) or at) < at]
    return Fit(target, change, "tuning", prereq, _workload_ref(facts, rows, ns, wl), str(victim.get("name")),
               str(victim.get("node")), [], what, older, _minutes(facts, at), [evidence])


def _own_fit(facts: Facts, change: dict[str, Any], target: Ref, evidence: str, prereq: Prerequisite,
             need: int | None, victim: dict[str, Any], rows: list[dict[str, Any]], spec: str | None) -> Fit | None:
    """The failing workload's own revision that removed (or lowered) what set the key its software asks for: its
    pods started since land on nodes nobody sets it on any more. A node keeps a key until it reboots, so pods on
    nodes the old revision prepared may still run; only a pod started after the write is the write's victim."""
    ns, wl = str(victim.get("namespace")), workload_of_pod(str(victim.get("name")))
    if target.namespace != ns or target.name != wl:
        return None  # another workload's template does not act on this one's nodes
    fit = _tuning_fit(facts, change, target, evidence, prereq, need, victim, rows, "")
    started = parse_time(victim.get("created"))
    at = parse_time(change.get("at"))
    if fit is None or at is None:
        return None
    if (started is None or started < at) and not _runs_without(spec, prereq):
        return None  # an older pod that still carries the setter: the write did not reach it
    fit.shape = "own"
    return fit


def _runs_without(spec: str | None, prereq: Prerequisite) -> bool:
    """Whether the failing pod's own spec (read from the cluster) sets none of the prerequisite's keys: it runs
    the revision without the setter, whatever its creation time says (a pod recreated under its old name)."""
    return spec is not None and not set(prereq.keys) & values(spec).keys()


def _template_fit(facts: Facts, change: dict[str, Any], target: Ref, evidence: str, prereq: Prerequisite,
                  need: int | None, victim: dict[str, Any], rows: list[dict[str, Any]],
                  store: dict[str, Any]) -> Fit | None:
    """A node-template write before the launch of the nodes where (and only where) the workload fails."""
    at = parse_time(change.get("at"))
    nodes: dict[str, dict[str, Any]] = store.get("nodes") or {}
    template = (store.get("templates") or {}).get(str(target))
    if at is None or not isinstance(template, dict):
        return None

    def new(name: str) -> bool:
        node = nodes.get(name)
        return node is not None and made_by(node, target) and (_created(node) or at) > at
    ns, wl = str(victim.get("namespace")), workload_of_pod(str(victim.get("name")))
    members = [r for r in rows if r.get("namespace") == ns and workload_of_pod(str(r.get("name"))) == wl]
    bad = [r for r in members if failing(r)]
    good = [r for r in members if healthy(r)]
    if not bad or not all(new(str(r.get("node"))) for r in bad) or any(new(str(r.get("node"))) for r in good):
        return None  # fails on an older node too, or runs on a new one: the template is not what differs
    good_nodes = sorted({str(r.get("node")) for r in good})
    if prereq.kind == "arch":
        bad_arch = {_node_arch(nodes[str(r.get("node"))]) for r in bad}
        good_arch = {_node_arch(nodes[n]) for n in good_nodes if n in nodes}
        where = f"{wl} runs on"
        if not good:  # no replica runs elsewhere (a single one moved there): the older nodes are what it ran on
            good_arch = {_node_arch(n) for name, n in nodes.items() if not new(name)}
            where = "the older nodes are"
        if "" in bad_arch or not good_arch or "" in good_arch or bad_arch & good_arch:
            return None  # the failing nodes run the architecture the workload runs on elsewhere
        what = (f"nodes launched from it since are {', '.join(sorted(bad_arch))} (architecture) while "
                f"{where} {', '.join(sorted(good_arch))}")
        shape = "arch"
    elif prereq.kind == "os":
        images = {str(((nodes[str(r.get("node"))].get("status") or {}).get("nodeInfo") or {}).get("osImage") or "")
                  for r in bad}
        others = {str(((nodes[n].get("status") or {}).get("nodeInfo") or {}).get("osImage") or "")
                  for n in good_nodes if n in nodes}
        diff = " ".join(str(d) for d in change.get("diff") or [])
        if "" in images or not others or "" in others or images & others or not OS_FIELD.search(diff):
            return None  # the write chose no OS image, or the failing nodes boot the one that runs it elsewhere
        what = (f"nodes launched from it since boot {', '.join(sorted(images))} where {wl} runs on "
                f"{', '.join(sorted(others))}")
        shape = "os"
    else:
        what = _setup_lacks(template, prereq, need)
        if not what:
            return None  # the template's setup provides the key: the new nodes have it
        shape = "template"
    return Fit(target, change, shape, prereq, _workload_ref(facts, rows, ns, wl), str(victim.get("name")),
               str(victim.get("node")), [], what, good_nodes, _minutes(facts, at),
               [evidence, *store.get("evidence", [])])


def found(facts: Facts) -> list[Fit]:
    """Each failing workload whose prerequisite error a node-level write within the lead explains."""
    store = facts.reads.get(READS) or {}
    rows = _rows(store.get("pods"), "rows")
    out: list[Fit] = []
    for pod, lines in (store.get("lines") or {}).items():
        said = named(lines)
        victim = next((r for r in rows if str(r.get("name")) == pod), None)
        if said is None or victim is None:
            continue
        prereq, quoted, need = said
        for change, target, evidence, shape in candidates(facts):
            if shape == "tuning":
                fit = _tuning_fit(facts, change, target, evidence, prereq, need, victim, rows,
                                  str((store.get("tuners") or {}).get(str(target)) or ""))
            elif shape == "own":
                fit = _own_fit(facts, change, target, evidence, prereq, need, victim, rows,
                               (store.get("pod_specs") or {}).get(pod))
            else:
                fit = _template_fit(facts, change, target, evidence, prereq, need, victim, rows, store)
            if fit is not None:
                fit.quoted = quoted
                fit.evidence = list(dict.fromkeys(e for e in [*fit.evidence, *(store.get("log_ids") or {}).get(
                    pod, []), str(store.get("pods_id") or "")] if e))
                if not any(f.target == fit.target and f.workload == fit.workload for f in out):
                    out.append(fit)
                break
    return out


def _quote(lines: list[str]) -> str:
    return "; ".join(f"'{ln[:150]}'" for ln in lines[:2])


def finding(f: Fit) -> dict[str, Any]:
    """The write, what it set or left out, the victim's own words and where: the meaning first (the headline is
    cut), then the prerequisite's explanation and what to do."""
    when = minutes_text(f.minutes_before)
    node = f.node.split(".")[0]
    if f.shape == "tuning":
        older = f" while its pods started before the write run ({f.peers[0]})" if f.peers else ""
        short = f" ({f.prereq.short})" if f.prereq.short else ""
        message = (f"{f.target}'s write {when} before the alert sets sysctl {f.what} on the nodes it applies "
                   f"to{short}; {f.workload} fails there ({node}): {_quote(f.quoted)}{older}. This is "
                   f"{f.prereq.meaning}. Revert the setting in {f.target} (or exclude these nodes), then restart the "
                   f"failing pods.")
    elif f.shape == "own":
        older = f" while its pods started before it run ({f.peers[0]})" if f.peers else ""
        message = (f"{f.target}'s own revision {when} before the alert took away the kernel setting its software "
                   f"needs: {f.what}; its pod {f.pod}, which runs that revision, fails on {node}: "
                   f"{_quote(f.quoted)}{older}. This is {f.prereq.meaning}. Put the setting back in {f.target}'s pod "
                   f"template (the privileged init container or securityContext.sysctls), or set it on the nodes, "
                   f"then restart the failing pod.")
    elif f.shape == "arch":
        req = "; ".join(str(d) for d in (f.change.get("diff") or [])[:1])[:120]
        message = (f"{f.target} written {when} before the alert launches nodes of another architecture: {f.what}, "
                   f"and {f.workload}'s image is not built for it: on {node} it fails {_quote(f.quoted)}, on "
                   f"{', '.join(p.split('.')[0] for p in f.peers[:2])} it runs. The write: {req}. This is "
                   f"{f.prereq.meaning}. Pin "
                   f"{f.workload} to the architecture it is built for (nodeSelector kubernetes.io/arch) or publish a "
                   f"multi-arch image, or take the new architecture out of {f.target}'s requirements.")
    elif f.shape == "os":
        message = (f"{f.target} written {when} before the alert changed the OS image of the nodes it launches: "
                   f"{f.what}, and {f.workload} fails only there: on {node} {_quote(f.quoted)}, on "
                   f"{', '.join(p.split('.')[0] for p in f.peers[:2])} it runs. This is {f.prereq.meaning}. Upgrade "
                   f"the software to one that reads cgroup v2, or pin the previous image in {f.target} until then.")
    else:
        key = f.prereq.setting
        kind = "kernel setting" if f.prereq.keys else "node setting"
        capped = f.what.startswith(CAPPED)
        lead = f"launches nodes with a limit {f.workload} runs into: {f.what}" if capped else \
            f"launches nodes without the {kind} {key} that {f.workload} needs: {f.what}"
        fix = f"Raise or remove that limit in {f.target}'s userData or kubelet settings" if capped else \
            f"Put the setting back in {f.target}'s userData ({'sysctl -w ' + key + '=...' if f.prereq.keys else key})"
        message = (f"{f.target} written {when} before the alert {lead}. On {node}, launched from it since, {f.pod} "
                   f"fails {_quote(f.quoted)}; its pods on older nodes run. This is {f.prereq.meaning}. {fix} and "
                   f"replace the nodes launched since.")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": f.target.kind, "namespace": f.target.namespace, "name": f.target.name},
            "reason": "NodePrerequisiteChanged", "message": message, "evidence": f.quoted[:2],
            "details": {"change_at": f.change.get("at"), "shape": f.shape, "prerequisite": f.prereq.name,
                        "workload": str(f.workload), "node": f.node, "what": f.what, "peers": f.peers}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The node-level write behind each failing workload; it explains the workload."""
    return [(f.target, finding(f), f.evidence, [f.workload]) for f in found(facts)]


def on_nodes(rows: list[dict[str, Any]], nodes: set[str], tuners: set[str]) -> list[dict[str, Any]]:
    """The workloads' pods on the nodes the incident names (one per workload, not the tuners' own nor the
    cluster's system pods): a node singled out by its failures is read for what its pods say they lack."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        ns, wl = str(row.get("namespace")), workload_of_pod(str(row.get("name")))
        if str(row.get("node")) in nodes and ns != "kube-system" and wl not in tuners:
            out.setdefault((ns, wl), row)
    return list(out.values())


def said_in_logs(facts: Facts) -> set[tuple[str, str]]:
    """(namespace, pod) of the survey's logs that name a node prerequisite: a running pod that fails each request
    (a browser it launches per job that cannot build its sandbox) says so without ever crash-looping."""
    return {(log.namespace, log.pod) for log in facts.logs
            if named([said_by(e) for e in log.entries()] + list(log.last_lines)) is not None}


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when a pod fails and a node-level write is within the lead: the pods, the failing pods'
    previous logs (one per workload), and for template writes the template and the nodes of that workload."""
    saying, asked = said_in_logs(facts), {*subject.nodes, *subject.hosts, *subject.names}  # a node named in prose
    crashing = any(str(f.get("check") or "").startswith(("pod.crash", "pod.restarting", "pod.start_error", "pod.oom"))
                   for f in facts.findings())
    if not saying and not crashing and not (asked and any(shape == "tuning" for *_, shape in candidates(facts))):
        return  # nothing fails, nothing says what it lacks, and no tuning write for a node the question names
    if not facts.history_reaches(LEAD):
        got = await call("k8s_changes", {"at": at, "window": HISTORY_WINDOW}, "survey-node-split-history")
        if got is not None and got.ok and isinstance(got.data, dict):
            facts.history.append((got.data, got.evidence_id))
    writes = candidates(facts)
    if not writes:
        return
    store: dict[str, Any] = facts.reads.setdefault(READS, {"lines": {}, "log_ids": {}, "nodes": {}, "templates": {},
                                                           "evidence": []})
    pods = await call("k8s_list", {"kind": "pods"}, "survey-node-split-pods")
    if pods is None or not pods.ok:
        return
    store.update(pods=pods.data, pods_id=pods.evidence_id)
    rows = _rows(pods.data, "rows")
    logged = {log.pod for log in facts.logs}
    victims: dict[tuple[str, str], dict[str, Any]] = {}
    for row in sorted((r for r in rows if failing(r) or (str(r.get("namespace")), str(r.get("name"))) in saying),
                      key=lambda r: str(r.get("name")) not in logged):
        victims.setdefault((str(row.get("namespace")), workload_of_pod(str(row.get("name")))), row)
    for row in list(victims.values())[:MAX_WORKLOADS]:
        await _read_lines(store, facts, row, call)
    if asked and not any(named(lines) for lines in store["lines"].values()):
        tuners = {t.name for _, t, _, shape in writes if shape == "tuning"}
        for row in on_nodes(rows, asked, tuners)[:MAX_NODE_PODS]:
            await _read_lines(store, facts, row, call)
    if not any(named(lines) for lines in store["lines"].values()):
        return
    if any(shape == "own" for _, _, _, shape in writes):  # what the failing pods themselves run
        specs = store.setdefault("pod_specs", {})
        for row in list(victims.values())[:MAX_WORKLOADS]:
            got = await get_yaml(call, "Pod", str(row.get("name")), str(row.get("namespace")),
                                 f"survey-prerequisite-pod-{row.get('name')}")
            if got is not None:
                specs[str(row.get("name"))] = json.dumps(got[0].get("spec") or {})
                store["evidence"].append(got[1])
    tuners = store.setdefault("tuners", {})
    for change, target, _, shape in writes:
        if shape == "tuning" and change.get("type") == "created" and len(tuners) < MAX_TUNERS:
            got = await get_yaml(call, target.kind, target.name, target.namespace,
                                 f"survey-prerequisite-{target.kind.lower()}-{target.name}")
            if got is not None:
                tuners[str(target)] = json.dumps((got[0].get("spec") or {}).get("template") or {})
                store["evidence"].append(got[1])
        if shape != "template" or str(target) in store["templates"]:
            continue
        got = await get_yaml(call, target.kind, target.name, target.namespace,
                             f"survey-template-{target.kind.lower()}-{target.name}")
        if got is not None:
            store["templates"][str(target)] = got[0]
            store["evidence"].append(got[1])
            await _read_nodes(store, rows, victims, call)


async def _read_lines(store: dict[str, Any], facts: Facts, row: dict[str, Any], call: Call) -> None:
    """One failing pod's crashed instance's last lines (its current ones when no previous instance is kept), with
    the lines the survey's log read already kept."""
    name, ns = str(row.get("name")), str(row.get("namespace"))
    lines: list[str] = []
    ids: list[str] = []
    for previous in (True, False):
        got = await call("k8s_logs", {"name": name, "namespace": ns, "previous": previous, "tail": 300},
                         f"survey-prerequisite-logs-{name}{'-previous' if previous else ''}")
        if got is not None and got.ok:
            lines = str(getattr(got, "full_text", "") or getattr(got, "text", "") or "").splitlines()
            ids.append(got.evidence_id)
            if lines:
                break
    workload = workload_of_pod(name)
    for finding in facts.findings():  # the scan's events and termination messages (an image pull for a platform)
        obj = finding.get("object") or {}
        if obj.get("namespace") == ns and (obj.get("name") == workload or name in (finding.get("pods") or [])):
            lines += [str(finding.get("message") or ""), *(str(e) for e in finding.get("evidence") or [])]
    for log in facts.logs:
        if log.pod == name and log.namespace == ns:
            lines += [str(e.get("example") or e.get("message") or "") for e in [log.top or {}, *log.more]]
            lines += log.last_lines
            ids.append(log.evidence_id)
    store["lines"][name] = lines
    store["log_ids"][name] = [i for i in ids if i]


async def _read_nodes(store: dict[str, Any], rows: list[dict[str, Any]],
                      victims: dict[tuple[str, str], dict[str, Any]], call: Call) -> None:
    """The nodes of the failing workloads' pods, failing and running (labels, creation, architecture)."""
    wanted: list[str] = []
    for ns, wl in victims:
        for row in sorted(rows, key=lambda r: not failing(r)):
            if row.get("namespace") == ns and workload_of_pod(str(row.get("name"))) == wl and row.get("node") \
                    and str(row["node"]) not in wanted:
                wanted.append(str(row["node"]))
    others = [str(r["node"]) for r in rows if r.get("node") and str(r["node"]) not in wanted]
    wanted += list(dict.fromkeys(others))[:2]  # two more nodes: what the cluster ran on before, when no peer runs
    for name in wanted[:MAX_NODES]:
        if name in store["nodes"]:
            continue
        got = await get_yaml(call, "Node", name, "", f"survey-template-node-{name}")
        if got is not None:
            store["nodes"][name] = got[0]
            store["evidence"].append(got[1])
