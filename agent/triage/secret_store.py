"""A shared secret store was written and every delivery object that fetches through it stopped syncing: the store.

External Secrets Operator fetches each ExternalSecret's `remoteRef` through the store its `spec.secretStoreRef`
names: a namespaced SecretStore (same namespace) or a cluster-scoped ClusterSecretStore that ExternalSecrets in any
namespace use. The store holds what every fetch shares: the provider (Vault server, mount path, auth method and
role; AWS Secrets Manager region, IAM role, auth), and a ClusterSecretStore's namespace conditions. Vault Secrets
Operator has the same shape: its VaultStaticSecret/VaultDynamicSecret/VaultPKISecret name a VaultAuth (method, role,
mount) by `spec.vaultAuthRef`. A write to such a store (a role renamed, a path moved, a region changed, the
namespace conditions narrowed) fails nothing at the write: at each refresh every user of the store reports
`SecretSyncedError: could not get secret data from provider` (its events carry the provider's words: `permission
denied`, `AccessDeniedException`, `invalid role name`), its Secret keeps the old value or is never created, and pages
arrive from several workloads in several namespaces (CreateContainerConfigError, refused credentials after a
rotation). Each ExternalSecret is a symptom; the store write is the cause.

Told apart from its twins: an ExternalSecret whose own `remoteRef` is wrong fails alone while its siblings through
the same store sync (a sibling that synced through the store after the write proves the store works, and nothing
is blamed); a store written while every user keeps syncing is not named; a failure older than the write is not its
doing. The store is blamed when at least two of its users began failing at or after the write, or one did and the
store's own Ready condition (or Warning event) says it fails since the write; and a workload reads one of their
Secrets. agent.triage.secret_delivery names one written delivery object.

`read` (reading only): the written stores, the delivery objects of the kinds that use them (listed, then read, up to
MAX_USERS), the Warning events of their namespaces, and there the workloads (names, Secret references, pod status)
and one pod log of a few readers. No Secret's data is read. `found` is pure over what was read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time, written_by
from agent.triage.kube_reads import get_yaml
from agent.triage.secret_delivery import (
    failure,
    named_for,
    referenced_secrets,
    refusal_of,
    secret_names,
    secret_namespace,
    writes_within,
)
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.secret_store"
WEIGHT = 0.95
"""Above secret_delivery (0.94): one store write explains every delivery object failing through it, and so each
object's own failure and each consumer's refusal."""
STORE = "secret_store"
WINDOW = timedelta(hours=24)
SLACK = timedelta(minutes=2)
MAX_STORES = 2
MAX_USERS = 12
MAX_NAMESPACES = 4
MAX_WORKLOADS = 6
MAX_LOGS = 3

USERS: dict[str, tuple[str, ...]] = {
    "ClusterSecretStore": ("ExternalSecret",),
    "SecretStore": ("ExternalSecret",),
    "VaultAuth": ("VaultStaticSecret", "VaultDynamicSecret", "VaultPKISecret"),
}
"""Each shared store kind and the delivery kinds that fetch through it (External Secrets Operator, Vault Secrets
Operator)."""
CLUSTER_SCOPED = frozenset({"ClusterSecretStore"})
_WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")
_STUCK = ("CreateContainerConfigError", "ContainerCreating", "CrashLoopBackOff", "Error", "Init:")

Call = Callable[..., Awaitable[Any]]


def uses(user: dict[str, Any], store: Ref) -> bool:
    """Whether a delivery object fetches through the store, by its kind's documented reference: ESO's
    `spec.secretStoreRef` {kind (default SecretStore), name} (a SecretStore only in the object's own namespace), VSO's
    `spec.vaultAuthRef` (`name` or `namespace/name`, in the object's namespace when bare)."""
    spec, meta = user.get("spec") or {}, user.get("metadata") or {}
    namespace = str(meta.get("namespace") or "")
    if store.kind in ("SecretStore", "ClusterSecretStore"):
        ref = spec.get("secretStoreRef") or {}
        refs = [ref] + [(d.get("sourceRef") or {}).get("storeRef") or {} for d in
                        (spec.get("data") or []) + (spec.get("dataFrom") or []) if isinstance(d, dict)]
        return any(isinstance(r, dict) and str(r.get("name") or "") == store.name
                   and str(r.get("kind") or "SecretStore") == store.kind
                   and (store.kind == "ClusterSecretStore" or namespace == store.namespace) for r in refs)
    if store.kind == "VaultAuth":
        named = str(spec.get("vaultAuthRef") or "")
        ns, _, name = named.rpartition("/")
        return name == store.name and (ns or str(spec.get("vaultAuthRefNamespace") or "") or namespace) == \
            store.namespace
    return False


def provider_of(store: dict[str, Any]) -> str:
    """What the store shares, in its own field names: `vault (server ..., path ..., auth kubernetes role ...)`,
    `aws SecretsManager (region ..., role ...)`, a VaultAuth's method/mount/role. No credential value is in these."""
    spec = store.get("spec") or {}
    if store.get("kind") == "VaultAuth":
        method = str(spec.get("method") or "")
        role = ((spec.get(method) or {}) if method else {}).get("role") or ""
        parts = [f"method {method}" if method else "", f"mount {spec['mount']}" if spec.get("mount") else "",
                 f"role {role}" if role else ""]
        return "Vault auth (" + ", ".join(p for p in parts if p) + ")"
    provider = spec.get("provider") or {}
    if not isinstance(provider, dict) or not provider:
        return ""
    name, conf = next(iter(provider.items()))
    conf = conf if isinstance(conf, dict) else {}
    auth = conf.get("auth") or {}
    method = next(iter(auth), "") if isinstance(auth, dict) else ""
    role = conf.get("role") or ((auth.get(method) or {}) if method else {}).get("role") or ""
    parts = [f"server {conf['server']}" if conf.get("server") else "", f"path {conf['path']}" if conf.get("path")
             else "", f"region {conf['region']}" if conf.get("region") else "",
             f"project {conf['projectID']}" if conf.get("projectID") else "",
             f"vault {conf['vaultUrl']}" if conf.get("vaultUrl") else "",
             f"auth {method}" if method else "", f"role {role}" if role else "",
             f"identity {conf['identityId']}" if conf.get("identityId") else "", _conditions(spec)]
    service = f" {conf['service']}" if conf.get("service") else ""
    return f"{name}{service} (" + ", ".join(p for p in parts if p) + ")" if any(parts) else f"{name}{service}"


def _conditions(spec: dict[str, Any]) -> str:
    """A ClusterSecretStore's `spec.conditions` (the namespaces allowed to use it), as `only namespaces a, b` or
    `only namespaces matching <labels>`; '' when it has none."""
    names: list[str] = []
    for cond in spec.get("conditions") or []:
        if isinstance(cond, dict):
            names += [str(n) for n in cond.get("namespaces") or []]
            labels = (cond.get("namespaceSelector") or {}).get("matchLabels") or {}
            names += [f"{k}={v}" for k, v in labels.items()] if isinstance(labels, dict) else []
    return f"only namespaces {', '.join(names[:4])}" if names else ""


# ---- reading (survey) ---------------------------------------------------------------------------


def store_writes(facts: Facts) -> list[tuple[dict[str, Any], str]]:
    """Writes in WINDOW to shared stores (newest first), with the evidence id of the timeline that shows them."""
    return writes_within(facts, USERS, WINDOW)


async def read(_subject: Subject, facts: Facts, call: Call, _at: str) -> None:
    """Reading only: each written store, the delivery objects that use it, their namespaces' Warning events, and the
    workloads reading the Secrets of those that report a failure (facts.reads[STORE])."""
    if STORE in facts.reads:
        return
    store: dict[str, Any] = facts.reads.setdefault(STORE, {"stores": [], "users": {}, "events": {}, "workloads": {},
                                                           "logs": {}})
    seen: list[Ref] = []
    for change, _ in store_writes(facts):
        ref = Ref.of(change.get("object"))
        if ref is None or any(ref.same_object(s) for s in seen) or len(seen) >= MAX_STORES:
            continue
        seen.append(ref)
        got = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-store-{ref.name}")
        if got is None:
            continue
        store["stores"].append(got)
        target = Ref(ref.kind, "" if ref.kind in CLUSTER_SCOPED else ref.namespace, ref.name)
        users = await _read_users(call, target)
        store["users"][str(target)] = users
        for ns in list(dict.fromkeys([target.namespace] * bool(target.namespace) + [
                str((u.get("metadata") or {}).get("namespace") or "") for u, _ in users]))[:MAX_NAMESPACES]:
            await _read_events(call, store, ns)
        for user, _ in users:
            meta = user.get("metadata") or {}
            events = store["events"].get(str(meta.get("namespace") or ""), ([], ""))[0]
            if failure(user, events)[1]:
                await _read_readers(call, store, secret_namespace(user), secret_names(user))


async def _read_users(call: Call, target: Ref) -> list[tuple[dict[str, Any], str]]:
    """The delivery objects using the store: each user kind listed (all namespaces for a cluster-scoped store),
    then read one by one, up to MAX_USERS."""
    out: list[tuple[dict[str, Any], str]] = []
    for kind in USERS[target.kind]:
        listed = await call("k8s_list", {"kind": kind, "namespace": target.namespace},
                            f"survey-store-users-{kind.lower()}-{target.name}")
        if listed is None or not listed.ok or not isinstance(listed.data, dict):
            continue
        rows = [r for r in listed.data.get("rows") or [] if isinstance(r, dict) and r.get("name")]
        for row in sorted(rows, key=lambda r: not r.get("problem"))[:MAX_USERS - len(out)]:
            got = await get_yaml(call, kind, str(row["name"]), str(row.get("namespace") or target.namespace),
                                 f"survey-store-user-{row['name']}")
            if got is not None and uses(got[0], target):
                out.append(got)
    return out


async def _read_events(call: Call, store: dict[str, Any], ns: str) -> None:
    if ns in store["events"]:
        return
    events = await call("k8s_events", {"namespace": ns, "warnings_only": True}, f"survey-store-events-{ns}")
    ok = events is not None and events.ok and isinstance(events.data, dict)
    store["events"][ns] = ([r for r in events.data.get("events") or [] if isinstance(r, dict)],
                           events.evidence_id) if ok else ([], "")


async def _read_readers(call: Call, store: dict[str, Any], ns: str, secrets: list[str]) -> None:
    """The namespace's workloads (kind, name, Secret references, one pod, its status, evidence), those the Secrets
    are named after first; then one pod's log of a reader, while fewer than MAX_LOGS were read."""
    if ns not in store["workloads"]:
        if len(store["workloads"]) >= MAX_NAMESPACES:
            return
        listed = await call("k8s_list", {"kind": "Pod", "namespace": ns}, f"survey-store-pods-{ns}")
        rows = (listed.data or {}).get("rows") or [] if listed is not None and listed.ok else []
        pods: dict[str, tuple[str, str]] = {}
        for r in rows:
            if isinstance(r, dict) and r.get("name"):
                status = str(r.get("status") or r.get("problem") or "")
                name = workload_of_pod(str(r["name"]))
                if name not in pods or any(s in status for s in _STUCK):
                    pods[name] = (str(r["name"]), status)
        names = sorted(pods, key=lambda w: not any(named_for(w, s) for s in secrets))[:MAX_WORKLOADS]
        kept: list[tuple[str, str, list[str], str, str, str]] = []
        for name in names:
            for kind in _WORKLOADS:
                got = await get_yaml(call, kind, name, ns, f"survey-store-{kind.lower()}-{name}")
                if got is not None:
                    kept.append((kind, name, sorted(referenced_secrets(got[0])), pods[name][0], pods[name][1], got[1]))
                    break
        store["workloads"][ns] = kept
    for _, _, _, pod, status, _ in readers(store["workloads"][ns], secrets):
        if pod in store["logs"] or len(store["logs"]) >= MAX_LOGS or "CreateContainerConfig" in status:
            continue
        logs = await call("k8s_logs", {"name": pod, "namespace": ns, "tail": 300}, f"survey-store-logs-{pod}")
        store["logs"][pod] = (logs.data, logs.evidence_id) if logs is not None and logs.ok \
            and isinstance(logs.data, dict) else None


def readers(workloads: list[tuple[str, str, list[str], str, str, str]], secrets: list[str]
            ) -> list[tuple[str, str, list[str], str, str, str]]:
    """Workloads that reference one of the Secrets; when none does, those a Secret is named after."""
    by_ref = [w for w in workloads if set(w[2]) & set(secrets)]
    return by_ref or [w for w in workloads if any(named_for(w[1], s) for s in secrets)]


# ---- judging (pure) -----------------------------------------------------------------------------


@dataclass
class Broken:
    """A store written before the delivery objects fetching through it began to fail, and who reads their Secrets."""

    store: Ref
    written: datetime
    by: str
    fields: str
    provider: str
    failing: list[tuple[Ref, str, str]]
    """(delivery object, reason, the controller's words) of each user failing since the write."""
    users: int
    store_said: str
    readers: list[tuple[Ref, str]]
    """(workload, its pod's status) of each workload reading a failing user's Secret."""
    refusal: str
    evidence: list[str] = field(default_factory=list)


def synced_after(user: dict[str, Any], written: datetime) -> bool:
    """Whether the object synced through its store after the write: ESO's `status.refreshTime` (the last successful
    fetch), VSO's `status.lastGeneration` sync time is not kept, so a Ready/Synced True condition whose transition
    is after the write counts too."""
    status = user.get("status") or {}
    refreshed = parse_time(status.get("refreshTime")) or parse_time(status.get("lastSyncTime"))
    if refreshed is not None and refreshed >= written + SLACK:
        return True
    return any(isinstance(c, dict) and str(c.get("status")) == "True" and str(c.get("type")) in ("Ready", "Synced")
               and (parse_time(c.get("lastTransitionTime")) or written) > written + SLACK
               for c in status.get("conditions") or [])


def _condition_reason(user: dict[str, Any]) -> str:
    """The reason of the object's False Ready/Synced condition (ESO's `SecretSyncedError`), or ''."""
    return next((str(c.get("reason") or "") for c in (user.get("status") or {}).get("conditions") or []
                 if isinstance(c, dict) and str(c.get("type")) in ("Ready", "Synced")
                 and str(c.get("status")) == "False"), "")


def gist(said: str) -> str:
    """The provider's own words in a controller's message: after Vault's `Errors:` list or the last `err:`, on one
    line (`invalid role name "eso-reader-v2"`, `AccessDeniedException: ...`); the whole message when it has none."""
    text = re.sub(r"\s+", " ", said).strip()
    for mark in ("Errors:", "err:", "error:"):
        if mark in text:
            tail = text.rsplit(mark, 1)[1].strip(" *")
            if len(tail) >= 12:
                text = tail
                break
    inner = PROVIDER_WORDS.search(text)
    return (inner.group(1) or inner.group(2)).strip() if inner else text


PROVIDER_WORDS = re.compile(r"Message=\"([^\"]{12,})\"|\bdesc = (.{12,})")
"""Where a provider SDK's wrapper puts the provider's own sentence: Azure's autorest `Message="The user, group or
application ... does not have secrets get permission on key vault ..."`, gRPC's `code = PermissionDenied desc =
Permission 'secretmanager.versions.access' denied ...` (Google Secret Manager)."""


def _write_of(facts: Facts, ref: Ref) -> tuple[dict[str, Any], str]:
    for change, evidence in store_writes(facts):
        other = Ref.of(change.get("object"))
        if other is not None and other.name == ref.name and other.kind == ref.kind and \
                (ref.kind in CLUSTER_SCOPED or other.namespace == ref.namespace):
            return change, evidence
    return {}, ""


def found(facts: Facts) -> list[Broken]:
    """Each written store whose users began failing at or after the write, none syncing through it since."""
    data = facts.reads.get(STORE) or {}
    events_of: dict[str, tuple[list[dict[str, Any]], str]] = data.get("events") or {}
    out: list[Broken] = []
    for obj, obj_evidence in data.get("stores") or []:
        meta = obj.get("metadata") or {}
        kind = str(obj.get("kind") or "")
        ref = Ref(kind, "" if kind in CLUSTER_SCOPED else str(meta.get("namespace") or ""), str(meta.get("name")))
        change, change_evidence = _write_of(facts, ref)
        written = parse_time(change.get("at"))
        users = (data.get("users") or {}).get(str(ref)) or []
        if written is None or not users:
            continue
        failing: list[tuple[dict[str, Any], str, str]] = []
        proof = False
        for user, _ in users:
            umeta = user.get("metadata") or {}
            reason, said, _, since = failure(user, events_of.get(str(umeta.get("namespace") or ""), ([], ""))[0])
            if said and (since is None or since >= written - SLACK):
                failing.append((user, _condition_reason(user) or reason, gist(said)))
            elif not said and synced_after(user, written):
                proof = True
        _, store_said, _, store_since = failure(obj, events_of.get(ref.namespace, ([], ""))[0])
        store_fails = bool(store_said) and (store_since is None or store_since >= written - SLACK)
        if proof or not failing or (len(failing) < 2 and not store_fails):
            continue  # a user synced through it since the write, or one object failing alone is its own problem
        workloads = data.get("workloads") or {}
        found_readers: list[tuple[Ref, str]] = []
        wl_evidence: list[str] = []
        pods: list[str] = []
        for user, _, _ in failing:
            ns = secret_namespace(user)
            for k, n, _, pod, status, ev in readers(workloads.get(ns) or [], secret_names(user)):
                if not any(r.same_object(Ref(k, ns, n)) for r, _ in found_readers):
                    found_readers.append((Ref(k, ns, n), status))
                    wl_evidence.append(ev)
                    pods.append(pod)
        if not found_readers:
            continue
        refusal, log_ids = "", []
        for pod in pods:
            got = (data.get("logs") or {}).get(pod)
            if got and not refusal:
                refusal = refusal_of(got[0], got[1])
                log_ids += [got[1]] if refusal else []
        by = written_by(change)
        fields = ", ".join(sorted({str(d).split(" ")[0].split("=")[0] for d in change.get("diff") or []}))[:80]
        event_ids = [events_of.get(str((u.get("metadata") or {}).get("namespace") or ""), ([], ""))[1]
                     for u, _, _ in failing]
        ids = [change_evidence, obj_evidence, *(e for _, e in users), *event_ids, *wl_evidence, *log_ids]
        out.append(Broken(ref, written, by, fields, provider_of(obj),
                          [(Ref(str(u.get("kind") or ""), str((u.get("metadata") or {}).get("namespace") or ""),
                                str((u.get("metadata") or {}).get("name") or "")), r, s) for u, r, s in failing],
                          len(users), store_said if store_fails else "", found_readers, refusal,
                          list(dict.fromkeys(i for i in ids if i))))
    return out


def finding(b: Broken, at: datetime) -> dict[str, Any]:
    """The store write and what it means first (every user failing through it), the count of objects, namespaces and
    workloads it reaches, the controller's words, the readers' symptom, the fix."""
    ago = minutes_text(int((at - b.written).total_seconds() // 60))
    who = f" by {b.by}" if b.by else ""
    what = f" ({b.fields})" if b.fields else ""
    kind = b.failing[0][0].kind
    namespaces = sorted({r.namespace for r, _, _ in b.failing})
    names = ", ".join(f"{r.namespace}/{r.name}" for r, _, _ in b.failing[:3])
    reason, said = b.failing[0][1], b.failing[0][2]
    provider = f", {b.provider}" if b.provider else ""
    store_said = f"; the store itself: '{b.store_said[:120]}'" if b.store_said else ""
    stuck = sorted({s for _, s in b.readers if any(x in s for x in _STUCK)})
    effect = (f"pods in {', '.join(stuck)}" if stuck else "") + \
        ("; " if stuck and b.refusal else "") + (f"'{b.refusal}'" if b.refusal else "")
    workloads = ", ".join(str(r) for r, _ in b.readers[:4])
    message = (f"{b.store} was written {ago} before the alert{who}{what}; every {kind} using this shared store "
               f"stopped syncing since: {len(b.failing)} of {b.users} in {len(namespaces)} "
               f"namespace{'s' * (len(namespaces) > 1)} report {reason}: '{said[:140]}', so {len(b.readers)} "
               f"workload{'s' * (len(b.readers) > 1)} reading their Secrets fail ({workloads})"
               f"{': ' + effect if effect else ''}. The objects: {names}{store_said}; their Secrets stop refreshing "
               f"or are never created. What they share is the store{provider}: its auth, role, path or region; "
               f"revert the {b.store.kind} write")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": b.store.kind, "namespace": b.store.namespace, "name": b.store.name},
            "reason": "SecretStoreBroken", "message": message,
            "evidence": [x for x in (said, b.store_said, b.refusal) if x],
            "details": {"written": b.written.isoformat(), "users": b.users,
                        "failing": [str(r) for r, _, _ in b.failing],
                        "readers": [str(r) for r, _ in b.readers], "provider": b.provider}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the store, its finding, evidence ids, the failing objects and the workloads reading their Secrets)."""
    return [(b.store, finding(b, facts.at), b.evidence, [r for r, _ in b.readers] + [r for r, _, _ in b.failing])
            for b in found(facts)]
