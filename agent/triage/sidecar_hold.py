"""A run-to-completion pod kept Running by an injected sidecar, after injection was switched on for it.

A mesh or agent injector (Istio's sidecar injector, Linkerd's proxy injector, Vault's agent injector, Consul
Connect, Kuma, Dapr) is a mutating admission webhook: it adds its container to every new pod its selector
matches, and the usual selector is a label or annotation on the Namespace (`istio-injection=enabled`,
`istio.io/rev`, `linkerd.io/inject: enabled`) or on the pod template (`sidecar.istio.io/inject`). A classic
sidecar (a regular container, not a native `restartPolicy: Always` init container) does not know that the main
container finished: the main container exits 0, the proxy keeps running, the pod stays `Running` with
`ContainersNotReady`, and the Job never counts a success: it stays active until `activeDeadlineSeconds` or
forever (KubeJobNotCompleted, a CronJob's next runs piling up or skipped under Forbid).

Kubernetes records each link: the pod's containerStatuses (one terminated, the other running), the container
its owner's template does not have (added at admission; Istio also lists it in `sidecar.istio.io/status`), and
the managedFields entry that wrote the injection label on the Namespace (manager and time). When that write came
after the last run that completed and before the stuck pod was created, the Namespace (its label) is the cause;
the finding says what the label made the injector do and what keeps the pod alive. The same stuck pod with no
recent injection write (an old label, a Job that never exited) is not named here.

The survey reads (`read`): the subject namespace's pods, the stuck one of the subject and its owner Job, and the
Namespace. `found` is pure over the facts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject

CHECK = "injection.sidecar_holds_pod"
WEIGHT = 0.93
"""The injection switch is what changed; the stuck Job is its effect."""
LEAD = timedelta(days=7)
"""How long before the stuck pod's creation an injection write still counts as what changed."""
MAX_PODS = 2
INJECT_KEY = re.compile(r"(?i)(?:^|[/.-])inject(?:ion)?(?:$|[/.-])|^istio\.io/rev$|^dapr\.io/enabled$")
"""Injector selectors: istio-injection, sidecar.istio.io/inject, linkerd.io/inject, vault.hashicorp.com/agent-inject,
consul.hashicorp.com/connect-inject, kuma.io/sidecar-injection; Istio's revision label; Dapr's switch."""
OFF = {"disabled", "false", "no", "off", "0"}
STOP_HINT = {
    "istio": "have the job stop its proxy when done (POST localhost:15020/quitquitquit), exempt its pod template "
             "(sidecar.istio.io/inject: \"false\"), or use native sidecars",
    "linkerd": "have the job stop its proxy when done (POST localhost:4191/shutdown, or linkerd-await --shutdown), "
               "or exempt its pod template (linkerd.io/inject: disabled)",
    "vault": "set vault.hashicorp.com/agent-pre-populate-only: \"true\" on the job's pod template",
}
"""How each injector's documentation says to let a run-to-completion pod finish, by the injected container's name."""


@dataclass
class Held:
    """A finished main container in a pod an injected sidecar keeps Running, and the write that injected it."""

    pod: Ref
    owner: Ref | None
    finished: str
    exit_code: int | None
    finished_at: str
    sidecars: list[str]
    switch: Ref
    key: str
    value: str
    manager: str
    written_at: datetime
    minutes_before: int
    evidence: list[str] = field(default_factory=list)
    earlier: str = ""
    """The pod of the last run before, which had no such sidecar (known when no write time is)."""
    verb: str = "labelled"
    """labelled or annotated: where the switch stands on the Namespace."""


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Reading only, when the incident names a namespace: its pods; a not-ready Running one of the subject's
    names, its owner and the Namespace."""
    if not subject.namespace:
        return
    names = [n for n in dict.fromkeys([*subject.labelled_values, *subject.names]) if len(n) >= 4]
    listed = await call("k8s_list", {"kind": "Pod", "namespace": subject.namespace}, "survey-sidecar-pods")
    rows = listed.data.get("rows") or [] if listed is not None and listed.ok and isinstance(listed.data, dict) else []
    stuck = [str(r.get("name")) for r in rows if isinstance(r, dict) and r.get("status") == "Running"
             and "not ready" in str(r.get("problem") or "") and any(str(r.get("name")).startswith(f"{n}-")
                                                                     for n in names)]
    for pod in stuck[:MAX_PODS]:
        got = await get_yaml(call, "Pod", pod, subject.namespace, f"survey-sidecar-pod-{pod}")
        if got is None or _finished_and_running(got[0]) is None:
            continue
        got[0].setdefault("kind", "Pod")  # a built-in kind's answer may leave it out
        facts.objects.append(got)
        for ref in _meta(got[0]).get("ownerReferences") or []:
            if isinstance(ref, dict) and ref.get("kind") == "Job" and ref.get("name"):
                owner = await get_yaml(call, "Job", str(ref["name"]), subject.namespace, f"survey-sidecar-job-{pod}")
                if owner is not None:
                    owner[0].setdefault("kind", "Job")
                    facts.objects.append(owner)
        family = _family(got[0])
        earlier = sorted((r for r in rows if isinstance(r, dict) and r.get("status") in ("Completed", "Succeeded")
                          and family and str(r.get("name")).startswith(f"{family}-")),
                         key=lambda r: str(r.get("created") or ""), reverse=True)
        if earlier:
            sibling = await get_yaml(call, "Pod", str(earlier[0].get("name")), subject.namespace,
                                     "survey-sidecar-earlier-run")
            if sibling is not None:
                sibling[0].setdefault("kind", "Pod")
                facts.objects.append(sibling)
        namespace = await get_yaml(call, "Namespace", subject.namespace, "", "survey-sidecar-namespace")
        if namespace is not None:
            namespace[0].setdefault("kind", "Namespace")
            facts.objects.append(namespace)
        return


def _finished_and_running(pod: dict[str, Any]) -> tuple[dict[str, Any], list[str]] | None:
    """(the terminated container's status, the containers still running) of a Running pod, or None."""
    status = pod.get("status") or {}
    if status.get("phase") != "Running":
        return None
    statuses = [s for s in status.get("containerStatuses") or [] if isinstance(s, dict)]
    done = [s for s in statuses if isinstance((s.get("state") or {}).get("terminated"), dict)]
    running = [str(s.get("name")) for s in statuses if isinstance((s.get("state") or {}).get("running"), dict)]
    return (done[0], running) if done and running else None


def _injected(pod: dict[str, Any], template: dict[str, Any] | None) -> set[str]:
    """The containers the pod has that its owner's template does not (added at admission); without the template,
    those an injector's status annotation lists."""
    have = {str(c.get("name")) for c in (pod.get("spec") or {}).get("containers") or [] if isinstance(c, dict)}
    if template is not None:
        declared = {str(c.get("name")) for c in ((template.get("spec") or {}).get("containers") or [])
                    if isinstance(c, dict)}
        return have - declared
    out: set[str] = set()
    for value in (_meta(pod).get("annotations") or {}).values():
        try:
            listed = json.loads(str(value)).get("containers") if str(value).startswith("{") else None
        except (ValueError, AttributeError):
            listed = None
        if isinstance(listed, list):
            out |= {str(c) for c in listed} & have
    return out


def _switch_writes(obj: dict[str, Any], since: datetime | None, until: datetime) -> list[tuple[str, str, str,
                                                                                              datetime, str]]:
    """(key, value, manager, time, labelled|annotated) of each injection label/annotation on `obj` written in
    (since, until]."""
    meta = _meta(obj)
    current = {**(meta.get("annotations") or {}), **(meta.get("labels") or {})}
    out = []
    for entry in meta.get("managedFields") or []:
        at = parse_time(entry.get("time")) if isinstance(entry, dict) else None
        if at is None or at > until or (since is not None and at <= since):
            continue
        fields = ((entry.get("fieldsV1") or {}).get("f:metadata") or {})
        for group in ("f:labels", "f:annotations"):
            for key in fields.get(group) or {}:
                name = str(key)[2:] if str(key).startswith("f:") else str(key)
                value = str(current.get(name, ""))
                if INJECT_KEY.search(name) and name in current and value.lower() not in OFF:
                    out.append((name, value, str(entry.get("manager") or "a write"), at,
                                "labelled" if group == "f:labels" else "annotated"))
    return out


def _owner_name(pod: dict[str, Any]) -> str:
    return next((str(r.get("name")) for r in _meta(pod).get("ownerReferences") or [] if isinstance(r, dict)
                 and r.get("kind") == "Job" and r.get("name")), "")


def _family(pod: dict[str, Any]) -> str:
    """The name its CronJob's runs share (`statement-export` for Job `statement-export-29907480`); "" when the pod
    is no Job's."""
    return re.sub(r"-\d+$", "", _owner_name(pod))


def _earlier_run(facts: Facts, pod: dict[str, Any], created: datetime) -> tuple[dict[str, Any], str] | None:
    """The newest pod of an earlier run of the same CronJob (another Job of its family) that was read."""
    family, own = _family(pod), _owner_name(pod)
    runs = [(o, e) for o, e in facts.objects if o.get("kind") == "Pod" and family and _family(o) == family
            and _owner_name(o) != own and (parse_time(_meta(o).get("creationTimestamp")) or created) < created]
    return max(runs, key=lambda oe: str(_meta(oe[0]).get("creationTimestamp"))) if runs else None


def _switch_now(ns_obj: dict[str, Any], template: dict[str, Any] | None) -> tuple[str, str, str] | None:
    """The injection label/annotation the Namespace carries switched on, when the pod template does not opt in
    itself (then the template, not the Namespace, asked for the sidecar)."""
    own = {**(_meta(template or {}).get("labels") or {}), **(_meta(template or {}).get("annotations") or {})}
    if any(INJECT_KEY.search(k) and str(v).lower() not in OFF for k, v in own.items()):
        return None
    meta = _meta(ns_obj)
    for verb, group in (("labelled", "labels"), ("annotated", "annotations")):
        for key, value in (meta.get(group) or {}).items():
            if INJECT_KEY.search(str(key)) and str(value).lower() not in OFF:
                return str(key), str(value), verb
    return None


def found(facts: Facts) -> list[Held]:
    """Each Running pod whose main container finished while a container injected by a recent switch runs on."""
    out: list[Held] = []
    objects = [(o, e) for o, e in facts.objects]
    for pod, evidence in objects:
        if pod.get("kind") != "Pod" or not (pod.get("spec") or {}).get("containers"):
            continue
        state = _finished_and_running(pod)
        if state is None:
            continue
        done, running = state
        meta = _meta(pod)
        namespace = str(meta.get("namespace") or "")
        owner_ref = next((r for r in meta.get("ownerReferences") or [] if isinstance(r, dict) and r.get("name")), None)
        if owner_ref is None or owner_ref.get("kind") != "Job":
            continue  # a run-to-completion pod: a Deployment's finished container is restarted, not held
        owner = next(((o, e) for o, e in objects if owner_ref and o.get("kind") == owner_ref.get("kind")
                      and _meta(o).get("name") == owner_ref.get("name")), None)
        template = ((owner[0].get("spec") or {}).get("template") or {}) if owner else None
        sidecars = sorted(_injected(pod, template) & set(running))
        created = parse_time(meta.get("creationTimestamp")) or parse_time((pod.get("status") or {}).get("startTime"))
        if not sidecars or created is None:
            continue
        earlier = _earlier_run(facts, pod, created)
        if earlier is not None and set(sidecars) & {str(c.get("name")) for c in
                                                     (earlier[0].get("spec") or {}).get("containers") or []}:
            continue  # the earlier run had the sidecar too: nothing was switched on between the runs
        since = parse_time(_meta(earlier[0]).get("creationTimestamp")) if earlier else created - LEAD
        for ns_obj, ns_evidence in objects:
            if ns_obj.get("kind") != "Namespace" or _meta(ns_obj).get("name") != namespace:
                continue
            writes = _switch_writes(ns_obj, since, created)
            switch = _switch_now(ns_obj, template)
            if writes:
                key, value, manager, at, verb = max(writes, key=lambda w: w[3])
            elif switch is not None and earlier is not None and since is not None:
                (key, value, verb), manager, at = switch, "", since
            else:
                continue
            terminated = done.get("state", {}).get("terminated") or {}
            out.append(Held(Ref("Pod", namespace, str(meta.get("name"))),
                            Ref(str(owner_ref.get("kind")), namespace, str(owner_ref.get("name"))) if owner_ref
                            else None, str(done.get("name")), terminated.get("exitCode"),
                            str(terminated.get("finishedAt") or ""), sidecars, Ref("Namespace", "", namespace), key,
                            value, manager, at, int((facts.at - at).total_seconds() // 60),
                            [e for e in (evidence, owner[1] if owner else "", ns_evidence,
                                         earlier[1] if earlier else "") if e],
                            str(_meta(earlier[0]).get("name")) if earlier else "", verb))
    return out


def finding(h: Held) -> dict[str, Any]:
    """The switch written on the Namespace, the sidecar it injected, and the pod and Job it keeps from completing."""
    sidecars = ", ".join(h.sidecars)
    exit_text = f"exited {h.exit_code}" if h.exit_code is not None else "terminated"
    hint = next((v for k, v in STOP_HINT.items() if any(k in s for s in h.sidecars)),
                "exempt the job's pod template from injection or stop the sidecar when the job is done")
    if h.manager:
        when = f"by {h.manager} {minutes_text(h.minutes_before)} before the incident"
    else:
        when = f"since the last run (its pod {h.earlier} had no {sidecars})"
    held = f"{h.owner} never completes ({h.pod} stays Running)" if h.owner else f"{h.pod} never completes"
    message = (f"{h.switch} was {h.verb} {h.key}={h.value} {when}: the injector adds the {sidecars} sidecar, which "
               f"keeps running after container {h.finished} {exit_text} (at {h.finished_at}), so {held}. Remove the "
               f"label from the namespace, or {hint}")
    return {"check": CHECK, "severity": "critical", "object": {"kind": "Namespace", "namespace": "",
                                                               "name": h.switch.name},
            "reason": "SidecarHoldsPod", "message": message,
            "evidence": [f"{h.key}={h.value} on {h.switch}",
                         f"{h.finished} terminated ({exit_text}); running: {sidecars}"],
            "details": {"pod": str(h.pod), "sidecars": h.sidecars, "label": h.key}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(the Namespace, its finding, evidence ids, the pod and Job it holds) for `agent.triage.behind`."""
    return [(h.switch, finding(h), h.evidence, [h.pod, *([h.owner] if h.owner else [])]) for h in found(facts)]
