"""Pulls that cannot reach a registry since a workload rewrote the nodes' container-runtime registry config.

Registry mirrors, pull-through caches and insecure-registry exceptions live on each node, in the runtime's own
files: containerd's `/etc/containerd/certs.d/<registry>/hosts.toml` (or `config.toml`'s registry section),
CRI-O and podman's `/etc/containers/registries.conf(.d)`, Docker's `/etc/docker/daemon.json`. Clusters without
node image builds write them with a privileged DaemonSet that mounts that directory from the host. A change to
its script moves every node's pulls at once, yet nothing running fails: pods keep their cached images. Only a
pod that must pull (a rescheduled pod, a scale-up, a new node) fails, with a network error (`i/o timeout`,
`connection refused`, `no such host`, a TLS failure) toward the mirror or the upstream it falls back to. A
mirror written as a cluster Service name (`*.svc.cluster.local`, `*.svc`) is a classic: the runtime resolves
with the node's resolver, not the cluster DNS, so the name never resolves.

Evidence read here, in any product's wording: a pull that failed with a network error (the scan's
`pod.image_pull`); a workload whose pod template mounts a runtime registry config path from the host; its last
write (timeline, else managedFields) within LEAD before the first failing pod was created. A template that names
a cluster-DNS host says why in the finding.

Not named: a pull refused for credentials or a missing manifest (the registry answered); a config writer not
written within LEAD, or written after the failing pod was created; a DaemonSet mounting other host paths
(logs, sockets). The survey calls `read` (reading only); `found` is pure over what was read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time, written_by
from agent.triage.kube_reads import get_yaml, rows_of
from agent.triage.pod_spec_words import template_spec

CHECK = "change.runtime_registry_config"
WEIGHT = 0.95
"""The write that moved every node's pulls outranks the one pod whose pull showed it."""
STORE = "runtime_registry_config"
LEAD = timedelta(hours=24)
"""How long before the first failing pull the config writer's change may be and still be the news."""
MAX_WRITERS = 16
NETWORK = re.compile(r"i/o timeout|connection refused|no such host|network is unreachable|no route to host|"
                     r"tls handshake timeout|context deadline exceeded|connection reset|server misbehaving|"
                     r"x509|certificate|http: server gave HTTP response to HTTPS client|dial tcp", re.I)
"""How runtimes word a registry they could not reach or talk to (containerd, CRI-O, Docker)."""
CONFIG_PATHS = re.compile(r"/etc/containerd|/etc/containers|/etc/docker|/etc/crio|certs\.d|registries\.conf|"
                          r"hosts\.toml|daemon\.json|/etc/rancher/(?:k3s|rke2)\b|registries\.ya?ml", re.I)
"""Host paths where container runtimes read their registry mirrors, hosts and trust; k3s and RKE2 render
containerd's from their own `/etc/rancher/<dist>/registries.yaml`."""
REGISTRY_WORDS = re.compile(r"mirror|registr|hosts\.toml|certs\.d|insecure", re.I)
"""What a writer of registry config says in its mounts or script; a runtime-class installer (a GPU toolkit that
edits containerd's config.toml for its runtime) mounts the same directory and says none of it."""
CLUSTER_NAME = re.compile(r"(?<![\w.-])([a-z0-9-]+(?:\.[a-z0-9-]+)*\.svc(?:\.cluster\.local)?)(?::\d+)?(?![\w-])",
                          re.I)
"""A cluster Service DNS name: what a node's own resolver does not answer."""

MIRROR_KINDS = ("ImageDigestMirrorSet", "ImageTagMirrorSet", "ImageContentSourcePolicy")
"""OpenShift's cluster objects whose every write the Machine Config Operator renders into each node's
`/etc/containers/registries.conf`: the same fact as a DaemonSet's script, carried by another kind."""
NODE_CONFIG_KINDS = ("MachineConfig",)
"""A node config object: a registry writer only when its write speaks of registries (it also carries chrony,
kernel arguments, units)."""
RENDERED_PATH = "/etc/containers/registries.conf"

Call = Callable[..., Awaitable[Any]]


@dataclass
class ConfigWriter:
    """A workload that writes the nodes' runtime registry config, written shortly before pulls began to fail."""

    writer: Ref
    paths: list[str]
    written: datetime
    manager: str
    cluster_host: str
    victims: list[Ref]
    error: str
    evidence: list[str]


def unreachable_pulls(facts: Facts) -> list[tuple[Ref, str, datetime]]:
    """Workloads whose pulls failed with a network error: (workload, the error, since when)."""
    out: list[tuple[Ref, str, datetime]] = []
    for f in facts.findings():
        details = f.get("details") or {}
        ref = Ref.of(f.get("object"))
        error = str(details.get("error") or "") if isinstance(details, dict) else ""
        if f.get("check") == "pod.image_pull" and ref is not None and NETWORK.search(error) \
                and "pull_secrets" not in details:
            since = parse_time(f.get("first_seen") or f.get("since")) or facts.at
            out.append((ref, error, since))
    return out


def config_paths(obj: dict[str, Any]) -> list[str]:
    """The runtime registry config paths the workload's pod template mounts from the host."""
    return sorted({str((v.get("hostPath") or {}).get("path")) for v in template_spec(obj).get("volumes") or []
                   if isinstance(v, dict) and CONFIG_PATHS.search(str((v.get("hostPath") or {}).get("path") or ""))})


def writes_registry_config(obj: dict[str, Any]) -> bool:
    """Whether the workload mounts a runtime config path from the host and its mounts or script speak of
    registries (mirrors, hosts.toml, certs.d, insecure registries)."""
    paths = config_paths(obj)
    return bool(paths) and bool(REGISTRY_WORDS.search(" ".join(paths) + "\n" + _text(obj)))


def _text(obj: dict[str, Any]) -> str:
    parts: list[str] = []
    for c in (template_spec(obj).get("containers") or []) + (template_spec(obj).get("initContainers") or []):
        parts += [str(x) for x in (c.get("command") or []) + (c.get("args") or [])]
        parts += [str(e.get("value") or "") for e in c.get("env") or [] if isinstance(e, dict)]
    return "\n".join(parts)


async def read(facts: Facts, call: Call) -> None:
    """Reading only: when a pull could not reach its registry, the DaemonSets, kept when they mount a runtime's
    registry config from the host."""
    if not unreachable_pulls(facts):
        return
    store = facts.reads.setdefault(STORE, {"writers": []})
    listed = await call("k8s_list", {"kind": "DaemonSet"}, "survey-runtime-registry-daemonsets")
    for row in rows_of(listed)[:MAX_WRITERS]:
        got = await get_yaml(call, "DaemonSet", str(row.get("name")), str(row.get("namespace") or ""),
                             f"survey-runtime-registry-{row.get('name')}")
        if got is not None and writes_registry_config(got[0]):
            store["writers"].append(got)


def _last_write(facts: Facts, obj: dict[str, Any]) -> tuple[datetime, str] | None:
    """The newest write of the workload: its timeline write, else its newest managedFields entry."""
    meta = obj.get("metadata") or {}
    name, ns = str(meta.get("name") or ""), str(meta.get("namespace") or "")
    dated: list[tuple[datetime, str]] = []
    for change, _, target in facts.writes_to((str(obj.get("kind") or "DaemonSet"),), deletions=False):
        at = parse_time(change.get("at"))
        if at is not None and target.name == name and target.namespace == ns:
            dated.append((at, written_by(change)))
    for m in meta.get("managedFields") or []:
        at = parse_time(m.get("time")) if isinstance(m, dict) else None
        if at is not None and m.get("operation") != "UpdateStatus" and m.get("subresource") != "status":
            dated.append((at, str(m.get("manager") or "")))
    return max(dated, key=lambda d: (d[0], bool(d[1]))) if dated else None


def found(facts: Facts) -> list[ConfigWriter]:
    """Each runtime-config writer written within LEAD before the first unreachable pull (and not after it)."""
    pulls = unreachable_pulls(facts)
    out: list[ConfigWriter] = []
    if not pulls:
        return out
    first = min(since for _, _, since in pulls)
    for obj, evidence_id in (facts.reads.get(STORE) or {}).get("writers") or []:
        if not writes_registry_config(obj):
            continue
        write = _last_write(facts, obj)
        if write is None or not timedelta(0) <= first - write[0] <= LEAD:
            continue
        meta = obj.get("metadata") or {}
        host = CLUSTER_NAME.search(_text(obj))
        out.append(ConfigWriter(Ref(str(obj.get("kind") or "DaemonSet"), str(meta.get("namespace") or ""),
                                    str(meta.get("name") or "")), config_paths(obj), write[0], write[1],
                                host.group(1) if host else "", [r for r, _, _ in pulls], pulls[0][1], [evidence_id]))
    out += _object_writers(facts, pulls, first)
    return sorted(out, key=lambda w: (not w.cluster_host, -w.written.timestamp()))


def _object_writers(facts: Facts, pulls: list[tuple[Ref, str, datetime]], first: datetime) -> list[ConfigWriter]:
    """Writes, within LEAD before the first unreachable pull, of the cluster objects a node agent renders into every
    node's registry config (mirror sets; a node config object whose write speaks of registries)."""
    out: list[ConfigWriter] = []
    for change, evidence, target in facts.writes_to(MIRROR_KINDS + NODE_CONFIG_KINDS, deletions=False):
        at = parse_time(change.get("at"))
        said = " ".join([str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or [])])
        if at is None or not timedelta(0) <= first - at <= LEAD:
            continue
        if target.kind in NODE_CONFIG_KINDS and not (REGISTRY_WORDS.search(said) or CONFIG_PATHS.search(said)):
            continue
        if any(w.writer.same_object(target) for w in out):
            continue
        host = CLUSTER_NAME.search(said)
        out.append(ConfigWriter(target, [RENDERED_PATH], at, written_by(change), host.group(1) if host else "",
                                [r for r, _, _ in pulls], pulls[0][1], [e for e in (evidence,) if e]))
    return out


def finding(w: ConfigWriter, at: datetime) -> dict[str, Any]:
    """The suspect's finding: what it writes on every node, when it was changed, and whose pulls fail since."""
    ago = minutes_text(int((at - w.written).total_seconds() // 60))
    who = f" by {w.manager}" if w.manager else ""
    why = (f"; its config now names the mirror {w.cluster_host}, a cluster Service name the node's own resolver "
           f"(which the runtime uses, not the cluster DNS) cannot resolve" if w.cluster_host else "")
    message = (f"{w.writer} writes the container runtime's registry config on every node (host "
               f"{', '.join(w.paths)}: mirror hosts) and was changed{who} {ago} before the alert{why}. Pulls since "
               f"cannot reach the registry ({w.error}): {', '.join(str(v) for v in w.victims[:3])}. Running pods keep "
               f"their cached images; only pods that must pull fail. Roll the {w.writer.kind} back")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": w.writer.kind, "namespace": w.writer.namespace, "name": w.writer.name},
            "reason": "RuntimeRegistryConfigChanged", "message": message, "evidence": [],
            "details": {"paths": w.paths, "written": str(w.written), "manager": w.manager,
                        "cluster_host": w.cluster_host, "victims": [str(v) for v in w.victims]}}
