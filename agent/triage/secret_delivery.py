"""A secret-delivery object was written and its controller can no longer produce the Secret: the object is the cause.

Secrets often reach a cluster through a custom resource that a controller turns into a Secret: a Bitnami
SealedSecret (the controller decrypts `spec.encryptedData` with its private key), an External Secrets Operator
ExternalSecret (fetched from AWS/GCP/Vault by `remoteRef`), a Vault Secrets Operator VaultStaticSecret or
VaultDynamicSecret, the Secrets Store CSI driver's SecretProviderClass `secretObjects`. When such an object is
written wrong (re-sealed with `kubeseal` against another cluster's certificate, a `remoteRef.key` or version that
does not exist, a path the role may not read), nothing fails at the write: the controller reports on the object
(`ErrUnsealFailed: no key could decrypt secret`, `SecretSyncedError: could not get secret data from provider`)
and leaves the Secret as it was: the OLD value stays (a key since revoked, a password since rotated) or none is
created. The consumer then fails in its own terms (SMTP 535, HTTP 401, `password authentication failed`,
CreateContainerConfigError) while its own spec is unchanged. The consumer's errors are the symptom; the write to
the delivery object, quoted with the controller's own words, is the cause.

Told apart from its twins: the controller's failure (a False Ready/Synced condition, or a Warning event on the
object) must begin at or after the write (a failure older than the write is not this write's doing; a write made
while it fails is an attempted fix), a delivery object the controller reports healthy is not named, and the
object must feed a workload: one that references its Secret (env, envFrom, volume) or, when none does by
reference, one whose name is the Secret's leading words (`mailer` and `mailer-smtp`). A CSI volume that fails to
mount is agent.triage.volume_source's class.

`read` (reading only): the written objects, the Warning events of their namespaces, their namespaces' workloads
(names and Secret references only) and the log of one pod of each consumer. No Secret's data is read, and
`encryptedData` is never quoted. `found` is pure over what was read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.credential_write import is_refusal
from agent.triage.facts import Facts, Ref, log_evidence, minutes_text, parse_time, written_by
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.secret_delivery"
WEIGHT = 0.94
"""Above credential_write (0.93): the delivery object's write is what left the Secret stale; the consumer's refusals
and any rollout beside it are its effect."""
STORE = "secret_delivery"
WINDOW = timedelta(hours=24)
SLACK = timedelta(minutes=2)
MAX_OBJECTS = 3
MAX_WORKLOADS = 6
MAX_CONSUMERS = 2

DELIVERY_KINDS = ("SealedSecret", "ExternalSecret", "ClusterExternalSecret", "VaultStaticSecret",
                  "VaultDynamicSecret", "VaultPKISecret", "SecretProviderClass", "InfisicalSecret",
                  "OnePasswordItem", "SopsSecret", "DopplerSecret")
"""Custom resources a controller turns into a Secret (Bitnami Sealed Secrets, External Secrets Operator, Vault
Secrets Operator, Secrets Store CSI `secretObjects`, Infisical, 1Password Connect, sops-secrets-operator, Doppler)."""
_CONDITION = re.compile(r"^(?:Ready|Synced|SecretSynced|Healthy|Available|SecretSyncReady|ReadyToSync\w*)$")
"""Condition types that say whether the Secret is produced, read after any `<group>/` prefix: the usual Ready/Synced,
Doppler's `secrets.doppler.com/SecretSyncReady`, Infisical's `secrets.infisical.com/ReadyToSyncSecrets`."""


def _delivers(condition: dict[str, Any]) -> bool:
    return bool(_CONDITION.match(str(condition.get("type") or "").rsplit("/", 1)[-1]))
_FAILED = re.compile(r"fail|error|err[A-Z]|cannot|could not|couldn't|unable|denied|forbidden|not found|no key|"
                     r"decrypt|invalid|refused|expired|permission", re.I)
_WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")

Call = Callable[..., Awaitable[Any]]


@dataclass
class Undelivered:
    """A delivery object written before its controller began to fail producing its Secret, and who reads it."""

    source: Ref
    secret: str
    written: datetime
    by: str
    fields: str
    reason: str
    said: str
    reporter: str
    failing_since: datetime | None
    consumers: list[Ref]
    by_reference: bool
    refusal: str
    """A consumer's own refusal line (the stale credential presented), or ''."""
    evidence: list[str] = field(default_factory=list)


# ---- what the object delivers and who reads it (names only) ------------------------------------


def secret_names(obj: dict[str, Any]) -> list[str]:
    """The Secret(s) a delivery object produces, by the documented field of its kind (else its own name)."""
    spec, meta = obj.get("spec") or {}, obj.get("metadata") or {}
    kind = str(obj.get("kind") or "")
    named: list[Any] = []
    if kind == "SealedSecret":
        named = [((spec.get("template") or {}).get("metadata") or {}).get("name")]
    elif kind == "ExternalSecret":
        named = [(spec.get("target") or {}).get("name")]
    elif kind == "ClusterExternalSecret":
        named = [((spec.get("externalSecretSpec") or {}).get("target") or {}).get("name")]
    elif kind.startswith("Vault"):
        named = [(spec.get("destination") or {}).get("name")]
    elif kind == "SecretProviderClass":
        named = [s.get("secretName") for s in spec.get("secretObjects") or [] if isinstance(s, dict)]
    elif kind == "InfisicalSecret":
        named = [(spec.get("managedSecretReference") or {}).get("secretName")]
    elif kind == "DopplerSecret":
        named = [(spec.get("managedSecret") or {}).get("name")]
    elif kind == "SopsSecret":
        named = [t.get("name") for t in spec.get("secretTemplates") or [] if isinstance(t, dict)]
    out = [str(n) for n in named if n]
    return out or ([str(meta.get("name"))] if meta.get("name") and kind != "SecretProviderClass" else [])


def secret_namespace(obj: dict[str, Any]) -> str:
    """Where the produced Secret (and so its consumers) lives: the object's own namespace, unless its kind writes
    into another (Doppler's `spec.managedSecret.namespace`, Infisical's `managedSecretReference.secretNamespace`)."""
    spec, meta = obj.get("spec") or {}, obj.get("metadata") or {}
    other = (spec.get("managedSecret") or {}).get("namespace") or \
        (spec.get("managedSecretReference") or {}).get("secretNamespace")
    return str(other or meta.get("namespace") or "")


def referenced_secrets(workload: dict[str, Any]) -> set[str]:
    """The Secrets a workload's pod template reads by name: env valueFrom, envFrom, secret and projected volumes."""
    spec = ((workload.get("spec") or {}).get("template") or {}).get("spec") or {}
    out: set[str] = set()
    for c in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        for e in c.get("env") or []:
            ref = ((e or {}).get("valueFrom") or {}).get("secretKeyRef") or {}
            if ref.get("name"):
                out.add(str(ref["name"]))
        for e in c.get("envFrom") or []:
            if ((e or {}).get("secretRef") or {}).get("name"):
                out.add(str(e["secretRef"]["name"]))
    for v in spec.get("volumes") or []:
        if ((v or {}).get("secret") or {}).get("secretName"):
            out.add(str(v["secret"]["secretName"]))
        for s in ((v or {}).get("projected") or {}).get("sources") or []:
            if ((s or {}).get("secret") or {}).get("name"):
                out.add(str(s["secret"]["name"]))
    return out


def named_for(workload: str, secret: str) -> bool:
    """Whether a Secret is named after a workload: the workload's name is the Secret's leading words
    (`mailer` / `mailer-smtp`, `billing-api` / `billing-api-db`)."""
    return secret.startswith(f"{workload}-") or secret.startswith(f"{workload}.")


# ---- reading (survey) ---------------------------------------------------------------------------


def writes_within(facts: Facts, kinds: Collection[str], within: timedelta) -> list[tuple[dict[str, Any], str]]:
    """Writes (not deletions) made at most `within` before the incident to objects of `kinds`, newest first, with
    the evidence id of the read that shows them: the delivery objects here, the stores in agent.triage.secret_store."""
    writes = sorted(facts.writes_to(kinds, within=within, deletions=False), key=lambda w: str(w[0].get("at")),
                    reverse=True)
    return [(change, evidence) for change, evidence, _ in writes]


def delivery_writes(facts: Facts) -> list[tuple[dict[str, Any], str]]:
    """Writes in WINDOW to delivery objects (newest first), with the evidence id of the timeline that shows them."""
    return writes_within(facts, DELIVERY_KINDS, WINDOW)


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: each written delivery object, its namespace's Warning events, the workloads there that read
    its Secret (or are named by it), and one pod's log of each."""
    store: dict[str, Any] = facts.reads.setdefault(STORE, {"objects": [], "events": {}, "workloads": {}, "logs": {}})
    seen: set[Ref] = set()
    for change, _ in delivery_writes(facts):
        ref = Ref.of(change.get("object"))
        if ref is None or ref in seen or len(seen) >= MAX_OBJECTS:
            continue
        seen.add(ref)
        got = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-delivery-{ref.name}")
        if got is None:
            continue
        store["objects"].append(got)
        ns = ref.namespace
        if ns not in store["events"]:
            events = await call("k8s_events", {"namespace": ns, "warnings_only": True}, f"survey-delivery-events-{ns}")
            ok = events is not None and events.ok and isinstance(events.data, dict)
            store["events"][ns] = ([r for r in events.data.get("events") or [] if isinstance(r, dict)],
                                   events.evidence_id) if ok else ([], "")
        await _read_consumers(call, store, secret_namespace(got[0]) or ns, secret_names(got[0]))


async def _read_consumers(call: Call, store: dict[str, Any], ns: str, secrets: list[str]) -> None:
    """The namespace's workloads (their Secret references), those named by the Secret first; then one pod's log of
    each consumer (up to MAX_CONSUMERS)."""
    if ns not in store["workloads"]:
        listed = await call("k8s_list", {"kind": "Pod", "namespace": ns}, f"survey-delivery-pods-{ns}")
        rows = (listed.data or {}).get("rows") or [] if listed is not None and listed.ok else []
        pods: dict[str, str] = {}
        for r in rows:
            if isinstance(r, dict) and r.get("name"):
                pods.setdefault(workload_of_pod(str(r["name"])), str(r["name"]))
        names = sorted(pods, key=lambda w: not any(named_for(w, s) for s in secrets))[:MAX_WORKLOADS]
        kept: list[tuple[str, str, list[str], str, str]] = []
        for name in names:
            got = None
            for kind in _WORKLOADS:
                got = await get_yaml(call, kind, name, ns, f"survey-delivery-{kind.lower()}-{name}")
                if got is not None:
                    kept.append((kind, name, sorted(referenced_secrets(got[0])), pods[name], got[1]))
                    break
        store["workloads"][ns] = kept
    for _, _, _, pod, _ in _consumers(store["workloads"][ns], secrets)[:MAX_CONSUMERS]:
        if pod in store["logs"]:
            continue
        logs = await call("k8s_logs", {"name": pod, "namespace": ns, "tail": 300}, f"survey-delivery-logs-{pod}")
        store["logs"][pod] = (logs.data, logs.evidence_id) if logs is not None and logs.ok \
            and isinstance(logs.data, dict) else None


def _consumers(workloads: list[tuple[str, str, list[str], str, str]], secrets: list[str]
               ) -> list[tuple[str, str, list[str], str, str]]:
    """Workloads that reference one of the Secrets; when none does, those the Secret is named after."""
    by_ref = [w for w in workloads if set(w[2]) & set(secrets)]
    return by_ref or [w for w in workloads if any(named_for(w[1], s) for s in secrets)]


# ---- judging (pure) -----------------------------------------------------------------------------


def failure(obj: dict[str, Any], events: list[dict[str, Any]]) -> tuple[str, str, str, datetime | None]:
    """(reason, the controller's words, who said it, since when) of the object's failure to deliver, from its
    newest failing Warning event, else a False condition; ('', '', '', None) when it reports none."""
    meta = obj.get("metadata") or {}
    kind, name = str(obj.get("kind") or ""), str(meta.get("name") or "")
    mine = [e for e in events if e.get("kind") == kind and e.get("name") == name
            and _FAILED.search(f"{e.get('reason')} {e.get('message')}")]
    conds = [c for c in (obj.get("status") or {}).get("conditions") or []
             if isinstance(c, dict) and _delivers(c) and str(c.get("status")) == "False"]
    cond = conds[0] if conds else None
    if cond is not None:
        ready = [c for c in (obj.get("status") or {}).get("conditions") or []
                 if isinstance(c, dict) and _delivers(c) and str(c.get("status")) == "True"]
        if ready and not mine:
            cond = None  # one condition healthy, another merely informative: no failure reported
    if mine:
        e = max(mine, key=lambda x: int(x.get("count") or 1))
        since = parse_time(e.get("first_seen"))
        if cond is not None:
            since = min((t for t in (since, parse_time(cond.get("lastTransitionTime"))) if t is not None),
                        default=None)
        return str(e.get("reason") or ""), str(e.get("message") or ""), str(e.get("source") or ""), since
    if cond is not None and _FAILED.search(f"{cond.get('reason')} {cond.get('message')}"):
        return (str(cond.get("reason") or ""), str(cond.get("message") or ""), "its controller",
                parse_time(cond.get("lastTransitionTime")))
    return "", "", "", None


def refusal_of(data: Any, evidence: str) -> str:
    """A consumer's own refusal of the credential it presented, as printed (no value: the log's words)."""
    if not isinstance(data, dict):
        return ""
    log = log_evidence(data, evidence)
    if log is None:
        return ""
    for e in [log.top or {}, *log.more]:
        if is_refusal(e):
            text = str(e.get("example") or e.get("message") or e.get("template") or "")
            return re.sub(r"^\S*\d{4}-\d\d-\d\dT\S+\s+", "", text).strip()[:180]
    return ""


def _is(change: dict[str, Any], ref: Ref) -> bool:
    other = Ref.of(change.get("object"))
    return other is not None and ref.same_object(other)


def found(facts: Facts) -> list[Undelivered]:
    """Each written delivery object whose controller began failing to produce its Secret at or after the write, with
    the workloads that read that Secret."""
    store = facts.reads.get(STORE) or {}
    writes = delivery_writes(facts)
    out: list[Undelivered] = []
    for obj, obj_evidence in store.get("objects") or []:
        meta = obj.get("metadata") or {}
        ref = Ref(str(obj.get("kind") or ""), str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        change, change_evidence = next(((c, e) for c, e in writes if _is(c, ref)), ({}, ""))
        written = parse_time(change.get("at"))
        events, events_evidence = (store.get("events") or {}).get(ref.namespace) or ([], "")
        reason, said, reporter, since = failure(obj, events)
        if written is None or not said or (since is not None and since < written - SLACK):
            continue  # healthy, or failing since before this write
        secrets = secret_names(obj)
        home = secret_namespace(obj) or ref.namespace
        consumers = _consumers((store.get("workloads") or {}).get(home) or [], secrets)
        if not consumers:
            continue
        refusal, log_ids = "", []
        for _, _, _, pod, _ in consumers:
            got = (store.get("logs") or {}).get(pod)
            if got and not refusal:
                refusal = refusal_of(got[0], got[1])
                log_ids += [got[1]] if refusal else []
        by = written_by(change)
        fields = ", ".join(sorted({str(d).split(" ")[0].split("=")[0] for d in change.get("diff") or []}))[:80]
        ids = [change_evidence, obj_evidence, events_evidence, *(w[4] for w in consumers), *log_ids]
        out.append(Undelivered(ref, secrets[0] if secrets else ref.name, written, by, fields, reason, said, reporter,
                               since, [Ref(k, home, n) for k, n, _, _, _ in consumers],
                               any(set(w[2]) & set(secrets) for w in consumers), refusal,
                               list(dict.fromkeys(i for i in ids if i))))
    return out


def meaning(u: Undelivered) -> str:
    """What the controller's failure means for this kind, and the fix, in a few words."""
    said = f"{u.reason} {u.said}".lower()
    if u.source.kind == "SealedSecret" and ("decrypt" in said or "unseal" in said):
        return ("it was sealed (kubeseal) with another controller's certificate, whose private key this cluster's "
                "controller does not hold: re-seal it with this cluster's cert (`kubeseal --fetch-cert`)")
    if u.source.kind in ("ExternalSecret", "ClusterExternalSecret") or u.source.kind.startswith("Vault"):
        return "the provider has no such key or version, or refuses the role: restore the reference it had"
    return "revert the write or fix what it references"


def finding(u: Undelivered, at: datetime) -> dict[str, Any]:
    """The suspect's finding: the write, the controller's own words and what they mean, the stale Secret, and the
    consumer's refusal."""
    ago = minutes_text(int((at - u.written).total_seconds() // 60))
    who = f" by {u.by}" if u.by else ""
    what = f" ({u.fields})" if u.fields else ""
    consumers = ", ".join(str(c) for c in u.consumers[:2])
    reads = "which reads it" if u.by_reference else "which it is named after"
    refused = f": '{u.refusal}'" if u.refusal else ""
    message = (f"{u.source} was written {ago} before the alert{who}{what} and its controller cannot produce Secret "
               f"{u.secret} from it ({u.reporter or 'its controller'}: '{u.reason}: {u.said[:140]}'): {meaning(u)}. "
               f"The Secret keeps its old value (or none), so {consumers}, {reads}, is refused with a stale "
               f"credential{refused}")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": u.source.kind, "namespace": u.source.namespace, "name": u.source.name},
            "reason": "SecretNotDelivered", "message": message, "evidence": [x for x in (u.said, u.refusal) if x],
            "details": {"secret": u.secret, "written": u.written.isoformat(), "reason": u.reason,
                        "failing_since": u.failing_since.isoformat() if u.failing_since else "",
                        "consumers": [str(c) for c in u.consumers]}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the delivery object, its finding, evidence ids, the workloads reading its Secret) for the ranking."""
    return [(u.source, finding(u, facts.at), u.evidence, list(u.consumers)) for u in found(facts)]
