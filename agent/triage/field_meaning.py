"""What a changed core spec field MEANS, by Kubernetes' own semantics, and the symptom it explains.

The change timeline says which fields moved (`spec.internalTrafficPolicy written by kubectl-patch (now
'Local')`, `automountServiceAccountToken = false`, `web lifecycle.preStop.exec.command '15, sleep' ->
unset`). A field name alone does not tell an on-call engineer why callers now time out or why a
rollout crash-loops: the meaning does. `MEANINGS` is a data table of core fields (Service,
Pod/ServiceAccount, Deployment), each with the condition on its new value under which it changes
behaviour, what Kubernetes then does, and the symptom that follows; `said` turns a change's diff into
those sentences for a finding.

Some fields leave a signature only they explain: a pod that gets no ServiceAccount token makes every
in-cluster Kubernetes client fail with the client's own wording for a missing token file. `suspects`
ties such a signature in a workload's logs to a write of that field in the same namespace, so the
write (a ServiceAccount's `automountServiceAccountToken: false`) is named rather than an unrelated
image bump that happened to roll the pods. Kubernetes sources: the Service, ServiceAccount, Pod
lifecycle and probe reference pages (kubernetes.io/docs); the messages are those of the official
Python client (`kubernetes.config.incluster_config`), client-go (`rest.InClusterConfig`) and the
fabric8 Java client.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage import manager_words, shell_wrapper
from agent.triage.facts import Facts, LogEvidence, Ref, parse_time
from agent.triage.subject import workload_of_pod

CHECK = "change.field_meaning"
WEIGHT = 0.92
LEAD = timedelta(hours=6)
"""How long before the incident a write may have been made and still be what started it."""

UNSET = "unset"


def _num(value: str | None) -> float | None:
    try:
        return float(str(value).strip("'\" ")) if value not in (None, UNSET) else None
    except ValueError:
        return None


def _is(*values: str) -> Callable[[str | None, str | None], bool]:
    """A condition: the new value is one of `values` (case-insensitive)."""
    wanted = {v.lower() for v in values}
    return lambda old, new: new is not None and new.strip("'\" ").lower() in wanted


def _removed(old: str | None, new: str | None) -> bool:
    return new in (None, UNSET, "removed", "", "null", "None")


def _any(old: str | None, new: str | None) -> bool:
    return True


def _grace_shorter(old: str | None, new: str | None) -> bool:
    """The grace period got shorter (unset means Kubernetes' default of 30 s)."""
    before, after = _num(old), _num(new)
    return (30.0 if after is None else after) < (30.0 if before is None else before)


def _lower(old: str | None, new: str | None) -> bool:
    """A quantity got smaller or was set where none was (a limit appears)."""
    return _quantity(new) is not None and (_quantity(old) is None or (_quantity(new) or 0) < (_quantity(old) or 0))


_UNITS = {"": 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30,
          "Ti": 2 ** 40}


def _quantity(value: str | None) -> float | None:
    """A Kubernetes resource quantity (`512Mi`, `250m`, `2`) as a number; None when it is not one."""
    m = re.fullmatch(r"'?(\d+(?:\.\d+)?)([a-zA-Z]{0,2})'?", str(value or "").strip())
    return float(m.group(1)) * _UNITS[m.group(2)] if m and m.group(2) in _UNITS else None


@dataclass(frozen=True)
class Meaning:
    """One field: where it is, when its new value matters, what Kubernetes does, the symptom it explains."""

    field: str
    """How the field's path ends in a diff line (`internalTrafficPolicy`, `lifecycle.preStop`)."""
    when: Callable[[str | None, str | None], bool]
    means: str
    symptom: str
    signature: re.Pattern[str] | None = None
    """Errors only this change explains, in the real software's wording: a workload printing one is its victim."""
    default: str = ""
    """Kubernetes' default, said as the old value when the diff does not know it."""
    kinds: tuple[str, ...] = ()
    """The kinds whose field this is (a Service's `selector` is not a Deployment's); empty: any kind."""
    unless: re.Pattern[str] | None = None
    """A companion setting in the same change that makes the value harmless (fsGroupChangePolicy OnRootMismatch
    beside fsGroup)."""
    by_other: bool = False
    """Only when written by a manager other than the controller that owns the field at run time (spec.replicas
    written by Argo CD, Helm or kubectl, not by the HorizontalPodAutoscaler)."""


SERVICE = ("Service",)
WORKLOAD = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod", "Job", "CronJob")

TOKEN_MISSING = re.compile(
    r"Service token file does not exist"  # kubernetes (Python): incluster_config.py
    r"|open /var/run/secrets/kubernetes\.io/serviceaccount/token: no such file or directory"  # client-go
    r"|/var/run/secrets/kubernetes\.io/serviceaccount/token \(No such file or directory\)"  # fabric8, Java
    r"|ENOENT[^\n]{0,40}/var/run/secrets/kubernetes\.io/serviceaccount"  # @kubernetes/client-node
    r"|unable to load in-cluster configuration", re.I)

MEANINGS: tuple[Meaning, ...] = (
    Meaning("internalTrafficPolicy", _is("Local"),
            "kube-proxy then sends in-cluster callers only to a ready endpoint on their own node; a caller on a "
            "node with no local endpoint gets none (its traffic is dropped, not sent to another node)",
            "callers on nodes without a local endpoint time out or are refused while callers beside a pod work, "
            "so a share of requests fails", default="Cluster", kinds=SERVICE),
    Meaning("externalTrafficPolicy", _is("Local"),
            "only nodes running a ready endpoint accept the Service's external (NodePort/LoadBalancer) traffic, "
            "and the client source IP is kept; the load balancer's health check on healthCheckNodePort takes the "
            "other nodes out",
            "clients sent to a node without a local endpoint time out (a load balancer that ignores the health "
            "check, a NodePort dialled directly), and load follows the pods' placement", default="Cluster",
            kinds=SERVICE),
    Meaning("sessionAffinity", _is("ClientIP"),
            "each client IP sticks to one endpoint for sessionAffinityConfig.clientIP.timeoutSeconds (3 h by "
            "default)",
            "an uneven split: when callers are few (an ingress controller, a NAT gateway, a handful of frontend "
            "pods) all their traffic lands on as many endpoints, which saturate (CPU throttling, latency) while "
            "the rest idle, and a bad pod keeps its clients", default="None", kinds=SERVICE),
    Meaning("kubernetes.io/topology-mode", _is("Auto", "auto"),  # confirmed by triage.topology_routing
            "the EndpointSlice controller then writes zone hints and kube-proxy sends each zone's callers only to "
            "the endpoints hinted for their zone",
            "when callers or endpoints are uneven across zones, one zone's few pods take that zone's whole load: "
            "latency and saturation on them while the others idle", default="unset", kinds=SERVICE),
    Meaning("kubernetes.io/topology-aware-hints", _is("Auto", "auto"),
            "(the pre-1.27 name of topology-mode) zone hints on the EndpointSlices: each zone's callers go only to "
            "their zone's endpoints",
            "uneven zones: one zone's pods saturate while the others idle", default="unset", kinds=SERVICE),
    Meaning("trafficDistribution", _is("PreferClose", "PreferSameZone", "PreferSameNode"),
            "kube-proxy prefers endpoints in the caller's zone (or node) whenever that zone has any",
            "callers concentrated in one zone load only that zone's endpoints: latency and saturation there",
            default="unset", kinds=SERVICE),
    Meaning("publishNotReadyAddresses", _is("true"),
            "the Service's endpoints and DNS records include pods that are not ready",
            "traffic reaches pods still starting or already draining: refused connections and 5xx during "
            "rollouts", default="false", kinds=SERVICE),
    Meaning("publishNotReadyAddresses", _is("false"),
            "only ready pods are published; a headless Service's peers are not in DNS until they are ready",
            "peers that must find each other before they are ready (a database or broker cluster) never form",
            default="false", kinds=SERVICE),
    Meaning("selector", _any,
            "the selector picks which pods the Service sends traffic to",
            "a selector that matches no ready pod leaves no endpoints: connections refused, 503 from proxies; one "
            "that matches other pods sends traffic to the wrong application", kinds=SERVICE),
    Meaning("targetPort", _any,
            "targetPort is the container port the Service forwards to",
            "a port the container does not listen on: connection refused, 502/503 from proxies", kinds=SERVICE),
    Meaning("ports", _any,
            "the Service's ports are what callers dial and where they are forwarded",
            "a removed or renumbered port: callers of the old one are refused or time out", kinds=SERVICE),
    Meaning("automountServiceAccountToken", _is("false"),
            "the pod gets no ServiceAccount token under /var/run/secrets/kubernetes.io/serviceaccount (a "
            "ServiceAccount's setting applies to every pod using it that does not override it)",
            "in-cluster Kubernetes clients cannot authenticate: the Python client raises 'Service token file "
            "does not exist', client-go 'open /var/run/secrets/kubernetes.io/serviceaccount/token: no such file "
            "or directory'; the workload crash-loops at start", signature=TOKEN_MISSING, default="true",
            kinds=("ServiceAccount", *WORKLOAD)),
    Meaning("strategy.type", _is("Recreate"),
            "Recreate stops every old pod before any new pod starts",
            "the workload has no pod at all for each rollout's duration: refused connections, 503", kinds=WORKLOAD),
    Meaning("terminationGracePeriodSeconds", _grace_shorter,
            "the kubelet SIGKILLs a container that many seconds after SIGTERM",
            "in-flight requests and shutdown work that take longer are cut off on every rollout and scale-down",
            default="30", kinds=WORKLOAD),
    Meaning("lifecycle.preStop", _removed,
            "without the preStop hook the container gets SIGTERM the moment its pod is deleted, while endpoint "
            "removal is still reaching kube-proxy and the ingress controllers",
            "requests routed to a stopping pod hit a closing server on every rollout or scale-down: bursts of 502 "
            "('upstream prematurely closed connection', 'connect() failed (111: Connection refused)') and resets",
            kinds=WORKLOAD),
    Meaning("readinessProbe path", _any,
            "the readiness probe decides whether the pod receives traffic",
            "a path the application does not serve keeps pods unready (no endpoints: 503), one that always "
            "passes sends traffic to pods that cannot serve", kinds=WORKLOAD),
    Meaning("readinessProbe port", _any,
            "the readiness probe decides whether the pod receives traffic",
            "a port nothing listens on keeps pods unready: the Service loses its endpoints (503, refused)",
            kinds=WORKLOAD),
    Meaning("memory limit", _lower,
            "a container over its memory limit is OOM-killed by the kernel",
            "OOMKilled restarts under load, the errors of requests in flight", kinds=WORKLOAD),
    Meaning("cpu limit", _lower,
            "CPU above the limit is throttled by the CFS quota every 100 ms period",
            "latency rises (p99 first), timeouts and failed liveness probes under load", kinds=WORKLOAD),
    Meaning("hostNetwork", _is("true"),
            "the pod shares the node's network namespace: its ports are the node's, NetworkPolicies no longer "
            "select it, and with dnsPolicy ClusterFirst it resolves through the node unless the policy is "
            "ClusterFirstWithHostNet",
            "'bind: address already in use' when two such pods land on a node, cluster names that stop "
            "resolving", default="false", kinds=WORKLOAD),
    Meaning("dnsPolicy", _is("Default"),
            "dnsPolicy Default gives the pod the node's resolv.conf instead of the cluster DNS",
            "cluster names (*.svc.cluster.local) stop resolving: 'no such host', NXDOMAIN", default="ClusterFirst",
            kinds=WORKLOAD),
    Meaning("dnsPolicy", _is("None"),
            "dnsPolicy None uses only the pod's dnsConfig nameservers and searches",
            "names outside what dnsConfig lists fail to resolve", default="ClusterFirst", kinds=WORKLOAD),
    Meaning("fsGroup", lambda old, new: new is not None,
            "with fsGroup set and fsGroupChangePolicy not OnRootMismatch (the default is Always), the kubelet "
            "recursively changes the group ownership and permissions of every file in each volume that supports "
            "ownership management on every mount",
            "a large volume (a repository, a database) mounts slowly or not at all: the pod waits in "
            "ContainerCreating with FailedMount 'Unable to attach or mount volumes ... timed out waiting for the "
            "condition', then restarts repeat it; set fsGroupChangePolicy: OnRootMismatch",
            unless=re.compile(r"fsGroupChangePolicy\S*\s+(?:\S+\s+->\s+)?'?OnRootMismatch"), kinds=WORKLOAD),
    Meaning("runAsUser", lambda old, new: new is not None and old != new,
            "the container's processes run as that UID",
            "files in volumes and image paths owned by another UID become unreadable or unwritable: 'Permission "
            "denied' (EACCES) at start, a crash loop", kinds=WORKLOAD),
    Meaning("runAsNonRoot", _is("true"),
            "the kubelet refuses to start a container whose image runs as UID 0",
            "CreateContainerConfigError 'container has runAsNonRoot and image will run as root'",
            default="false", kinds=WORKLOAD),
    Meaning("readOnlyRootFilesystem", _is("true"),
            "the container's root filesystem is mounted read-only",
            "writes outside mounted volumes (temp files, caches, pid files) fail with 'Read-only file system' "
            "(EROFS)", default="false", kinds=WORKLOAD),
    Meaning("command", shell_wrapper.wraps_without_exec,
            "the command is now a shell script: the shell is PID 1 and runs the application as its child, and a "
            "shell does not forward SIGTERM to it (no `exec` before the application, no trap)",
            "on every rollout, scale-down or eviction the application never receives SIGTERM, so it never drains; "
            "the kubelet SIGKILLs it after terminationGracePeriodSeconds: work in flight is cut off (jobs left "
            "half-done, leases that expire, connections reset), pods take the whole grace period to stop; "
            "use `exec` in the wrapper or an init such as tini", kinds=WORKLOAD),
    Meaning("command", shell_wrapper.init_removed,
            "the signal-forwarding init (tini, dumb-init) is gone: the application is PID 1, where the kernel "
            "applies no default action to SIGTERM, and nothing reaps orphaned children",
            "an application without its own SIGTERM handler ignores it and is SIGKILLed after "
            "terminationGracePeriodSeconds; zombie processes accumulate", kinds=WORKLOAD),
    Meaning("replicas", lambda old, new: True,
            "spec.replicas is set directly by a manager other than the HorizontalPodAutoscaler: the workload runs "
            "that many pods (0: none), and when an HPA targets it, every apply or sync of the manifest resets the "
            "scale the HPA chose",
            "capacity drops to the manifest's count under load (Scaled down replica set ... to N), latency and "
            "errors until the HPA scales back up, on every sync; remove spec.replicas from the manifest (or have "
            "Argo CD/Flux ignore the field)", by_other=True, kinds=("Deployment", "StatefulSet", "ReplicaSet")),
    Meaning("progressDeadlineSeconds", lambda old, new: (_num(new) or 600) < (_num(old) or 600),
            "the Deployment controller reports the rollout failed (Progressing=False, ProgressDeadlineExceeded) "
            "after that many seconds without progress",
            "rollouts that need longer (slow starts, image pulls) are reported failed and CD tools roll back",
            default="600", kinds=("Deployment",)),
    Meaning("minReadySeconds", lambda old, new: (_num(new) or 0) > (_num(old) or 0),
            "a new pod counts as available only after it has been ready that long",
            "rollouts slow down (old pods are kept longer); at or above progressDeadlineSeconds the rollout "
            "fails with ProgressDeadlineExceeded", default="0", kinds=WORKLOAD),
    Meaning("enableServiceLinks", _is("false"),
            "the pod no longer gets the <SERVICE>_SERVICE_HOST/_PORT environment variables of its namespace's "
            "Services",
            "an application that finds a dependency through those variables gets no host: connection errors "
            "to an empty or default address at start", default="true", kinds=WORKLOAD),
    Meaning("enableServiceLinks", _is("true"),
            "the kubelet injects <SERVICE>_SERVICE_HOST/_PORT variables for every Service in the namespace",
            "a variable such as REDIS_PORT=tcp://10.0.0.1:6379 overrides the application's own setting of that "
            "name, and many Services make the environment huge ('argument list too long' at start)",
            default="true", kinds=WORKLOAD),
    Meaning("shareProcessNamespace", _is("true"),
            "the pod's containers share one PID namespace: PID 1 is the pause container, not the application",
            "an application that expects to be PID 1 (an init, a signal handler keyed on PID 1) misbehaves, and "
            "each container sees the others' processes and their files under /proc/<pid>/root",
            default="false", kinds=WORKLOAD),
    Meaning("imagePullPolicy", _is("Always"),
            "the kubelet asks the registry for the tag on every container start",
            "a registry outage or rate limit ('toomanyrequests') turns every restart into ErrImagePull / "
            "ImagePullBackOff", kinds=WORKLOAD),
    Meaning("imagePullPolicy", _is("Never"),
            "the kubelet never pulls: the image must already be on the node",
            "ErrImageNeverPull on every node that lacks the image", kinds=WORKLOAD),
)
"""The core fields whose new value changes what the workload or its callers see."""

_VALUE = (
    r"(?:\s+written by (?P<by>\S+) \(now (?P<now>'[^']*'|\S+?)\))"
    r"|(?::?\s+(?P<lold>\[.*?\]|None|unset) -> (?P<lnew>\[.*\]|None|unset)$)"
    r"|(?::?\s+(?P<old>'[^']*'|\S+) -> (?P<new>'[^']*'|\S+))"
    r"|(?:\s*=\s*(?P<set>'[^']*'|\S+))"
    r"|(?P<removed>\s+removed)")


@dataclass(frozen=True)
class Read:
    """One diff line read against the table: the field, its old and new value, and its meaning."""

    line: str
    path: str
    old: str | None
    new: str | None
    meaning: Meaning
    by: str = ""
    """The field manager that wrote it, when the timeline says (managedFields)."""
    was_unset: bool = False
    """The diff says the old value was unset (not merely unknown)."""

    def change_text(self) -> str:
        """`Cluster (default) -> Local`: the old value, or Kubernetes' default when the diff does not know it."""
        old = self.old if self.old is not None else (f"{self.meaning.default} (default)" if self.meaning.default
                                                     else UNSET if self.was_unset else "?")
        return f"{_plain(old)} -> {_plain(self.new if self.new is not None else UNSET)}"

    def sentence(self) -> str:
        """`spec.internalTrafficPolicy Cluster (default) -> Local: <means>; explains: <symptom>`."""
        by = f" (written by {product(self.by)})" if self.by else ""
        return f"{self.path} {self.change_text()}{by}: {self.meaning.means}; explains: {self.meaning.symptom}"


def _plain(value: str) -> str:
    return value.strip("'\"")


def read(line: str, kind: str = "", context: str = "") -> Read | None:
    """A diff line of the change timeline as a `Read` when its field is in the table (as a field of `kind`, when
    given) and its new value matters; `context` is the whole change's text, where a companion setting that makes
    the value harmless would show."""
    for meaning in MEANINGS:
        if kind and meaning.kinds and kind not in meaning.kinds:
            continue
        name = re.escape(meaning.field).replace(r"\ ", r"\s+")
        m = re.search(rf"(?P<path>(?:[\w.\[\]=/-]*\.)?{name}(?:\.[\w.\[\]=/-]+)?|(?:\S+\s+)?{name})(?:{_VALUE})",
                      line)
        if m is None:
            continue
        old = m.group("old") or m.group("lold")
        was_unset = old in (UNSET, "None")
        new = m.group("now") or m.group("new") or m.group("set") or m.group("lnew")
        if m.group("removed"):
            new = UNSET
        old = None if old in (None, UNSET, "None") else old
        new = None if new in (UNSET, "None") else new
        by = m.group("by") or ""
        if meaning.by_other and (not by or _autoscaler(by)):
            continue
        if meaning.unless is not None and meaning.unless.search(context or line):
            continue
        if meaning.when(old, new):
            return Read(line=line, path=m.group("path").strip(), old=old, new=new, meaning=meaning, by=by,
                        was_unset=was_unset)
    return None


def _autoscaler(manager: str) -> bool:
    """The managers that own a workload's scale at run time: the HPA (kube-controller-manager's field manager)
    and KEDA's or the VPA's own."""
    return bool(re.search(r"horizontal-pod-autoscaler|kube-controller-manager|keda|vpa-", manager, re.I))


_PRODUCTS = ((r"argocd|argo-cd", "Argo CD"), (r"kustomize-controller|helm-controller|flux", "Flux"),
             (r"^helm", "Helm"), (r"^kubectl", "kubectl"), (r"terraform", "Terraform"), (r"pulumi", "Pulumi"))
"""Field managers as their tools call themselves (Argo CD's application controller writes as argocd-controller)."""


def product(manager: str) -> str:
    """`Argo CD (argocd-controller)`: the tool behind a field manager's name, when it is a known one; a kubectl
    verb's manager reads as the command run (`kubectl edit (manager kubectl-edit)`)."""
    if manager_words.command(manager):
        return manager_words.spoken(manager)
    name = next((p for pattern, p in _PRODUCTS if re.search(pattern, manager, re.I)), "")
    return f"{name} ({manager})" if name and name.lower() != manager.lower() else manager


def reads(change: dict[str, Any]) -> list[Read]:
    """Every diff line of one change that the table explains, once per field."""
    out: dict[str, Read] = {}
    kind = str((change.get("object") or {}).get("kind") or "") if isinstance(change.get("object"), dict) else ""
    lines = [str(d) for d in change.get("diff") or []] + [str(change.get("summary") or "")]
    context = "\n".join(lines)
    for line in lines:
        r = read(line, kind, context)
        if r is not None and r.meaning.field not in out:
            out[r.meaning.field] = r
    return list(out.values())


def said(change: dict[str, Any]) -> str:
    """What the change's fields mean, as sentences for a finding ("" when no field of the table moved)."""
    found = reads(change)
    return " ".join(f"Meaning of {r.sentence()}." for r in found[:3])


_VALUED = re.compile(r" -> |\(now |\s=\s|\sremoved\b")
"""A diff line that says what a field was set to, not only which field was written."""


def values(change: dict[str, Any], shown: str = "", limit: int = 3) -> list[str]:
    """The change's diff lines that carry a value (`old -> new`, `(now 'ClientIP')`) and are not already in
    `shown`: a change line that names only written fields gains what they were set to."""
    out = []
    for line in (str(d) for d in change.get("diff") or []):
        text = " ".join(line.split())
        if _VALUED.search(text) and text not in shown and text not in out:
            out.append(text)
    return out[:limit]


def change_line(change: dict[str, Any], summary: str, minutes: int) -> str:
    """The generic "a recent change may have triggered it" sentence: the summary, the values the change set,
    when, and what the fields it set mean (so a bare `spec.sessionAffinity` write says ClientIP and what that
    does)."""
    written = values(change, summary)
    text = summary + (f" ({'; '.join(v[:160] for v in written)})" if written else "")
    text += f" ({minutes} min before the alert)."
    meant = said(change)
    return f"{text} {meant}" if meant else text


@dataclass
class Suspect:
    """A write whose field's signature a workload's own errors print."""

    target: Ref
    change: dict[str, Any]
    reading: Read
    log: LogEvidence
    said: str
    victims: list[Ref] = field(default_factory=list)
    minutes_before: int = 0


def _log_text(log: LogEvidence) -> list[str]:
    tops = [log.top, *log.more] if log.top else list(log.more)
    return [str(e.get("message") or e.get("line") or e.get("text") or "") for e in tops if isinstance(e, dict)] \
        + list(log.last_lines)


def suspects(facts: Facts) -> list[Suspect]:
    """Writes of a field with a signature, shortly before the incident, in the namespace of a workload whose
    logs print that signature: the write is the cause, the workload its victim."""
    out: list[Suspect] = []
    for change in facts.change_list():
        target = Ref.of(change.get("object"))
        at = parse_time(change.get("at"))
        if target is None or at is None or not timedelta(0) <= facts.at - at <= LEAD:
            continue
        for reading in reads(change):
            meaning = reading.meaning
            if meaning.signature is None:
                continue
            for log in facts.logs:
                if log.namespace != target.namespace:
                    continue
                hit = next((t for t in _log_text(log) if meaning.signature.search(t)), None)
                if hit is None:
                    continue
                victims = [Ref("", log.namespace, workload_of_pod(log.pod)), Ref("Pod", log.namespace, log.pod)]
                known = next((s for s in out if s.target.same_object(target)), None)
                if known is not None:
                    known.victims += [v for v in victims if not any(v.same_object(k) for k in known.victims)]
                    continue
                out.append(Suspect(target=target, change=change, reading=reading, log=log, said=hit[:240],
                                   victims=victims, minutes_before=int((facts.at - at).total_seconds() // 60)))
    return out


def finding(s: Suspect) -> dict[str, Any]:
    """The suspect's finding: the field, old -> new, what it means, and the victim's error it explains."""
    victims = ", ".join(str(v) for v in s.victims if v.kind == "Pod")
    r = s.reading
    message = (f"{s.target} set {r.path} {r.change_text()} {s.minutes_before} min before the incident: "
               f"{r.meaning.means}; {victims} fail{'s' if victims.count(',') == 0 else ''} exactly so: "
               f"'{s.said[:120]}' ({r.meaning.symptom}). Revert the field, or set it on the pods that need it")
    return {"check": CHECK, "severity": "critical", "object": s.change.get("object"), "reason": "FieldMeaning",
            "message": message, "evidence": [s.said, s.reading.line[:200]],
            "details": {"field": s.reading.path, "old": s.reading.old, "new": s.reading.new,
                        "change_at": s.change.get("at")}}
