"""Volumes that cannot attach, mount or provision because the storage layer under them was changed just before.

A pod stuck in ContainerCreating with FailedMount, or a claim stuck Pending with ProvisioningFailed, is only where
the failure shows: what decides it is the storage plumbing that every volume of a driver or class goes through.
The kubelet, the attach/detach controller and the CSI sidecars say in their own words which piece failed:

- `driver name ebs.csi.aws.com not found in the list of registered CSI drivers` (kubelet): the node plugin never
  registered with the kubelet. The node-driver-registrar writes its socket where its DaemonSet's hostPaths say
  the kubelet's root is (`/var/lib/kubelet/plugins_registry`); a DaemonSet moved to another distribution's path
  (`/var/lib/k0s/kubelet`, `/var/snap/microk8s/common/var/lib/kubelet`) registers where the kubelet never looks;
- `failed to provision volume with StorageClass "X": ... AccessDenied / KMS / InvalidVolume.NotFound` (the
  external-provisioner): the driver tried to create a volume with the class's parameters and the cloud refused
  them (a KMS key the driver's role may not use makes EC2 delete each new encrypted volume at once, which the
  driver reports as `InvalidVolume.NotFound`); `InvalidParameter` is a parameter the cloud does not accept;
- `AttachVolume.Attach failed ... attach limit / max volume count`: the node's attach slots (the driver's
  `--volume-attach-limit`).

The message names what governs it: a driver name (-> its CSIDriver object and the DaemonSet or Deployment whose
pod template carries that name in its registration socket path, args or env) or a StorageClass. The module takes
that object's write from the change timeline (a DaemonSet revision diff old -> new, a StorageClass created or
recreated with its parameters) made before the first failure, and names it with what its new value means.

The survey calls `read` (reading only, when the scan shows a volume failure): the warning events, a 24 h change
timeline, the YAML of the changed workloads that may serve the driver and of the named StorageClasses. `found`
is pure over what was read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import object_of
from agent.triage.subject import Subject

CHECK = "change.storage_layer"
WEIGHT = 0.94
RECORD = "storage_layer"
LEAD = timedelta(hours=24)
"""How long before the first volume failure a storage object's write may have been made and still be its cause."""
HISTORY_WINDOW = "24h"
MAX_GETS = 12

VOLUME_FAILURE = re.compile(
    r"FailedMount|FailedAttachVolume|ProvisioningFailed|FailedMapVolume|MountVolume\.\w+ failed|"
    r"AttachVolume\.Attach failed|provisioning failed for PVC|failed to provision volume|"
    r"not found in the list of registered CSI drivers", re.I)
"""The kubelet's, the attach/detach controller's and the external-provisioner's words for a volume that failed."""

DRIVER_NAMED = (
    re.compile(r"driver name ([a-z0-9][a-z0-9.-]+[a-z0-9]) not found in the list of registered CSI drivers", re.I),
    re.compile(r"external provisioner '([a-z0-9][a-z0-9.-]+[a-z0-9])'", re.I),
    re.compile(r"(?:CSI driver|attacher|csi driver name)[: ]+\"?([a-z0-9-]+(?:\.[a-z0-9-]+){2,})\"?", re.I),
)
"""Where a volume failure names the CSI driver it went through."""

CLASS_NAMED = re.compile(r"with StorageClass \"([a-z0-9][a-z0-9.-]*)\"", re.I)
"""The external-provisioner names the StorageClass whose parameters it provisioned with."""


@dataclass(frozen=True)
class Meaning:
    """What a failure's wording says broke, and which piece of the storage layer governs it."""

    pattern: re.Pattern[str]
    governs: str
    """'node' (the node plugin and its registration), 'class' (a StorageClass's parameters), 'attach'."""
    says: str
    keys: tuple[str, ...] = ()
    """The StorageClass parameters (or template words) this failure is about, to show first."""
    short: str = ""
    """The meaning in a few words, for the head of the finding."""


MEANINGS: tuple[Meaning, ...] = (
    Meaning(re.compile(r"not found in the list of registered CSI drivers|not registered|"
                       r"plugin registration hasn't succeeded", re.I), "node",
            "the CSI driver is not registered with the kubelet on the node: the node plugin's node-driver-registrar "
            "writes its registration socket where the kubelet does not look (the kubelet path, plugins_registry or "
            "the registration socket path of its DaemonSet), so no volume of that driver can mount",
            ("kubelet", "registration", "plugins", "reg_sock", "hostpath", "mountpath"),
            "the CSI driver is not registered with the kubelet (node plugin registration fails)"),
    Meaning(re.compile(r"\bkms\b|kmskeyid|KMS key|InvalidVolume\.NotFound|KeyUnavailable|cannot use key|"
                       r"key .* (?:disabled|pending deletion)|cloudkms|DiskEncryptionSet", re.I), "class",
            "the cloud refuses the class's encryption key: the driver's role may not use that KMS key "
            "(kmsKeyId), so each new encrypted volume is deleted right after it is created and no claim of the "
            "class can provision",
            ("kmskeyid", "encrypted", "kms", "disk-encryption", "diskencryptionset"),
            "the driver cannot use the class's KMS key (kmsKeyId), so new volumes never provision"),
    Meaning(re.compile(r"AccessDenied|UnauthorizedOperation|not authorized|PermissionDenied|Forbidden|"
                       r"does not have permission", re.I), "class",
            "the cloud refuses the driver's request with the class's parameters: the driver's role may not create "
            "volumes so configured, so no claim of the class can provision",
            ("kmskeyid", "encrypted", "type", "tagspecification", "zone"),
            "the cloud denies the driver the volumes the class asks for, so new volumes never provision"),
    Meaning(re.compile(r"InvalidParameter|invalid parameter|unknown parameter|InvalidArgument|not supported|"
                       r"invalid (?:volume )?type", re.I), "class",
            "the cloud or the driver rejects a parameter of the class (an unknown key, a volume type or "
            "iops/throughput out of range), so no claim of the class can provision",
            ("type", "iops", "throughput", "fstype", "parameters"),
            "a parameter of the class is rejected, so new volumes never provision"),
    Meaning(re.compile(r"attach limit|max(?:imum)? volume count|exceed(?:s|ed)? max volume|"
                       r"AttachmentLimitExceeded|too many volumes", re.I), "attach",
            "the node's volume attach limit is reached (the driver's --volume-attach-limit or the instance's "
            "slots), so no further volume attaches there",
            ("attach-limit", "volume-attach-limit", "args"),
            "the node's volume attach limit is reached, so volumes no longer attach"),
)


@dataclass
class Failure:
    """One volume failure as reported, with what it names."""

    text: str
    namespace: str
    victim: Ref | None
    first: datetime | None
    driver: str = ""
    storage_class: str = ""
    meaning: Meaning | None = None


@dataclass
class Broken:
    """A storage object written before volumes of its driver or class began to fail."""

    target: Ref
    change: dict[str, Any]
    failure: Failure
    minutes_before: int
    how: str
    """How the object relates to the failure: 'serves driver X' or 'is the claims' StorageClass'."""
    victims: list[Ref] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    parameters: dict[str, str] = field(default_factory=dict)


def _texts(finding: dict[str, Any]) -> list[str]:
    return [str(finding.get("message") or ""), *(str(e) for e in finding.get("evidence") or []),
            *(str(v) for v in (finding.get("details") or {}).values() if isinstance(v, str))]


def _meaning(text: str) -> Meaning | None:
    return next((m for m in MEANINGS if m.pattern.search(text)), None)


def _driver(text: str) -> str:
    for pattern in DRIVER_NAMED:
        m = pattern.search(text)
        if m:
            return m.group(1).lower()
    return ""


def _failure(text: str, namespace: str, victim: Ref | None, first: datetime | None) -> Failure | None:
    if not VOLUME_FAILURE.search(text):
        return None
    m = CLASS_NAMED.search(text)
    return Failure(text, namespace, victim, first, _driver(text), m.group(1) if m else "", _meaning(text))


def failures(facts: Facts) -> list[Failure]:
    """Every volume failure the scan and the warning events show, each with the driver or class it names."""
    out: list[Failure] = []
    for finding in facts.findings():
        victim = Ref.of(finding.get("owner")) or Ref.of(finding.get("object"))
        for text in _texts(finding):
            got = _failure(text, str((victim and victim.namespace) or ""), victim, parse_time(finding.get("since")))
            if got is not None:
                out.append(got)
    kept = facts.reads.get(RECORD)
    for row in (kept or {}).get("events") or [] if isinstance(kept, dict) else []:
        if not isinstance(row, dict):
            continue
        victim = Ref(str(row.get("kind") or ""), str(row.get("namespace") or ""), str(row.get("name") or "")) \
            if row.get("name") else None
        text = f"{row.get('reason') or ''}: {row.get('message') or ''}"
        got = _failure(text, str(row.get("namespace") or ""), victim, parse_time(row.get("first_seen")))
        if got is not None:
            out.append(got)
    return out


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only, when the scan shows a volume failure: the warning events (their full wording names the driver
    or class), a 24 h timeline, the YAML of the named StorageClasses and of the DaemonSets/Deployments written in
    it (to see whether their pod template serves the named driver)."""
    if not any(VOLUME_FAILURE.search(t) for f in facts.findings() for t in _texts(f)):
        return
    kept: dict[str, Any] = {"events": [], "objects": {}, "evidence": []}
    facts.reads[RECORD] = kept
    events = await call("k8s_events", {"warnings_only": True}, "survey-storage-layer-events")
    if events is not None and events.ok and isinstance(events.data, dict):
        kept["events"] = [e for e in events.data.get("events") or [] if isinstance(e, dict)
                          and VOLUME_FAILURE.search(f"{e.get('reason') or ''}: {e.get('message') or ''}")]
        kept["evidence"].append(events.evidence_id)
    if not facts.history_reaches(LEAD):
        history = await call("k8s_changes", {"at": at, "window": HISTORY_WINDOW}, "survey-storage-layer-history")
        if history is not None and history.ok and isinstance(history.data, dict):
            facts.history.append((history.data, history.evidence_id))
    seen = failures(facts)
    wanted: list[Ref] = [Ref("StorageClass", "", c) for c in dict.fromkeys(f.storage_class for f in seen) if c]
    drivers = {f.driver for f in seen if f.driver}
    if drivers:
        written: list[Ref] = []
        for change, _ in facts.every_change():
            ref = Ref.of(change.get("object"))
            if ref is not None and ref.kind in ("DaemonSet", "Deployment", "StatefulSet", "CSIDriver") and \
                    not any(ref.same_object(w) for w in [*wanted, *written]):
                written.append(ref)
        wanted += sorted(written, key=lambda r: _likely_plugin(r, drivers))
    for ref in wanted[:MAX_GETS]:
        got = await call("k8s_get", {"kind": ref.kind, "name": ref.name, "namespace": ref.namespace,
                                     "output": "yaml"}, f"survey-storage-layer-{ref.kind.lower()}-{ref.name}")
        obj = object_of(got)
        if obj is not None and got is not None:
            kept["objects"][str(ref)] = obj
            kept["evidence"].append(got.evidence_id)


def _likely_plugin(ref: Ref, drivers: set[str]) -> int:
    """Reading order when many workloads were written: a driver's node plugin is a DaemonSet and its name usually
    says `csi` or the driver's first word (`ebs` of ebs.csi.aws.com); every candidate is still checked by its
    template, this only decides which are read first."""
    words = {d.split(".")[0] for d in drivers} | {"csi"}
    named = any(w and w in ref.name.lower() for w in words)
    return (0 if ref.kind in ("CSIDriver", "DaemonSet") else 2) + (0 if named else 1)


def _serves(obj: dict[str, Any], ref: Ref, driver: str) -> bool:
    """Whether an object is the driver's own: its CSIDriver, or a workload whose pod template carries the driver's
    name (the registration socket path, a plugins/<driver> hostPath, a --driver-name arg)."""
    if ref.kind == "CSIDriver":
        return ref.name.lower() == driver
    template = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    return driver in json.dumps(template).lower()


def _victims(facts: Facts, failure: Failure, driver: str, storage_class: str) -> list[Ref]:
    """The objects every failure of the same driver or class shows on (the StatefulSet, its pods, its claims)."""
    out: list[Ref] = [failure.victim] if failure.victim is not None else []
    for other in failures(facts):
        same = (driver and other.driver == driver) or (storage_class and other.storage_class == storage_class)
        if same and other.victim is not None and not any(other.victim.same_object(v) for v in out):
            out.append(other.victim)
    names = {v.name for v in out}
    for finding in facts.findings():  # the workload whose finding shows a victim (its pod, its claim)
        texts = " ".join(_texts(finding))
        owner = Ref.of(finding.get("owner")) or Ref.of(finding.get("object"))
        shown = Ref.of(finding.get("object"))
        if owner is None or any(owner.same_object(v) for v in out) or not VOLUME_FAILURE.search(texts):
            continue
        if (shown is not None and shown.name in names) or any(re.search(rf"\b{re.escape(n)}\b", texts) for n in names):
            out.append(owner)
    return out


def found(facts: Facts) -> list[Broken]:
    """Each storage object written before the volume failures of its driver or class, earliest failure first."""
    kept = facts.reads.get(RECORD)
    objects: dict[str, dict[str, Any]] = (kept or {}).get("objects") or {} if isinstance(kept, dict) else {}
    evidence = [e for e in (kept or {}).get("evidence") or [] if e] if isinstance(kept, dict) else []
    out: list[Broken] = []
    for failure in sorted(failures(facts), key=lambda f: (f.meaning is None, f.first or facts.at)):
        first = failure.first or facts.at
        if failure.driver and (failure.meaning is None or failure.meaning.governs in ("node", "attach")):
            for change, ev in facts.every_change():
                ref, at = Ref.of(change.get("object")), parse_time(change.get("at"))
                if ref is None or at is None or not (first - LEAD <= at <= first):
                    continue
                obj = objects.get(str(ref))
                if obj is None or not _serves(obj, ref, failure.driver) or any(b.target.same_object(ref) for b in out):
                    continue
                out.append(Broken(ref, change, failure, int((first - at).total_seconds() // 60),
                                  f"the node/controller plugin of CSI driver {failure.driver}",
                                  _victims(facts, failure, failure.driver, ""), [*evidence, *([ev] if ev else [])]))
        if failure.storage_class:
            ref = Ref("StorageClass", "", failure.storage_class)
            obj = objects.get(str(ref))
            got = facts.newest_write("StorageClass", failure.storage_class, obj)  # its newest write, else its making
            at = parse_time(got[0].get("at")) if got else None
            if got is None or at is None or not (first - LEAD <= at <= first) or \
                    any(b.target.same_object(ref) for b in out):
                continue
            params = {str(k): str(v) for k, v in ((obj or {}).get("parameters") or {}).items()}
            out.append(Broken(ref, got[0], failure, int((first - at).total_seconds() // 60),
                              f"the StorageClass of the failing claims, provisioner "
                              f"{(obj or {}).get('provisioner') or '?'}",
                              _victims(facts, failure, "", failure.storage_class),
                              [*evidence, *([got[1]] if got[1] else [])], params))
    return out


def _ordered_diff(broken: Broken) -> list[str]:
    """The change's field diffs, those the failure's meaning is about first."""
    diff = [str(d) for d in broken.change.get("diff") or []]
    keys = broken.failure.meaning.keys if broken.failure.meaning else ()
    return sorted(diff, key=lambda d: not any(k in d.lower().replace(" ", "") for k in keys))


KUBELET_PATH = re.compile(r"'(?:[^'=]*=)?(/[^']*kubelet[^']*)'\s*->\s*'(?:[^'=]*=)?(/[^']*)'")
"""A diff entry moving a path under the kubelet's root directory (`'/var/lib/kubelet' -> '/var/lib/k0s/kubelet'`)."""


def _kubelet_path_moved(broken: Broken) -> tuple[str, str] | None:
    """(old, new) of the first kubelet path a node plugin's write moved: the kubelet reads plugin registrations
    only under its own --root-dir, whatever the DaemonSet says."""
    for entry in _ordered_diff(broken):
        m = KUBELET_PATH.search(entry)
        if m and m.group(1) != m.group(2):
            old, new = m.group(1).split("/"), m.group(2).split("/")
            while len(old) > 2 and len(new) > 2 and old[-1] == new[-1] and "kubelet" not in old[-1]:
                # the kubelet root moved, not what lies under it
                old, new = old[:-1], new[:-1]
            return "/".join(old), "/".join(new)
    return None


def _parameters(broken: Broken) -> str:
    keys = broken.failure.meaning.keys if broken.failure.meaning else ()
    items = sorted(broken.parameters.items(), key=lambda kv: not any(k in kv[0].lower() for k in keys))
    return ", ".join(f"{k}={v}" for k, v in items[:4])


def finding(broken: Broken) -> dict[str, Any]:
    """The storage object's finding, its meaning first (the headline is cut): what it is to the failing volumes,
    when it was written, the field diff the failure is about (old -> new), the failure's own words."""
    failure = broken.failure
    said = failure.text[:220]
    diff = "; ".join(_ordered_diff(broken)[:3])
    params = _parameters(broken)
    what = str(broken.change.get("summary") or f"{broken.target} written")
    if diff:
        what = what.split(":")[0]  # a rollout's summary repeats its diff: the diff comes ordered below
    written = what + (f": {diff}" if diff else "") + (f" (parameters {params})" if params else "")
    verb = "provision" if broken.target.kind == "StorageClass" else "mount"
    short = failure.meaning.short if failure.meaning else f"volumes that go through it fail to {verb}"
    moved = _kubelet_path_moved(broken) if failure.meaning and failure.meaning.governs == "node" else None
    if moved:
        short += f"; its kubelet path moved {moved[0]} -> {moved[1]}, where the kubelet never looks"
    meaning = failure.meaning.says if failure.meaning else short
    victims = ", ".join(str(v) for v in broken.victims[:3]) or "the pods' volumes"
    message = (f"{broken.target} ({broken.how}) was written {minutes_text(broken.minutes_before)} before volumes "
               f"failed to {verb}: {short}. {written}. Failing: {victims}, saying '{said}': {meaning}. Revert "
               f"{broken.target} to its previous value")
    return {"check": CHECK, "severity": "critical", "object": broken.change.get("object") or
            {"kind": broken.target.kind, "namespace": broken.target.namespace, "name": broken.target.name},
            "reason": "StorageLayerChanged", "message": message, "evidence": [said, written[:300]],
            "details": {"change_at": broken.change.get("at"), "driver": failure.driver,
                        "storage_class": failure.storage_class, "first_failure": failure.first.isoformat()
                        if failure.first else ""}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The storage object written before its volumes failed; it explains the workloads and claims that show it."""
    return [(b.target, finding(b), list(dict.fromkeys(b.evidence)), b.victims) for b in found(facts)]
