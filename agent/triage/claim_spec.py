"""A claim the provisioner refuses because of the claim's own spec, read from the provisioner's own wording.

`ProvisioningFailed` on a PersistentVolumeClaim is usually blamed on the storage layer (a driver, a class; see
storage_layer). But the external-provisioner and the CSI drivers also refuse a claim for what the claim itself
asks, and they say which field in their own words:

- `requested volume size 21474836480 is less than the size 107374182400 for the source snapshot X`
  (external-provisioner), `requested size is smaller than the snapshot/source size` (GCE PD, Azure Disk): a volume
  restored from a snapshot (`spec.dataSource` a VolumeSnapshot) or cloned from a claim must be at least the
  source's size, and `spec.resources.requests.storage` asks for less;
- `error getting handle for DataSource ... not found` / `snapshot ... is not Ready`: `spec.dataSource` names a
  snapshot or claim that does not exist (or is not usable) in the claim's namespace;
- `the source PVC and destination PVCs must be in the same storage class`: a clone whose `spec.storageClassName`
  differs from its source's;
- `volume capabilities not supported` / `access mode ... not supported`: `spec.accessModes` asks for a mode the
  driver cannot serve (ReadWriteMany on a block-disk driver);
- a size the driver or cloud refuses (`out of range`, `exceeds maximum`, `below the minimum`) or a cloud disk quota
  the request does not fit (`QUOTA_EXCEEDED`, `VolumeLimitExceeded`): `spec.resources.requests.storage`;
- `topology ... not in allowedTopologies` / `zone ... not available`: the node selected for the claim
  (`volume.kubernetes.io/selected-node`) lies where the class may not provision.

Such a claim stays Pending, and the pod that mounts it cannot schedule (`provisioning failed for PVC`): the pod and
its workload (and whatever else was written beside them, a replicas change) are where it shows; the claim's spec
is the cause. The claim is named only while it is still Pending and, for a size below its source, only while its
request is still below the source's size the message states (a claim already corrected is not the cause).

The survey calls `read` (reading only, when a volume failure shows): each Pending claim the warning events or the
scan name, as YAML. storage_layer, which runs first, has read the warning events. `found` is pure over what was
read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from agent.triage import storage_layer
from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject

CHECK = "change.claim_spec"
WEIGHT = 0.95
"""As volume_binding: above the scheduling failure it explains and above a bare replicas or rollout write of the
workload whose pods wait for the claim: the provisioner's own words name the claim's field."""
RECORD = "claim_spec"
MAX_CLAIMS = 6

CLAIM_IN_TEXT = re.compile(r"(?:for PVC|for claim|claim) \"?(?:([a-z0-9-]+)/)?([a-z0-9][a-z0-9.-]*[a-z0-9])\"?", re.I)
"""How the scheduler and the external-provisioner name a claim (`provisioning failed for PVC "x"`, `for claim
"ns/x"`)."""

SIZES = re.compile(r"requested (?:volume )?size (\d+)\w* is (?:less|smaller) than (?:the )?size (\d+)", re.I)
"""The external-provisioner's numbers: requested bytes, source bytes."""


@dataclass(frozen=True)
class Meaning:
    """What a refusal's wording says about the claim, and which of its fields governs it."""

    pattern: re.Pattern[str]
    fields: tuple[str, ...]
    short: str
    says: str


MEANINGS: tuple[Meaning, ...] = (
    Meaning(re.compile(r"requested (?:volume )?size \S+ is (?:less|smaller) than|"
                       r"(?:volume|requested|disk) size .{0,60}(?:less|smaller) than (?:the )?(?:size of the )?"
                       r"(?:source|snapshot)|must be (?:at least|greater than or equal to) (?:the )?"
                       r"(?:snapshot|source)|source (?:snapshot|volume) size \S+ is (?:larger|greater|bigger) than "
                       r"(?:the )?requested size", re.I),
            ("spec.resources.requests.storage", "spec.dataSource"),
            "its requested size is smaller than its source snapshot/volume",
            "a volume restored from a snapshot or cloned from a claim must be at least the source's size, and the "
            "claim's spec.resources.requests.storage asks for less, so the provisioner refuses it"),
    Meaning(re.compile(r"same storage ?class|different storage ?class|storage ?class .{0,40}does not match", re.I),
            ("spec.storageClassName", "spec.dataSource"),
            "it clones a source of another StorageClass",
            "a clone must be of the same StorageClass as its source claim, and the claim's spec.storageClassName "
            "differs, so the provisioner refuses it"),
    Meaning(re.compile(r"error getting handle for DataSource|(?:snapshot|source (?:pvc|volume|claim))\S* .{0,80}"
                       r"(?:not found|not (?:yet )?ready|not bound|is being deleted)|"
                       r"volumesnapshots?[.\w]* \"[^\"]+\" not found", re.I),
            ("spec.dataSource", "spec.dataSourceRef"),
            "the snapshot or claim it is built from is missing or not ready",
            "the claim's spec.dataSource names a VolumeSnapshot or claim that does not exist (or is not ready) in "
            "its namespace, so the provisioner cannot create a volume from it"),
    Meaning(re.compile(r"volume capabilit(?:y|ies) (?:is |are )?not supported|access ?modes? .{0,40}not supported|"
                       r"unsupported access ?mode|MULTI_NODE|multi[- ]node access modes? (?:is |are )?only supported",
                       re.I),
            ("spec.accessModes", "spec.volumeMode"),
            "the driver cannot serve its access mode",
            "the claim's spec.accessModes (or volumeMode) asks for a mode the driver cannot serve (ReadWriteMany on a "
            "block-disk driver), so the provisioner refuses it"),
    Meaning(re.compile(r"(?:size|capacity)\S* .{0,60}(?:out of range|exceeds? (?:the )?max|above the max|"
                       r"below the min|less than (?:the )?min)|capacity range|QUOTA_EXCEEDED|Quota '[^']+' exceeded|"
                       r"VolumeLimitExceeded|MaxIOPSLimitExceeded|insufficient (?:disk )?capacity|"
                       r"exceeding (?:approved )?quota|"
                       r"(?:disk|volume) size \S+ (?:GB |GiB )?is (?:larger|greater) than the max", re.I),
            ("spec.resources.requests.storage",),
            "its requested size is refused by the driver or the cloud's disk quota",
            "the claim's spec.resources.requests.storage is outside what the driver accepts or what the cloud's "
            "disk quota still holds, so the provisioner refuses it"),
    Meaning(re.compile(r"allowedTopolog|(?:topology|zone) .{0,60}(?:not (?:available|allowed|supported|found)|"
                       r"mismatch)|accessibility requirements", re.I),
            ("metadata.annotations.volume.kubernetes.io/selected-node", "spec.storageClassName"),
            "the node chosen for it lies outside where its class may provision",
            "the node the scheduler selected for the claim is in a zone its StorageClass may not provision in "
            "(allowedTopologies), so the provisioner refuses it"),
)


@dataclass
class Refused:
    """A Pending claim the provisioner refused for its own spec."""

    claim: Ref
    meaning: Meaning
    said: str
    first: datetime | None
    spec: dict[str, Any]
    written: datetime | None
    writer: str
    victims: list[Ref] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


NOT_THE_CLAIM = re.compile(r"no topology key found on CSINode|CSINode \S+ (?:does not|doesn't) (?:contain|have)|"
                           r"driver name \S+ not found in the list of registered CSI drivers", re.I)
"""Refusals that read like a topology or capability one but are about the node's CSI driver registration (the
CSINode carries no topology key): the driver's or the node's problem (storage_layer's class), not the claim's."""


def meaning_of(text: str) -> Meaning | None:
    """The claim-spec meaning of a provisioner's refusal, or None (a storage-layer cause, or unknown wording)."""
    if NOT_THE_CLAIM.search(text):
        return None
    return next((m for m in MEANINGS if m.pattern.search(text)), None)


def _claims(facts: Facts) -> list[tuple[Ref, str, datetime | None]]:
    """(claim, the provisioner's words, first seen) of each provisioning failure on a claim: from the warning events
    on the claim, else from a scan finding that names the claim."""
    out: dict[str, tuple[Ref, str, datetime | None]] = {}
    for failure in storage_layer.failures(facts):
        victim = failure.victim
        if victim is not None and victim.kind == "PersistentVolumeClaim" and meaning_of(failure.text):
            key = str(victim)
            if key not in out or len(failure.text) > len(out[key][1]):
                out[key] = (victim, failure.text, failure.first)
    for failure in storage_layer.failures(facts):
        for m in CLAIM_IN_TEXT.finditer(failure.text):
            ref = Ref("PersistentVolumeClaim", m.group(1) or failure.namespace, m.group(2))
            if ref.namespace and str(ref) not in out:
                out[str(ref)] = (ref, failure.text, failure.first)
    return list(out.values())


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only, when a claim fails to provision: each named claim's YAML (its spec, phase and who wrote it)."""
    if RECORD in facts.reads:
        return
    claims = _claims(facts)
    if not claims:
        return
    kept: dict[str, Any] = facts.reads.setdefault(RECORD, {"claims": {}, "evidence": {}})
    for ref, _, _ in claims[:MAX_CLAIMS]:
        got = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-claim-spec-{ref.name}")
        if got is not None:
            kept["claims"][str(ref)] = got[0]
            kept["evidence"][str(ref)] = got[1]


def _written(obj: dict[str, Any]) -> tuple[datetime | None, str]:
    """When the claim's spec was last written and by which manager (its managedFields), else its creation."""
    meta = obj.get("metadata") or {}
    best: tuple[datetime | None, str] = (parse_time(meta.get("creationTimestamp")), "")
    for entry in meta.get("managedFields") or []:
        if not isinstance(entry, dict) or "f:spec" not in (entry.get("fieldsV1") or {}):
            continue
        when = parse_time(entry.get("time"))
        if when is not None and (best[0] is None or when >= best[0]):
            best = (when, str(entry.get("manager") or ""))
    return best


def _bytes(quantity: str) -> int | None:
    """A Kubernetes quantity (`20Gi`, `100G`, `1Ti`, bytes) in bytes."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGTPE]i?)?", quantity.strip())
    if not m:
        return None
    unit = m.group(2) or ""
    power = "KMGTPE".index(unit[0]) + 1 if unit else 0
    return int(float(m.group(1)) * ((1024 if unit.endswith("i") else 1000) ** power))


def _size(count: int) -> str:
    """Bytes as the largest whole binary unit (`107374182400` -> `100Gi`)."""
    for unit, power in (("Ti", 4), ("Gi", 3), ("Mi", 2)):
        if count % (1024 ** power) == 0:
            return f"{count // 1024 ** power}{unit}"
    return f"{count} bytes"


def _still_below(spec: dict[str, Any], said: str) -> bool:
    """For a size below its source: whether the claim's request now is still below the source's size the
    provisioner stated (True when the message states no numbers)."""
    m = SIZES.search(said)
    asked = _bytes(str(((spec.get("resources") or {}).get("requests") or {}).get("storage") or ""))
    return m is None or asked is None or asked < int(m.group(2))


def _victims(facts: Facts, claim: Ref) -> list[Ref]:
    """The workloads whose findings name the claim (their pods wait for it)."""
    out: list[Ref] = []
    pattern = re.compile(rf"\b{re.escape(claim.name)}\b")
    for finding in facts.findings():
        owner = Ref.of(finding.get("owner")) or Ref.of(finding.get("object"))
        if owner is None or owner.same_object(claim) or owner.namespace != claim.namespace:
            continue
        if pattern.search(" ".join(storage_layer._texts(finding))) and not any(owner.same_object(v) for v in out):
            out.append(owner)
    return out


def found(facts: Facts) -> list[Refused]:
    """Each claim still Pending whose provisioning the provisioner refused for the claim's own spec."""
    kept = facts.reads.get(RECORD)
    if not isinstance(kept, dict):
        return []
    out: list[Refused] = []
    for ref, said, first in _claims(facts):
        obj = (kept.get("claims") or {}).get(str(ref))
        meaning = meaning_of(said)
        if not isinstance(obj, dict) or meaning is None:
            continue
        spec = obj.get("spec") or {}
        if str((obj.get("status") or {}).get("phase") or "Pending") != "Pending":
            continue
        if meaning is MEANINGS[0] and not _still_below(spec, said):
            continue
        written, writer = _written(obj)
        evidence = [e for e in [(kept.get("evidence") or {}).get(str(ref))] if e]
        out.append(Refused(ref, meaning, said, first, spec, written, writer, _victims(facts, ref), evidence))
    return out


def _fields(refused: Refused) -> str:
    """The governing fields' current values, the provisioner's numbers as sizes (`20Gi`, source `100Gi`)."""
    spec = refused.spec
    parts: list[str] = []
    for name in refused.meaning.fields:
        path = name.split(".")[1:]
        value: Any = spec if name.startswith("spec.") else None
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if name == "spec.dataSource" and isinstance(value, dict):
            value = f"{value.get('kind')} {value.get('name')}"
        if value not in (None, "", {}, []):
            parts.append(f"{name} = {value}")
    sizes = SIZES.search(refused.said)
    if sizes:
        parts.append(f"the source is {_size(int(sizes.group(2)))} (requested {_size(int(sizes.group(1)))})")
    return "; ".join(parts)


def finding(refused: Refused, at: datetime) -> dict[str, Any]:
    """The claim's finding, its meaning first (the headline is cut): what its spec asks, why that is refused, the
    provisioner's own words, what waits for it."""
    when = ""
    if refused.written is not None:
        who = f" by {refused.writer}" if refused.writer else ""
        when = f" Its spec was written{who} {minutes_text(int((at - refused.written).total_seconds() // 60))} " \
               f"before the alert."
    victims = ", ".join(str(v) for v in refused.victims[:3])
    waiting = f"; {victims} cannot schedule its pods (they wait for the claim)" if victims else ""
    message = (f"{refused.claim} is refused by its provisioner (ProvisioningFailed) because {refused.meaning.short}: "
               f"{_fields(refused)}. Meaning: {refused.meaning.says}; the claim stays Pending{waiting}. The "
               f"provisioner says '{refused.said[:260]}'.{when} Fix the claim's "
               f"{refused.meaning.fields[0]} (recreate the claim: these fields are immutable once provisioned)")
    return {"check": CHECK, "severity": "critical", "reason": "ClaimSpecRefused",
            "object": {"kind": refused.claim.kind, "namespace": refused.claim.namespace, "name": refused.claim.name},
            "message": message, "evidence": [refused.said[:300]],
            "details": {"fields": list(refused.meaning.fields),
                        "first_failure": refused.first.isoformat() if refused.first else "",
                        "written": refused.written.isoformat() if refused.written else ""}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The refused claim; it explains the workloads whose pods wait for it."""
    return [(r.claim, finding(r, facts.at), r.evidence, r.victims) for r in found(facts)]


SOURCE_NAMED = re.compile(r"(?:source snapshot|snapshot|source (?:PVC|volume|claim)|by Name) \"?([a-z0-9][a-z0-9.-]*"
                          r"[a-z0-9])\"?", re.I)
"""How a provisioner's refusal names the snapshot or claim the refused claim is built from."""


def cleared(facts: Facts) -> list[Ref]:
    """The sources a refusal names only as what the claim is measured against (its size, class or access mode is
    the claim's own): a recent write to that snapshot or source claim is not the cause, however its name shows in
    the errors. A source that is missing or not ready is not cleared (it may be the cause)."""
    out: list[Ref] = []
    for refused in found(facts):
        if refused.meaning is MEANINGS[2]:
            continue
        source = refused.spec.get("dataSource") or {}
        names = {m.group(1) for m in SOURCE_NAMED.finditer(refused.said)}
        if isinstance(source, dict) and source.get("name"):
            names.add(str(source["name"]))
        kind = str(source.get("kind") or "VolumeSnapshot") if isinstance(source, dict) else "VolumeSnapshot"
        out += [Ref(kind, refused.claim.namespace, n) for n in sorted(names)]
    return out
