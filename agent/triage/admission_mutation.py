"""A pod that fails with a spec its workload never asked for: a mutating admission policy, written shortly before,
changed it on the way in.

What the kubelet runs is the pod as admitted, not its template. Mutating admission sits in between: Kyverno
policies (`mutate` rules: patchStrategicMerge, patchesJson6902, foreach), Gatekeeper mutators (Assign,
AssignImage, AssignMetadata, ModifySet), MutatingAdmissionPolicies and any MutatingWebhookConfiguration. A
rule that rewrites images to a registry mirror the mirror cannot serve (pull `not found`), sets an env value,
cuts a resource or adds a securityContext makes the workload's new pods fail although its own spec is right,
and the rollout that created them is only the moment it showed.

The evidence is the difference between the failing pod and the template of its controller (its ReplicaSet,
StatefulSet, DaemonSet or Job) in the failing container: image, command/args, env, resources, securityContext.
The actor says it did it where it can:

- Kyverno annotates the pod `policies.kyverno.io/last-applied-patches: <rule>.<policy>.kyverno.io: replaced
  /spec/containers/0/image` (a ClusterPolicy, or a Policy in the pod's namespace);
- Gatekeeper annotates `gatekeeper.sh/mutations: AssignImage//<name>:<generation>, ...`;
- a webhook or a policy that leaves no trace is found through the timeline: a mutating object written before the
  pod was created whose written spec carries the pod's new value (the mirror's host, the env value).

The actor is named when its write came within two days before the pod was created (the mutation is new). Not
named: a pod equal to its template in the failing container (a policy that only labels it did not cause this),
a policy written after the pod was admitted, a policy unchanged for longer.

A pod need not fail to be harmed: an injected setting can leave it running but slow or blind (a JVM told it has
one CPU, an agent upgrade that exports nowhere). Such a pod is judged only when the timeline holds a mutating
object's write in the LEAD, the incident's logs come from it, it differs from its template, and its own log quotes
what was injected: the runtime says it took it (`Picked up JAVA_TOOL_OPTIONS: ...`, an agent logging its injected
`version: 2.10.0`). An injection its process never mentions is not named: many policies add env nobody reads.

One injection harms a running pod without any word from it: a shorter terminationGracePeriodSeconds than the
workload asks for (a platform policy that caps it to speed up drains). The process is killed that many seconds
after SIGTERM, so a worker's graceful (warm) shutdown is cut: tasks it took but had not acknowledged are redelivered
by the broker and run again (duplicate e-mails, double charges), buffered writes are lost. Such a pod is judged when
its grace is below its template's and pods of its workload were stopped (Killing, deleted, a rollout) after the
actor's write: each of those stops cut work short. A policy that raises the grace, or one no stop followed, is not
named.

The survey calls `read` (reading only); `found` is pure over what was read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time, said_by
from agent.triage.kube_reads import get_yaml
from agent.triage.pod_spec_words import pod_template
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.admission_mutation"
WEIGHT = 0.95
"""Above the failing workload's own rollout: the pod differs from the template the rollout wrote, and the actor
that made it differ says so."""
RECORD = "admission_mutation"
LEAD = timedelta(hours=48)
"""How long before the pod was admitted the mutating actor's write may have been made and still be new."""
HISTORY_WINDOW = "48h"
MAX_FINDINGS = 3
MAX_PODS = 2
QUOTE_TAIL = 3000
"""Lines of a running pod's log read for its runtime's start-up words (the quote comes once, at start)."""
MAX_QUOTED = 3
MAX_TOKENS = 3
FIELDS = ("image", "command", "args", "env", "resources", "securityContext")
"""The container fields a mutation changes that decide whether it starts and runs."""
POD_FIELDS = ("securityContext", "nodeSelector", "runtimeClassName", "dnsConfig", "hostNetwork",
              "terminationGracePeriodSeconds")
"""Pod-level fields no built-in admission plugin defaults (tolerations, imagePullSecrets, serviceAccountName and
priorityClassName are filled in by the API server's own plugins, so a difference there says nothing)."""
MUTATING_KINDS = {"ClusterPolicy": "Kyverno ClusterPolicy", "Policy": "Kyverno Policy",
                  "Assign": "Gatekeeper mutator", "AssignImage": "Gatekeeper mutator",
                  "AssignMetadata": "Gatekeeper mutator", "ModifySet": "Gatekeeper mutator",
                  "MutatingWebhookConfiguration": "mutating admission webhook",
                  "MutatingAdmissionPolicy": "mutating admission policy",
                  "MutatingAdmissionPolicyBinding": "mutating admission policy binding",
                  "Instrumentation": "auto-instrumentation injector config"}
"""Kinds that rewrite pods at admission, and what they are in words. An injector's own config counts: the
OpenTelemetry operator's Instrumentation decides which agent image its webhook adds to every pod created after it
was written (an init container copying the agent, an env pointing the runtime at it), so an agent upgrade there
reaches every new pod of every workload that opted in, although none of their specs changed."""
KYVERNO_PATCHES = "policies.kyverno.io/last-applied-patches"
GATEKEEPER_MUTATIONS = "gatekeeper.sh/mutations"
_KYVERNO_LINE = re.compile(r"^\s*(?P<rule>[^.\s:]+)\.(?P<policy>[a-z0-9][a-z0-9.-]*?)\.kyverno\.io:\s*"
                           r"(?P<op>\w+)\s+(?P<path>\S+)", re.M)
_GATEKEEPER_ITEM = re.compile(r"(?P<kind>[A-Z]\w+)/(?P<ns>[a-z0-9-]*)/(?P<name>[a-z0-9][a-z0-9.-]*)(?::\d+)?")
_CONTAINER_PATH = re.compile(r"/spec/(?:template/spec/)?(?P<list>containers|initContainers)/(?P<index>\d+)/"
                             r"(?P<field>\w+)")
_POD_PATH = re.compile(r"/spec/(?:template/spec/)?(?P<field>\w+)")


@dataclass
class Mutated:
    """A failing pod whose container differs from its controller's template, and who changed it."""

    actor: Ref
    what: str
    pod: Ref
    workload: Ref
    container: str
    diffs: list[tuple[str, str, str]]
    """(field, template value, pod value) of the failing container."""
    said: str
    """The actor's own words on the pod (its annotation), or how the link was found."""
    write: dict[str, Any] | None
    failure: str
    evidence: list[str] = field(default_factory=list)
    running: bool = False
    """The pod does not fail: it runs with the injection, which its own log quotes."""


def failing_pods(facts: Facts) -> list[tuple[dict[str, Any], Ref, list[str]]]:
    """(finding, workload, pod names) of the scan's pod-level failures that name their pods (a few of each): where a
    class that judges what a pod was given at creation reads pods."""
    out: list[tuple[dict[str, Any], Ref, list[str]]] = []
    for finding in facts.findings():
        owner = Ref.of(finding.get("owner")) or Ref.of(finding.get("object"))
        pods = [str(p) for p in finding.get("pods") or [] if p]
        if owner is not None and pods and owner.namespace and finding.get("severity") != "info":
            out.append((finding, owner, pods[:MAX_PODS]))
    return out[:MAX_FINDINGS]


def logged_pods(facts: Facts) -> list[tuple[dict[str, Any], Ref, list[str]]]:
    """(marker, pod, [pod]) of the pods the incident's logs come from, when the timeline holds a mutating object's
    write in the LEAD: pods that may run with something injected though they do not fail. Without such a write, a
    pod whose workload's pods were stopped in the LEAD is kept too (marked `stops_only`), for the one injection
    judged by its stops (a shorter grace); its writer's write may be older than the survey's timeline."""
    written = bool(facts.writes_to(MUTATING_KINDS, within=LEAD, deletions=False))
    out: list[tuple[dict[str, Any], Ref, list[str]]] = []
    for log in facts.logs:
        ref = Ref("Pod", log.namespace, log.pod)
        if not log.pod or not log.namespace or log.previous or any(r == ref for _, r, _ in out):
            continue
        if written or _stops(facts, log.pod):
            out.append(({"quoted": True, "stops_only": not written}, ref, [log.pod]))
    return out[:MAX_PODS]


def _quote_tokens(diffs: list[tuple[str, str, str, str]]) -> list[str]:
    """What a runtime would print of an injected difference: the names of env variables added or changed, and an
    injected or rewritten image's tag (an agent logs its version)."""
    out: list[str] = []
    for _, key, old, new in sorted(diffs, key=lambda d: d[1] != "image"):  # an image's tag first: few, telling
        if key == "env":
            before = {str(e.get("name")): e.get("value") for e in _env_list(old)}
            out += [str(e.get("name")) for e in _env_list(new) if e.get("name")
                    and before.get(str(e.get("name"))) != e.get("value")]
        elif key == "image" and ":" in new.rsplit("/", 1)[-1]:
            tag = new.rsplit(":", 1)[-1]
            if len(tag) >= 3 and any(ch.isdigit() for ch in tag):
                out.append(tag)
    return list(dict.fromkeys(out))


def _env_list(text: str) -> list[dict[str, Any]]:
    try:
        value = json.loads(text) if text else []
    except ValueError:
        return []
    return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []


def _quotes(line: str, token: str) -> bool:
    return re.search(r"(?<![\w.])" + re.escape(token) + r"(?![\w])", line) is not None


def _controller(pod: dict[str, Any]) -> Ref | None:
    meta = pod.get("metadata") or {}
    refs = [r for r in meta.get("ownerReferences") or [] if isinstance(r, dict)]
    ref = next((r for r in refs if r.get("controller")), refs[0] if refs else None)
    return Ref(str(ref.get("kind")), str(meta.get("namespace") or ""), str(ref.get("name"))) if ref else None


def named_actors(pod: dict[str, Any]) -> list[tuple[Ref, str, list[str]]]:
    """(actor, its annotation's words, the pod paths it says it patched) from the pod's admission annotations."""
    meta = pod.get("metadata") or {}
    notes = meta.get("annotations") or {}
    out: list[tuple[Ref, str, list[str]]] = []
    kyverno = str(notes.get(KYVERNO_PATCHES) or "")
    for m in _KYVERNO_LINE.finditer(kyverno):
        # `<rule>.<policy>.kyverno.io` as read first; written the other way round by some Kyverno versions and
        # tools, so the other reading is kept too: only a policy that exists and was written lately is named
        for name in dict.fromkeys([m.group("policy"), m.group("rule")]):
            ref = Ref("ClusterPolicy", "", name)  # the kind is settled against what exists in `found`
            known = next((o for o in out if o[0] == ref), None)
            if known is None:
                out.append((ref, m.group(0).strip(), [m.group("path")]))
            else:
                known[2].append(m.group("path"))
    for m in _GATEKEEPER_ITEM.finditer(str(notes.get(GATEKEEPER_MUTATIONS) or "")):
        out.append((Ref(m.group("kind"), m.group("ns"), m.group("name")), f"{GATEKEEPER_MUTATIONS}: {m.group(0)}",
                    []))
    return out


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only: each failing pod and its controller; when they differ, the actors the pod's annotations name
    and a two-day timeline (mutating objects written before the pod was admitted)."""
    failing = failing_pods(facts)
    logged = [c for c in logged_pods(facts) if not any(c[2][0] in pods for _, _, pods in failing)]
    if not failing and not logged:
        return
    kept: dict[str, Any] = {"objects": {}, "evidence": {}, "quoted": {}, "cut": {}}
    facts.reads[RECORD] = kept

    async def get(ref: Ref) -> dict[str, Any] | None:
        if str(ref) in kept["objects"]:
            return dict(kept["objects"][str(ref)])
        got = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-admission-{ref.kind.lower()}-"
                                                                      f"{ref.name}")
        if got is None:
            return None
        kept["objects"][str(ref)], kept["evidence"][str(ref)] = got
        return got[0]

    differs = False
    for marker, ref, _ in logged:
        pod = await get(ref)
        owner = _controller(pod or {})
        template = await get(owner) if owner is not None else None
        if pod is None or template is None:
            continue
        diffs = _diffs(pod, template, "") + _injected(pod, template)
        stops = _stops(facts, ref.name) if _grace_cut(diffs) is not None else []
        if stops:  # a shorter grace needs no quote: the stops since are where it cut work short
            kept["cut"][str(ref)] = stops
            differs = True
            for actor, _, _ in named_actors(pod):
                if actor.kind == "ClusterPolicy" and await get(actor) is None:
                    await get(Ref("Policy", ref.namespace, actor.name))
                elif actor.kind != "ClusterPolicy":
                    await get(actor)
            continue
        tokens = _quote_tokens(diffs) if not marker.get("stops_only") else []
        if not tokens:
            continue
        lines: list[str] = []
        for token in tokens[:MAX_TOKENS]:  # the quote comes once, at start: asked for by its words, not by the tail
            got = await call("k8s_logs", {"name": ref.name, "namespace": ref.namespace, "tail": QUOTE_TAIL,
                                          "grep": token}, f"survey-admission-quote-{ref.name}-{len(lines)}")
            text = str(getattr(got, "full_text", "") or "") if got is not None and got.ok else ""
            said = [" ".join(ln.split())[:300] for ln in text.splitlines()[1:] if _quotes(ln, token)]  # [0]: header
            if said and got is not None:
                lines += said[:MAX_QUOTED]
                kept["evidence"]["log:" + str(ref)] = got.evidence_id
        if not lines:
            continue
        kept["quoted"][str(ref)] = lines
        differs = True
        for actor, _, _ in named_actors(pod):
            if actor.kind == "ClusterPolicy" and await get(actor) is None:
                await get(Ref("Policy", ref.namespace, actor.name))
            elif actor.kind != "ClusterPolicy":
                await get(actor)
    for _, workload, pods in failing:
        for name in pods:
            pod = await get(Ref("Pod", workload.namespace, name))
            owner = _controller(pod or {})
            template = await get(owner) if owner is not None else None
            if pod is None or template is None:
                continue
            annotated = pod
            if not _diffs(pod, template, "") and not _injected(pod, template):  # Kyverno autogen: the template
                annotated = await get(workload) or {}
                if not named_actors(annotated):
                    continue
            differs = True
            for actor, _, _ in named_actors(annotated):
                if actor.kind == "ClusterPolicy" and await get(actor) is None:
                    await get(Ref("Policy", workload.namespace, actor.name))
                elif actor.kind != "ClusterPolicy":
                    await get(actor)
    if differs and not facts.history_reaches(LEAD):
        history = await call("k8s_changes", {"at": at, "window": HISTORY_WINDOW}, "survey-admission-history")
        if history is not None and history.ok and isinstance(history.data, dict):
            facts.history.append((history.data, history.evidence_id))


def _grace_cut(diffs: list[tuple[str, str, str, str]]) -> tuple[str, str, str, str] | None:
    """The pod-level terminationGracePeriodSeconds difference that gives the pod less time than its template."""
    for d in diffs:
        if not d[0] and d[1] == "terminationGracePeriodSeconds" and d[2].isdigit() and d[3].isdigit() \
                and int(d[3]) < int(d[2]):
            return d
    return None


def _stops(facts: Facts, pod: str) -> list[tuple[datetime, str]]:
    """(when, what) of the stops of the pod's workload's pods in the timelines read within LEAD: pod deletions and
    kills (`Killing`; a grouped line names its pods with `*` for the suffix), and the workload's rollouts (each
    replaces its pods)."""
    name = workload_of_pod(pod)
    out: list[tuple[datetime, str]] = []
    for change, _ in facts.every_change():
        ref, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if ref is None or at is None or not timedelta(0) <= facts.at - at <= LEAD:
            continue
        killed = ref.kind == "Pod" and workload_of_pod(ref.name.replace("*", "x2k4q")) == name and (
            change.get("type") == "deleted" or "Killing" in str(change.get("summary")))
        rolled = ref.kind in ("Deployment", "StatefulSet", "DaemonSet") and ref.name == name \
            and change.get("type") == "rollout"
        if killed or rolled:
            out.append((at, str(change.get("summary") or "")[:200]))
    return sorted(out)


def _containers(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(c.get("name")): c for key in ("containers", "initContainers")
            for c in spec.get(key) or [] if isinstance(c, dict)}


def _value(container: dict[str, Any], key: str) -> str:
    value = container.get(key)
    if value in (None, [], {}):
        return ""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _diffs(pod: dict[str, Any], controller: dict[str, Any], container: str) -> list[tuple[str, str, str, str]]:
    """(container, field, template value, pod value) where the pod differs from its controller's template; one
    container when named."""
    template = pod_template(controller)
    wanted, ran = _containers(template.get("spec") or {}), _containers(pod.get("spec") or {})
    out: list[tuple[str, str, str, str]] = []
    for name, mine in ran.items():
        if (container and name != container) or name not in wanted:
            continue
        for key in FIELDS:
            old, new = _value(wanted[name], key), _value(mine, key)
            if old != new and new:
                out.append((name, key, old, new))
    if not container:
        for key in POD_FIELDS:
            old, new = _value(template.get("spec") or {}, key), _value(pod.get("spec") or {}, key)
            if old != new and new:
                out.append(("", key, old, new))
    return out


def _injected(pod: dict[str, Any], controller: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(container, `image`, '', image) for each container or init container the pod runs that its controller's
    template does not have: what an injector added at admission (a sidecar, an agent-copying init container)."""
    wanted = _containers(pod_template(controller).get("spec") or {})
    return [(name, "image", "", str(c.get("image"))) for name, c in _containers(pod.get("spec") or {}).items()
            if name not in wanted and c.get("image")]


def _touched(paths: list[str], spec: dict[str, Any], diffs: list[tuple[str, str, str, str]]) -> bool:
    """Whether an annotation's patched paths (under `spec`, a pod's or a template's) include a field the pod
    differs in (or name no path at all)."""
    if not paths:
        return True
    for path in paths:
        m = _CONTAINER_PATH.search(path)
        if m is None:
            whole = _POD_PATH.search(path)
            if whole is not None and any(not c and f == whole.group("field") for c, f, _, _ in diffs):
                return True
            continue
        listed = spec.get(m.group("list")) or []
        index = int(m.group("index"))
        name = str(listed[index].get("name")) if index < len(listed) and isinstance(listed[index], dict) else ""
        if any(c == name and f == m.group("field") for c, f, _, _ in diffs):
            return True
    return False


def _token(value: str) -> str:
    """The part of a new value a policy's spec would carry: an image's registry host and path prefix, else the
    value itself."""
    if "/" in value and not value.startswith(("{", "[")):
        return value.rsplit("/", 1)[0]
    return value


def _writes(facts: Facts) -> list[tuple[dict[str, Any], str]]:
    return [(c, e) for c, e, _ in facts.writes_to(MUTATING_KINDS)]


def found(facts: Facts) -> list[Mutated]:
    """Each failing pod changed at admission by an actor written shortly before it was admitted."""
    kept = facts.reads.get(RECORD)
    if not isinstance(kept, dict):
        return []
    objects: dict[str, dict[str, Any]] = kept.get("objects") or {}
    evidence: dict[str, str] = kept.get("evidence") or {}
    writes = _writes(facts)
    out: list[Mutated] = []
    quoted: dict[str, list[str]] = kept.get("quoted") or {}
    cuts: dict[str, list[tuple[datetime, str]]] = kept.get("cut") or {}
    for finding, workload, pods in failing_pods(facts) + logged_pods(facts):
        container = str((finding.get("details") or {}).get("container") or "")
        for name in pods:
            pod_ref = Ref("Pod", workload.namespace, name)
            pod = objects.get(str(pod_ref))
            owner = _controller(pod or {})
            template = objects.get(str(owner)) if owner is not None else None
            if pod is None or template is None:
                continue
            diffs = _diffs(pod, template, container) + [d for d in _diffs(pod, template, "") if not d[0]]
            if not named_actors(pod):  # an injector leaves no annotation: what it added is read against its config
                diffs = _injected(pod, template) + diffs
            stops = cuts.get(str(pod_ref)) or []
            cut = _grace_cut(diffs) if finding.get("quoted") and stops else None
            if cut is not None:  # a running pod given less time to stop than it asks, stopped since
                diffs = [cut]
                workload = _controller(template) or owner or workload
                finding = {"message": f"{name} is stopped sooner than its workload asks: {cut[3]} s from SIGTERM "
                                      f"to the kill where it asks {cut[2]} s cuts its warm shutdown short, so work "
                                      "in flight is killed unacknowledged and the broker will redeliver it to run "
                                      "again (duplicates) or buffered writes are lost; its pods were stopped since "
                                      f"({stops[-1][1][:140]})",
                           "running": True, "stops": [t.isoformat() for t, _ in stops]}
            elif finding.get("quoted"):  # a running pod: only what its own log quotes of the injection
                lines = quoted.get(str(pod_ref)) or []
                diffs = [d for d in diffs if any(_quotes(ln, t) for t in _quote_tokens([d]) for ln in lines)]
                if not diffs:
                    continue
                workload = _controller(template) or owner or workload
                top = next((said_by(e) for log in facts.logs if log.pod == name for e in log.entries()[:1]), "")
                finding = {"message": f"{name} runs with what was injected: its log says "
                                      f"'{lines[-1][:120]}'" + (f", then '{top[:160]}'" if top else ""),
                           "running": True}
            admitted = parse_time((pod.get("metadata") or {}).get("creationTimestamp")) or facts.at
            annotated, spec = pod, pod.get("spec") or {}
            if not diffs:  # the pod is its template: did a policy write the template (Kyverno autogen)?
                annotated = objects.get(str(workload)) or {}
                spec = ((annotated.get("spec") or {}).get("template") or {}).get("spec") or {}
                diffs = [(n, f, "?", v) for n, c in _containers(pod.get("spec") or {}).items()
                         if n == container or not container for f in FIELDS if (v := _value(c, f))]
                if not named_actors(annotated):
                    continue
            for actor, said, write in _actors(facts, annotated, spec, diffs, objects, writes, admitted):
                if any(m.actor == actor and m.workload.same_object(workload) for m in out):
                    continue
                since = parse_time((write or {}).get("at"))
                if cut is not None and (since is None or not any(t >= since for t, _ in stops)):
                    continue  # no stop came after the actor's write: nothing was cut by it yet
                ids = [evidence.get(str(r), "") for r in (pod_ref, owner, actor)] + [evidence.get(f"log:{pod_ref}", "")]
                touched = [d for d in diffs if _touched(_paths(annotated, actor), spec, [d])] or diffs
                out.append(Mutated(actor, MUTATING_KINDS.get(actor.kind, "mutating admission actor"), pod_ref,
                                   workload, touched[0][0], [(f, o, n) for _, f, o, n in touched], said, write,
                                   _failure_words(finding),
                                   [e for e in [*ids, (write or {}).get("_evidence", "")] if e],
                                   bool(finding.get("running"))))
    return out


def _paths(annotated: dict[str, Any], actor: Ref) -> list[str]:
    return next((p for a, _, p in named_actors(annotated) if a.name == actor.name), [])


def _failure_words(finding: dict[str, Any]) -> str:
    """The finding's message, with the kubelet's own words when the message only classifies them."""
    message = str(finding.get("message") or "")
    said = next((str(e) for e in finding.get("evidence") or [] if str(e) and str(e)[:40] not in message), "")
    generic = len(message.rsplit(": ", 1)[-1]) < 40  # the scan's class of failure only ("missing configuration")
    return f"{message} ('{said[:140]}')" if said and generic else message


def _actors(facts: Facts, pod: dict[str, Any], spec: dict[str, Any], diffs: list[tuple[str, str, str, str]],
            objects: dict[str, dict[str, Any]], writes: list[tuple[dict[str, Any], str]],
            admitted: datetime) -> list[tuple[Ref, str, dict[str, Any] | None]]:
    """(actor, its words or the link, its write) for the actors that changed the pod's differing fields with a
    write in the LEAD before the pod was admitted; `pod` is the object whose annotations name the actors (the pod,
    or its workload when a policy mutated the template) and `spec` the pod spec their paths point into."""
    out: list[tuple[Ref, str, dict[str, Any] | None]] = []

    def recent(ref: Ref) -> dict[str, Any] | None:
        mine = [(c, e) for c, e in writes if (r := Ref.of(c.get("object"))) is not None and r.kind == ref.kind
                and r.name == ref.name and (t := parse_time(c.get("at"))) is not None
                and admitted - LEAD <= t <= admitted]
        if mine:
            change, ev = max(mine, key=lambda ce: str(ce[0].get("at")))
            return {**change, "_evidence": ev}
        meta = (objects.get(str(ref)) or {}).get("metadata") or {}
        times = [parse_time(m.get("time")) for m in meta.get("managedFields") or [] if isinstance(m, dict)]
        stamp = max((t for t in times if t is not None and admitted - LEAD <= t <= admitted), default=None)
        if stamp is None:
            return None
        managers = sorted({str(m.get("manager")) for m in meta.get("managedFields") or [] if isinstance(m, dict)
                           and parse_time(m.get("time")) == stamp})
        return {"at": stamp.isoformat(), "summary": f"{ref} written by {', '.join(managers)}", "diff": []}

    for actor, said, paths in named_actors(pod):
        if actor.kind == "ClusterPolicy" and str(actor) not in objects and \
                str(Ref("Policy", pod_namespace(pod), actor.name)) in objects:
            actor = Ref("Policy", pod_namespace(pod), actor.name)
        if not _touched(paths, spec, diffs):
            continue
        write = recent(actor)
        if write is not None:
            out.append((actor, said, write))
    if out or named_actors(pod):
        return out
    for _, key, old, new in diffs:  # no annotation: a mutating object written before whose spec carries the value
        token = new if key == "image" and not old else _token(new)  # an injected image: its exact version
        for change, _ in writes:
            ref = Ref.of(change.get("object"))
            text = json.dumps([change.get("summary"), change.get("diff")])
            if ref is None or not token or token not in text or any(o[0] == ref for o in out):
                continue
            write = recent(ref)
            if write is not None:
                out.append((ref, f"its written spec carries the pod's new {key} ({token})", write))
    return out


def pod_namespace(pod: dict[str, Any]) -> str:
    return str((pod.get("metadata") or {}).get("namespace") or "")


def finding(m: Mutated, at: datetime) -> dict[str, Any]:
    """The actor, what it changed against the template (old -> new), the failure that change explains, its write."""
    key, old, new = m.diffs[0]
    changed = f"{key} {old or '(unset)'} -> {new}"
    where = f"container {m.container}" if m.container else "spec"
    differs = "a value its workload's template was given at admission" if old == "?" else \
        "not what its template asks for"
    failure = m.failure.split(": ", 1)[-1].replace(new, f"(the rewritten {key})")[:160] if new else m.failure
    if m.running:  # the runtime's own quote of the injection, then what it does with it
        failure = m.failure.split(": ", 1)[-1][:320]
    registry = ""
    if key == "image" and old not in ("", "?") and new and old.split("/")[0] != new.split("/")[0]:
        registry = (f" It rewrote the registry {old.split('/')[0]} to {new.split('/')[0]} (a mirror or proxy), "
                    "which does not serve the image.")
    written = ""
    if m.write is not None:
        when = parse_time(m.write.get("at"))
        ago = f" {minutes_text(int((at - when).total_seconds() // 60))} before the incident" if when else ""
        diff = "; ".join(str(d) for d in m.write.get("diff") or [])[:160] or str(m.write.get("summary") or "")[:160]
        written = f" It was written{ago}: {diff}."
    outcome = "they run with it" if m.running else "they fail"
    message = (f"{m.actor} ({m.what}) rewrites {m.workload}'s pods at admission and {outcome}: {failure}. Pod "
               f"{m.pod.name} {where} runs {changed}, {differs} ({m.said})."
               f"{registry}{written} The workload's own spec is right; revert the rule (or exclude the workload) "
               f"in {m.actor}, then delete the failing pods")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": m.actor.kind, "namespace": m.actor.namespace, "name": m.actor.name},
            "reason": "MutatedAtAdmission", "message": message, "evidence": [m.said[:200], changed[:200]],
            "details": {"pod": str(m.pod), "container": m.container, "field": key, "template": old, "pod_value": new,
                        "change_at": (m.write or {}).get("at")}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the mutating actor, its finding, evidence ids, the failing workload and pod) for the ranking."""
    return [(m.actor, finding(m, facts.at), list(dict.fromkeys(m.evidence)), [m.workload, m.pod])
            for m in found(facts)]
