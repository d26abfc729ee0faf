"""A controller refused at admission by a rule object written shortly before: blame the rule, say what it does.

Kubernetes admission quotes the rule that refused a create in the API's `forbidden` answer, and the controller
that asked (a ReplicaSet, a StatefulSet, a Job, an operator) passes it on verbatim in its FailedCreate event or
its log. Each governing object has its own wording, written by the API server's plugins or the policy engine:

- LimitRange (the LimitRanger plugin): `cpu max limit to request ratio per Container is 2, but provided ratio is
  8.000000`, `maximum memory usage per Container is 1Gi, but limit is 2Gi`, `minimum cpu usage per Pod is 100m,
  but request is 50m`; the message does not name the object, so every LimitRange of the namespace is read;
- ResourceQuota (the ResourceQuota plugin): `exceeded quota: NAME, requested: pods=1, used: pods=10, limited:
  pods=10`, `failed quota: NAME: must specify limits.cpu`;
- Kyverno: `blocked due to the following policies NAME: RULE: '...'` (a ClusterPolicy, or a Policy of the
  namespace); its rule type (validate, verifyImages) is read from the policy;
- ValidatingAdmissionPolicy: `ValidatingAdmissionPolicy 'NAME' with binding 'BINDING' denied request: ...`;
- Pod Security admission: `violates PodSecurity "restricted:latest": ...`, governed by the namespace's
  `pod-security.kubernetes.io/enforce` label;
- Kyverno 1.6+: `policy Pod/NS/NAME for resource violation: POLICY: RULE: 'validation error: ...'` (an
  `autogen-` rule is the policy's pod rule applied to a controller's template);
- any other validating webhook, `admission webhook "NAME" denied the request: ...`: a jsPolicy (the JsPolicy is
  named as its webhook; violationPolicy Warn/Dry do not deny), or a webhook configuration holding a webhook of
  that name;
- a webhook the API server cannot call, `failed calling webhook "NAME": failed to call webhook: Post ...: context
  deadline exceeded` (or connection refused, no endpoints, x509): its configuration's failurePolicy Fail turns
  the failed call into a refusal. Blamed only when the configuration's rules/failurePolicy/selectors were written
  (a caBundle-only write is a certificate rotation) and its backend's namespace shows nothing down and nothing
  written since (that backend is then the story).

When the refused object's workload is what a rollout or a scale just asked for, triage blamed that rollout or
scale; but the request was fine until the rule changed. The rule object is blamed when it was written (its
managedFields, creation, or the change timeline) within LEAD before the refusals began, and it still holds the
value the refusal quotes (a quota raised since, a policy set back to Audit, no longer refuse). The finding says
what the rule does and the refusal's numbers in words, early.

Twins: the same refusal when the rule was not written recently (the workload asked for more: its own change is
the cause), a rule written after the refusals began, a quota already raised past what it refused, a refusal that
quotes no governing rule (a missing ServiceAccount). `read` reads only; `found` is pure over what was read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time, said_by
from agent.triage.kube_reads import get_yaml
from agent.triage.limit_hit import all_logs
from agent.triage.subject import workload_of_pod

CHECK = "change.admission_rule"
WEIGHT = 0.95
"""The rule written before its own refusal: above the rollout or scale that only met it (tightened bound 0.89, a
related write 0.88) and the controller's FailedCreate (0.5)."""
READS = "admission_rule"
LEAD = timedelta(hours=72)
"""How long before the refusals began the rule may have been written and still be the change that started them."""
HISTORY_WINDOW = "72h"
"""The history read when none that long was (the same read node_split makes, so usually answered already)."""
SLACK = timedelta(minutes=2)
MAX_NAMESPACES = 3
MAX_OBJECTS = 6

Call = Callable[..., Awaitable[Any]]

_RATIO = re.compile(r"(?P<res>[\w./-]+) max limit to request ratio per (?P<scope>Container|Pod) is (?P<max>[\d.]+), "
                    r"but provided ratio is (?P<got>[\d.]+)", re.I)
_MAX = re.compile(r"maximum (?P<res>[\w./-]+) usage per (?P<scope>Container|Pod|PersistentVolumeClaim) is "
                  r"(?P<max>[\w.]+), but (?:limit|request) is (?P<got>[\w.]+)", re.I)
_MIN = re.compile(r"minimum (?P<res>[\w./-]+) usage per (?P<scope>Container|Pod|PersistentVolumeClaim) is "
                  r"(?P<min>[\w.]+), but request is (?P<got>[\w.]+)", re.I)
_QUOTA = re.compile(r"exceeded quota: (?P<name>[\w.-]+), requested: (?P<req>\S+?), used: (?P<used>\S+?), "
                    r"limited: (?P<lim>[\w./=,-]+)", re.I)
_QUOTA_SPECIFY = re.compile(r"failed quota: (?P<name>[\w.-]+): must specify (?P<what>[\w.,-]+)", re.I)
_KYVERNO = re.compile(r"blocked due to the following polic(?:y|ies)\s+(?P<name>[\w.-]+):\s*(?P<rule>[\w.-]+):\s*"
                      r"'?(?P<msg>[^']*)", re.I)
_VAP = re.compile(r"ValidatingAdmissionPolicy '(?P<name>[\w.-]+)' with binding '(?P<binding>[\w.-]+)' denied "
                  r"request: (?P<msg>.*)", re.I)
_KYVERNO_VIOLATION = re.compile(r"for resource violation:\s*(?P<name>[\w.-]+):\s*(?P<rule>[\w.-]+):\s*[|>]?-?\s*'?"
                                r"(?P<msg>(?:[^']|'')*)", re.I)
"""Kyverno 1.6 and later: `policy Pod/NS/NAME for resource violation: POLICY: RULE: 'validation error: ...'` (rules
autogenerated for a Deployment's or CronJob's pod template are prefixed `autogen-` / `autogen-cronjob-`)."""
_WEBHOOK_DENIED = re.compile(r'admission webhook \\?"(?P<name>[\w.-]+)\\?" denied the request:\s*(?P<msg>.*)', re.I)
"""Any validating webhook's denial (the API server's wording, webhook name quoted): jsPolicy's `deny("...")` (the
webhook is named after its JsPolicy), an in-house webhook; Kyverno's and Gatekeeper's own wording is read first."""
_WEBHOOK_FAILED = re.compile(r'failed calling webhook \\?"(?P<name>[\w.-]+)\\?":\s*(?:failed to call webhook:\s*)?'
                             r'(?P<msg>.*)', re.I)
"""The API server could not get an answer from a webhook (`context deadline exceeded`, `connection refused`, `no
endpoints available for service`, an x509 error): with failurePolicy Fail the request is refused."""
WEBHOOK_DENY, WEBHOOK_CALL = "AdmissionWebhook", "AdmissionWebhookCall"
"""Pseudo-kinds of a governor that is one webhook (named in the refusal) of a Validating/MutatingWebhookConfiguration
(named nowhere in it): the configuration is found among the read ones by its `webhooks[].name`."""
WEBHOOK_KINDS = ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration")
WEBHOOK_RULE_FIELDS = ("f:failurePolicy", "f:rules", "f:timeoutSeconds", "f:namespaceSelector", "f:objectSelector",
                       "f:service", "f:url", "f:matchConditions")
"""managedFields of a webhook configuration that change what it refuses; a write of `f:caBundle` alone (cert-manager's
cainjector, an operator rotating its serving certificate) does not."""
_GATEKEEPER = re.compile(r"gatekeeper\.sh\"? denied the request:\s*\[(?P<name>[\w.-]+)\]\s*(?P<msg>[^\[]*)", re.I)
_PSA = re.compile(r"violates PodSecurity \\?\"(?P<level>[\w:.-]+)\\?\":\s*(?P<msg>.*)", re.I)

CONSTRAINT = "Constraint"
"""Gatekeeper's constraints are each of their template's own kind (K8sRequiredLabels...): the kind is learnt from
the change timeline's write of an object of that name in the constraints.gatekeeper.sh group."""
DEFAULTED = "defaults"
"""The rule of a LimitRange that refuses nothing itself but gives every container that states no request its
`defaultRequest` (or `default`, which the API copies into both): a default raised is a quota's refusal of the
pods that state none (the quota quotes `requested: requests.cpu=1`, the default's value), not their request."""
TEMPLATE_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob")
NOUNS = {"persistentvolumeclaims": "claim (PersistentVolumeClaim)", "pods": "pod", "services": "Service",
         "configmaps": "ConfigMap", "secrets": "Secret", "requests.storage": "storage request",
         "services.loadbalancers": "LoadBalancer Service", "services.nodeports": "NodePort Service"}
"""What one more unit of a counted quota resource is, in words (requests.cpu etc. read as they are)."""


@dataclass(frozen=True)
class Refusal:
    """One admission refusal a controller (or an operator's log) passed on: who asked, and the API's words."""

    asker: Ref
    """The workload whose controller was refused (the owner of the ReplicaSet, the StatefulSet itself)."""
    text: str
    first: datetime | None
    count: int = 1
    evidence: str = ""


@dataclass(frozen=True)
class Governor:
    """The governing object a refusal quotes: its kind and name (`name` empty: every object of its kind in the
    namespace), and what the refusal says in words."""

    kind: str
    namespace: str
    name: str
    rule: str
    """A short name of what refused (`maxLimitRequestRatio cpu`, `persistentvolumeclaims`, the policy's rule)."""
    quoted: str
    """The refusal's own decisive words."""


@dataclass
class RuleWrite:
    """A governing object written before the refusals it makes, with what it does."""

    target: Ref
    asker: Ref
    written: datetime
    meaning: str
    quoted: str
    count: int
    fix: str
    evidence: list[str] = field(default_factory=list)


def governors(text: str, namespace: str) -> list[Governor]:
    """The governing objects an admission refusal's wording names or implies, in the order they were quoted."""
    one = " ".join(text.split())
    out: list[Governor] = []
    for m in _RATIO.finditer(one):
        out.append(Governor("LimitRange", namespace, "", f"maxLimitRequestRatio {m['res']}", m.group(0)))
    for m in _MAX.finditer(one):
        out.append(Governor("LimitRange", namespace, "", f"max {m['res']}", m.group(0)))
    for m in _MIN.finditer(one):
        out.append(Governor("LimitRange", namespace, "", f"min {m['res']}", m.group(0)))
    for m in _QUOTA.finditer(one):
        out.append(Governor("ResourceQuota", namespace, m["name"], m["lim"], m.group(0)))
        out.append(Governor("LimitRange", namespace, "", DEFAULTED, m.group(0)))
    for m in _QUOTA_SPECIFY.finditer(one):
        out.append(Governor("ResourceQuota", namespace, m["name"], f"must specify {m['what']}", m.group(0)))
    for m in [*_KYVERNO.finditer(one), *_KYVERNO_VIOLATION.finditer(one)]:
        out.append(Governor("ClusterPolicy", "", m["name"], m["rule"], m["msg"].strip(" :'")))
        out.append(Governor("Policy", namespace, m["name"], m["rule"], m["msg"].strip(" :'")))
    for m in _VAP.finditer(one):
        out.append(Governor("ValidatingAdmissionPolicy", "", m["name"], m["binding"], m["msg"].strip()))
        out.append(Governor("ValidatingAdmissionPolicyBinding", "", m["binding"], m["name"], m["msg"].strip()))
    for m in _GATEKEEPER.finditer(one):
        out.append(Governor(CONSTRAINT, "", m["name"], m["name"], m["msg"].strip()))
    for m in _PSA.finditer(one):
        out.append(Governor("Namespace", "", namespace, m["level"], m["msg"].strip()))
    if not out:  # a webhook the engines above do not explain: the JsPolicy or webhook configuration of that name
        for m in _WEBHOOK_DENIED.finditer(one):
            out.append(Governor("JsPolicy", "", m["name"], m["name"], m["msg"].strip()))
            out.append(Governor(WEBHOOK_DENY, "", "", m["name"], m["msg"].strip()))
        for m in _WEBHOOK_FAILED.finditer(one):
            out.append(Governor(WEBHOOK_CALL, "", "", m["name"], m["msg"].strip()))
    return out


def _events(facts: Facts) -> list[dict[str, Any]]:
    return [e for e in (facts.reads.get(READS) or {}).get("events") or [] if isinstance(e, dict)]


def refusals(facts: Facts) -> list[Refusal]:
    """Every admission refusal the evidence passes on: FailedCreate events (full text where read, else the scan's
    clipped quote) and log lines of controllers or operators that print the API's `forbidden` answer."""
    scanned: list[Refusal] = []
    owners: dict[tuple[str, str], Ref] = {}
    for f in facts.findings():
        if f.get("check") != "workload.failed_create":
            continue
        obj, owner = Ref.of(f.get("object")), Ref.of(f.get("owner"))
        if obj is None:
            continue
        asker = owner or obj
        owners[(obj.namespace, obj.name)] = asker
        text = " ".join([str((f.get("details") or {}).get("error") or ""), *map(str, f.get("evidence") or [])])
        scanned.append(Refusal(asker, text, parse_time(f.get("since")), int(f.get("count") or 1),
                               facts.scan_id or ""))
    out: list[Refusal] = []  # the events' full text first, the scan's clipped quote after it
    ev_id = str((facts.reads.get(READS) or {}).get("events_id") or "")
    for e in _events(facts):
        if str(e.get("reason")) not in ("FailedCreate", "FailedCreatePod"):
            continue
        ns, name = str(e.get("namespace") or ""), str(e.get("name") or "")
        asker = owners.get((ns, name)) or Ref(str(e.get("kind") or ""), ns, name)
        out.append(Refusal(asker, str(e.get("message") or ""), parse_time(e.get("first_seen")),
                           int(e.get("count") or 1), ev_id))
    for c in (facts.reads.get(READS) or {}).get("conditions") or []:
        if isinstance(c, dict):
            out.append(Refusal(Ref(str(c.get("kind")), str(c.get("namespace")), str(c.get("name"))),
                               str(c.get("message") or ""), parse_time(c.get("since")), 1, str(c.get("evidence"))))
    for log in all_logs(facts):
        for entry in log.entries():
            text = " ".join(str(entry.get(k) or "") for k in ("message", "example", "template"))
            low = text.lower()
            if any(w in low for w in ("forbidden", "denied the request", "failed calling webhook")) and \
                    governors(text, log.namespace):
                out.append(Refusal(Ref("", log.namespace, workload_of_pod(log.pod)), said_by(entry) or text,
                                   parse_time(entry.get("first_seen")), 1, log.evidence_id))
    return [*out, *scanned]


def _objects(facts: Facts) -> list[tuple[dict[str, Any], str]]:
    return [(o, str(e)) for o, e in (facts.reads.get(READS) or {}).get("objects") or [] if isinstance(o, dict)]


def _all_changes(facts: Facts) -> list[tuple[dict[str, Any], str]]:
    """The timelines other modules read, then the one this module read when none reached LEAD back."""
    own = [(c, str(e)) for h, e in (facts.reads.get(READS) or {}).get("history") or []
           for c in h.get("changes") or [] if isinstance(c, dict)]
    return [*facts.every_change(), *own]


def _written(obj: dict[str, Any], facts: Facts, target: Ref) -> tuple[datetime | None, str]:
    """When the object's rule was last written: its newest managedFields entry that touched the rule (spec, or the
    namespace's labels), its creation, or a write the change timeline shows; with the timeline's evidence id."""
    meta = obj.get("metadata") or {}
    times: list[tuple[datetime, str]] = []
    part = "f:labels" if target.kind == "Namespace" else ""
    for mf in meta.get("managedFields") or []:
        at = parse_time((mf or {}).get("time"))
        fields = str((mf or {}).get("fieldsV1") or "")
        if target.kind in WEBHOOK_KINDS:
            if at is not None and any(f in fields for f in WEBHOOK_RULE_FIELDS):
                times.append((at, ""))
            continue
        if at is not None and (not part or part in fields) and ("f:spec" in fields or part in fields or
                                                                target.kind == "Namespace" or not fields):
            times.append((at, ""))
    created = parse_time(meta.get("creationTimestamp"))
    if created is not None and target.kind != "Namespace":
        times.append((created, ""))
    for change, evidence in _all_changes(facts):
        ref, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if ref is not None and at is not None and ref.same_object(target):
            times.append((at, evidence))
    if not times:
        return None, ""
    return max(times, key=lambda t: t[0])


def _quantity(text: str) -> float | None:
    """A Kubernetes quantity as a number (m, Ki..Ei, k..E), for comparing a limit with what a refusal quoted."""
    m = re.fullmatch(r"([\d.]+)(m|Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?", text.strip())
    if m is None:
        return None
    unit = {"m": 1e-3, "Ki": 2.0 ** 10, "Mi": 2.0 ** 20, "Gi": 2.0 ** 30, "Ti": 2.0 ** 40, "Pi": 2.0 ** 50,
            "Ei": 2.0 ** 60, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}.get(m[2] or "", 1.0)
    return float(m[1]) * unit


def _pairs(text: str) -> dict[str, str]:
    return dict(p.split("=", 1) for p in text.split(",") if "=" in p)


def _limitrange(gov: Governor, obj: dict[str, Any]) -> tuple[str, str] | None:
    """What the LimitRange's matching item does, in words, when it still holds the quoted bound."""
    field_name, res = gov.rule.split(" ", 1)
    m = _RATIO.search(gov.quoted) or _MAX.search(gov.quoted) or _MIN.search(gov.quoted)
    if m is None:
        return None
    scope = m["scope"]
    for item in (obj.get("spec") or {}).get("limits") or []:
        if str((item or {}).get("type")) != scope:
            continue
        key = {"maxLimitRequestRatio": "maxLimitRequestRatio"}.get(field_name, field_name)
        value = ((item or {}).get(key) or {}).get(res)
        if value is None:
            continue
        if _quantity(str(value)) != _quantity(m["max"] if field_name != "min" else m["min"]):
            continue  # the bound was changed again since the refusal
        if field_name == "maxLimitRequestRatio":
            got = m["got"].rstrip("0").rstrip(".")
            return (f"its maxLimitRequestRatio caps each {scope.lower()}'s {res} limit at {value} times its "
                    f"request, and the pods ask a ratio of {got} (limit {got}x the request), so every new pod is "
                    f"forbidden at admission",
                    f"raise or remove maxLimitRequestRatio {res} (or bring the pods' {res} request within "
                    f"{value}x of the limit)")
        word = "maximum" if field_name == "max" else "minimum"
        return (f"its {field_name} {res} per {scope} is {value} ({word}), and the pods ask {m['got']}, so every "
                f"new pod is forbidden at admission", f"restore the LimitRange's {field_name} {res}")
    return None


def template_containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    """The containers of a workload's pod template (a CronJob's through its jobTemplate), or a pod's own."""
    spec = obj.get("spec") or {}
    if "jobTemplate" in spec:
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    if "template" in spec:
        spec = (spec.get("template") or {}).get("spec") or {}
    return [c for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])] if isinstance(c, dict)]


def _defaulted(gov: Governor, obj: dict[str, Any], asker: dict[str, Any] | None) -> tuple[str, str] | None:
    """What a LimitRange's container default does to the refused pods, in words: only when the asker's containers
    state no request (nor limit) of the refused resource, and the default is what the quota says each pod asks."""
    m = _QUOTA.search(gov.quoted)
    if m is None or asker is None:
        return None
    containers = template_containers(asker)
    req, lim = _pairs(m["req"]), _pairs(m["lim"])
    for item in (obj.get("spec") or {}).get("limits") or []:
        if str((item or {}).get("type")) != "Container":
            continue
        for quoted in lim:
            side, _, res = quoted.rpartition(".")
            side = side or "requests"  # a bare `cpu` in a quota is requests.cpu
            if side == "requests":
                value = ((item.get("defaultRequest") or {}).get(res) or (item.get("default") or {}).get(res))
            elif side == "limits":
                value = (item.get("default") or {}).get(res)
            else:
                continue
            asked = _quantity(str(req.get(quoted) or ""))
            if value is None or asked is None or not containers:
                continue
            bare = [c for c in containers if res not in ((c.get("resources") or {}).get("requests") or {})
                    and res not in ((c.get("resources") or {}).get("limits") or {})]
            if len(bare) != len(containers) or abs(len(bare) * (_quantity(str(value)) or 0) - asked) > 1e-9:
                continue  # a container states its own, or the default is not what each pod asks
            names = ", ".join(str(c.get("name")) for c in bare)
            key = "defaultRequest" if side == "requests" and (item.get("defaultRequest") or {}).get(res) else "default"
            return (f"its {key} {res} {value} is given to every container that states no {res} request, and the "
                    f"refused pods' containers ({names}) state none, so each pod now asks {quoted}={req[quoted]} and "
                    f"ResourceQuota {m['name']} admits fewer of them: exceeded quota, used {m['used']}, limited "
                    f"{m['lim']}",
                    f"state {res} requests in the workload's template, or restore the LimitRange's {key} {res} (or "
                    f"raise the quota)")
    return None


def _quota(gov: Governor, obj: dict[str, Any]) -> tuple[str, str] | None:
    """What the quota refused, in words, when its hard limits still refuse it."""
    hard = {str(k): str(v) for k, v in ((obj.get("spec") or {}).get("hard") or {}).items()}
    m = _QUOTA.search(gov.quoted)
    if m is None:
        what = gov.rule.removeprefix("must specify ")
        return (f"it counts {what}, so every new pod that does not set them is forbidden at admission (failed "
                f"quota)", f"set {what} on the pods (or a LimitRange default) or take {what} out of the quota")
    req, used, lim = _pairs(m["req"]), _pairs(m["used"]), _pairs(m["lim"])
    held = [r for r, v in lim.items() if r in hard and (_quantity(hard[r]) or 0) <= (_quantity(v) or 0)]
    if not held:
        return None  # raised since the refusal: it no longer refuses
    parts = []
    for r in held:
        noun = NOUNS.get(r, r)
        parts.append(f"{r} {hard[r]} with {used.get(r, '?')} already used, so one more {noun} "
                     f"(requested {req.get(r, '?')}) is forbidden")
    full = "; ".join(parts)
    return (f"its hard limit is already reached: {full} at admission (exceeded quota: requested "
            f"{m['req']}, used {m['used']}, limited {m['lim']})",
            f"raise the ResourceQuota's hard {', '.join(held)} (or free what is used)")


def _keys(rule: dict[str, Any]) -> str:
    """The kind of key a Kyverno verifyImages rule checks signatures against, in words."""
    text = str(rule.get("verifyImages") or "")
    kinds = []
    if "publicKeys" in text:
        kinds.append("public keys")
    if "keyless" in text or "certificates" in text:
        kinds.append("keyless identities/certificates")
    return " and ".join(kinds) or "attestors"


def _kyverno(gov: Governor, obj: dict[str, Any]) -> tuple[str, str] | None:
    """What the Kyverno rule does, in words, when the policy still has it (and enforces)."""
    spec = obj.get("spec") or {}
    own = re.sub(r"^autogen-(?:cronjob-)?", "", gov.rule)  # the rule Kyverno autogenerated for a pod controller
    rule = next((r for r in spec.get("rules") or [] if isinstance(r, dict) and r.get("name") in (gov.rule, own)),
                None)
    if rule is None:
        return None
    action = str(spec.get("validationFailureAction") or (rule.get("validate") or {}).get("failureAction")
                 or "Audit")
    tail = gov.quoted.rstrip(" :.'").rsplit(": ", 1)[-1]  # the decisive clause comes last in Kyverno's message
    quote = f"'{tail[:160]}'" if tail else "the rule's message"
    if rule.get("verifyImages"):
        verify = rule["verifyImages"]
        kind = str((verify[0] if isinstance(verify, list) and verify else {}).get("type") or "Cosign")
        kind = "cosign" if kind.lower() == "cosign" else kind
        image = re.search(r"verify image (\S+?):? ", gov.quoted)
        named = f" for {image[1]}" if image else ""
        return (f"its verifyImages rule {gov.rule} checks every image's {kind} signatures against the {_keys(rule)} "
                f"in its attestors and refuses the pod when none match ({quote}{named}): the image is not signed with "
                f"the key the policy now holds (a key rotated before the images were signed with it)",
                "put the key the images are signed with back among the attestors (both keys during a rotation), "
                "or sign the images with the new key")
    if rule.get("validate") and action.lower() == "audit":
        return None  # Audit reports, it does not refuse
    return (f"its {'validate' if rule.get('validate') else 'admission'} rule {gov.rule} (validationFailureAction "
            f"{action}) refuses the pod: {quote}", "make the pod comply with the rule, add a PolicyException, or "
            "restore the policy")


def _vap(gov: Governor, obj: dict[str, Any]) -> tuple[str, str] | None:
    """What the ValidatingAdmissionPolicy (or its binding) does, in words."""
    spec = obj.get("spec") or {}
    if gov.kind.endswith("Binding"):
        actions = ", ".join(str(a) for a in spec.get("validationActions") or []) or "Deny"
        if "Deny" not in actions:
            return None
        return (f"it binds ValidatingAdmissionPolicy {gov.rule} with validationActions {actions}, so its "
                f"validations refuse the request: '{gov.quoted[:160]}'",
                "set the binding back to Warn/Audit or narrow its matchResources")
    rules = [v for v in spec.get("validations") or [] if isinstance(v, dict)]
    quoted = [v for v in rules if v.get("message") and str(v["message"]) in gov.quoted]  # the one that refused
    exprs = "; ".join(str(v.get("expression")) for v in quoted or rules)[:160]
    return (f"its validations ({exprs}) refuse the request: '{gov.quoted[:160]}'",
            "restore the policy's validations or make the object comply")


def _psa(gov: Governor, obj: dict[str, Any]) -> tuple[str, str] | None:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    level = str(labels.get("pod-security.kubernetes.io/enforce") or "")
    if not level or not gov.rule.startswith(level):
        return None
    return (f"its label pod-security.kubernetes.io/enforce={level} makes PodSecurity admission refuse pods that "
            f"violate the {level} level ({gov.rule}): {gov.quoted[:160]}",
            "set the namespace's enforce label back (or make the pods comply: runAsNonRoot, drop capabilities, "
            "seccompProfile)")


def _constraint(gov: Governor, obj: dict[str, Any]) -> tuple[str, str] | None:
    """What the Gatekeeper constraint does, in words, when it still denies (dryrun and warn only report)."""
    spec = obj.get("spec") or {}
    action = str(spec.get("enforcementAction") or "deny")
    if action.lower() != "deny":
        return None
    params = str(spec.get("parameters") or "")[:120]
    return (f"its Gatekeeper {obj.get('kind')} rule (enforcementAction deny, parameters {params}) denies the "
            f"request: '{gov.quoted[:160]}'", "restore the constraint's parameters or match, set it to dryrun, or "
            "make the object comply")


def _jspolicy(gov: Governor, obj: dict[str, Any]) -> tuple[str, str] | None:
    """What the jsPolicy does, in words, when it still denies (violationPolicy Warn and Dry only report)."""
    spec = obj.get("spec") or {}
    action = str(spec.get("violationPolicy") or "Deny")
    if action.lower() != "deny":
        return None
    kind = str(spec.get("type") or "Validating").lower()
    return (f"its JavaScript {kind} policy (violationPolicy {action}) denies the request: '{gov.quoted[:160]}'",
            "set the JsPolicy's violationPolicy to Warn or Dry, restore its javascript, or make the object comply")


def _webhook_entry(gov: Governor, obj: dict[str, Any]) -> dict[str, Any] | None:
    return next((w for w in obj.get("webhooks") or [] if isinstance(w, dict) and w.get("name") == gov.rule), None)


def _service(hook: dict[str, Any]) -> str:
    config = hook.get("clientConfig") or {}
    svc = config.get("service") or {}
    return f"Service {svc.get('namespace')}/{svc.get('name')}" if svc.get("name") else str(config.get("url") or "?")


def _webhook(gov: Governor, obj: dict[str, Any]) -> tuple[str, str] | None:
    """What the webhook does, in words: it denies (a webhook registered or widened), or it cannot be called and
    its failurePolicy Fail turns that into a refusal (Ignore would have let the request through)."""
    hook = _webhook_entry(gov, obj)
    if hook is None:
        return None
    policy = str(hook.get("failurePolicy") or "Fail")  # admissionregistration.k8s.io/v1 defaults to Fail
    if gov.kind == WEBHOOK_DENY:
        return (f"its webhook {gov.rule} (calling {_service(hook)}) denies the request: '{gov.quoted[:160]}'",
                "restore the webhook's rules and namespaceSelector, or make the object comply")
    if policy.lower() != "fail":
        return None
    said = CALL_FAILED.search(gov.quoted)
    why = said.group(0).strip('\\"') if said else (gov.quoted.strip(' "\\').rsplit(": ", 1)[-1][:80] or "no answer")
    return (f"its webhook {gov.rule} has failurePolicy Fail (timeoutSeconds {hook.get('timeoutSeconds', 10)}) and the "
            f"API server cannot call it ({_service(hook)}: {why}), so every request the webhook matches is refused "
            f"instead of let through",
            f"set the webhook's failurePolicy to Ignore or exclude the namespaces that must keep working with its "
            f"namespaceSelector, or bring {_service(hook)} back")


def _meaning(gov: Governor, obj: dict[str, Any]) -> tuple[str, str] | None:
    if gov.kind == "LimitRange":
        return _limitrange(gov, obj)
    if gov.kind == "ResourceQuota":
        return _quota(gov, obj)
    if gov.kind in ("ClusterPolicy", "Policy"):
        return _kyverno(gov, obj)
    if gov.kind.startswith("ValidatingAdmissionPolicy"):
        return _vap(gov, obj)
    if gov.kind == "Namespace":
        return _psa(gov, obj)
    if gov.kind == CONSTRAINT:
        return _constraint(gov, obj)
    if gov.kind == "JsPolicy":
        return _jspolicy(gov, obj)
    if gov.kind in (WEBHOOK_DENY, WEBHOOK_CALL):
        return _webhook(gov, obj)
    return None


def _candidates(gov: Governor, facts: Facts) -> list[tuple[dict[str, Any], str]]:
    """The objects read that this governor may be (every LimitRange of the namespace when the refusal names none)."""
    out = []
    for obj, evidence in _objects(facts):
        meta = obj.get("metadata") or {}
        if gov.kind == CONSTRAINT:
            if "constraints.gatekeeper.sh" not in str(obj.get("apiVersion") or "") or meta.get("name") != gov.name:
                continue
        elif gov.kind in (WEBHOOK_DENY, WEBHOOK_CALL):
            if str(obj.get("kind") or "") not in WEBHOOK_KINDS or _webhook_entry(gov, obj) is None:
                continue
        elif str(obj.get("kind") or "") != gov.kind or (meta.get("namespace") or "") != gov.namespace:
            continue
        if gov.name and meta.get("name") != gov.name:
            continue
        out.append((obj, evidence))
    return out


CALL_FAILED = re.compile(r"context deadline exceeded|connection refused|no endpoints available for service \S+|"
                         r"no route to host|i/o timeout|x509: [^\"]{0,80}|tls: [^\"]{0,80}|service \S+ not found|"
                         r"\bEOF\b", re.I)
"""How the API server's dispatcher says the webhook call itself failed (timeout, nothing listening, no ready
endpoint, a certificate it does not trust)."""
BACKEND_DOWN = ("workload.unavailable", "pod.crashloop", "pod.pending", "pod.not_ready", "workload.degraded")


def _backend_broken(facts: Facts, gov: Governor, obj: dict[str, Any], written: datetime) -> bool:
    """Whether the namespace of the webhook's Service shows a workload down in the scan, or a workload written
    after the configuration: the call fails because its backend does, and the configuration only met it."""
    hook = _webhook_entry(gov, obj) or {}
    ns = str(((hook.get("clientConfig") or {}).get("service") or {}).get("namespace") or "")
    if not ns:
        return False
    for f in facts.findings():
        ref = Ref.of(f.get("object"))
        if ref is not None and ref.namespace == ns and f.get("check") in BACKEND_DOWN:
            return True
    for change, _ in _all_changes(facts):
        ref, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if ref is not None and at is not None and ref.namespace == ns and ref.kind in (
                "Deployment", "StatefulSet", "DaemonSet", "Service", "NetworkPolicy") and at >= written:
            return True
    return False


def _asker(facts: Facts, asker: Ref) -> dict[str, Any] | None:
    """The refused workload as read (for its pod template), or None when it was not."""
    for obj, _ in (facts.reads.get(READS) or {}).get("askers") or []:
        meta = obj.get("metadata") or {}
        if isinstance(obj, dict) and str(obj.get("kind") or "") == asker.kind and meta.get("name") == asker.name and \
                str(meta.get("namespace") or asker.namespace) == asker.namespace:
            return obj
    return None


def found(facts: Facts) -> list[RuleWrite]:
    """Each governing object written within LEAD before the admission refusals it makes, still refusing."""
    out: list[RuleWrite] = []
    for ref in refusals(facts):
        for gov in governors(ref.text, ref.asker.namespace):
            for obj, evidence in _candidates(gov, facts):
                meta = obj.get("metadata") or {}
                kind = str(obj.get("kind") or gov.kind) if gov.kind in (CONSTRAINT, WEBHOOK_DENY, WEBHOOK_CALL) \
                    else gov.kind
                target = Ref(kind, gov.namespace, str(meta.get("name") or gov.name))
                if any(w.target.same_object(target) and w.asker == ref.asker for w in out):
                    continue
                written, change_ev = _written(obj, facts, target)
                if written is None or not timedelta(0) <= facts.at - written <= LEAD:
                    continue
                if ref.first is not None and ref.first < written - SLACK:
                    continue  # refused before the write: the write did not start it
                if gov.kind == WEBHOOK_CALL and _backend_broken(facts, gov, obj, written):
                    continue  # the webhook's own backend failed or changed since: that is the story, not the config
                said = _defaulted(gov, obj, _asker(facts, ref.asker)) if gov.rule == DEFAULTED else \
                    _meaning(gov, obj)
                if said is None:
                    continue
                meaning, fix = said
                out.append(RuleWrite(target, ref.asker, written, meaning, " ".join(ref.text.split())[:220],
                                     ref.count, fix, [e for e in (evidence, change_ev, ref.evidence) if e]))
    out.sort(key=lambda w: w.written, reverse=True)
    return out


def finding(w: RuleWrite, at: datetime) -> dict[str, Any]:
    """The rule object, what it does and what it refused, first; then the controller's own words and the fix."""
    ago = minutes_text(int((at - w.written).total_seconds() // 60))
    asker = str(w.asker) if w.asker.kind else f"{w.asker.namespace}/{w.asker.name}"
    times = f" (x{w.count})" if w.count > 1 else ""
    message = (f"{w.target} was written {ago} before the incident and now refuses at admission what {asker} "
               f"creates: {w.meaning}. The controller says{times}: '{w.quoted}'. It was the rule that changed, not "
               f"the request: {w.fix}")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": w.target.kind, "namespace": w.target.namespace, "name": w.target.name},
            "reason": "AdmissionRefused", "message": message, "evidence": [w.quoted[:200]],
            "details": {"asker": asker, "written": w.written.isoformat().replace("+00:00", "Z")}}


def replica_failure(obj: dict[str, Any]) -> tuple[str, str] | None:
    """A Deployment's ReplicaFailure condition (its ReplicaSet's last create error, kept after the events expire):
    (message, since) when it is True."""
    for c in (obj.get("status") or {}).get("conditions") or []:
        if isinstance(c, dict) and c.get("type") == "ReplicaFailure" and str(c.get("status")) == "True":
            return str(c.get("message") or ""), str(c.get("lastTransitionTime") or c.get("lastUpdateTime") or "")
    return None


async def _conditions(facts: Facts, call: Call, store: dict[str, Any]) -> None:
    """The ReplicaFailure conditions of the Deployments the scan found short of replicas or stuck."""
    wanted = [r for f in facts.findings() if f.get("check") in ("workload.unavailable", "workload.rollout_stuck")
              and (r := Ref.of(f.get("object"))) is not None and r.kind == "Deployment"]
    store["conditions"] = []
    for ref in list(dict.fromkeys(wanted))[:MAX_NAMESPACES]:
        known = facts.object_named("Deployment", ref.namespace, ref.name)
        got = (known, next(e for o, e in facts.objects if o is known)) if known is not None else \
            await get_yaml(call, "Deployment", ref.name, ref.namespace, f"survey-admission-rule-deploy-{ref.name}")
        failure = replica_failure(got[0]) if got is not None else None
        if got is not None and failure is not None and governors(failure[0], ref.namespace):
            store["conditions"].append({"kind": "Deployment", "namespace": ref.namespace, "name": ref.name,
                                        "message": failure[0], "since": failure[1], "evidence": got[1]})


async def read(facts: Facts, call: Call, at: str) -> None:
    """Read, for namespaces whose controllers were refused at creation, their events (full refusal text) and the
    governing objects the refusals quote; keep them in `facts.reads[READS]`."""
    failed = [f for f in facts.findings() if f.get("check") == "workload.failed_create"]
    store: dict[str, Any] = facts.reads.setdefault(READS, {"events": [], "objects": [], "history": []})
    if not failed:  # the events may have expired (about an hour): the Deployment's condition keeps the refusal
        await _conditions(facts, call, store)
    logged = [r for r in refusals(facts) if r.evidence and r.evidence != facts.scan_id]
    if not failed and not logged:
        return
    if not facts.history_reaches(LEAD):  # kept in this store: other modules' view of the timeline is not widened
        got_history = await call("k8s_changes", {"at": at, "window": HISTORY_WINDOW}, "survey-admission-rule-history")
        if got_history is not None and got_history.ok and isinstance(got_history.data, dict):
            store["history"] = [[got_history.data, got_history.evidence_id]]
    namespaces = list(dict.fromkeys(str((Ref.of(f.get("object")) or Ref("", "", "")).namespace) for f in failed))
    for ns in [n for n in namespaces if n][:MAX_NAMESPACES]:
        got = await call("k8s_events", {"namespace": ns, "warnings_only": True}, f"survey-admission-rule-events-{ns}")
        if got is not None and got.ok and isinstance(got.data, dict):
            store["events"] += [e for e in got.data.get("events") or [] if isinstance(e, dict)]
            store["events_id"] = got.evidence_id
    wanted: list[Governor] = []
    store.setdefault("askers", [])
    for ref in refusals(facts):
        govs = governors(ref.text, ref.asker.namespace)
        wanted += [g for g in govs if g not in wanted]
        if any(g.rule == DEFAULTED for g in govs) and ref.asker.kind in TEMPLATE_KINDS and \
                _asker(facts, ref.asker) is None and len(store["askers"]) < MAX_NAMESPACES:
            got_asker = await get_yaml(call, ref.asker.kind, ref.asker.name, ref.asker.namespace,
                                       f"survey-admission-rule-asker-{ref.asker.name}")
            if got_asker is not None:
                got_asker[0].setdefault("kind", ref.asker.kind)
                store["askers"].append(got_asker)
    seen: set[tuple[str, str, str]] = set()
    reads = 0
    for gov in wanted:
        names, kind = [gov.name], gov.kind
        if gov.kind == CONSTRAINT:  # the constraint's own kind, from a timeline write of that name
            kind = next((str(r.kind) for c, _ in _all_changes(facts)
                         if (r := Ref.of(c.get("object"))) is not None and r.name == gov.name and r.kind
                         and not r.namespace), "")
            if not kind:
                continue
        if gov.kind in (WEBHOOK_DENY, WEBHOOK_CALL):  # the configurations the timeline shows written within LEAD
            for change, _ in _all_changes(facts):
                r, when = Ref.of(change.get("object")), parse_time(change.get("at"))
                if r is not None and r.kind in WEBHOOK_KINDS and when is not None and \
                        timedelta(0) <= facts.at - when <= LEAD and (r.kind, "", r.name) not in seen \
                        and reads < MAX_OBJECTS:
                    seen.add((r.kind, "", r.name))
                    reads += 1
                    got_hook = await get_yaml(call, r.kind, r.name, "", f"survey-admission-rule-webhook-{r.name}")
                    if got_hook is not None:
                        got_hook[0].setdefault("kind", r.kind)
                        store["objects"].append(got_hook)
            continue
        if not gov.name:  # a LimitRange refusal names no object: every LimitRange of the namespace
            listed = await call("k8s_list", {"kind": gov.kind, "namespace": gov.namespace},
                                f"survey-admission-rule-list-{gov.namespace}")
            rows = (listed.data.get("rows") or []) if listed is not None and listed.ok and \
                isinstance(listed.data, dict) else []
            names = [str(r.get("name")) for r in rows if isinstance(r, dict) and r.get("name")]
        for name in names:
            key = (kind, gov.namespace, name)
            if key in seen or reads >= MAX_OBJECTS:
                continue
            seen.add(key)
            reads += 1
            got_obj = await get_yaml(call, kind, name, gov.namespace, f"survey-admission-rule-{kind.lower()}-{name}")
            if got_obj is not None:
                obj, evidence = got_obj
                obj.setdefault("kind", kind)
                store["objects"].append((obj, evidence))
