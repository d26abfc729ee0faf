"""Pulls refused to pods that carry no pull secret while their older siblings do: the ServiceAccount lost them.

A pod's `imagePullSecrets` often come from nowhere in its workload: the ServiceAccount admission plugin copies
the ServiceAccount's own `imagePullSecrets` into every pod it admits. When the ServiceAccount is re-created or
re-applied without them (Terraform, Pulumi, a chart, `kubectl apply` of an older manifest), nothing running
changes: pods admitted before keep the copy, and nodes that cached the image keep starting them. Only pods
admitted afterwards (a scale-up, a rescheduled pod, a new node) lack the secret, and the private registry
refuses them (401/403, "authentication required", "denied"). The victims' ImagePullBackOff says "no pull
secret"; the thing to mend is the ServiceAccount.

The same loss can come from two other places, and the pods' owners do not tell which: the owner's pod template (a
rollout whose new revision no longer lists the secret: the new ReplicaSet's pods lack it, the old one's keep it)
and a namespace-level injector (a Kyverno or Gatekeeper mutation, a webhook, that put the secret into pods at
admission and was changed or removed). So the pods compared are the workload's oldest and newest whatever their
owner, and the revision each came from is read (its ReplicaSet, or the ControllerRevision its
`controller-revision-hash` names) for the secrets its template lists.

The evidence any instance leaves, read here: a pull the registry refused for a pod without pull secrets (the
scan's `pod.image_pull` with an empty `pull_secrets`); older pods of the same workload and ServiceAccount that DO
carry pull secrets the ServiceAccount no longer lists; then, in this order:
- template: an older revision's template lists the lost secret and the refused pods' revision (read) does not:
  the workload is named, with its timeline write or the new revision's creation;
- injector: a mutating policy/webhook written or deleted between the admission of the newest carrying pod and the
  first refused one, whose change speaks of pull secrets or which the carrying pods' annotations name next to
  imagePullSecrets;
- account: the ServiceAccount's last write (managedFields, creation, timeline) falls between those admissions,
  and the carrying pods' secrets cannot have come from their template (same owner as the refused pods, or a read
  revision whose template does not list them).

Not named: siblings that carry no secret either (the registry's own rules changed, or it never had one); a
carrying pod of another revision whose template was not read (template or account: unknown); a ServiceAccount
that still lists the secret (the secret's contents are refused: another story); a write after the failing pods
were admitted or one that cannot be dated. The survey calls `read` (reading only); `found` is pure over what was
read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml, pods_at_ends
from agent.triage.subject import workload_of_pod

CHECK = "change.pull_secret_source"
WEIGHT = 0.95
"""The ServiceAccount write that took the pull secret away outranks the refused pulls it caused."""
STORE = "pull_secret_source"
MAX_WORKLOADS = 2
MAX_FAILING = 2
MAX_CARRYING = 2
PULL_WAITING = ("ImagePullBackOff", "ErrImagePull")
_BY = re.compile(r"\b(?:written|created|updated|applied) by ([\w.@/-]+?)(?=[:,( ]|$)")
"""The manager a timeline summary names: `... created by Terraform:`, `... written by helm (now ...)`."""
PULL_WORDS = re.compile(r"imagePullSecrets|image[-_ ]?pull[-_ ]?secrets?|pull[-_ ]?secrets?|registry[-_ ]cred",
                        re.IGNORECASE)
MUTATING = re.compile(r"policy|webhook|^assign|modifyset|mutat", re.IGNORECASE)
"""Kinds that put fields into pods at admission: Kyverno (Cluster)Policy, Gatekeeper Assign/ModifySet, a
MutatingWebhookConfiguration, a MutatingAdmissionPolicy."""

Call = Callable[..., Awaitable[Any]]


@dataclass
class LostSecret:
    """A ServiceAccount written without the pull secrets its older pods still carry."""

    account: Ref
    secrets: list[str]
    written: datetime
    manager: str
    workload: Ref
    failing: int
    error: str
    evidence: list[str]
    source: str = "account"
    """Where the secrets went away: `account` (the ServiceAccount), `template` (the owner's pod template, `account`
    then holds the workload), `injector` (a mutating policy or webhook, `account` then holds it)."""


def refused_without_secret(facts: Facts) -> list[tuple[Ref, str]]:
    """Workloads whose pulls the registry refused while their pods had no pull secret, with the refusal's words."""
    out: list[tuple[Ref, str]] = []
    for f in facts.findings():
        details = f.get("details") or {}
        ref = Ref.of(f.get("object"))
        if (f.get("check") == "pod.image_pull" and isinstance(details, dict) and details.get("pull_secrets") == []
                and ref is not None and all(not r.same_object(ref) for r, _ in out)):
            out.append((ref, str(details.get("error") or "")))
    return out


async def read(facts: Facts, call: Call) -> None:
    """Reading only: for each refused workload, its newest and oldest pods, their ServiceAccounts, and the pod
    templates of the revisions the pods came from (ReplicaSets, ControllerRevisions)."""
    refused = refused_without_secret(facts)[:MAX_WORKLOADS]
    if not refused:
        return
    store = facts.reads.setdefault(STORE, {"pods": [], "accounts": [], "revisions": {}})
    store.setdefault("revisions", {})
    for workload, _ in refused:
        store["pods"] += await pods_at_ends(call, workload, MAX_CARRYING, MAX_FAILING, "survey-pull-secret")
        accounts = {str((p.get("spec") or {}).get("serviceAccountName") or "default") for p, _ in store["pods"]
                    if (p.get("metadata") or {}).get("namespace", workload.namespace) == workload.namespace}
        read_before = {(a.get("metadata") or {}).get("name") for a, _ in store["accounts"]
                       if (a.get("metadata") or {}).get("namespace", workload.namespace) == workload.namespace}
        for name in sorted(accounts - read_before):  # two workloads of a namespace often share its account
            got = await get_yaml(call, "ServiceAccount", name, workload.namespace, f"survey-pull-secret-sa-{name}")
            if got is not None:
                store["accounts"].append(got)
        for pod, _ in store["pods"]:
            key = _revision_key(pod)
            if key is None or key in store["revisions"]:
                continue
            kind, name = key.split("/", 1)
            namespace = str((pod.get("metadata") or {}).get("namespace") or workload.namespace)
            got = await get_yaml(call, kind, name, namespace, f"survey-pull-secret-revision-{name}")
            store["revisions"][key] = got if got is not None else None


def _revision_key(pod: dict[str, Any]) -> str | None:
    """`Kind/name` of the object that holds the pod template the pod was made from: its ReplicaSet, or the
    ControllerRevision its `controller-revision-hash` label names (StatefulSet, DaemonSet)."""
    owner = _owner(pod)
    kind, _, name = owner.partition("/")
    if kind == "ReplicaSet" and name:
        return owner
    revision = str(((pod.get("metadata") or {}).get("labels") or {}).get("controller-revision-hash") or "")
    if kind in ("StatefulSet", "DaemonSet") and name and revision:
        return f"ControllerRevision/{revision if revision.startswith(name + '-') else f'{name}-{revision}'}"
    return None


def _template_secrets(revisions: dict[str, Any], pod: dict[str, Any]) -> list[str] | None:
    """The imagePullSecrets the pod's revision's template lists; None when that revision was not read."""
    got = revisions.get(_revision_key(pod) or "")
    if not got:
        return None
    obj = got[0]
    holder = obj.get("data") if obj.get("kind") == "ControllerRevision" else obj
    template = ((holder or {}).get("spec") or {}).get("template") or {}
    return _secrets({"spec": template.get("spec") or {}})


def _secrets(obj: dict[str, Any]) -> list[str]:
    """The names of an object's `imagePullSecrets` (a pod's spec or a ServiceAccount's top level)."""
    items = (obj.get("spec") or {}).get("imagePullSecrets") if "spec" in obj else obj.get("imagePullSecrets")
    return [str(s.get("name")) for s in items or [] if isinstance(s, dict) and s.get("name")]


def _pull_failing(pod: dict[str, Any]) -> bool:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    statuses += (pod.get("status") or {}).get("initContainerStatuses") or []
    return any(((s.get("state") or {}).get("waiting") or {}).get("reason") in PULL_WAITING
               for s in statuses if isinstance(s, dict))


def _owner(pod: dict[str, Any]) -> str:
    refs = (pod.get("metadata") or {}).get("ownerReferences") or []
    return next((f"{r.get('kind')}/{r.get('name')}" for r in refs if isinstance(r, dict) and r.get("controller")),
                next((f"{r.get('kind')}/{r.get('name')}" for r in refs if isinstance(r, dict)), ""))


def last_write(account: dict[str, Any]) -> tuple[datetime, str] | None:
    """When the ServiceAccount was last written and by which manager (its creation when no later write shows)."""
    meta = account.get("metadata") or {}
    entries = [(parse_time(m.get("time")), str(m.get("manager") or ""))
               for m in meta.get("managedFields") or [] if isinstance(m, dict)]
    dated = [(t, who) for t, who in entries if t is not None]
    created = parse_time(meta.get("creationTimestamp"))
    if created is not None:
        dated.append((created, ""))
    return max(dated, key=lambda d: (d[0], bool(d[1]))) if dated else None


def _timeline_write(facts: Facts, namespace: str, name: str) -> tuple[datetime, str] | None:
    """The newest write of that ServiceAccount in the change timelines, with the manager its summary names (a
    `k8s_get` answer may leave managedFields out; the timeline still says who wrote it)."""
    out: tuple[datetime, str] | None = None
    for change, _, target in facts.writes_to(("ServiceAccount",), deletions=False):
        at = parse_time(change.get("at"))
        if at is None or target.name != name or target.namespace != namespace:
            continue
        who = _BY.search(str(change.get("summary") or ""))
        out = _newest(out, (at, who.group(1) if who else ""))
    return out


def _newest(a: tuple[datetime, str] | None, b: tuple[datetime, str] | None) -> tuple[datetime, str] | None:
    """The later of two dated writes; at the same moment, the one that names its writer."""
    dated = [w for w in (a, b) if w is not None]
    return max(dated, key=lambda d: (d[0], bool(d[1]))) if dated else None


def _carried_window(carrying: list[tuple[dict[str, Any], str]], victims: list[tuple[dict[str, Any], str]],
                    default: datetime) -> tuple[datetime, datetime]:
    """(the admission of the newest pod that carries the secrets, the admission of the first refused pod)."""
    carried_until = max(parse_time((p.get("metadata") or {}).get("creationTimestamp")) or default
                        for p, _ in carrying)
    first_refused = min(parse_time((p.get("metadata") or {}).get("creationTimestamp")) or default
                        for p, _ in victims)
    return carried_until, first_refused


def found(facts: Facts) -> list[LostSecret]:
    """For each refused workload and ServiceAccount: the pull secrets its older pods carry and its refused pods lack,
    and where they went away, whatever the pods' owners: the owner's pod template (an older revision listed them, the
    victims' does not), a namespace-level injector written in between (a mutating policy that put them into pods),
    or the ServiceAccount written in between without them (the revisions' templates never listed them)."""
    store = facts.reads.get(STORE) or {}
    pods: list[tuple[dict[str, Any], str]] = store.get("pods") or []
    revisions: dict[str, tuple[dict[str, Any], str]] = store.get("revisions") or {}
    out: list[LostSecret] = []
    for workload, error in refused_without_secret(facts):
        mine = [(p, e) for p, e in pods if workload_of_pod(str((p.get("metadata") or {}).get("name") or ""))
                == workload.name and (p.get("metadata") or {}).get("namespace", workload.namespace)
                == workload.namespace]
        failing = [(p, e) for p, e in mine if _pull_failing(p) and not _secrets(p)]
        for account, account_id in store.get("accounts") or []:
            meta = account.get("metadata") or {}
            name = str(meta.get("name") or "")
            if (meta.get("namespace") or workload.namespace) != workload.namespace:
                continue
            victims = [(p, e) for p, e in failing if _account_of(p) == name]
            carrying = [(p, e) for p, e in mine if _secrets(p) and _account_of(p) == name]
            lost = sorted({s for p, _ in carrying for s in _secrets(p)} - set(_secrets(account)))
            if not victims or not lost:
                continue
            carried_until, first_refused = _carried_window(carrying, victims, facts.at)
            if carried_until > first_refused:
                continue
            source = (_from_template(facts, workload, carrying, victims, lost, revisions,
                                     (carried_until, first_refused), error)
                      or _from_injector(facts, workload, carrying, victims, lost, (carried_until, first_refused),
                                        error)
                      or _from_account(facts, workload, account, account_id, carrying, victims, lost, revisions,
                                       (carried_until, first_refused), error))
            if source is not None:
                out.append(source)
    return out


def _account_of(pod: dict[str, Any]) -> str:
    return str((pod.get("spec") or {}).get("serviceAccountName") or "default")


def _from_account(facts: Facts, workload: Ref, account: dict[str, Any], account_id: str,
                  carrying: list[tuple[dict[str, Any], str]], victims: list[tuple[dict[str, Any], str]],
                  lost: list[str], revisions: dict[str, tuple[dict[str, Any], str]],
                  window: tuple[datetime, datetime], error: str) -> LostSecret | None:
    """The ServiceAccount, written between the two admissions without the secrets, when the carrying pods' secrets
    cannot have come from their template: the same owner as the refused pods, or an older revision whose template
    is read and does not list them."""
    name = str((account.get("metadata") or {}).get("name") or "")
    write = _newest(last_write(account), _timeline_write(facts, workload.namespace, name))
    if write is None or not window[0] <= write[0] <= window[1]:
        return None  # written before pods that still got the secrets, or after the refused ones: not this
    owners = {_owner(p) for p, _ in victims}
    for pod, _ in carrying:
        if _owner(pod) in owners and _owner(pod):
            continue
        listed = _template_secrets(revisions, pod)
        if listed is None or set(lost) & set(listed):
            return None  # another revision whose template is unread or lists the secret: not the account's doing
    return LostSecret(Ref("ServiceAccount", workload.namespace, name), lost, write[0], write[1], workload,
                      len(victims), error, [account_id] + [e for _, e in victims[:1] + carrying[:1] if e])


def _from_template(facts: Facts, workload: Ref, carrying: list[tuple[dict[str, Any], str]],
                   victims: list[tuple[dict[str, Any], str]], lost: list[str],
                   revisions: dict[str, tuple[dict[str, Any], str]], window: tuple[datetime, datetime],
                   error: str) -> LostSecret | None:
    """The workload, when an older revision's pod template lists the secrets and the refused pods' revision (read)
    does not: the rollout dropped them, whatever the ServiceAccount did. Dated by the workload's timeline write, or
    else the new revision's creation, between the two admissions."""
    dropped = sorted({s for p, _ in carrying for s in _template_secrets(revisions, p) or []} & set(lost))
    victim_keys = {_revision_key(p) for p, _ in victims} - {None}
    if not dropped or not victim_keys:
        return None
    newer = [revisions[k] for k in victim_keys if k in revisions]
    if not newer or any(set(dropped) & set(_template_secrets(revisions, p) or []) for p, _ in victims):
        return None
    created = [parse_time((obj.get("metadata") or {}).get("creationTimestamp")) for obj, _ in newer]
    timeline = _workload_write(facts, workload)
    dated = [timeline] if timeline is not None else []
    dated += [(t, "") for t in sorted(c for c in created if c is not None)]
    written = next((w for w in dated if window[0] <= w[0] <= window[1]), None)
    if written is None:
        return None
    return LostSecret(workload, dropped, written[0], written[1], workload, len(victims), error,
                      [e for _, e in newer[:1] + victims[:1] + carrying[:1] if e], source="template")


def _from_injector(facts: Facts, workload: Ref, carrying: list[tuple[dict[str, Any], str]],
                   victims: list[tuple[dict[str, Any], str]], lost: list[str], window: tuple[datetime, datetime],
                   error: str) -> LostSecret | None:
    """A mutating policy or webhook (any product) written or deleted between the two admissions that speaks of pull
    secrets in its change, or that the carrying pods' own annotations name next to imagePullSecrets."""
    stamps = " ".join(str(v) for p, _ in carrying for v in ((p.get("metadata") or {}).get("annotations") or {}
                                                             ).values())
    best: tuple[datetime, Ref, str, str] | None = None
    for change, evidence, target in facts.writes_to(None):
        at = parse_time(change.get("at"))
        if at is None or not window[0] <= at <= window[1] or target.kind.lower() in ("serviceaccount", "pod"):
            continue
        text = " ".join([str(change.get("summary") or "")] + [str(d) for d in change.get("diff") or []])
        named = PULL_WORDS.search(stamps) and re.search(rf"(?<![\w-]){re.escape(target.name)}(?![\w-])", stamps)
        mutating = MUTATING.search(target.kind) is not None
        if not (mutating and (PULL_WORDS.search(text) or named)):
            continue
        who = _BY.search(str(change.get("summary") or ""))
        if best is None or at > best[0]:
            best = (at, target, who.group(1) if who else "", evidence)
    if best is None:
        return None
    return LostSecret(best[1], lost, best[0], best[2], workload, len(victims), error,
                      [e for e in [best[3]] + [e for _, e in victims[:1] + carrying[:1]] if e], source="injector")


def _workload_write(facts: Facts, workload: Ref) -> tuple[datetime, str] | None:
    """The newest timeline write of the workload itself, with its writer."""
    out: tuple[datetime, str] | None = None
    for change, _, target in facts.writes_to((workload.kind,), deletions=False):
        at = parse_time(change.get("at"))
        if at is not None and target.same_object(workload):
            who = _BY.search(str(change.get("summary") or ""))
            out = _newest(out, (at, who.group(1) if who else ""))
    return out


def finding(ls: LostSecret, at: datetime) -> dict[str, Any]:
    """The suspect's finding: which secrets went away, from where, who wrote it, when, and whose pulls it broke."""
    ago = minutes_text(int((at - ls.written).total_seconds() // 60))
    who = f" by {ls.manager}" if ls.manager else ""
    secrets = ", ".join(ls.secrets)
    refusal = f" ({ls.error})" if ls.error else ""
    if ls.source == "template":
        message = (f"{ls.workload}'s pod template lost imagePullSecrets {secrets} in a rollout{who} {ago} before the "
                   f"alert: pods of its older revision carry them, the pods of the new revision have no pull secret "
                   f"and the registry refuses their pulls{refusal}. Put imagePullSecrets back into the pod template")
        reason = "PullSecretsDroppedFromTemplate"
    elif ls.source == "injector":
        message = (f"{ls.account} was written{who} {ago} before the alert; it is what put imagePullSecrets "
                   f"{secrets} into the older pods of {ls.workload} at admission: the pods created since have no "
                   f"pull secret and the registry refuses their pulls{refusal}. Restore the injecting rule (or "
                   f"declare the secrets on the ServiceAccount or pod template), then delete the failing pods")
        reason = "PullSecretInjectionStopped"
    else:
        message = (f"{ls.account} was written{who} {ago} before the alert without imagePullSecrets {secrets}, "
                   f"which the older pods of {ls.workload} still carry (admission copies a ServiceAccount's "
                   f"imagePullSecrets into each pod it creates): the pods created since have no pull secret and the "
                   f"registry refuses their pulls{refusal}. Put imagePullSecrets back on the ServiceAccount (or "
                   f"declare them in the pod template), then delete the failing pods")
        reason = "PullSecretsDropped"
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": ls.account.kind, "namespace": ls.account.namespace, "name": ls.account.name},
            "reason": reason, "message": message, "evidence": [],
            "details": {"secrets": ls.secrets, "written": str(ls.written), "manager": ls.manager,
                        "workload": str(ls.workload), "failing_pods": ls.failing, "source": ls.source}}
