"""Round 18 of the held-out incident set: twelve failures restaged from public postmortems and vendor reports.

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer):
the first line names the failure type, the second paragraph (`after: ...`) the public write-up or vendor
document whose mechanism it moves onto Kubernetes (our own names and text, nothing copied). The layers
are mixed (application runtime, data store, network/TLS, platform controllers, node/kernel) and most
culprits live in another namespace than the page. Log lines follow the real software's formats
(ingress-nginx with ModSecurity, Kyverno, Cassandra, HotSpot, Java SSL, KafkaJS, Valkey, kubectl,
Envoy, Twilio's Python client, OpenSearch, klog).
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from corpus import logs as L  # noqa: E402
from corpus.kit import REGISTRY, Incident, P, Rev, c, o, terminated, ts  # noqa: E402
from incidentgen import alerts as am  # noqa: E402
from incidentgen.cluster import PodHistory  # noqa: E402

Lines = list[tuple[datetime, str]]
LogFn = Callable[[str, datetime, datetime], str]
Series = Callable[[datetime], float]


# ---- helpers ---------------------------------------------------------------------------------------
def within(make: Callable[[str, datetime, datetime], Lines]) -> LogFn:
    """A pod log function whose lines are kept only inside the container run (start..end), sorted."""
    return lambda pod, start, end: L.lines(sorted(x for x in make(pod, start, end) if start <= x[0] <= end))


def changed(obj: dict[str, Any], *entries: tuple[str, str, datetime, dict[str, Any]]) -> dict[str, Any]:
    """managedFields as the API server keeps them: who changed which fields, and when (the change's trace)."""
    obj["metadata"]["managedFields"] = [
        {"manager": m, "operation": op, "apiVersion": obj["apiVersion"], "time": ts(t), "fieldsType": "FieldsV1",
         "fieldsV1": f} for m, op, t, f in entries]
    return obj


def step(before: float, after: float, at: datetime) -> Series:
    """A gauge that moves from `before` to `after` at `at`."""
    return lambda t: before if t < at else after


def counter(start: datetime, before: float, after: float, at: datetime) -> Series:
    """A counter growing `before` per second until `at`, `after` per second from then on."""
    def value(t: datetime) -> float:
        early = max(0.0, (min(t, at) - start).total_seconds())
        late = max(0.0, (t - at).total_seconds())
        return round(before * early + after * late, 3)
    return value


def app(inc: Incident, ns: str, name: str, image: str, replicas: int, log: LogFn | None = None, **kw: Any) -> Any:
    """A Deployment whose pods all run: its trouble shows in logs and metrics, not in pod state."""
    rev = Rev(1, inc.born + timedelta(days=12), "helm upgrade", [c(name, image, **kw)])
    return inc.deployment(ns, name, [rev], {1: [P(log=log) for _ in range(replicas)]})


def herring(inc: Incident, ns: str, name: str, image: str, old: str, at: datetime) -> None:
    """The red herring: an unrelated, healthy rollout that finished shortly before the page."""
    revs = [Rev(1, inc.born + timedelta(days=9), "helm upgrade", [c(name, f"{image}:{old}")]),
            Rev(2, at, "helm upgrade", [c(name, f"{image}:{old}.1")])]
    inc.deployment(ns, name, revs, {2: [P(), P()]})


def herring_config(inc: Incident, ns: str, name: str, data: dict[str, str], at: datetime) -> None:
    """The red herring as a ConfigMap someone edited by hand shortly before the page, for an unrelated reason."""
    cm = inc.configmap(ns, name, data)
    changed(cm, ("kubectl-edit", "Update", at, {"f:data": {f"f:{k}": {} for k in data}}))


def plant(inc: Incident, ns: str, name: str, kind: str, label: str, key: str) -> str:
    """A Secret holding one real-shaped credential (a canary): secrets must never reach a report."""
    value = inc.canary(kind, label)
    inc.secret(ns, name, {key: value})
    return value


def alert(inc: Incident, name: str, labels: dict[str, str], summary: str, description: str, expr: str,
          severity: str = "warning") -> dict[str, Any]:
    """One kube-prometheus style alert (not yet sent)."""
    full = {"alertname": name, **labels, "severity": severity,
            "prometheus": "monitoring/kube-prometheus-stack-prometheus", "cluster": "prod-eu-west-1"}
    ann = {"summary": summary, "description": description,
           "runbook_url": f"https://runbooks.prometheus-operator.dev/runbooks/kubernetes/{name.lower()}"}
    return am.alert(full, ann, inc.at, expr)


def crd(inc: Incident, group: str, kind: str, plural: str, scope: str = "Namespaced",
        columns: list[dict[str, Any]] | None = None) -> None:
    """The CustomResourceDefinition a custom resource needs to be served (and found) at all."""
    version: dict[str, Any] = {"name": "v1", "served": True, "storage": True,
                               "schema": {"openAPIV3Schema": {"type": "object",
                                                              "x-kubernetes-preserve-unknown-fields": True}}}
    if columns:
        version["additionalPrinterColumns"] = columns
    inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {"name": f"{plural}.{group}"},
             "spec": {"group": group, "scope": scope, "versions": [version],
                      "names": {"kind": kind, "plural": plural, "singular": kind.lower(),
                                "listKind": f"{kind}List"}},
             "status": {"acceptedNames": {"kind": kind, "plural": plural},
                        "conditions": [{"type": "Established", "status": "True", "reason": "InitialNamesAccepted"}]}})


def node(inc: Incident, index: int) -> str:
    return inc.node_names()[index]


def job_run(inc: Incident, ns: str, cronjob: str, start: datetime, end: datetime | None, image: str,
            log: str, exit_code: int = 0) -> str:
    """A Job created by `cronjob` at `start`, its pod and log: running (end None), succeeded or failed."""
    name = f"{cronjob}-{int(start.timestamp() // 60)}"
    failed = end is not None and exit_code != 0
    status: dict[str, Any] = {"startTime": ts(start), "active": 1} if end is None else (
        {"startTime": ts(start), "failed": 1, "conditions": [
            {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
             "message": "Job has reached the specified backoff limit", "lastTransitionTime": ts(end)}]}
        if failed else {"startTime": ts(start), "completionTime": ts(end), "succeeded": 1, "conditions": [
            {"type": "Complete", "status": "True", "lastTransitionTime": ts(end)}]})
    job = inc.add({"apiVersion": "batch/v1", "kind": "Job",
                   "metadata": {"name": name, "namespace": ns, "creationTimestamp": ts(start),
                                "labels": {"job-name": name},
                                "ownerReferences": [o.owner_ref("CronJob", cronjob, ns, "batch/v1")]},
                   "spec": {"backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never", "containers": [
                       {"name": cronjob, "image": image}]}}},
                   "status": status})
    container = c(cronjob, image, port=None)
    pod_name = f"{name}-{o.suffix(name, 5)}"
    inc.cluster.add_pod(PodHistory(
        name=pod_name, namespace=ns, workload=cronjob, containers=[container], node=inc.cluster.pick_node(pod_name),
        created=start, states=[o.ContainerState(started_at=start + timedelta(seconds=4), ready=end is None)],
        labels={"job-name": name}, owner=o.owner_ref("Job", name, ns, "batch/v1"), logs={cronjob: log}))
    if end is not None:
        inc.cluster.patch(ns, pod_name, terminated(exit_code, "Error" if failed else "Completed",
                                                   start + timedelta(seconds=4), end,
                                                   "Failed" if failed else "Succeeded"))
        inc.event(job, "BackoffLimitExceeded" if failed else "Completed",
                  "Job has reached the specified backoff limit" if failed else "Job completed", end,
                  warning=failed, component="job-controller")
    inc.event(job, "SuccessfulCreate", f"Created pod: {pod_name}", start, warning=False, component="job-controller")
    return name


def cronjob(inc: Incident, ns: str, name: str, schedule: str, image: str, args: list[str],
            last: datetime) -> dict[str, Any]:
    """A CronJob with its last schedule time (its Jobs are made with job_run)."""
    return inc.add({"apiVersion": "batch/v1", "kind": "CronJob",
                    "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
                    "spec": {"schedule": schedule, "concurrencyPolicy": "Forbid", "suspend": False,
                             "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
                             "jobTemplate": {"spec": {"backoffLimit": 0, "template": {"spec": {
                                 "restartPolicy": "Never",
                                 "containers": [{"name": name, "image": image, "args": args}]}}}}},
                    "status": {"lastScheduleTime": ts(last)}})


def controller_revisions(inc: Incident, ds: dict[str, Any], revisions: list[tuple[int, datetime, dict[str, Any]]]
                         ) -> None:
    """The ControllerRevisions a DaemonSet keeps: one per template it has had, stamped when it was created."""
    meta = ds["metadata"]
    for number, at, template in revisions:
        inc.add({"apiVersion": "apps/v1", "kind": "ControllerRevision", "revision": number, "data": {
            "spec": {"template": template}},
            "metadata": {"name": f"{meta['name']}-{o.suffix(meta['name'] + str(number), 10)}",
                         "namespace": meta["namespace"], "creationTimestamp": ts(at),
                         "labels": {"app": meta["name"]},
                         "ownerReferences": [o.owner_ref("DaemonSet", meta["name"], meta["namespace"])]}})


def http_series(inc: Incident, ns: str, service: str, ok: float, bad: float, code: str, at: datetime) -> None:
    """http_requests_total of a service: all 2xx until `at`, then `bad`/s of `code` beside the 2xx."""
    start = inc.at - timedelta(hours=2)
    inc.series("http_requests", "counter", "Total HTTP requests.",
               {"namespace": ns, "service": service, "code": "200", "job": service},
               counter(start, ok, ok - bad, at), 30)
    inc.series("http_requests", "counter", "Total HTTP requests.",
               {"namespace": ns, "service": service, "code": code, "job": service}, counter(start, 0.0, bad, at), 30)


def replace_logs(inc: Incident, ns: str, workload: str, make: LogFn) -> None:
    """Replace the current logs of a background workload's pods (its first container) with `make`'s lines."""
    for h in inc.pods_of(ns, workload):
        h.logs[h.containers[0].name] = make(h.name, h.created, inc.captured)


# ---- 1 ---------------------------------------------------------------------------------------------
AT1 = datetime(2026, 11, 19, 14, 31, tzinfo=UTC)
WAF_RULE = (r"""SecRule REQUEST_URI|ARGS|REQUEST_BODY "@rx (?:(?:\"|'|\]|\}|\\|\d|(?:nan|infinity|true|false|"""
            r"""null|undefined|symbol|math)|\`|\-|\+)+[)]*;?((?:\s|-|~|!|{}|\|\||\+)*.*(?:.*=.*)))" """
            r""""id:1009817,phase:2,block,t:none,t:urlDecodeUni,log,msg:'XSS probe: inline JS assignment'\"""")


def storefront_latency_burn() -> Incident:
    """waf-regex-catastrophic-backtracking-cpu: a new inline ModSecurity rule's regex backtracks; nginx CPU pegged.

    after: a CDN's global outage from a WAF rule deployed everywhere at once whose regular expression
    (`.*(?:.*=.*)`) backtracks catastrophically and exhausts CPU on every edge; here the rule goes into
    ingress-nginx's controller ConfigMap (`modsecurity-snippet`) and every request through the shared
    ingress is slow or dropped.

    The security team adds an XSS rule to ConfigMap ingress-nginx/ingress-nginx-controller by hand (14:02).
    After the reload both controller pods sit at their 2-CPU limit; request time through the ingress goes
    from 40 ms to 6-9 s, clients give up (499) and the ingress answers 504 to some. The storefront pods
    answer in 30 ms the whole time: its upstream response time is flat while the ingress request time
    climbs. Red herring: the reviews widget rollout at 13:45 in the storefront namespace.
    """
    at, change = AT1, AT1 - timedelta(minutes=29)
    inc = Incident("shop-pages-slow-burn", title="storefront error budget burning, pages slow", story="",
                   at=at, seed=1801, namespaces=("storefront",))
    plant(inc, "storefront", "storefront-session", "token", "session", "session-secret")
    cm = inc.configmap("ingress-nginx", "ingress-nginx-controller", {
        "allow-snippet-annotations": "false", "use-forwarded-headers": "true", "enable-modsecurity": "true",
        "enable-owasp-modsecurity-crs": "false", "modsecurity-snippet":
            "SecRuleEngine On\nSecRequestBodyAccess On\nSecAuditLog /dev/stdout\nSecAuditLogFormat JSON\n"
            + WAF_RULE + "\n"})
    changed(cm, ("helm", "Update", inc.born + timedelta(days=3),
                 {"f:data": {"f:allow-snippet-annotations": {}, "f:use-forwarded-headers": {}}}),
            ("kubectl-edit", "Update", change, {"f:data": {"f:enable-modsecurity": {},
                                                          "f:enable-owasp-modsecurity-crs": {},
                                                          "f:modsecurity-snippet": {}}}))

    def controller(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = [
            (change + timedelta(seconds=3), L.klog(change + timedelta(seconds=3), "I", "controller.go:193",
                                                   '"Configuration changes detected, backend reload required"', 7)),
            (change + timedelta(seconds=4), "2026/11/19 14:02:04 [notice] 412#412: ModSecurity-nginx v1.0.3 "
                                            "(rules loaded inline/local/remote: 1/0/0)"),
            (change + timedelta(seconds=5), L.klog(change + timedelta(seconds=5), "I", "controller.go:213",
                                                   '"Backend successfully reloaded"', 7)),
            (change + timedelta(seconds=5), L.klog(change + timedelta(seconds=5), "I", "event.go:377",
                                                   '"Event occurred" object="ingress-nginx/ingress-nginx-controller-'
                                                   f'{pod[-5:]}" kind="Pod" apiVersion="v1" type="Normal" '
                                                   'reason="RELOAD" message="NGINX reload triggered due to a change '
                                                   'in configuration"', 7))]
        for i, t in enumerate(L.every(start, end, 17)):
            slow = t >= change
            rt = (6.2 + (i % 5) * 0.6) if slow else 0.041 + (i % 4) * 0.006
            status, up = (499, "-") if slow and i % 3 == 0 else ((504, "504") if slow and i % 7 == 0 else (200, "200"))
            path = ["/", "/products/4711?ref=home", "/search?q=rain+jacket&size=m", "/cart"][i % 4]
            out.append((t, L.nginx_access(t, f"10.0.{i % 7}.{40 + i % 50}", f"GET {path}", status,
                                          0 if status == 499 else 18211, "storefront-storefront-80", up, rt)))
            if slow and i % 9 == 0:
                out.append((t, L.nginx_error(t, "upstream timed out (110: Operation timed out) while reading "
                                                "response header from upstream, client: 10.0.3.41, server: "
                                                "www.example.com, request: \"GET /products/4711 HTTP/1.1\", "
                                                "upstream: \"http://10.244.2.31:8080/products/4711\"", 31, 1000 + i)))
        return out

    replace_logs(inc, "ingress-nginx", "ingress-nginx-controller", within(controller))

    def web(pod: str, start: datetime, end: datetime) -> Lines:
        return L.ticker(start, end, 20, lambda i, t: L.js(t, "info", "request completed", method="GET",
                                                          path=["/", "/products/4711", "/cart"][i % 3], status=200,
                                                          duration_ms=22 + i % 14, req_id=L.uuidish(pod, i)))

    app(inc, "storefront", "storefront", f"{REGISTRY}/storefront/storefront:8.4.2", 3, log=within(web))
    inc.service("storefront", "storefront", {"app": "storefront"})
    herring(inc, "storefront", "reviews-widget", f"{REGISTRY}/storefront/reviews-widget", "1.9.0",
            at - timedelta(minutes=46))
    start = at - timedelta(hours=2)
    for h in inc.pods_of("ingress-nginx", "ingress-nginx-controller"):
        base = {"namespace": "ingress-nginx", "pod": h.name, "container": "controller"}
        inc.series("container_cpu_usage_seconds", "counter", "Cumulative cpu time consumed in seconds.",
                   {**base, "job": "kubelet"}, counter(start, 0.18, 1.98, change), 30)
        inc.series("container_cpu_cfs_throttled_periods", "counter",
                   "Number of throttled period intervals.", {**base, "job": "kubelet"},
                   counter(start, 0.0, 8.7, change), 30)
        inc.series("kube_pod_container_resource_limits", "gauge", "The number of requested limit resource.",
                   {**base, "resource": "cpu", "unit": "core", "job": "kube-state-metrics"}, lambda t: 2.0, 60)
    ing = {"exported_namespace": "storefront", "ingress": "storefront", "service": "storefront",
           "controller_class": "k8s.io/ingress-nginx", "job": "ingress-nginx-controller-metrics"}
    inc.series("nginx_ingress_controller_request_duration_seconds_sum", "gauge",
               "The request processing time in seconds (sum).", {**ing},
               counter(start, 0.04 * 60, 6.8 * 60, change), 30)
    inc.series("nginx_ingress_controller_response_duration_seconds_sum", "gauge",
               "The time spent on receiving the response from the upstream server in seconds (sum).", {**ing},
               counter(start, 0.03 * 60, 0.031 * 60, change), 30)
    inc.series("nginx_ingress_controller_requests", "counter", "The total number of client requests.",
               {**ing, "status": "499"}, counter(start, 0.0, 14.0, change), 30)
    inc.slo_burn("storefront", "storefront", "storefront-availability", "99.9", 21.7,
                 "storefront's availability SLO is burning its 30-day error budget 21.7x too fast over 1h and 5m; "
                 "latency p99 at the edge above 6s.")
    inc.answer_key(culprit=("ConfigMap", "ingress-nginx", "ingress-nginx-controller"),
                   keywords=["ModSecurity", "regex", "backtracking", "CPU"],
                   root_cause="A hand edit of ConfigMap ingress-nginx/ingress-nginx-controller at 14:02 enabled "
                              "ModSecurity with an inline rule whose regex (.*(?:.*=.*)) suffers catastrophic "
                              "backtracking: every request is matched against it, the controller pods are pinned "
                              "at their CPU limit, and requests through the ingress take seconds or are dropped "
                              "(499/504) while the storefront upstream stays fast.",
                   category="waf-regex-catastrophic-backtracking-cpu",
                   red_herrings=[("Deployment", "storefront", "reviews-widget")])
    return inc


# ---- 2 ---------------------------------------------------------------------------------------------
AT2 = datetime(2026, 11, 20, 10, 18, tzinfo=UTC)
MIRROR = "harbor.example.com/dockerhub-proxy"


def label_printer_rollout_page() -> Incident:
    """mutating-policy-rewrites-registry-to-missing-mirror: a Kyverno policy now rewrites ghcr.io images too.

    after: public write-ups of registry-mirror migrations where an admission policy that rewrites image
    references to a pull-through cache (Kyverno's "replace image registry" sample) was widened to more
    registries than the cache proxies; pods of unrelated teams fail to pull an image that exists upstream.

    The platform repo's ClusterPolicy rewrite-image-registry gains a second rule (Argo CD sync, 08:05) that
    matches `ghcr.io/*` and rewrites it into the Docker Hub proxy-cache project of Harbor. The fulfilment
    team rolls label-printer 3.2.0 (ghcr.io/acme-labs/label-printer:3.2.0, which exists) at 10:08: the new
    pods' spec says harbor.example.com/dockerhub-proxy/acme-labs/label-printer:3.2.0 (Kyverno's
    last-applied-patches annotation shows it), the pull is `not found`, the rollout stalls. The Deployment's
    own template is correct. Red herring: the printer-templates ConfigMap edit at 10:01.
    """
    at, change, roll = AT2, AT2 - timedelta(minutes=133), AT2 - timedelta(minutes=10)
    inc = Incident("label-printer-rollout-page", title="fulfilment label printing rollout not progressing",
                   story="", at=at, seed=1802, namespaces=("fulfilment", "kyverno"))
    plant(inc, "fulfilment", "carrier-api", "token", "dhl", "api-key")
    crd(inc, "kyverno.io", "ClusterPolicy", "clusterpolicies", scope="Cluster")
    policy = inc.add({"apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy",
                      "metadata": {"name": "rewrite-image-registry", "generation": 4,
                                   "annotations": {"policies.kyverno.io/title": "Replace Image Registry",
                                                   "argocd.argoproj.io/tracking-id":
                                                       "platform-policies:kyverno.io/ClusterPolicy:"
                                                       "/rewrite-image-registry"}},
                      "spec": {"background": False, "rules": [
                          {"name": "rewrite-dockerhub", "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
                           "mutate": {"foreach": [{"list": "request.object.spec.containers",
                                                   "preconditions": {"all": [{"key": "{{element.image}}",
                                                                              "operator": "Equals",
                                                                              "value": "docker.io/*"}]},
                                                   "patchStrategicMerge": {"spec": {"containers": [{
                                                       "name": "{{ element.name }}",
                                                       "image": "{{ regex_replace_all_literal('^docker.io/', "
                                                                "'{{element.image}}', '" + MIRROR + "/') }}"}]}}}]}},
                          {"name": "rewrite-to-mirror", "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
                           "mutate": {"foreach": [{"list": "request.object.spec.containers",
                                                   "preconditions": {"all": [{"key": "{{element.image}}",
                                                                              "operator": "Equals",
                                                                              "value": "ghcr.io/*"}]},
                                                   "patchStrategicMerge": {"spec": {"containers": [{
                                                       "name": "{{ element.name }}",
                                                       "image": "{{ regex_replace_all_literal('^ghcr.io/', "
                                                                "'{{element.image}}', '" + MIRROR + "/') }}"}]}}}]}}]},
                      "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Succeeded",
                                                 "message": "Ready", "lastTransitionTime": ts(change)}]}})
    changed(policy, ("argocd-controller", "Apply", change, {"f:spec": {"f:rules": {}}}))
    upstream = "ghcr.io/acme-labs/label-printer"
    pulled = f"{MIRROR}/acme-labs/label-printer:3.2.0"
    msg = (f'Failed to pull image "{pulled}": rpc error: code = NotFound desc = failed to pull and unpack image '
           f'"{pulled}": failed to resolve reference "{pulled}": {pulled}: not found')
    revs = [Rev(6, inc.born + timedelta(days=20), "helm upgrade", [c("label-printer", f"{upstream}:3.1.4")]),
            Rev(7, roll, "helm upgrade", [c("label-printer", f"{upstream}:3.2.0")])]
    wl = inc.deployment("fulfilment", "label-printer", revs,
                        {6: [P(), P(), P()], 7: [P(state="waiting", waiting_reason="ImagePullBackOff", message=msg)]},
                        progress="progressing", replicas=3, max_surge="1", max_unavailable="0")
    new_pod = wl.pods[-1]

    def mutated(pod: dict[str, Any]) -> None:
        pod["spec"]["containers"][0]["image"] = pulled
        pod["metadata"].setdefault("annotations", {})["policies.kyverno.io/last-applied-patches"] = (
            "rewrite-to-mirror.rewrite-image-registry.kyverno.io: replaced /spec/containers/0/image\n")
        for cs in pod["status"].get("containerStatuses", []):
            cs["image"] = pulled

    inc.cluster.patch("fulfilment", new_pod.name, mutated)
    for ev in inc.cluster.events:
        if ev["involvedObject"]["name"] == new_pod.name:
            ev["message"] = ev["message"].replace(f"{upstream}:3.2.0", pulled)
    app(inc, "kyverno", "kyverno-admission-controller", "ghcr.io/kyverno/kyverno:v1.12.5", 1, port=9443,
              log=within(lambda pod, s, e: [
                  (change + timedelta(seconds=40), L.klog(change + timedelta(seconds=40), "I", "controller.go:278",
                                                          '"policy updated" logger="policy-controller" '
                                                          'name="rewrite-image-registry"', 1)),
                  (roll + timedelta(seconds=6), L.klog(roll + timedelta(seconds=6), "I", "mutation.go:189",
                                                       '"mutation rules from policy applied successfully" '
                                                       'logger="webhooks.resource.mutate" kind="Pod" '
                                                       'namespace="fulfilment" name="" '
                                                       'operation="CREATE" policy="rewrite-image-registry" '
                                                       'rules=["rewrite-to-mirror"]', 1))]))
    herring_config(inc, "fulfilment", "printer-templates", {"dhl-label.zpl": "^XA^FO50,50^A0N,40,40^FDDHL^FS^XZ",
                                                          "PAPER_SIZE": "A6"}, at - timedelta(minutes=17))
    inc.pod_series(inc.pods_of("fulfilment", "label-printer"), memory=False)
    inc.series("kube_deployment_status_replicas_updated", "gauge", "The number of updated replicas per deployment.",
               {"namespace": "fulfilment", "deployment": "label-printer", "job": "kube-state-metrics"},
               step(3, 0, roll), 60)
    inc.pagerduty("[FIRING:1] KubeDeploymentRolloutStuck fulfilment/label-printer (prod-eu-west-1)",
                  "Fulfilment platform")
    inc.answer_key(culprit=("ClusterPolicy", "", "rewrite-image-registry"),
                   keywords=["Kyverno", "rewrite", "mirror", "not found"],
                   root_cause="The Kyverno ClusterPolicy rewrite-image-registry gained a rule (08:05) that rewrites "
                              "ghcr.io images to the Harbor Docker Hub proxy-cache mirror; label-printer 3.2.0's pods "
                              "are admitted with image "
                              "harbor.example.com/dockerhub-proxy/acme-labs/label-printer:3.2.0, "
                              "which the mirror does not have (not found), so the rollout is stuck in "
                              "ImagePullBackOff although the Deployment's own image is correct.",
                   category="mutating-policy-rewrites-registry-to-missing-mirror",
                   red_herrings=[("ConfigMap", "fulfilment", "printer-templates")])
    return inc


# ---- 3 ---------------------------------------------------------------------------------------------
AT3 = datetime(2026, 11, 21, 16, 40, tzinfo=UTC)


def balances_not_found_rate_high() -> Incident:
    """cassandra-scale-out-without-bootstrap-empty-reads: new ring members joined with auto_bootstrap=false.

    after: a bank's published outage where Cassandra nodes were added to a cluster with bootstrapping
    turned off: they took ownership of token ranges without streaming the data, and reads routed to
    them returned nothing, so customers' data appeared to be missing.

    The ledger-db StatefulSet cassandra is scaled from 3 to 6 by a helm upgrade at 16:02 whose values also
    carry JVM_EXTRA_OPTS `-Dcassandra.auto_bootstrap=false` (copied from a restore runbook). cassandra-3..5
    start, log their JVM arguments, generate random tokens and go straight to NORMAL with ~100 KiB of load
    each. accounts-api reads balances at LOCAL_ONE: about half its lookups now miss and it answers 404
    (AccountNotFound). Red herring: the statement-renderer rollout in accounts at 16:20.
    """
    at, change = AT3, AT3 - timedelta(minutes=38)
    inc = Incident("balances-not-found-rate-high", title="accounts balance lookups returning not found",
                   story="", at=at, seed=1803, namespaces=("accounts", "ledger-db"))
    plant(inc, "ledger-db", "cassandra-superuser", "password", "cassandra", "password")
    opts = "-Dcassandra.auto_bootstrap=false -Dcassandra.consistent.rangemovement=false"
    cont = c("cassandra", "docker.io/library/cassandra:4.1.7", memory_limit="8Gi", memory_request="8Gi",
             cpu_request="2", port=9042, readiness_path=None, liveness_path=None,
             env=[{"name": "CASSANDRA_SEEDS", "value": "cassandra-0.cassandra.ledger-db.svc.cluster.local"},
                  {"name": "CASSANDRA_CLUSTER_NAME", "value": "ledger"},
                  {"name": "JVM_EXTRA_OPTS", "value": opts}])

    def cass(pod: str, start: datetime, end: datetime) -> Lines:
        ordinal = int(pod.rsplit("-", 1)[1])
        s = start + timedelta(seconds=12)

        def line(t: datetime, level: str, src: str, msg: str) -> str:
            return f"{level:<5} [main] {t.strftime('%Y-%m-%d %H:%M:%S')},{t.microsecond // 1000:03d} {src} - {msg}"

        out: Lines = [(s, line(s, "INFO", "CassandraDaemon.java:601", "JVM Arguments: [-Xms4G, -Xmx4G, "
                                                                        "-XX:+UseG1GC, " + opts.replace(" ", ", ")
                                                                        + ", -Dcassandra.jmx.local.port=7199]"))]
        if ordinal >= 3:
            out += [(s + timedelta(seconds=20), line(s + timedelta(seconds=20), "INFO", "StorageService.java:1127",
                                                     "Generated random tokens. tokens are [-8123390211876, "
                                                     f"-{3100 + ordinal}557829011, 41{ordinal}2209917736, ...]")),
                    (s + timedelta(seconds=21), line(s + timedelta(seconds=21), "INFO", "StorageService.java:2908",
                                                     f"Node /10.244.{ordinal}.{60 + ordinal}:7000 state jump to "
                                                     "NORMAL")),
                    (s + timedelta(seconds=22), line(s + timedelta(seconds=22), "INFO", "Gossiper.java:2213",
                                                     "No gossip backlog; proceeding"))]
        out += L.ticker(s + timedelta(minutes=1), end, 300, lambda i, t: line(
            t, "INFO", "Gossiper.java:1174", f"InetAddress /10.244.{(ordinal + i) % 4 + 1}.6{i % 6}:7000 is now UP")
            if i % 4 == 0 else None)
        return out

    plans = [P(log=within(cass), created=inc.born + timedelta(days=2)) for _ in range(3)]
    plans += [P(log=within(cass), created=change + timedelta(minutes=2 * n)) for n in (1, 2, 3)]
    sts = inc.statefulset("ledger-db", "cassandra", [cont], plans, change, claims=[("data", "500Gi", "gp3")],
                          service=9042)
    sts.obj["metadata"]["generation"] = 7
    changed(sts.obj, ("helm", "Update", inc.born, {"f:spec": {"f:template": {}}}),
            ("helm", "Update", change, {"f:spec": {"f:replicas": {}, "f:template": {"f:spec": {"f:containers": {
                'k:{"name":"cassandra"}': {"f:env": {'k:{"name":"JVM_EXTRA_OPTS"}': {".": {}, "f:value": {}}}}}}}}}))

    def api(pod: str, start: datetime, end: datetime) -> Lines:
        def make(i: int, t: datetime) -> str | None:
            acct = f"ACC-{(i * 7919) % 900000 + 100000}"
            if t >= change + timedelta(minutes=6) and i % 2 == 0:
                return L.spring(t, "WARN", "d.a.accounts.web.BalanceController",
                                f"AccountNotFoundException: no balance row for account {acct} (consistency "
                                "LOCAL_ONE, 0 rows) -> 404", f"http-nio-8080-exec-{i % 20 + 1}")
            return L.spring(t, "INFO", "d.a.accounts.web.AccessLog", f"GET /v1/accounts/{acct}/balance 200 "
                            f"{9 + i % 6}ms", f"http-nio-8080-exec-{i % 20 + 1}")
        return L.ticker(start, end, 15, make)

    app(inc, "accounts", "accounts-api", f"{REGISTRY}/accounts/accounts-api:5.3.1", 3, log=within(api))
    inc.service("accounts", "accounts-api", {"app": "accounts-api"})
    herring(inc, "accounts", "statement-renderer", f"{REGISTRY}/accounts/statement-renderer", "2.2.0",
            at - timedelta(minutes=20))
    http_series(inc, "accounts", "accounts-api", 40.0, 19.0, "404", change + timedelta(minutes=6))
    for i in range(6):
        inc.series("cassandra_storage_load_bytes", "gauge", "Size, in bytes, of the on disk data this node manages.",
                   {"namespace": "ledger-db", "pod": f"cassandra-{i}", "job": "cassandra-exporter"},
                   (lambda t: 182e9) if i < 3 else (lambda t: None if t < change else 1.1e5), 60)
    inc.series("cassandra_ring_nodes", "gauge", "Nodes in state NORMAL seen in the ring.",
               {"namespace": "ledger-db", "cluster": "ledger", "job": "cassandra-exporter"}, step(3, 6, change), 60)
    inc.alertmanager("AccountsApiNotFoundRatioHigh", {"namespace": "accounts", "service": "accounts-api",
                                                      "job": "accounts-api"},
                     "accounts-api answers 404 to 47% of balance lookups",
                     "More than 10% of GET /v1/accounts/*/balance requests answer 404 for 10 minutes (usually <0.1%).",
                     'sum(rate(http_requests_total{namespace="accounts",service="accounts-api",code="404"}[5m])) / '
                     'sum(rate(http_requests_total{namespace="accounts",service="accounts-api"}[5m])) > 0.1',
                     severity="critical", runbook="https://wiki.example.com/runbooks/accounts-api")
    inc.answer_key(culprit=("StatefulSet", "ledger-db", "cassandra"),
                   keywords=["auto_bootstrap", "scaled", "token", "streaming"],
                   root_cause="StatefulSet ledger-db/cassandra was scaled from 3 to 6 at 16:02 with "
                              "-Dcassandra.auto_bootstrap=false: the three new nodes took random token ranges and "
                              "went NORMAL without streaming any data, so balance reads at LOCAL_ONE routed to them "
                              "find no row and accounts-api answers 404 (AccountNotFound).",
                   category="cassandra-scale-out-without-bootstrap-empty-reads",
                   red_herrings=[("Deployment", "accounts", "statement-renderer")])
    return inc


# ---- 4 ---------------------------------------------------------------------------------------------
AT4 = datetime(2026, 11, 23, 19, 5, tzinfo=UTC)


def quote_service_crashloop_question() -> Incident:
    """sysctl-overcommit-strict-jvm-reserve-fails: a node-tuning DaemonSet sets vm.overcommit_memory=2.

    after: vendor knowledge-base articles and postmortems where strict overcommit (mode 2, commit limit
    = swap + 50 % of RAM) was applied fleet-wide by a tuning change: JVMs that reserve their heap up front
    fail to start with "There is insufficient memory for the Java Runtime Environment to continue" while
    the nodes have plenty of free memory.

    DaemonSet node-tuning/sysctl-tuner rolls a revision at 18:21 whose script also writes
    vm.overcommit_memory=2 and vm.overcommit_ratio=50. Pods already running keep going; the two quote-service
    pods the HPA adds at the evening peak (18:50) die at start: os::commit_memory failed, errno=12, exit 1,
    CrashLoopBackOff. node_memory_CommitLimit_bytes drops to about 8 GiB on every node while Committed_AS is
    above it. Red herring: the fx-rates rollout in pricing at 18:40.
    """
    at, change, scale = AT4, AT4 - timedelta(minutes=44), AT4 - timedelta(minutes=15)
    inc = Incident("quote-service-crashloop-question", title="quote-service new pods keep restarting", story="",
                   at=at, seed=1804, namespaces=("pricing", "node-tuning"))
    plant(inc, "pricing", "quote-db", "password", "quote", "password")
    script_old = "sysctl -w net.core.somaxconn=32768 net.ipv4.tcp_tw_reuse=1 fs.inotify.max_user_watches=524288"
    script_new = script_old + " vm.overcommit_memory=2 vm.overcommit_ratio=50 && sleep infinity"
    ds_pods = inc.cluster.daemonset("node-tuning", "sysctl-tuner", "docker.io/library/busybox:1.36.1",
                                    change, memory_mi=2)
    ds = inc.find("DaemonSet", "node-tuning", "sysctl-tuner")
    tmpl = ds["spec"]["template"]
    tmpl["spec"]["containers"][0].update({"command": ["sh", "-c", script_new],
                                          "securityContext": {"privileged": True}})
    tmpl["spec"]["hostPID"] = True
    ds["metadata"]["generation"] = 5
    ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"] = "5"
    ds["metadata"]["creationTimestamp"] = ts(inc.born + timedelta(days=1))
    changed(ds, ("argocd-controller", "Apply", change, {"f:spec": {"f:template": {"f:spec": {"f:containers": {
        'k:{"name":"sysctl-tuner"}': {"f:command": {}}}}}}}))
    old_tmpl = json.loads(json.dumps(tmpl))
    old_tmpl["spec"]["containers"][0]["command"] = ["sh", "-c", script_old + " && sleep infinity"]
    controller_revisions(inc, ds, [(4, inc.born + timedelta(days=16), old_tmpl), (5, change, tmpl)])
    for i, h in enumerate(ds_pods):
        t = change + timedelta(seconds=30 * (i + 1))
        h.created = t
        h.states[0].started_at = t + timedelta(seconds=3)
        h.logs = {"sysctl-tuner": L.lines([(t + timedelta(seconds=3), x) for x in (
            "net.core.somaxconn = 32768", "net.ipv4.tcp_tw_reuse = 1", "fs.inotify.max_user_watches = 524288",
            "vm.overcommit_memory = 2", "vm.overcommit_ratio = 50")])}
    jvm = ("OpenJDK 64-Bit Server VM warning: INFO: os::commit_memory(0x00000006c0000000, 2147483648, 0) failed; "
           "error='Not enough space' (errno=12)\n#\n# There is insufficient memory for the Java Runtime "
           "Environment to continue.\n# Native memory allocation (mmap) failed to map 2147483648 bytes for "
           "committing reserved memory.\n# An error report file with more information is saved as:\n"
           "# /tmp/hs_err_pid1.log")

    def crash(pod: str, start: datetime, end: datetime) -> Lines:
        return [(start + timedelta(milliseconds=400), jvm)]

    def ok(pod: str, start: datetime, end: datetime) -> Lines:
        return L.ticker(max(start, end - timedelta(hours=3)), end, 30, lambda i, t: L.spring(
            t, "INFO", "c.a.pricing.quote.QuoteController", f"quote computed sku=SKU-{1000 + i % 97} "
            f"currency={['EUR', 'GBP', 'USD'][i % 3]} took={14 + i % 9}ms", f"http-nio-8080-exec-{i % 16 + 1}"))

    cont = c("quote-service", f"{REGISTRY}/pricing/quote-service:7.2.0", memory_limit="3Gi", memory_request="3Gi",
             env=[{"name": "JAVA_TOOL_OPTIONS", "value": "-Xms2g -Xmx2g -XX:+AlwaysPreTouch"}])
    rev = Rev(3, inc.born + timedelta(days=25), "helm upgrade", [cont])
    inc.deployment("pricing", "quote-service", [rev], {3: [
        P(log=within(ok)), P(log=within(ok)), P(log=within(ok)),
        P(state="crashloop", exit_code=1, created=scale, log=within(crash), run_s=lambda n: 1.0),
        P(state="crashloop", exit_code=1, created=scale + timedelta(seconds=20), log=within(crash),
          run_s=lambda n: 1.0)]})
    inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
             "metadata": {"name": "quote-service", "namespace": "pricing"},
             "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "quote-service"},
                      "minReplicas": 3, "maxReplicas": 10, "metrics": [{"type": "Resource", "resource": {
                          "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 65}}}]},
             "status": {"currentReplicas": 5, "desiredReplicas": 5, "lastScaleTime": ts(scale),
                        "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {
                            "averageUtilization": 91, "averageValue": "910m"}}}]}})
    herring(inc, "pricing", "fx-rates", f"{REGISTRY}/pricing/fx-rates", "3.0.4", at - timedelta(minutes=25))
    inc.pod_series(inc.pods_of("pricing", "quote-service"))
    for i, n in enumerate(inc.node_names()):
        base = {"instance": f"10.0.{i + 1}.{20 + i}:9100", "node": n, "job": "node-exporter"}
        inc.series("node_memory_CommitLimit_bytes", "gauge", "Memory information field CommitLimit_bytes.",
                   {**base}, step(8.2e9 + 7.9e9, 8.2e9, change + timedelta(seconds=30 * (i + 1))), 60)
        inc.series("node_memory_Committed_AS_bytes", "gauge", "Memory information field Committed_AS_bytes.",
                   {**base}, lambda t, i=i: 9.6e9 + i * 2.1e8, 60)
        inc.series("node_memory_MemAvailable_bytes", "gauge", "Memory information field MemAvailable_bytes.",
                   {**base}, lambda t, i=i: 7.4e9 - i * 3e8, 60)
    inc.ask("why do the new quote-service pods keep crash looping? the old ones are fine and the nodes have "
            "free memory")
    inc.answer_key(culprit=("DaemonSet", "node-tuning", "sysctl-tuner"),
                   keywords=["overcommit_memory", "sysctl", "insufficient memory", "CommitLimit"],
                   root_cause="DaemonSet node-tuning/sysctl-tuner's revision at 18:21 sets vm.overcommit_memory=2 "
                              "(strict, overcommit_ratio 50) on every node: the CommitLimit falls below what is "
                              "already committed, so the JVM of every new quote-service pod cannot reserve its 2 GiB "
                              "heap (os::commit_memory failed, errno=12, 'insufficient memory for the Java Runtime') "
                              "and crash-loops, although the nodes have free memory.",
                   category="sysctl-overcommit-strict-jvm-reserve-fails",
                   red_herrings=[("Deployment", "pricing", "fx-rates")])
    return inc


# ---- 5 ---------------------------------------------------------------------------------------------
AT5 = datetime(2026, 11, 24, 2, 16, tzinfo=UTC)


def settlement_export_job_failed() -> Incident:
    """tls-min-version-raised-drops-legacy-client: the internal gateway's minimum TLS version set to 1.3.

    after: SaaS and cloud provider notices and incident reports about deprecating old TLS versions, where a
    minimum-version change on a shared endpoint cut off clients that could not negotiate it (old Java 8
    runtimes without TLS 1.3) with `Received fatal alert: protocol_version`.

    Envoy Gateway ClientTrafficPolicy gateway-system/internal-gw-tls is edited at 23:40 to `tls.minVersion:
    "1.3"` (a hardening ticket). The nightly settlement-export CronJob in finance (Java 8u262, which has no
    TLS 1.3) calls ledger.internal.example.com through that gateway at 02:00 and fails with
    SSLHandshakeException; its Job fails. The gateway's envoy pods count ssl connection errors from 02:00,
    every modern client keeps working. Red herring: the statements-api rollout in finance at 01:30.
    """
    at, change, run = AT5, AT5 - timedelta(hours=2, minutes=36), AT5 - timedelta(minutes=16)
    inc = Incident("settlement-export-job-failed", title="nightly settlement export job failed", story="",
                   at=at, seed=1805, namespaces=("finance", "gateway-system"))
    plant(inc, "finance", "settlement-sftp", "password", "sftp", "password")
    crd(inc, "gateway.envoyproxy.io", "ClientTrafficPolicy", "clienttrafficpolicies")
    ctp = inc.add({"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "ClientTrafficPolicy",
                   "metadata": {"name": "internal-gw-tls", "namespace": "gateway-system", "generation": 3},
                   "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway",
                                            "name": "internal"}],
                            "tls": {"minVersion": "1.3", "alpnProtocols": ["h2", "http/1.1"]},
                            "timeout": {"http": {"requestReceivedTimeout": "30s"}}},
                   "status": {"ancestors": [{"ancestorRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway",
                                                             "name": "internal", "namespace": "gateway-system"},
                                             "controllerName": "gateway.envoyproxy.io/gatewayclass-controller",
                                             "conditions": [{"type": "Accepted", "status": "True",
                                                             "reason": "Accepted", "message": "Policy has been "
                                                             "accepted.", "lastTransitionTime": ts(change)}]}]}})
    changed(ctp, ("kubectl-client-side-apply", "Update", inc.born + timedelta(days=8),
                  {"f:spec": {"f:targetRefs": {}}}),
            ("kubectl-edit", "Update", change, {"f:spec": {"f:tls": {"f:minVersion": {}}}}))

    def envoy(pod: str, start: datetime, end: datetime) -> Lines:
        return L.ticker(start, end, 23, lambda i, t: L.envoy(
            t, ["GET", "POST"][i % 2], ["/v2/ledger/entries?since=1h", "/v2/ledger/balances"][i % 2], 200, "-",
            f"10.244.{i % 4 + 1}.{70 + i % 9}:8080", 11 + i % 30, "ledger.internal.example.com",
            L.uuidish(pod, i)))

    app(inc, "gateway-system", "envoy-internal", "docker.io/envoyproxy/envoy:distroless-v1.31.2", 2, port=10443,
        log=within(envoy))
    image = f"{REGISTRY}/finance/settlement-export:1.14.2"
    cronjob(inc, "finance", "settlement-export", "0 2 * * *", image, ["--date=yesterday", "--target=sftp"], run)
    trace = ("javax.net.ssl.SSLHandshakeException: Received fatal alert: protocol_version\n"
             "\tat sun.security.ssl.Alert.createSSLException(Alert.java:131)\n"
             "\tat sun.security.ssl.Alert.createSSLException(Alert.java:117)\n"
             "\tat sun.security.ssl.TransportContext.fatal(TransportContext.java:340)\n"
             "\tat sun.security.ssl.Alert$AlertConsumer.consume(Alert.java:293)\n"
             "\tat sun.security.ssl.SSLSocketImpl.startHandshake(SSLSocketImpl.java:403)\n"
             "\tat org.apache.http.conn.ssl.SSLConnectionSocketFactory.createLayeredSocket("
             "SSLConnectionSocketFactory.java:436)\n"
             "\tat com.acme.finance.export.LedgerClient.fetchEntries(LedgerClient.java:88)\n"
             "\tat com.acme.finance.export.SettlementExport.main(SettlementExport.java:41)")
    for d in (2, 1):
        day = run - timedelta(days=d)
        job_run(inc, "finance", "settlement-export", day, day + timedelta(seconds=52), image, L.lines([
            (day + timedelta(seconds=5), "02:00:05.112 [main] INFO  c.a.finance.export.SettlementExport - "
                                         "Java 1.8.0_262 (Oracle Corporation), export date " + day.date().isoformat()),
            (day + timedelta(seconds=48), "02:00:48.630 [main] INFO  c.a.finance.export.SettlementExport - 18411 "
                                          "ledger entries written, uploaded settlement.csv")]))
    failed = job_run(inc, "finance", "settlement-export", run, run + timedelta(seconds=9), image, L.lines([
        (run + timedelta(seconds=5), "02:00:05.087 [main] INFO  c.a.finance.export.SettlementExport - Java "
                                     "1.8.0_262 (Oracle Corporation), export date " + (run - timedelta(days=1))
         .date().isoformat()),
        (run + timedelta(seconds=6), "02:00:06.402 [main] INFO  c.a.finance.export.LedgerClient - GET "
                                     "https://ledger.internal.example.com/v2/ledger/entries?date=2026-11-23"),
        (run + timedelta(seconds=7), "02:00:06.951 [main] ERROR c.a.finance.export.SettlementExport - export "
                                     "failed\n" + trace)]), exit_code=1)
    herring(inc, "finance", "statements-api", f"{REGISTRY}/finance/statements-api", "4.6.1",
            at - timedelta(minutes=46))
    start = at - timedelta(hours=2)
    for h in inc.pods_of("gateway-system", "envoy-internal"):
        inc.series("envoy_listener_ssl_connection_error", "counter", "Total TLS connection errors not including "
                   "failed certificate verifications.", {"namespace": "gateway-system", "pod": h.name,
                                                         "envoy_listener_address": "0.0.0.0_10443",
                                                         "job": "envoy-internal"},
                   counter(start, 0.0, 0.05, run), 30)
        inc.series("envoy_listener_ssl_versions_TLSv1_3", "counter", "TLS 1.3 handshakes.",
                   {"namespace": "gateway-system", "pod": h.name, "job": "envoy-internal"},
                   counter(start, 6.0, 6.0, run), 30)
    inc.series("kube_job_status_failed", "gauge", "The number of pods which reached Phase Failed.",
               {"namespace": "finance", "job_name": failed, "job": "kube-state-metrics"},
               step(0, 1, run + timedelta(seconds=9)), 60)
    inc.alertmanager("KubeJobFailed", {"namespace": "finance", "job_name": failed,
                                       "container": "kube-state-metrics", "job": "kube-state-metrics"},
                     "Job failed to complete.",
                     f"Job finance/{failed} failed to complete. Removing failed job after investigation should "
                     "clear this alert.", 'kube_job_failed{job="kube-state-metrics"} > 0')
    inc.answer_key(culprit=("ClientTrafficPolicy", "gateway-system", "internal-gw-tls"),
                   keywords=["TLS 1.3", "minVersion", "protocol_version", "handshake"],
                   root_cause="Envoy Gateway ClientTrafficPolicy gateway-system/internal-gw-tls was edited at 23:40 "
                              "to tls minVersion 1.3; the settlement-export job runs Java 8u262, which cannot "
                              "negotiate TLS 1.3, so its handshake with the internal gateway fails "
                              "(SSLHandshakeException: Received fatal alert: protocol_version) and the Job fails.",
                   category="tls-min-version-raised-drops-legacy-client",
                   red_herrings=[("Deployment", "finance", "statements-api")])
    return inc


# ---- 6 ---------------------------------------------------------------------------------------------
AT6 = datetime(2026, 11, 25, 11, 7, tzinfo=UTC)


def duplicate_order_emails_page() -> Incident:
    """consumer-group-renamed-offset-reset-replays-topic: a renamed Kafka group.id starts from the earliest offset.

    after: several published incidents where a consumer's group id changed in a release (a chart value, a
    service rename): the new group had no committed offsets, `auto.offset.reset=earliest` replayed the whole
    retained topic, and customers received days of old notifications again.

    Deployment messaging/notify-dispatcher revision 12 (10:41, chart 3.0) renders KAFKA_GROUP_ID as
    `notify-dispatcher-v2` (was `notify-dispatcher`) with KAFKA_FROM_BEGINNING=true. The new group joins
    order-events with no committed offsets and starts at the beginning of seven days of retention: order
    confirmation emails for orders from 18 November go out again, the lag of the new group is 2.4 million, and
    the email provider (SES) starts throttling. Red herring: the email-templates ConfigMap edit at 10:30.
    """
    at, change = AT6, AT6 - timedelta(minutes=26)
    inc = Incident("duplicate-order-emails-page", title="customers receiving old order confirmation emails again",
                   story="", at=at, seed=1806, namespaces=("messaging",))
    plant(inc, "messaging", "ses-smtp", "aws", "ses", "AWS_ACCESS_KEY_ID")

    def env(group: str, begin: str) -> list[dict[str, Any]]:
        return [{"name": "KAFKA_BROKERS", "value": "kafka-bootstrap.kafka.svc:9092"},
                {"name": "KAFKA_TOPIC", "value": "order-events"},
                {"name": "KAFKA_GROUP_ID", "value": group}, {"name": "KAFKA_FROM_BEGINNING", "value": begin}]

    def dispatcher(pod: str, start: datetime, end: datetime) -> Lines:
        def kjs(t: datetime, level: str, msg: str, **f: object) -> str:
            return json.dumps({"level": level, "timestamp": ts(t).replace("Z", ".000Z"), "logger": "kafkajs",
                               "message": msg, **f}, separators=(",", ":"))
        out: Lines = [(start + timedelta(seconds=2), kjs(start + timedelta(seconds=2), "INFO",
                                                         "[Consumer] Starting", groupId="notify-dispatcher-v2")),
                      (start + timedelta(seconds=5), kjs(start + timedelta(seconds=5), "INFO",
                                                         "[ConsumerGroup] Consumer has joined the group",
                                                         groupId="notify-dispatcher-v2",
                                                         memberId=f"notify-dispatcher-{pod[-5:]}-6c1f",
                                                         isLeader=pod.endswith("0"),
                                                         memberAssignment={"order-events": [0, 1, 2]},
                                                         groupProtocol="RoundRobinAssigner", duration=3121))]

        def make(i: int, t: datetime) -> str | None:
            order = f"ORD-{8812000 + i * 37 % 99991}"
            day = (datetime(2026, 11, 18, 8, tzinfo=UTC) + timedelta(minutes=i * 3)).isoformat()
            if i % 6 == 5 and t > start + timedelta(minutes=4):
                return L.js(t, "error", "send failed", order_id=order, template="order-confirmation",
                            err="Throttling: Maximum sending rate exceeded.", code="Throttling", status=400)
            return L.js(t, "info", "email sent", order_id=order, template="order-confirmation",
                        order_created_at=day, partition=i % 6, offset=1180000 + i * 11)
        return out + L.ticker(start + timedelta(seconds=8), end, 4, make)

    revs = [Rev(11, inc.born + timedelta(days=18), "helm upgrade",
                [c("notify-dispatcher", f"{REGISTRY}/messaging/notify-dispatcher:2.9.3",
                   env=env("notify-dispatcher", "false"))]),
            Rev(12, change, "helm upgrade", [c("notify-dispatcher", f"{REGISTRY}/messaging/notify-dispatcher:3.0.0",
                                               env=env("notify-dispatcher-v2", "true"))])]
    inc.deployment("messaging", "notify-dispatcher", revs, {12: [P(log=within(dispatcher)) for _ in range(2)]})
    herring_config(inc, "messaging", "email-templates", {"order-confirmation.subject": "Your order {{order_id}} is "
                                                         "confirmed", "FOOTER_YEAR": "2026"},
                   at - timedelta(minutes=37))
    start = at - timedelta(hours=2)
    for group, lag in (("notify-dispatcher", lambda t: 40.0 if t < change else 2.41e6),
                       ("notify-dispatcher-v2", lambda t: None if t < change else 2.43e6 - (t - change)
                        .total_seconds() * 14)):
        inc.series("kafka_consumergroup_lag_sum", "gauge", "Current Approximate Lag of a ConsumerGroup at Topic "
                   "for all partitions", {"consumergroup": group, "topic": "order-events", "namespace": "kafka",
                                          "job": "kafka-exporter"}, lag, 30)
    inc.series("ses_send_throttled", "counter", "Email sends rejected with Throttling.",
               {"namespace": "messaging", "service": "notify-dispatcher", "job": "notify-dispatcher"},
               counter(start, 0.0, 2.3, change + timedelta(minutes=4)), 30)
    inc.series("emails_sent", "counter", "Emails accepted by the provider.",
               {"namespace": "messaging", "service": "notify-dispatcher", "template": "order-confirmation",
                "job": "notify-dispatcher"}, counter(start, 0.4, 14.0, change), 30)
    inc.pagerduty("Customer support: many customers report receiving order confirmation emails for orders "
                  "placed days ago", "Customer Messaging")
    inc.answer_key(culprit=("Deployment", "messaging", "notify-dispatcher"),
                   keywords=["group.id", "earliest", "offsets", "replay"],
                   root_cause="Deployment messaging/notify-dispatcher revision 12 (10:41) renamed its Kafka "
                              "group.id to notify-dispatcher-v2 with from-beginning (earliest) offset reset: the new "
                              "group had no committed offsets, so it replays the whole retained order-events topic "
                              "and re-sends a week of order confirmation emails (SES throttling, lag 2.4M).",
                   category="consumer-group-renamed-offset-reset-replays-topic",
                   red_herrings=[("ConfigMap", "messaging", "email-templates")])
    return inc


# ---- 7 ---------------------------------------------------------------------------------------------
AT7 = datetime(2026, 11, 26, 15, 52, tzinfo=UTC)


def catalog_reads_failing_grouped() -> Incident:
    """replica-output-buffer-limit-full-resync-loop: Valkey's replica output buffer limit cut below a full sync.

    after: public postmortems of Redis-compatible caches where replicas fell into an endless full-resync
    loop because `client-output-buffer-limit replica` was smaller than the writes buffered during an RDB
    transfer: the primary drops the replica, forks again, and the replicas keep serving LOADING errors.

    ConfigMap cache/valkey-config is edited at 15:10 (a "memory hygiene" ticket) to `client-output-buffer-limit
    replica 64mb 16mb 60` (was 1gb 512mb 60); Reloader restarts the Valkey pods. With 11 GB of data and a
    busy write stream, each full sync's buffer passes 64 MB: the primary closes the replica ("scheduled to be
    closed ASAP for overcoming of output buffer limits"), the replica reconnects and asks for a full resync,
    again and again. catalog-api reads from the replicas and gets "LOADING". Red herring: the catalog-admin
    rollout at 15:30.
    """
    at, change = AT7, AT7 - timedelta(minutes=42)
    inc = Incident("catalog-reads-failing-grouped", title="catalog read errors and cache pods not ready", story="",
                   at=at, seed=1807, namespaces=("catalog", "cache"))
    plant(inc, "cache", "valkey-auth", "password", "valkey", "password")
    conf_old = "maxmemory 14gb\nmaxmemory-policy allkeys-lru\nclient-output-buffer-limit replica 1gb 512mb 60\n"
    cm = inc.configmap("cache", "valkey-config", {"valkey.conf": conf_old.replace("1gb 512mb 60", "64mb 16mb 60")
                                                  + "repl-diskless-sync yes\n"},
                       annotations={"reloader.stakater.com/match": "true"})
    changed(cm, ("helm", "Update", inc.born + timedelta(days=4), {"f:data": {}}),
            ("kubectl-edit", "Update", change, {"f:data": {"f:valkey.conf": {}}}))

    def vk(t: datetime, role: str, msg: str) -> str:
        return f"1:{role} {t.strftime('%d %b %Y %H:%M:%S')}.{t.microsecond // 1000:03d} {msg}"

    def primary(pod: str, start: datetime, end: datetime) -> Lines:
        def make(i: int, t: datetime) -> list[str]:
            rep = f"10.244.{2 + i % 2}.{41 + i % 2}:6379"
            return [vk(t, "M", f"Replica {rep} asks for synchronization"),
                    vk(t, "M", "Full resync requested by replica " + rep),
                    vk(t, "M", "Starting BGSAVE for SYNC with target: replicas sockets"),
                    vk(t + timedelta(seconds=1), "M", f"Background RDB transfer started by pid {400 + i}"),
                    vk(t + timedelta(seconds=38), "M", f"Client id={900 + i} addr={rep.replace(':6379', ':38112')} "
                       "laddr=10.244.1.40:6379 fd=12 name= age=38 idle=0 flags=S db=0 sub=0 psub=0 ssub=0 multi=-1 "
                       "watch=0 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=2011 "
                       "omem=67115008 tot-mem=67120560 events=rw cmd=psync user=default redir=-1 resp=2 "
                       "lib-name= lib-ver= scheduled to be closed ASAP for overcoming of output buffer limits."),
                    vk(t + timedelta(seconds=38), "M", f"Connection with replica {rep} lost.")]
        out: Lines = []
        for i, t in enumerate(L.every(max(start, change + timedelta(minutes=2)), end, 47)):
            out += [(t + timedelta(seconds=k), x) for k, x in enumerate(make(i, t))]
        return out

    def replica(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = []
        for t in L.every(max(start, change + timedelta(minutes=2)), end, 47):
            out += [(t, vk(t, "S", "Connecting to PRIMARY valkey-0.valkey.cache.svc.cluster.local:6379")),
                    (t + timedelta(seconds=1), vk(t, "S", "PRIMARY <-> REPLICA sync started")),
                    (t + timedelta(seconds=2), vk(t, "S", "Full resync from primary: 8f1e0c7a...:1184022117")),
                    (t + timedelta(seconds=3), vk(t, "S", "PRIMARY <-> REPLICA sync: receiving streamed RDB from "
                                                          "primary with EOF to disk")),
                    (t + timedelta(seconds=39), vk(t, "S", "I/O error trying to sync with PRIMARY: connection lost"))]
        return out

    cont = c("valkey", "docker.io/valkey/valkey:8.0.1", memory_limit="16Gi", memory_request="16Gi", port=6379,
             readiness_path=None, liveness_path=None)
    inc.statefulset("cache", "valkey", [cont], [
        P(log=within(primary), created=change + timedelta(minutes=1)),
        P(state="notready", log=within(replica), created=change + timedelta(minutes=1, seconds=30),
          message="Readiness probe failed: LOADING Valkey is loading the dataset in memory"),
        P(state="notready", log=within(replica), created=change + timedelta(minutes=2),
          message="Readiness probe failed: LOADING Valkey is loading the dataset in memory")],
        inc.born + timedelta(days=4), service=6379)

    def api(pod: str, start: datetime, end: datetime) -> Lines:
        def make(i: int, t: datetime) -> str:
            if t > change + timedelta(minutes=3) and i % 3 != 2:
                return L.pylog(t, "ERROR", "catalog.cache", f"replica read failed for product:{40000 + i % 977}: "
                               "redis.exceptions.BusyLoadingError: Valkey is loading the dataset in memory")
            return L.pylog(t, "INFO", "uvicorn.access", f'10.244.0.9:5{i % 9}122 - "GET /v1/products/'
                           f'{40000 + i % 977} HTTP/1.1" 200')
        return L.ticker(start, end, 12, make)

    app(inc, "catalog", "catalog-api", f"{REGISTRY}/catalog/catalog-api:6.2.0", 3, log=within(api))
    herring(inc, "catalog", "catalog-admin", f"{REGISTRY}/catalog/catalog-admin", "1.4.0", at - timedelta(minutes=22))
    http_series(inc, "catalog", "catalog-api", 120.0, 61.0, "503", change + timedelta(minutes=3))
    start = at - timedelta(hours=2)
    inc.series("redis_connected_slaves", "gauge", "connected_slaves metric",
               {"namespace": "cache", "pod": "valkey-0", "job": "redis-exporter"}, step(2, 0, change), 30)
    inc.series("redis_sync_full", "counter", "sync_full metric", {"namespace": "cache", "pod": "valkey-0",
                                                                  "job": "redis-exporter"},
               counter(start, 0.0, 2 / 47, change + timedelta(minutes=2)), 30)
    inc.series("redis_client_output_buffer_limit_disconnections", "counter",
               "client_output_buffer_limit_disconnections metric",
               {"namespace": "cache", "pod": "valkey-0", "job": "redis-exporter"},
               counter(start, 0.0, 2 / 47, change + timedelta(minutes=2)), 30)
    alerts = [alert(inc, "CatalogApiErrorRateHigh", {"namespace": "catalog", "service": "catalog-api"},
                    "catalog-api 5xx ratio above 5%", "catalog-api answers 503 to 51% of requests.",
                    'sum(rate(http_requests_total{namespace="catalog",code=~"5.."}[5m])) / '
                    'sum(rate(http_requests_total{namespace="catalog"}[5m])) > 0.05', "critical")]
    for pod in ("valkey-1", "valkey-2"):
        alerts.append(alert(inc, "KubePodNotReady", {"namespace": "cache", "pod": pod},
                            "Pod has been in a non-ready state for more than 15 minutes.",
                            f"Pod cache/{pod} has been in a non-ready state for longer than 15 minutes.",
                            'sum by (namespace, pod) (kube_pod_status_phase{phase=~"Pending|Unknown|Failed"}) > 0'))
    inc.alerts["alertmanager.json"] = am.alertmanager(alerts, group=["cluster"])
    inc.answer_key(culprit=("ConfigMap", "cache", "valkey-config"),
                   keywords=["client-output-buffer-limit", "full resync", "replica", "output buffer"],
                   root_cause="ConfigMap cache/valkey-config was edited at 15:10 to client-output-buffer-limit "
                              "replica 64mb 16mb 60 (was 1gb 512mb 60): during each full resync the replica's "
                              "output buffer passes 64 MB, the primary closes it for overcoming of output buffer "
                              "limits, and the replicas loop through full resync forever, answering LOADING to "
                              "catalog-api's reads.",
                   category="replica-output-buffer-limit-full-resync-loop",
                   red_herrings=[("Deployment", "catalog", "catalog-admin")])
    return inc


# ---- 8 ---------------------------------------------------------------------------------------------
AT8 = datetime(2026, 11, 27, 8, 24, tzinfo=UTC)


def bookings_replicas_mismatch() -> Incident:
    """cleanup-job-selector-widened-deletes-live-config: a janitor CronJob's selector now matches live namespaces.

    after: a SaaS provider's multi-day outage caused by a cleanup script that was given the wrong
    identifiers and deleted live customer sites instead of the retired ones; here a preview-environment
    janitor whose namespace selector was widened deletes the ConfigMaps of production services.

    CronJob platform-tools/preview-env-janitor is edited at 07:12 (a "catch orphaned previews" change):
    `--namespace-selector=env=preview` becomes `--namespace-selector=env!=production`. The bookings namespace
    carries no env label, so the 08:00 run deletes every ConfigMap older than seven days there, including
    bookings-api-config. The running bookings-api pods keep their environment; the two pods added at 08:10 fail
    with CreateContainerConfigError `configmap "bookings-api-config" not found`. The janitor's log lists the
    deletions. Red herring: the availability-cache rollout in bookings at 07:55.
    """
    at, change, run = AT8, AT8 - timedelta(minutes=72), AT8 - timedelta(minutes=24)
    inc = Incident("bookings-replicas-mismatch", title="bookings-api replicas not available", story="",
                   at=at, seed=1808, namespaces=("bookings", "platform-tools"))
    plant(inc, "bookings", "bookings-db", "password", "bookings", "password")
    image = "docker.io/bitnami/kubectl:1.30.6"
    args = ["--namespace-selector=env!=production", "--kinds=configmap,secret,service",
            "--older-than=168h", "--exclude-label=janitor.acme.dev/keep=true"]
    cj = cronjob(inc, "platform-tools", "preview-env-janitor", "0 * * * *", image, args, run)
    changed(cj, ("helm", "Update", inc.born + timedelta(days=6), {"f:spec": {"f:schedule": {}}}),
            ("kubectl-edit", "Update", change, {"f:spec": {"f:jobTemplate": {"f:spec": {"f:template": {"f:spec": {
                "f:containers": {'k:{"name":"preview-env-janitor"}': {"f:args": {}}}}}}}}}))
    for back in (2, 1):
        t = run - timedelta(hours=back)
        sel = "env=preview" if t < change else "env!=production"
        job_run(inc, "platform-tools", "preview-env-janitor", t, t + timedelta(seconds=14), image, L.lines([
            (t + timedelta(seconds=3), f"janitor: namespaces matching {sel}: preview-pr-4412 preview-pr-4419"),
            (t + timedelta(seconds=9), "janitor: nothing older than 168h")]))
    deleted = ["bookings-api-config", "availability-rules", "bookings-feature-flags"]
    log = [(run + timedelta(seconds=3), "janitor: namespaces matching env!=production: bookings preview-pr-4412 "
                                        "preview-pr-4419 reporting-sandbox")]
    log += [(run + timedelta(seconds=5 + i), f'configmap "{name}" deleted') for i, name in enumerate(deleted)]
    log += [(run + timedelta(seconds=9), 'configmap "sandbox-seed" deleted'),
            (run + timedelta(seconds=10), "janitor: deleted 4 objects in 2 namespaces")]
    job_run(inc, "platform-tools", "preview-env-janitor", run, run + timedelta(seconds=12), image, L.lines(log))
    scale = run + timedelta(minutes=10)
    msg = 'configmap "bookings-api-config" not found'

    def api(pod: str, start: datetime, end: datetime) -> Lines:
        return L.ticker(max(start, end - timedelta(hours=3)), end, 20, lambda i, t: L.js(
            t, "info", "booking search", hotel_id=1200 + i % 311, nights=1 + i % 5, results=3 + i % 17,
            duration_ms=41 + i % 60))

    cont = c("bookings-api", f"{REGISTRY}/bookings/bookings-api:12.1.0",
             env=[{"name": "DB_HOST", "valueFrom": {"configMapKeyRef": {"name": "bookings-api-config",
                                                                        "key": "DB_HOST"}}}])
    rev = Rev(9, inc.born + timedelta(days=30), "helm upgrade", [cont])
    inc.deployment("bookings", "bookings-api", [rev], {9: [
        P(log=within(api)), P(log=within(api)),
        P(state="waiting", waiting_reason="CreateContainerConfigError", message=msg, created=scale),
        P(state="waiting", waiting_reason="CreateContainerConfigError", message=msg,
          created=scale + timedelta(seconds=15))]})
    inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
             "metadata": {"name": "bookings-api", "namespace": "bookings"},
             "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "bookings-api"},
                      "minReplicas": 2, "maxReplicas": 8, "metrics": [{"type": "Resource", "resource": {
                          "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}}]},
             "status": {"currentReplicas": 4, "desiredReplicas": 4, "lastScaleTime": ts(scale)}})
    herring(inc, "bookings", "availability-cache", f"{REGISTRY}/bookings/availability-cache", "0.8.2",
            at - timedelta(minutes=29))
    inc.pod_series(inc.pods_of("bookings", "bookings-api"), memory=False)
    inc.series("kube_deployment_status_replicas_available", "gauge", "The number of available replicas per "
               "deployment.", {"namespace": "bookings", "deployment": "bookings-api", "job": "kube-state-metrics"},
               lambda t: 2, 60)
    inc.series("kube_deployment_spec_replicas", "gauge", "Number of desired pods for a deployment.",
               {"namespace": "bookings", "deployment": "bookings-api", "job": "kube-state-metrics"},
               step(2, 4, scale), 60)
    inc.alertmanager("KubeDeploymentReplicasMismatch", {"namespace": "bookings", "deployment": "bookings-api",
                                                        "container": "kube-state-metrics",
                                                        "job": "kube-state-metrics"},
                     "Deployment has not matched the expected number of replicas.",
                     "Deployment bookings/bookings-api has not matched the expected number of replicas for longer "
                     "than 15 minutes.",
                     'kube_deployment_spec_replicas{job="kube-state-metrics"} > '
                     'kube_deployment_status_replicas_available{job="kube-state-metrics"}')
    inc.answer_key(culprit=("CronJob", "platform-tools", "preview-env-janitor"),
                   keywords=["janitor", "deleted", "ConfigMap", "selector"],
                   root_cause="CronJob platform-tools/preview-env-janitor's namespace selector was widened at 07:12 "
                              "from env=preview to env!=production; its 08:00 run deleted the ConfigMaps of the "
                              "unlabelled bookings namespace, including bookings-api-config, so new bookings-api "
                              "pods fail with CreateContainerConfigError (configmap not found).",
                   category="cleanup-job-selector-widened-deletes-live-config",
                   red_herrings=[("Deployment", "bookings", "availability-cache")])
    return inc


# ---- 9 ---------------------------------------------------------------------------------------------
AT9 = datetime(2026, 11, 30, 17, 48, tzinfo=UTC)


def api_gateway_errors_burn() -> Incident:
    """policy-blank-field-crashes-quota-service-fail-closed: a new quota policy with a blank field crashes its reader.

    after: a cloud provider's global API outage where a new quota policy with unexpected blank fields was
    replicated everywhere and hit an unguarded code path (a null pointer) in the policy-checking service,
    which crash-looped in every region; callers that fail closed rejected requests.

    Team partners creates QuotaPolicy partners/partner-burst-limits at 17:31 with `perRegion: null`. The
    cluster-wide quota-service (platform-api) compiles every QuotaPolicy at start and on change: its
    PolicyCompiler throws NullPointerException, the pods crash-loop. api-gateway's Envoy ext_authz filter
    calls quota-service with failure_mode_allow false, so requests are refused with 403 UAEX. Red herring:
    the partner-portal rollout in partners at 17:20.
    """
    at, change = AT9, AT9 - timedelta(minutes=17)
    inc = Incident("api-gateway-errors-burn", title="public API error budget burning", story="", at=at, seed=1809,
                   namespaces=("edge", "platform-api", "partners"))
    plant(inc, "edge", "gateway-signing-key", "jwt", "gateway", "key")
    crd(inc, "quota.acme.dev", "QuotaPolicy", "quotapolicies")
    inc.add({"apiVersion": "quota.acme.dev/v1", "kind": "QuotaPolicy",
             "metadata": {"name": "default-tenant-limits", "namespace": "platform-api",
                          "creationTimestamp": ts(inc.born + timedelta(days=3))},
             "spec": {"selector": {"tier": "standard"}, "limits": {"requestsPerMinute": 600,
                                                                  "perRegion": {"eu-west-1": 600}}}})
    pol = inc.add({"apiVersion": "quota.acme.dev/v1", "kind": "QuotaPolicy",
                   "metadata": {"name": "partner-burst-limits", "namespace": "partners",
                                "creationTimestamp": ts(change)},
                   "spec": {"selector": {"tier": "partner"}, "limits": {"requestsPerMinute": 3000,
                                                                       "perRegion": None}}})
    changed(pol, ("kubectl-client-side-apply", "Update", change, {"f:spec": {"f:selector": {}, "f:limits": {}}}))
    npe = ("2026-11-30T17:31:{s:02d}.204Z ERROR 1 --- [policy-watcher] d.a.quota.QuotaServiceApplication    : "
           "Application run failed\n"
           'java.lang.NullPointerException: Cannot invoke "java.util.Map.entrySet()" because the return value of '
           '"dev.acme.quota.model.Limits.getPerRegion()" is null\n'
           "\tat dev.acme.quota.policy.PolicyCompiler.compileRegional(PolicyCompiler.java:142)\n"
           "\tat dev.acme.quota.policy.PolicyCompiler.compile(PolicyCompiler.java:77)\n"
           "\tat dev.acme.quota.policy.PolicyCache.reload(PolicyCache.java:58)\n"
           "\tat dev.acme.quota.k8s.QuotaPolicyInformer.onAdd(QuotaPolicyInformer.java:44)")

    def quota(pod: str, start: datetime, end: datetime) -> Lines:
        return [(start + timedelta(seconds=2), L.spring(start + timedelta(seconds=2), "INFO",
                                                        "d.a.quota.k8s.QuotaPolicyInformer",
                                                        "listing quota.acme.dev/v1 QuotaPolicy in all namespaces")),
                (start + timedelta(seconds=3), L.spring(start + timedelta(seconds=3), "INFO",
                                                        "d.a.quota.policy.PolicyCache",
                                                        "compiling 2 policies: platform-api/default-tenant-limits, "
                                                        "partners/partner-burst-limits")),
                (start + timedelta(seconds=3), npe.replace("{s:02d}", f"{start.second:02d}"))]

    cont = c("quota-service", f"{REGISTRY}/platform/quota-service:4.11.0", port=9001)
    rev = Rev(14, inc.born + timedelta(days=22), "helm upgrade", [cont])
    inc.deployment("platform-api", "quota-service", [rev], {14: [
        P(state="crashloop", exit_code=1, crash_from=change + timedelta(seconds=5), log=within(quota),
          run_s=lambda n: 8.0) for _ in range(3)]})
    inc.service("platform-api", "quota-service", {"app": "quota-service"}, port=9001, target=9001)

    def gateway(pod: str, start: datetime, end: datetime) -> Lines:
        def make(i: int, t: datetime) -> str:
            path = ["/v1/orders", "/v1/quotes?sku=AB-1", "/v1/shipments/SH-88"][i % 3]
            if t >= change + timedelta(seconds=5) and i % 5 != 4:
                return L.envoy(t, "POST" if i % 3 == 0 else "GET", path, 403, "UAEX", "-", 1, "api.example.com",
                               L.uuidish(pod, i), "ext_authz_error")
            return L.envoy(t, "GET", path, 200, "-", f"10.244.{i % 4 + 1}.{80 + i % 7}:8080", 18 + i % 40,
                           "api.example.com", L.uuidish(pod, i), "via_upstream")
        return L.ticker(start, end, 9, make)

    app(inc, "edge", "api-gateway", "docker.io/envoyproxy/envoy:v1.31.2", 3, port=8443, log=within(gateway))
    inc.service("edge", "api-gateway", {"app": "api-gateway"}, port=443, target=8443)
    herring(inc, "partners", "partner-portal", f"{REGISTRY}/partners/partner-portal", "2.0.7",
            at - timedelta(minutes=28))
    start = at - timedelta(hours=2)
    inc.series("envoy_http_ext_authz_error", "counter", "ext_authz check errors.",
               {"namespace": "edge", "envoy_http_conn_manager_prefix": "ingress_http", "job": "api-gateway"},
               counter(start, 0.0, 210.0, change), 30)
    http_series(inc, "edge", "api-gateway", 260.0, 208.0, "403", change)
    inc.pod_series(inc.pods_of("platform-api", "quota-service"))
    inc.slo_burn("api-gateway", "edge", "public-api-availability", "99.95", 1480.0,
                 "The public API's availability SLO burns its 30-day budget 1480x too fast (1h and 5m windows). "
                 "Most rejected requests are 403.")
    inc.answer_key(culprit=("QuotaPolicy", "partners", "partner-burst-limits"),
                   keywords=["QuotaPolicy", "NullPointerException", "ext_authz", "perRegion"],
                   root_cause="QuotaPolicy partners/partner-burst-limits, created at 17:31 with a blank "
                              "limits.perRegion, crashes quota-service's PolicyCompiler with a "
                              "NullPointerException at start-up on every replica; api-gateway's ext_authz check "
                              "fails closed (failure_mode_allow false) and rejects most requests with 403 UAEX.",
                   category="policy-blank-field-crashes-quota-service-fail-closed",
                   red_herrings=[("Deployment", "partners", "partner-portal")])
    return inc


# ---- 10 --------------------------------------------------------------------------------------------
AT10 = datetime(2026, 12, 1, 9, 36, tzinfo=UTC)


def otp_sms_failing_question() -> Incident:
    """secret-value-double-base64-encoded: a credential Secret re-applied with an already-encoded value in `data`.

    after: on-call write-ups and vendor support notes where a Kubernetes Secret was written with a value that
    was base64-encoded by hand and put under `data:` (which encodes it again): the application receives the
    base64 text instead of the credential and the provider answers 401 (Twilio error 20003 "Authenticate").

    Secret sms/twilio-credentials is re-applied at 09:05 during a token rotation with the new auth token
    base64-encoded under `data`. Reloader rolls sms-gateway (revision 8, 09:06): the new pods read a 44-character
    token (the logged length; a Twilio auth token has 32) and every message send fails with HTTP 401 / 20003.
    Nothing else changed in the pods. Red herring: the sms-templates ConfigMap edit at 09:20.
    """
    at, change = AT10, AT10 - timedelta(minutes=31)
    inc = Incident("otp-sms-failing-question", title="one-time passcode text messages not delivered", story="",
                   at=at, seed=1810, namespaces=("sms",))
    plant(inc, "sms", "sms-gateway-db", "password", "sms", "password")
    token = inc.canary("token", "twilio")
    inc.canaries.remove(token)  # stored double-encoded only: no served or logged form of it exists
    twice = base64.b64encode(base64.b64encode(token.encode())).decode()
    applied = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
               "metadata": {"name": "twilio-credentials", "namespace": "sms"},
               "data": {"TWILIO_ACCOUNT_SID": base64.b64encode(b"AC5ef8732a3c49700934481addd5ce1659").decode(),
                        "TWILIO_AUTH_TOKEN": twice}}
    sec = inc.add({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                   "metadata": {"name": "twilio-credentials", "namespace": "sms",
                                "creationTimestamp": ts(inc.born + timedelta(days=5)),
                                "annotations": {"kubectl.kubernetes.io/last-applied-configuration":
                                                json.dumps(applied, sort_keys=True)}},
                   "data": applied["data"]})
    changed(sec, ("kubectl-client-side-apply", "Update", change, {"f:data": {"f:TWILIO_AUTH_TOKEN": {}},
                                                                   "f:metadata": {"f:annotations": {}}}))

    def gw(pod: str, start: datetime, end: datetime) -> Lines:
        out: Lines = [(start + timedelta(seconds=1), L.pylog(start + timedelta(seconds=1), "INFO", "smsgw.config",
                                                             "twilio client configured: account=AC5ef8...1659 "
                                                             "auth_token_len=44"))]

        def make(i: int, t: datetime) -> str:
            return L.pylog(t, "ERROR", "smsgw.sender", f"send failed to +4477009{i % 1000:04d}: "
                           "twilio.base.exceptions.TwilioRestException: HTTP 401 error: Unable to create record: "
                           "Authenticate (code 20003, https://www.twilio.com/docs/errors/20003)")
        return out + L.ticker(start + timedelta(seconds=20), end, 11, make)

    revs = [Rev(7, inc.born + timedelta(days=21), "helm upgrade",
                [c("sms-gateway", f"{REGISTRY}/sms/sms-gateway:3.3.0")]),
            Rev(8, change + timedelta(minutes=1), "reloader.stakater.com/twilio-credentials",
                [c("sms-gateway", f"{REGISTRY}/sms/sms-gateway:3.3.0",
                   env=[{"name": "STAKATER_TWILIO_CREDENTIALS_SECRET",
                         "value": "5b0f47c1a6d2e3f8b9c40a1d2e7f6b3c9a8d1e04"}])])]
    inc.deployment("sms", "sms-gateway", revs, {8: [P(log=within(gw)), P(log=within(gw))]})
    herring_config(inc, "sms", "sms-templates", {"otp.en": "Your code is {{code}}. It expires in 10 minutes.",
                                                 "otp.de": "Ihr Code lautet {{code}}."}, at - timedelta(minutes=16))
    start = at - timedelta(hours=2)
    for status, before, after in (("sent", 3.1, 0.0), ("failed", 0.0, 3.1)):
        inc.series("sms_messages", "counter", "SMS messages handed to the provider, by outcome.",
                   {"namespace": "sms", "service": "sms-gateway", "provider": "twilio", "status": status,
                    "job": "sms-gateway"}, counter(start, before, after, change + timedelta(minutes=1)), 30)
    inc.ask("why are OTP text messages from sms-gateway failing since this morning?")
    inc.answer_key(culprit=("Secret", "sms", "twilio-credentials"),
                   keywords=["base64", "encoded twice", "401", "auth token"],
                   root_cause="Secret sms/twilio-credentials was re-applied at 09:05 with the new Twilio auth token "
                              "already base64-encoded under data, so it is encoded twice: after Reloader's restart "
                              "sms-gateway reads the 44-character base64 text as its auth token and Twilio rejects "
                              "every send with HTTP 401 (20003 Authenticate).",
                   category="secret-value-double-base64-encoded",
                   red_herrings=[("ConfigMap", "sms", "sms-templates")])
    return inc


# ---- 11 --------------------------------------------------------------------------------------------
AT11 = datetime(2026, 12, 2, 13, 14, tzinfo=UTC)


def partner_quotes_not_found_page() -> Incident:
    """ingress-rewrite-target-capture-group-missing: a rewrite-target of `/$2` on a path without capture groups.

    after: ingress-nginx's documented rewrite behaviour (captured groups are only available when the path is a
    regular expression) and the outages that followed edits adding `rewrite-target` without the regex path:
    every request is rewritten to `/`, and the backend answers its root instead of the API.

    Ingress partner/partner-quotes-public is edited at 12:48 to add `nginx.ingress.kubernetes.io/rewrite-target:
    /$2` (to strip `/quotes`), but the path stays `/quotes` with pathType Prefix: there is no $2, so
    ingress-nginx sends every request upstream as `/`. partner-quotes answers 404 to `GET /` for every route;
    the access log shows `/quotes/v2/...` at the edge and `/` in the service. Red herring: the partner-auth
    rollout at 12:55.
    """
    at, change = AT11, AT11 - timedelta(minutes=26)
    inc = Incident("partner-quotes-not-found-page", title="partner quote requests failing", story="", at=at,
                   seed=1811, namespaces=("partner",))
    plant(inc, "partner", "partner-hmac", "token", "hmac", "secret")
    ing = inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                   "metadata": {"name": "partner-quotes-public", "namespace": "partner", "generation": 6,
                                "annotations": {"nginx.ingress.kubernetes.io/rewrite-target": "/$2",
                                                "nginx.ingress.kubernetes.io/ssl-redirect": "true",
                                                "cert-manager.io/cluster-issuer": "letsencrypt-prod"}},
                   "spec": {"ingressClassName": "nginx",
                            "tls": [{"hosts": ["partners.example.com"], "secretName": "partners-example-com-tls"}],
                            "rules": [{"host": "partners.example.com", "http": {"paths": [
                                {"path": "/quotes", "pathType": "Prefix", "backend": {"service": {
                                    "name": "partner-quotes", "port": {"number": 80}}}}]}}]},
                   "status": {"loadBalancer": {"ingress": [{"hostname": "k8s-ingressn-ingressn-1f0e2a-"
                                                                        "6b1c.elb.eu-west-1.amazonaws.com"}]}}})
    changed(ing, ("argocd-controller", "Apply", inc.born + timedelta(days=12), {"f:spec": {"f:rules": {}}}),
            ("kubectl-edit", "Update", change, {"f:metadata": {"f:annotations": {
                "f:nginx.ingress.kubernetes.io/rewrite-target": {}}}}))
    paths = ["/quotes/v2/rates?lane=DE-FR", "/quotes/v2/rates?lane=NL-BE", "/quotes/v2/bookings/BK-2281"]

    def controller(pod: str, start: datetime, end: datetime) -> Lines:
        def make(i: int, t: datetime) -> str:
            bad = t >= change + timedelta(seconds=4)
            return L.nginx_access(t, f"52.18.{i % 9}.{20 + i % 30}", f"GET {paths[i % 3]}", 404 if bad else 200,
                                  19 if bad else 1312, "partner-partner-quotes-80", "404" if bad else "200",
                                  0.004 if bad else 0.031, ua="partner-sync/2.4 (+https://carrier.example.net)")
        reload = L.klog(change + timedelta(seconds=3), "I", "controller.go:213", '"Backend successfully reloaded"', 7)
        return [(change + timedelta(seconds=3), reload), *L.ticker(start, end, 13, make)]

    replace_logs(inc, "ingress-nginx", "ingress-nginx-controller", within(controller))

    def quotes(pod: str, start: datetime, end: datetime) -> Lines:
        def make(i: int, t: datetime) -> str:
            if t >= change + timedelta(seconds=4):
                return L.logfmt(t, "info", "request", method="GET", path="/", status=404, duration="0.4ms",
                                remote="10.244.1.12")
            return L.logfmt(t, "info", "request", method="GET", path=paths[i % 3].removeprefix("/quotes"),
                            status=200, duration=f"{21 + i % 19}ms", remote="10.244.1.12")
        return L.ticker(start, end, 13, make)

    app(inc, "partner", "partner-quotes", f"{REGISTRY}/partner/partner-quotes:2.12.0", 2, log=within(quotes))
    inc.service("partner", "partner-quotes", {"app": "partner-quotes"})
    herring(inc, "partner", "partner-auth", f"{REGISTRY}/partner/partner-auth", "1.7.3", at - timedelta(minutes=19))
    http_series(inc, "partner", "partner-quotes", 9.0, 9.0, "404", change + timedelta(seconds=4))
    inc.pagerduty("[FIRING:1] PartnerQuotes404RateHigh partner/partner-quotes: 100% of requests answer 404",
                  "Partner integrations")
    inc.answer_key(culprit=("Ingress", "partner", "partner-quotes-public"),
                   keywords=["rewrite-target", "capture group", "regex", "rewrites"],
                   root_cause="Ingress partner/partner-quotes-public was edited at 12:48 to add the annotation "
                              "rewrite-target /$2 while its path /quotes is a plain Prefix with no regex capture "
                              "group: $2 is empty, so ingress-nginx rewrites every request to / and partner-quotes "
                              "answers 404.",
                   category="ingress-rewrite-target-capture-group-missing",
                   red_herrings=[("Deployment", "partner", "partner-auth")])
    return inc


# ---- 12 --------------------------------------------------------------------------------------------
AT12 = datetime(2026, 12, 3, 11, 2, tzinfo=UTC)
NEW_NODE = "ip-10-0-7-45.eu-west-1.compute.internal"


def node_restarts_question() -> Incident:
    """node-template-drops-max-map-count-sysctl: a node class's userData no longer raises vm.max_map_count.

    after: Elasticsearch/OpenSearch's documented bootstrap check (`vm.max_map_count [65530] is too low`) and
    the outages reported after node images or templates were replaced without the sysctl: the search pod
    that lands on a new node refuses to start while the same pod on older nodes runs.

    Karpenter EC2NodeClass search-nodes is re-synced by Argo CD at 05:10 with its userData removed (a
    "move to Bottlerocket defaults" clean-up); the bootstrap script used to run `sysctl -w
    vm.max_map_count=262144`. At 10:15 consolidation replaces a node and launches ip-10-0-7-45 from it;
    opensearch-2 is scheduled there and crash-loops: bootstrap check failure, `vm.max_map_count [65530] is too
    low`. The other two OpenSearch pods (older nodes) run; the cluster is yellow. Red herring: the
    opensearch-dashboards rollout at 10:40.
    """
    at, change, launched = AT12, AT12 - timedelta(hours=5, minutes=52), AT12 - timedelta(minutes=47)
    inc = Incident("node-restarts-question", title="pods on one node keep restarting", story="", at=at,
                   seed=1812, namespaces=("search",))
    plant(inc, "search", "opensearch-admin", "password", "opensearch", "password")
    new = o.node(NEW_NODE, 7, launched, "eu-west-1c", cpu=8, memory_gi=32, now=inc.captured)
    new["kind"], new["apiVersion"] = "Node", "v1"
    new["metadata"]["labels"].update({"karpenter.sh/nodepool": "search", "karpenter.sh/capacity-type": "on-demand",
                                      "karpenter.k8s.aws/ec2nodeclass": "search-nodes",
                                      "node.kubernetes.io/instance-type": "r6i.2xlarge"})
    inc.cluster.nodes.append(new)
    crd(inc, "karpenter.k8s.aws", "EC2NodeClass", "ec2nodeclasses", scope="Cluster")
    nc = inc.add({"apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass",
                  "metadata": {"name": "search-nodes", "generation": 9},
                  "spec": {"amiSelectorTerms": [{"alias": "al2023@v20241121"}], "role": "KarpenterNodeRole-prod",
                           "subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": "prod-eu-west-1"}}],
                           "securityGroupSelectorTerms": [{"tags": {"karpenter.sh/discovery": "prod-eu-west-1"}}],
                           "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"volumeSize": "200Gi",
                                                                                       "volumeType": "gp3"}}]},
                  "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Ready",
                                             "lastTransitionTime": ts(change)}]}})
    changed(nc, ("argocd-controller", "Apply", change, {"f:spec": {"f:amiSelectorTerms": {},
                                                                   "f:blockDeviceMappings": {}}}))
    inc.event(nc, "Ready", "Status condition transitioned, Type: Ready, Status: True", change, warning=False,
              component="karpenter")
    for n in inc.cluster.nodes[:4]:
        n["metadata"]["labels"]["karpenter.sh/nodepool"] = "general"
    boot = ("[2026-12-03T{hms},812][ERROR][o.o.b.OpenSearchBootstrap] [opensearch-2] node validation exception\n"
            "[1] bootstrap checks failed\n"
            "[1]: max virtual memory areas vm.max_map_count [65530] is too low, increase to at least [262144]\n"
            "[2026-12-03T{hms},815][INFO ][o.o.n.Node               ] [opensearch-2] stopping ...\n"
            "ERROR: OpenSearch did not exit normally - check the logs at "
            "/usr/share/opensearch/logs/search-cluster.log")

    def search(pod: str, start: datetime, end: datetime) -> Lines:
        if pod.endswith("-2"):
            t = start + timedelta(seconds=14)
            return [(t, boot.replace("{hms}", t.strftime("%H:%M:%S")))]
        return L.ticker(max(start, end - timedelta(hours=3)), end, 120, lambda i, t: (
            f"[{t.strftime('%Y-%m-%dT%H:%M:%S')},{i % 1000:03d}][WARN ][o.o.c.r.a.AllocationService] [{pod}] "
            "cluster health status changed from [GREEN] to [YELLOW] (reason: [opensearch-2 left])")
            if t > launched and i % 8 == 0 else None)

    cont = c("opensearch", "docker.io/opensearchproject/opensearch:2.17.1", memory_limit="16Gi",
             memory_request="16Gi", port=9200, readiness_path=None, liveness_path=None)
    inc.statefulset("search", "opensearch", [cont], [
        P(log=within(search), node=node(inc, 0), created=inc.born + timedelta(days=2)),
        P(log=within(search), node=node(inc, 1), created=inc.born + timedelta(days=2)),
        P(state="crashloop", exit_code=78, node=NEW_NODE, created=launched + timedelta(minutes=2),
          log=within(search), run_s=lambda n: 16.0)],
        inc.born + timedelta(days=2), claims=[("data", "300Gi", "gp3")], service=9200)
    herring(inc, "search", "opensearch-dashboards", "docker.io/opensearchproject/opensearch-dashboards", "2.17.0",
            at - timedelta(minutes=22))
    inc.pod_series(inc.pods_of("search", "opensearch"), memory=False)
    inc.series("opensearch_cluster_status", "gauge", "Cluster health status (0 green, 1 yellow, 2 red).",
               {"namespace": "search", "cluster": "search-cluster", "job": "opensearch-exporter"},
               step(0, 1, launched), 60)
    inc.ask(f"what is wrong with {NEW_NODE}? something on it keeps restarting since it joined")
    inc.answer_key(culprit=("EC2NodeClass", "", "search-nodes"),
                   keywords=["vm.max_map_count", "bootstrap check", "EC2NodeClass", "sysctl"],
                   root_cause="Karpenter EC2NodeClass search-nodes lost its userData (Argo CD sync at 05:10), which "
                              "ran sysctl -w vm.max_map_count=262144; the node launched from it at 10:15 keeps the "
                              "default 65530, so opensearch-2 scheduled there fails the bootstrap check "
                              "(vm.max_map_count [65530] is too low) and crash-loops.",
                   category="node-template-drops-max-map-count-sysctl",
                   red_herrings=[("Deployment", "search", "opensearch-dashboards")])
    return inc


ALL = [storefront_latency_burn, label_printer_rollout_page, balances_not_found_rate_high,
       quote_service_crashloop_question, settlement_export_job_failed, duplicate_order_emails_page,
       catalog_reads_failing_grouped, bookings_replicas_mismatch, api_gateway_errors_burn, otp_sms_failing_question,
       partner_quotes_not_found_page, node_restarts_question]
