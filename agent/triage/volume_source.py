"""A volume that stopped mounting because the object it is built from was changed just before.

A pod volume is assembled from other objects: a ConfigMap or Secret (with `items` naming keys), a projected set
of them, a PersistentVolumeClaim, or a CSI volume whose attributes name a class of their own, such as the Secrets
Store CSI driver's `secretProviderClass` (the SecretProviderClass lists which provider objects, at which
versions, to fetch). When someone edits that source (pins `objectVersion` to a version the provider no longer
has, points `objectName` at a path that does not exist, drops a key a volume's `items` asks for), nothing fails
at the write: every pod created afterwards sits in ContainerCreating with the kubelet's FailedMount naming the
volume, and the driver's or kubelet's own words say what the source asked for (`ResourceNotFoundException:
Secrets Manager can't find the specified secret value for VersionId`, `configmap references non-existent config
key`, Vault's `secret not found`, Key Vault's `SecretNotFound`). The Deployment's pods are where it shows; the
write to the source is the cause, and reverting it is the fix.

A claim's volume is built from its PersistentVolume, and a network share's PV names the Secret its node mounts
with (`nodeStageSecretRef` of SMB/NFS/iSCSI CSI drivers, in-tree CephFS/RBD/iSCSI `secretRef`, Azure Files
`secretName`). A rotation that writes a credential the server does not accept leaves already-mounted pods working
and refuses every new mount (`mount error(13): Permission denied`, `Login failed to authenticate`,
`AuthenticationFailed`); that Secret counts only when the failure's own words are a credential refusal, so a
server or network that is down (`Connection timed out`, `Host is down`) never blames it.

Told apart from its twins: the source must be the one the failing volume (by name) is built from, and its write
must come before the first failure (a write made while the mounts were already failing is an attempted fix);
failures the storage plumbing governs (a driver not registered, attach limits) are storage_layer's, and a source
that does not exist at all is deleted_dependency's. Reading only: the failing pods' specs (volume sources by name);
no Secret's data is read. `found` is pure over what was read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import storage_layer
from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.volume_source"
WEIGHT = 0.94
"""As storage_layer: the write that made the volume unmountable outranks the workload whose pods show it and any
rollout that merely created new pods."""
RECORD = "volume_source"
LEAD = timedelta(hours=24)
"""How long before the first mount failure a write to the volume's source still counts."""
SLACK = timedelta(minutes=2)
"""Event and API clocks differ a little: a failure first seen this much before the write still follows it."""
MAX_PODS = 4

_VOLUME = re.compile(r"(?:for|of) volume \\?\"([a-z0-9][a-z0-9.-]*)\\?\"", re.I)
"""The kubelet names the volume it failed to set up: `MountVolume.SetUp failed for volume "provider-key"`."""
_UNMOUNTED = re.compile(r"\bunmounted volumes=\[([^\]]*)\]", re.I)
"""The kubelet's summary once its retries time out (`Unable to attach or mount volumes: unmounted
volumes=[config], unattached volumes=[config kube-api-access-x]: timed out waiting for the condition`): the only
FailedMount left when the per-volume SetUp events have aged out or were folded into it."""
CSI_REFERENCES: tuple[tuple[str, str, str, str], ...] = (
    ("secretproviderclass", "", "SecretProviderClass", "secretProviderClass"),
    # Secrets Store CSI driver (Azure/AWS/GCP/Vault providers)
    ("csi.cert-manager.io/issuer-name", "csi.cert-manager.io/issuer-kind", "Issuer", "issuer"),
    # cert-manager's csi-driver: the Issuer (or ClusterIssuer, by issuer-kind) that signs the volume's certificate
)
"""CSI volume attributes that name another object the volume is built from: (attribute, the attribute naming its
kind when it varies, the default kind, how the finding says it)."""


PV_SECRET_REFS: tuple[tuple[str, str], ...] = (
    ("csi", "nodeStageSecretRef"), ("csi", "nodePublishSecretRef"), ("csi", "controllerPublishSecretRef"),
    ("csi", "nodeExpandSecretRef"), ("cephfs", "secretRef"), ("rbd", "secretRef"), ("iscsi", "secretRef"),
    ("flexVolume", "secretRef"), ("storageos", "secretRef"), ("scaleIO", "secretRef"))
"""Where a PersistentVolume names the Secret holding the credential its node uses to mount the share (SMB/CIFS
and NFS CSI drivers, CephFS, RBD, iSCSI CHAP, flex drivers): (volume source key, reference key)."""
AUTH_REFUSED = re.compile(
    r"mount error\s*\(?13\)?|error\(13\)|\berror 13\b|permission denied|\bEACCES\b|logon[ _]failure|"
    r"authentication (?:failed|failure|error)|auth(?:entication)?[ _]?failed|access denied|invalid credentials|"
    r"bad (?:user ?name or )?password|\bAuthenticationFailed\b|\bAuthorizationFailure\b|\bunauthori[sz]ed\b|"
    r"\b401\b|wrong password|login failed", re.I)
"""A mount refused for its credential, in the words of mount.cifs, the kernel, CephFS, iSCSI CHAP and cloud file
services: the reason a rewritten mount Secret is the cause rather than a server or network that is down."""


def pv_credentials(pv: dict[str, Any], namespace: str) -> list[Source]:
    """The Secrets a PersistentVolume's node mounts with (by reference), each with where the PV names it."""
    spec = pv.get("spec") or {}
    name = str((pv.get("metadata") or {}).get("name") or "")
    out: list[Source] = []
    for key, ref_key in PV_SECRET_REFS:
        ref = (spec.get(key) or {}).get(ref_key) if isinstance(spec.get(key), dict) else None
        if isinstance(ref, dict) and ref.get("name"):
            out.append(Source(Ref("Secret", str(ref.get("namespace") or namespace), str(ref["name"])),
                              f"PersistentVolume {name} {key} {ref_key}"))
    azure = spec.get("azureFile")
    if isinstance(azure, dict) and azure.get("secretName"):
        out.append(Source(Ref("Secret", str(azure.get("secretNamespace") or namespace), str(azure["secretName"])),
                          f"PersistentVolume {name} azureFile secretName"))
    return out


async def _claim_credentials(call: Callable[..., Awaitable[Any]], namespace: str, claim: str) -> list[dict[str, Any]]:
    """The mount Secrets of the PV bound to a claim, by reference (a Secret itself is never read: its writes are in
    the change timeline)."""
    got = await get_yaml(call, "PersistentVolumeClaim", claim, namespace, f"survey-volume-source-claim-{claim}")
    volume = str(((got[0] if got else {}).get("spec") or {}).get("volumeName") or "")
    pv = await get_yaml(call, "PersistentVolume", volume, "", f"survey-volume-source-pv-{volume}") if volume else None
    if pv is None:
        return []
    return [{"namespace": s.target.namespace, "name": s.target.name, "via": s.via, "pv": volume,
             "evidence": pv[1]} for s in pv_credentials(pv[0], namespace)]


def volumes_named(text: str) -> list[str]:
    """The volumes a kubelet failure names: `for volume "x"`, or each of its `unmounted volumes=[a b]`."""
    out = [m.group(1) for m in _VOLUME.finditer(text)]
    out += [v.strip(",") for m in _UNMOUNTED.finditer(text) for v in m.group(1).split() if v.strip(",")]
    return list(dict.fromkeys(out))
_CAUSE = re.compile(r"(?:.*\bdesc = |.*\berr(?:or)?: )(.+)$", re.I | re.S)
"""gRPC and kubelet messages nest the driver's own reason last (`... desc = ... desc = <reason>`)."""


@dataclass(frozen=True)
class Source:
    """An object a volume is built from, and how (`configMap`, `secret`, `projected`, `csi secretProviderClass`)."""

    target: Ref
    via: str


@dataclass
class Unmountable:
    """A volume's source written before the volume began to fail to mount."""

    source: Source
    volume: str
    change: dict[str, Any]
    written: datetime
    first: datetime
    said: str
    victim: Ref
    pods: list[str]
    evidence: list[str] = field(default_factory=list)


def volume_sources(pod: dict[str, Any], namespace: str) -> dict[str, list[Source]]:
    """Each of a pod spec's volumes by name -> the objects it is built from (names only)."""
    out: dict[str, list[Source]] = {}
    for volume in (pod.get("spec") or {}).get("volumes") or []:
        if not isinstance(volume, dict) or not volume.get("name"):
            continue
        found: list[Source] = []
        if isinstance(volume.get("configMap"), dict) and volume["configMap"].get("name"):
            found.append(Source(Ref("ConfigMap", namespace, str(volume["configMap"]["name"])), "configMap"))
        if isinstance(volume.get("secret"), dict) and volume["secret"].get("secretName"):
            found.append(Source(Ref("Secret", namespace, str(volume["secret"]["secretName"])), "secret"))
        claim = volume.get("persistentVolumeClaim")
        if isinstance(claim, dict) and claim.get("claimName"):
            found.append(Source(Ref("PersistentVolumeClaim", namespace, str(claim["claimName"])), "claim"))
        for part in (volume.get("projected") or {}).get("sources") or []:
            for key, kind in (("configMap", "ConfigMap"), ("secret", "Secret")):
                if isinstance(part, dict) and isinstance(part.get(key), dict) and part[key].get("name"):
                    found.append(Source(Ref(kind, namespace, str(part[key]["name"])), f"projected {key}"))
        csi = volume.get("csi")
        if isinstance(csi, dict):
            attributes = {str(k).lower(): str(v) for k, v in (csi.get("volumeAttributes") or {}).items() if v}
            for attribute, kind_attribute, kind, said in CSI_REFERENCES:
                if attributes.get(attribute):
                    kind = attributes.get(kind_attribute, kind) if kind_attribute else kind
                    scope = "" if kind.startswith("Cluster") else namespace
                    found.append(Source(Ref(kind, scope, attributes[attribute]),
                                        f"csi {csi.get('driver') or 'driver'} {said}"))
        out[str(volume["name"])] = found
    return out


def _failing_pods(facts: Facts) -> list[tuple[str, str]]:
    """(namespace, pod) of pods whose volumes fail to mount, from the scan and the warning events."""
    out: list[tuple[str, str]] = []
    for finding in facts.findings():
        texts = " ".join(storage_layer._texts(finding))
        owner = Ref.of(finding.get("owner")) or Ref.of(finding.get("object"))
        if owner is not None and volumes_named(texts) and storage_layer.VOLUME_FAILURE.search(texts):
            out += [(owner.namespace, str(p)) for p in finding.get("pods") or [] if p]
    kept = facts.reads.get(storage_layer.RECORD)
    for row in (kept or {}).get("events") or [] if isinstance(kept, dict) else []:
        if isinstance(row, dict) and row.get("kind") == "Pod" and volumes_named(str(row.get("message") or "")):
            out.append((str(row.get("namespace") or ""), str(row.get("name") or "")))
    return list(dict.fromkeys(p for p in out if p[0] and p[1]))


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only, when a pod's volume fails to mount: the failing pods' specs (which objects each volume is built
    from, by name). storage_layer, which runs first, has read the warning events and the 24 h timeline."""
    if RECORD in facts.reads:
        return
    pods = _failing_pods(facts)
    if not pods:
        return
    kept: dict[str, Any] = facts.reads.setdefault(RECORD, {"pods": []})
    seen: set[tuple[str, str]] = set()
    for namespace, pod in pods:
        if len(kept["pods"]) >= MAX_PODS or (namespace, workload_of_pod(pod)) in seen:
            continue
        got = await get_yaml(call, "Pod", pod, namespace, f"survey-volume-source-pod-{pod}")
        if got is None:
            continue
        seen.add((namespace, workload_of_pod(pod)))
        volumes = volume_sources(got[0], namespace)
        credentials = {name: await _claim_credentials(call, namespace, s.target.name)
                       for name, sources in volumes.items() for s in sources if s.via == "claim"}
        kept["pods"].append({"pod": pod, "namespace": namespace, "evidence": got[1],
                             "volumes": {name: [(s.target.kind, s.target.name, s.via) for s in sources]
                                         for name, sources in volumes.items()},
                             "credentials": {k: v for k, v in credentials.items() if v}})


def _refusal(facts: Facts, namespace: str, names: set[str]) -> str:
    """The line of a mount failure of one of `names` in `namespace` that says the credential was refused."""
    kept = facts.reads.get(storage_layer.RECORD)
    events = (kept.get("events") or []) if isinstance(kept, dict) else []
    texts = [str(r.get("message") or "") for r in events
             if isinstance(r, dict) and str(r.get("namespace") or "") == namespace]
    texts += [f.text for f in storage_layer.failures(facts) if f.namespace == namespace]
    for text in texts:
        if not names & set(volumes_named(text)):
            continue
        line = next((ln for ln in text.splitlines() if AUTH_REFUSED.search(ln)), "")
        if line:
            return line.strip()
    return ""


def _failures(facts: Facts, namespace: str, volume: str) -> tuple[datetime | None, str]:
    """(first seen, the driver's own reason) of the mount failures of `volume` in `namespace`."""
    first: datetime | None = None
    said = ""
    for failure in storage_layer.failures(facts):
        if failure.namespace != namespace or (failure.meaning and failure.meaning.governs in ("node", "attach")):
            continue
        if volume not in volumes_named(failure.text):
            continue
        if failure.first is not None and (first is None or failure.first < first):
            first = failure.first
        cause = _CAUSE.match(failure.text)
        reason = (cause.group(1) if cause else failure.text).strip()
        if len(reason) > len(said) and "\u2026" not in reason[-2:]:
            said = reason  # the fullest wording (the scan's copy is cut)
        said = said or reason
    return first, said


def found(facts: Facts) -> list[Unmountable]:
    """For each failing volume read, the write to an object it is built from made shortly before its first failure
    (the latest such write)."""
    out: list[Unmountable] = []
    kept = facts.reads.get(RECORD)
    for entry in (kept or {}).get("pods") or [] if isinstance(kept, dict) else []:
        namespace, pod = str(entry.get("namespace")), str(entry.get("pod"))
        for volume, rows in (entry.get("volumes") or {}).items():
            first, said = _failures(facts, namespace, volume)
            if volume in (entry.get("credentials") or {}):
                credential = _credential_write(facts, entry, volume)
                if credential is not None and not any(u.source.target.same_object(credential.source.target)
                                                      for u in out):
                    out.append(credential)
                    continue
            if first is None:
                continue
            sources = [Source(Ref(str(k), namespace, str(n)), str(v)) for k, n, v in rows]
            best: Unmountable | None = None
            for change, evidence in facts.every_change():
                ref, when = Ref.of(change.get("object")), parse_time(change.get("at"))
                if ref is None or when is None or not first - LEAD <= when <= first + SLACK:
                    continue
                source = next((s for s in sources if s.target.same_object(ref)), None)
                if source is None or (best is not None and when <= best.written):
                    continue
                best = Unmountable(source, volume, change, when, first, said,
                                   Ref("", namespace, workload_of_pod(pod)), [pod],
                                   [e for e in (evidence, str(entry.get("evidence") or "")) if e])
            if best is not None and not any(u.source.target.same_object(best.source.target) for u in out):
                out.append(best)
    return out


def _credential_write(facts: Facts, entry: dict[str, Any], volume: str) -> Unmountable | None:
    """The mount Secret of a failing claim's PV whose data was written shortly before the mount was refused for
    its credential (the latest such write): a rotated password the file server does not accept. The kubelet names
    the pod's volume (SetUp) or the PV (MountDevice), so both are looked for."""
    namespace, pod = str(entry.get("namespace")), str(entry.get("pod"))
    best: Unmountable | None = None
    for row in (entry.get("credentials") or {}).get(volume) or []:
        names = {volume, str(row.get("pv") or volume)}
        said = _refusal(facts, namespace, names)
        firsts = [f for f in (_failures(facts, namespace, n)[0] for n in names) if f is not None]
        if not said or not firsts:
            continue
        first = min(firsts)
        target = Ref("Secret", str(row.get("namespace")), str(row.get("name")))
        for change, evidence in facts.every_change():
            ref, when = Ref.of(change.get("object")), parse_time(change.get("at"))
            if ref is None or when is None or not target.same_object(ref) or not first - LEAD <= when <= first + SLACK:
                continue
            if best is None or when > best.written:
                best = Unmountable(Source(target, str(row.get("via"))), volume, change, when, first, said,
                                   Ref("", namespace, workload_of_pod(pod)), [pod],
                                   [e for e in (evidence, str(row.get("evidence") or "")) if e])
    return best


def _written(change: dict[str, Any]) -> str:
    """What the write changed, its field diff first (the headline is cut)."""
    diff = "; ".join(str(d) for d in change.get("diff") or [])[:220]
    summary = str(change.get("summary") or "")
    return diff or summary[:220]


def finding(hit: Unmountable, at: datetime) -> dict[str, Any]:
    """The source's finding: what the write did to the volume first, then the driver's own reason."""
    target = hit.source.target
    workload = f"{hit.victim.namespace}/{hit.victim.name}"
    message = (f"{target.kind} {target.namespace}/{target.name} was changed "
               f"{minutes_text(int((at - hit.written).total_seconds() // 60))} before the alert, and since "
               f"{hit.first.strftime('%H:%M')} volume {hit.volume} of {workload}, built from it "
               f"({hit.source.via}), fails to mount (FailedMount), so new pods never start: '{hit.said[:200]}'. "
               f"The write: {_written(hit.change)}. "
               + (f"The file server refuses the credential now in it (a rotated password or key it does not "
                  f"accept); restore one the server accepts in {target.kind} {target.name}"
                  if hit.source.via.startswith("PersistentVolume ") else
                  f"What the volume now asks for does not exist or is refused; revert {target.kind} {target.name}")
               + "; the pods stuck in ContainerCreating are the symptom")
    return {"check": CHECK, "severity": "critical", "reason": "VolumeSourceChanged",
            "object": {"kind": target.kind, "namespace": target.namespace, "name": target.name},
            "message": message, "evidence": [hit.said[:200]],
            "details": {"volume": hit.volume, "via": hit.source.via, "workload": workload, "pods": hit.pods,
                        "written": hit.written.isoformat().replace("+00:00", "Z"),
                        "first_failure": hit.first.isoformat().replace("+00:00", "Z")}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The source written before its volume stopped mounting; it explains the workload whose pods cannot start."""
    return [(h.source.target, finding(h, facts.at), h.evidence, [h.victim]) for h in found(facts)]
