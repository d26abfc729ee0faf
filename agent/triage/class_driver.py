"""A storage class object written to name a CSI driver nothing in the cluster runs: what uses it waits forever.

A VolumeSnapshotClass's `driver` and a StorageClass's `provisioner` are plain strings. The common controllers
(snapshot-controller, the PV controller) accept any value and hand the work on: the snapshot controller creates a
VolumeSnapshotContent for that driver, the PV controller annotates the claim with that provisioner, and then
only a sidecar (csi-snapshotter, external-provisioner) registered under exactly that name would act. When the
class was (re)written with a name no driver registers (a typo, `ebs.csi.amazonaws.com` for `ebs.csi.aws.com`, a
value copied from another cloud, a renamed add-on), nothing ever answers: the snapshot stays `readyToUse: false`
with no error ("Waiting for a snapshot ... to be created by the CSI driver"), the claim stays Pending ("waiting
for a volume to be created, either by external provisioner ..."), and what waits on them (a backup Job, a
StatefulSet's new ordinal) times out. The symptom names the snapshot or the claim; the cause is the class.

What the cluster runs is read from the cluster itself: the CSIDriver objects, the provisioner annotation of bound
claims and the driver of their volumes, the driver of snapshot contents that did become ready. A class whose
driver is among them, or an in-tree `kubernetes.io/` provisioner, is not named; neither is one when nothing says
which drivers run, nor one written after what it left waiting was created.

A GatewayClass's `spec.controllerName` works the same way: a Gateway controller accepts only the classes naming
it, so a class written with a name none serves stays `Accepted: Unknown` ("Waiting for controller") and its
Gateways are never Accepted or Programmed (those made before the write lose their controller too). The
controllers running are those that accepted the other GatewayClasses.

An IngressClass's `spec.controller` and a RuntimeClass's `handler` too: an Ingress of a class no running ingress
controller claims never gets an address (the controllers running are those of the classes whose Ingresses did);
a pod of a RuntimeClass whose handler no node's containerd / CRI-O configured never gets a sandbox (`no runtime
for "kata" is configured`, `failed to find runtime handler kata from runtime list`: that refusal in the scan's
findings says it directly; otherwise the handlers running are those of other classes' Running pods).

The survey calls `read` (reading only, when the timeline shows such a class written in the last three days);
`found` is pure over what was read.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml, list_names
from agent.triage.subject import Subject

CHECK = "change.class_driver"
WEIGHT = 0.95
"""Above the stuck snapshot or claim it explains (a bare creation of the victim scores 0.88) and the Job that timed
out waiting for it: the class's driver field is what to fix."""
RECORD = "class_driver"
LEAD = timedelta(hours=72)
"""How long before the incident the class may have been written (a nightly backup first uses it the next night)."""
HISTORY_WINDOW = "72h"
MAX_CLASSES = 3
MAX_NAMESPACES = 4
MAX_USERS = 8
"""Snapshots or claims read per namespace (newest by name order is not known: the first listed)."""

DRIVER_FIELD = {"VolumeSnapshotClass": "driver", "StorageClass": "provisioner", "GatewayClass": "controllerName",
                "IngressClass": "controller", "RuntimeClass": "handler"}
"""The field of each class kind that names the driver which must serve it (an IngressClass's `spec.controller`
names the ingress controller that claims its Ingresses; a RuntimeClass's `handler` the CRI runtime handler
containerd / CRI-O must have configured on the node)."""
USER_KIND = {"VolumeSnapshotClass": "VolumeSnapshot", "StorageClass": "PersistentVolumeClaim",
             "GatewayClass": "Gateway", "IngressClass": "Ingress", "RuntimeClass": "Pod"}
"""What uses a class of each kind (and waits when no driver serves it)."""
PROVISIONER_ANNOTATIONS = ("volume.kubernetes.io/storage-provisioner", "volume.beta.kubernetes.io/storage-provisioner",
                           "pv.kubernetes.io/provisioned-by")

Call = Callable[..., Awaitable[Any]]


@dataclass
class Unserved:
    """A class written to name a driver nothing runs, and what of it waits."""

    klass: Ref
    driver: str
    change: dict[str, Any]
    served: list[str]
    waiting: list[Ref]
    """Snapshots not ready or claims Pending that use the class, created after its write."""
    source_driver: str = ""
    """The driver of the volume a waiting snapshot copies (the one its class should name), when read."""
    explains: list[Ref] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


def _driver(obj: dict[str, Any], kind: str) -> str:
    """The driver or controller a class names (a GatewayClass keeps it under spec)."""
    holder = obj.get("spec") or {} if kind in ("GatewayClass", "IngressClass") else obj
    return str(holder.get(DRIVER_FIELD[kind]) or "")


def _accepted(obj: dict[str, Any]) -> str:
    """A Gateway API object's Accepted/Programmed state: "True", or the reason it is not ("" when unset)."""
    conditions = {str(c.get("type")): c for c in (obj.get("status") or {}).get("conditions") or []
                  if isinstance(c, dict)}
    for kind in ("Programmed", "Accepted"):
        cond = conditions.get(kind)
        if cond is not None:
            return "True" if cond.get("status") == "True" else str(cond.get("reason") or cond.get("status"))
    return ""


NO_HANDLER = re.compile(r"no runtime for \"?(?P<h>[\w.-]+)\"? is configured|"
                        r"failed to find runtime handler \"?(?P<c>[\w.-]+)\"? from runtime list|"
                        r"runtime handler \"?(?P<o>[\w.-]+)\"? (?:is )?not (?:supported|configured|found)", re.I)
"""A node's runtime refusing a RuntimeClass's handler in a pod's sandbox event: containerd's `failed to get sandbox
runtime: no runtime for "kata" is configured`, CRI-O's `failed to find runtime handler kata from runtime list`."""


def refused_handlers(facts: Facts) -> set[str]:
    """The runtime handlers the scan's findings show a node refusing (direct word that none serves them)."""
    out: set[str] = set()
    for finding in facts.findings():
        text = " ".join([str(finding.get("message") or ""), *(str(e) for e in finding.get("evidence") or [])])
        out.update(next(v for v in m.groups() if v) for m in NO_HANDLER.finditer(text))
    return out


WAITING_FOR_CONTROLLER = frozenset({"Pending", "Waiting", "Unknown", ""})
"""A GatewayClass's Accepted reason (or status) while no controller has claimed it (the API's default condition
says `Waiting for controller`)."""


def _class_writes(facts: Facts) -> list[tuple[dict[str, Any], str, Ref]]:
    """Writes (not deletions) of driver-naming classes within the lead, the newest per class."""
    out: dict[Ref, tuple[dict[str, Any], str, Ref]] = {}
    for change, eid, target in facts.writes_to(DRIVER_FIELD, within=LEAD, deletions=False):
        key = Ref(target.kind, "", target.name)
        if key not in out or str(change.get("at")) > str(out[key][0].get("at")):
            out[key] = (change, eid, key)
    return sorted(out.values(), key=lambda w: str(w[0].get("at")), reverse=True)[:MAX_CLASSES]


def _namespaces(subject: Subject, facts: Facts) -> list[str]:
    """Where the waiting users may be: the subject's namespace and those of the scan's findings."""
    names = [subject.namespace] if subject.namespace else []
    for finding in facts.findings():
        for ref in (Ref.of(finding.get("object")), Ref.of(finding.get("owner"))):
            if ref is not None and ref.namespace:
                names.append(ref.namespace)
    return list(dict.fromkeys(names))[:MAX_NAMESPACES]


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when a driver-naming class was written in the last three days: the class, the registered
    CSIDrivers, and in the incident's namespaces the snapshots or claims (with their contents, claims, volumes)."""
    if not facts.history_reaches(LEAD):
        history = await call("k8s_changes", {"at": at, "window": HISTORY_WINDOW}, "survey-class-driver-history")
        if history is not None and history.ok and isinstance(history.data, dict):
            facts.history.append((history.data, history.evidence_id))
    writes = _class_writes(facts)
    if not writes:
        return
    kept: dict[str, Any] = {"objects": {}, "evidence": {}, "registered": None, "users": {}}
    facts.reads[RECORD] = kept

    async def get(kind: str, name: str, namespace: str) -> dict[str, Any] | None:
        ref = str(Ref(kind, namespace, name))
        if ref in kept["objects"]:
            return dict(kept["objects"][ref])
        got = await get_yaml(call, kind, name, namespace, f"survey-class-driver-{kind.lower()}-{name}")
        if got is None:
            return None
        kept["objects"][ref], kept["evidence"][ref] = got
        return got[0]

    for _, _, klass in writes:
        await get(klass.kind, klass.name, "")
    for peer in dict.fromkeys(k.kind for _, _, k in writes):  # the drivers that serve the other classes
        if peer not in ("GatewayClass", "IngressClass", "RuntimeClass"):
            continue
        others = await list_names(call, peer, "", f"survey-class-driver-{peer.lower()}es")
        for name in sorted(others[0] if others else set())[:MAX_USERS]:
            await get(peer, name, "")
    registered = await list_names(call, "CSIDriver", "", "survey-class-driver-csidrivers")
    if registered is not None:
        kept["registered"] = sorted(registered[0])
        kept["evidence"]["CSIDriver"] = registered[1]
    for kind in dict.fromkeys(USER_KIND[k.kind] for _, _, k in writes):
        for namespace in _namespaces(subject, facts):
            listed = await list_names(call, kind, namespace, f"survey-class-driver-{kind.lower()}s-{namespace}")
            if listed is None:
                continue
            kept["users"].setdefault(kind, []).extend(f"{namespace}/{n}" for n in sorted(listed[0])[:MAX_USERS])
            for name in sorted(listed[0])[:MAX_USERS]:
                user = await get(kind, name, namespace) or {}
                if kind == "VolumeSnapshot":
                    content = str((user.get("status") or {}).get("boundVolumeSnapshotContentName") or "")
                    if content:
                        await get("VolumeSnapshotContent", content, "")
                    claim = str(((user.get("spec") or {}).get("source") or {}).get("persistentVolumeClaimName") or "")
                    if claim:
                        user = await get("PersistentVolumeClaim", claim, namespace) or {}
                volume = str((user.get("spec") or {}).get("volumeName") or "")
                if volume:
                    await get("PersistentVolume", volume, "")


def _provisioner(claim: dict[str, Any]) -> str:
    annotations = (claim.get("metadata") or {}).get("annotations") or {}
    return next((str(annotations[a]) for a in PROVISIONER_ANNOTATIONS if annotations.get(a)), "")


def served_drivers(objects: dict[str, dict[str, Any]], registered: list[str] | None) -> list[str]:
    """The drivers the cluster shows running: registered CSIDrivers, the provisioner of bound claims, the CSI driver
    of volumes, the driver of snapshot contents that became ready."""
    out = list(registered or [])
    for key, obj in objects.items():
        kind = key.split(" ", 1)[0]
        if kind == "PersistentVolumeClaim" and (obj.get("status") or {}).get("phase") == "Bound":
            out.append(_provisioner(obj))
        elif kind == "PersistentVolume":
            out.append(str(((obj.get("spec") or {}).get("csi") or {}).get("driver") or ""))
            out.append(_provisioner(obj))
        elif kind == "VolumeSnapshotContent" and (obj.get("status") or {}).get("readyToUse") is True:
            out.append(str((obj.get("spec") or {}).get("driver") or ""))
        elif kind == "GatewayClass" and _accepted(obj) == "True":
            out.append(_driver(obj, "GatewayClass"))
        elif kind == "Ingress" and ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress"):
            served_by = objects.get(f"IngressClass {(obj.get('spec') or {}).get('ingressClassName') or ''}")
            out.append(_driver(served_by or {}, "IngressClass"))
        elif kind == "Pod" and (obj.get("status") or {}).get("phase") == "Running":
            served_by = objects.get(f"RuntimeClass {(obj.get('spec') or {}).get('runtimeClassName') or ''}")
            out.append(_driver(served_by or {}, "RuntimeClass"))
    return sorted({d for d in out if d})


def _waiting(kind: str, obj: dict[str, Any], klass: str) -> bool:
    """Whether a user of `klass` waits for a driver: a snapshot not ready, a claim Pending."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    if kind == "VolumeSnapshot":
        return spec.get("volumeSnapshotClassName") == klass and status.get("readyToUse") is not True
    if kind == "Gateway":
        return spec.get("gatewayClassName") == klass and _accepted(obj) != "True"
    if kind == "Ingress":
        return spec.get("ingressClassName") == klass and not (status.get("loadBalancer") or {}).get("ingress")
    if kind == "Pod":
        return spec.get("runtimeClassName") == klass and status.get("phase", "Pending") == "Pending"
    return spec.get("storageClassName") == klass and status.get("phase", "Pending") == "Pending"


def _explained(facts: Facts, waiting: list[Ref]) -> list[Ref]:
    """The findings' objects whose words name a waiting user (the Job that timed out on the snapshot)."""
    out: list[Ref] = list(waiting)
    for finding in facts.findings():
        texts = " ".join([str(finding.get("message") or ""), *(str(e) for e in finding.get("evidence") or [])])
        if any(w.name in texts for w in waiting):
            ref = Ref.of(finding.get("owner")) or Ref.of(finding.get("object"))
            if ref is not None and not any(ref.same_object(r) for r in out):
                out.append(ref)
    return out[len(waiting):]


def found(facts: Facts) -> list[Unserved]:
    """Each recently written class whose driver nothing serves, with what of it waits since the write."""
    kept = facts.reads.get(RECORD)
    if not isinstance(kept, dict):
        return []
    objects: dict[str, dict[str, Any]] = kept.get("objects") or {}
    evidence: dict[str, str] = kept.get("evidence") or {}
    served = served_drivers(objects, kept.get("registered"))
    refused = refused_handlers(facts)
    out: list[Unserved] = []
    for change, eid, klass in _class_writes(facts):
        obj = objects.get(str(klass))
        written = parse_time(change.get("at"))
        driver = _driver(obj or {}, klass.kind)
        unclaimed = (klass.kind == "GatewayClass" and _accepted(obj or {}) in WAITING_FOR_CONTROLLER) or \
            (klass.kind == "RuntimeClass" and driver in refused)
        if obj is None or written is None or not driver or not (served or unclaimed):
            continue
        if driver in served or driver.startswith("kubernetes.io/"):
            continue
        kind = USER_KIND[klass.kind]
        waiting: list[Ref] = []
        source = ""
        for user in kept.get("users", {}).get(kind) or []:
            namespace, name = user.split("/", 1)
            ref = Ref(kind, namespace, name)
            uobj = objects.get(str(ref)) or {}
            made = parse_time((uobj.get("metadata") or {}).get("creationTimestamp"))
            if not _waiting(kind, uobj, klass.name) or made is None or \
                    (made < written and kind not in ("Gateway", "Ingress")):
                continue  # a Gateway made before the write loses its controller too; a ready snapshot stays ready
            waiting.append(ref)
            claim = str(((uobj.get("spec") or {}).get("source") or {}).get("persistentVolumeClaimName") or "")
            cobj = objects.get(str(Ref("PersistentVolumeClaim", namespace, claim))) or {}
            vobj = objects.get(str(Ref("PersistentVolume", "", str((cobj.get("spec") or {}).get("volumeName") or ""))))
            source = source or _provisioner(cobj) or str((((vobj or {}).get("spec") or {}).get("csi") or {})
                                                         .get("driver") or "")
        if not waiting:
            continue
        ids = [eid, evidence.get(str(klass), ""), evidence.get("CSIDriver", ""),
               *(evidence.get(str(w), "") for w in waiting)]
        out.append(Unserved(klass, driver, change, served, waiting, source, _explained(facts, waiting),
                            [i for i in dict.fromkeys(ids) if i]))
    return out


def finding(u: Unserved, at: datetime) -> dict[str, Any]:
    """The class's finding, its meaning first (the headline is cut): the driver it names, that none runs, what
    waits, the driver it should name."""
    written = parse_time(u.change.get("at"))
    before = minutes_text(int((at - written).total_seconds() // 60)) if written else "recently"
    field_name = DRIVER_FIELD[u.klass.kind]
    close = difflib.get_close_matches(u.driver, u.served, n=1, cutoff=0.5)
    should = u.source_driver if u.source_driver and u.source_driver != u.driver else (close[0] if close else "")
    names = ", ".join(str(w) for w in u.waiting[:3])
    running = "no CSI driver in the cluster runs"
    if u.klass.kind == "GatewayClass":
        running = "no Gateway controller in the cluster serves (the class is not Accepted: waiting for controller)"
        effect = (f"no controller programs {names}: it is never Accepted or Programmed, gets no address, and its "
                  f"routes serve nothing")
    elif u.klass.kind == "IngressClass":
        running = "no ingress controller in the cluster claims"
        effect = (f"no controller claims {names}: it gets no address (status.loadBalancer empty) and its hosts "
                  f"serve nothing")
    elif u.klass.kind == "RuntimeClass":
        running = "no node's container runtime (containerd / CRI-O) has configured"
        effect = (f"the kubelet cannot create a sandbox for {names} (no runtime for that handler is configured), so "
                  f"it stays Pending in ContainerCreating")
    elif u.klass.kind == "VolumeSnapshotClass":
        effect = (f"no csi-snapshotter serves that driver, so {names} is never readyToUse (the snapshot controller "
                  f"waits for the CSI driver, no error)")
    else:
        effect = (f"no external-provisioner serves that provisioner, so {names} stays Pending (waiting for a volume "
                  f"to be created by the external provisioner)")
    volume = f"; the volume it copies belongs to {u.source_driver}" if u.source_driver else ""
    summary = str(u.change.get("summary") or f"{u.klass} written")
    message = (f"{u.klass} names {field_name} '{u.driver}', which {running} (running: "
               f"{', '.join(u.served[:4]) or 'none seen'}){volume}: {effect}. {summary[:160]}, {before} before the "
               f"incident. "
               + (f"Set {field_name}: {should} on {u.klass} (re-create it; the field is immutable), then retry "
                  f"what timed out" if should else f"Point {u.klass} at an installed driver"))
    return {"check": CHECK, "severity": "critical", "object": {"kind": u.klass.kind, "namespace": "",
                                                                 "name": u.klass.name},
            "reason": "ClassDriverNotInstalled", "message": message,
            "evidence": [f"{field_name}: {u.driver}", f"running drivers: {', '.join(u.served)}"],
            "details": {"driver": u.driver, "served": u.served, "waiting": [str(w) for w in u.waiting],
                        "should": should, "change_at": u.change.get("at")}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The class whose driver nothing runs; it explains what waits on it and what timed out waiting."""
    return [(u.klass, finding(u, facts.at), u.evidence, [*u.waiting, *u.explains]) for u in found(facts)]
