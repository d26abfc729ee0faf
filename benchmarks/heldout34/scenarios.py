"""Round 34 of the held-out incident set: build and delivery infrastructure and the platform's own controllers.

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer):
the first line names the failure type, the second paragraph (`after: ...`) the kind of public
postmortem, vendor note or everyday on-call failure it re-creates (our own names and text, nothing
copied). The causes sit in what builds, admits, mutates and delivers workloads: image signature
admission (Sigstore policy-controller), secret syncers (External Secrets), self-hosted CI runners
(actions-runner-controller), node registry mirrors, GitOps controllers (Flux Kustomization
substitution, an Argo CD ApplicationSet), an injecting operator (OpenTelemetry), registry garbage
collection, pull credentials, a pull-through cache path, a CI build's platform and a Flagger gate.
Most pages are on the applications they hurt; about a third are simple (the cause sits in the failing
object's own spec, events or logs). Log lines follow the real software's formats (zap JSON of
policy-controller, external-secrets and Flagger, Reloader and Docker daemon logrus, the Actions runner,
Flux JSON, Argo CD logrus, Spring Boot with HikariCP/pgjdbc, the OpenTelemetry Java agent, Node pino,
Go logfmt, distribution's registry, .NET console and a bare exec failure).
"""

from __future__ import annotations

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

from benchmarks.heldout.scene import changed, counter, every, node, send, start, step, within  # noqa: E402

Lines = list[tuple[datetime, str]]
LogFn = Callable[[str, datetime, datetime], str]
Series = Callable[[datetime], float]


# ---- helpers ---------------------------------------------------------------------------------------


def app(inc: Incident, ns: str, name: str, image: str, replicas: int, log: LogFn | None = None,
        **kw: Any) -> Any:
    """A Deployment whose pods all run: its trouble shows in logs and metrics, not in pod state."""
    rev = Rev(1, inc.born + timedelta(days=12), "helm upgrade", [c(name, image, **kw)])
    return inc.deployment(ns, name, [rev], {1: [P(log=log) for _ in range(replicas)]})


def herring(inc: Incident, ns: str, name: str, image: str, old: str, at: datetime) -> None:
    """The red herring: an unrelated, healthy rollout that finished shortly before the page."""
    revs = [Rev(1, inc.born + timedelta(days=9), "helm upgrade", [c(name, f"{image}:{old}")]),
            Rev(2, at, "helm upgrade", [c(name, f"{image}:{old}.1")])]
    inc.deployment(ns, name, revs, {2: [P(), P()]})


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
           "runbook_url": f"https://runbooks.example.com/alerts/{name.lower()}"}
    return am.alert(full, ann, inc.at, expr)


def crd(inc: Incident, kind: str, group: str, plural: str, scope: str = "Namespaced", version: str = "v1") -> None:
    """The CustomResourceDefinition that makes a custom kind servable (and findable) in the bundle."""
    name = f"{plural}.{group}"
    if any(x["kind"] == "CustomResourceDefinition" and x["metadata"]["name"] == name for x in inc.cluster.objects):
        return
    ver: dict[str, Any] = {"name": version, "served": True, "storage": True,
                           "schema": {"openAPIV3Schema": {"type": "object",
                                                          "x-kubernetes-preserve-unknown-fields": True}}}
    inc.add({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
             "metadata": {"name": name},
             "spec": {"group": group, "scope": scope,
                      "names": {"kind": kind, "listKind": f"{kind}List", "plural": plural,
                                "singular": kind.lower()},
                      "versions": [ver]},
             "status": {"acceptedNames": {"kind": kind, "plural": plural}, "storedVersions": [version]}})


def custom(inc: Incident, kind: str, group: str, version: str, plural: str, ns: str, name: str,
           spec: dict[str, Any], status: dict[str, Any], manager: str, chg: datetime, fields: dict[str, Any],
           scope: str = "Namespaced", generation: int = 9) -> dict[str, Any]:
    """A custom resource (with its CRD) created long ago and last changed by `manager` at `chg`."""
    crd(inc, kind, group, plural, scope, version)
    meta: dict[str, Any] = {"name": name, "generation": generation}
    if ns:
        meta["namespace"] = ns
    obj = inc.add({"apiVersion": f"{group}/{version}", "kind": kind, "metadata": meta, "spec": spec,
                   "status": status})
    return changed(obj, ("helm", "Update", inc.born + timedelta(days=4), {"f:spec": {}}),
                   (manager, "Update", chg, fields))


def http_codes(inc: Incident, ns: str, service: str, ok: tuple[float, float], bad: tuple[float, float],
               at: datetime, code: str) -> None:
    """A service's request counters by status code: `ok` and `bad` rates before and after `at`."""
    begin = inc.at - timedelta(hours=2)
    for c_, (before, after) in (("200", ok), (code, bad)):
        inc.series("http_requests", "counter", "Total HTTP requests.",
                   {"namespace": ns, "service": service, "job": service, "code": c_},
                   counter(begin, before, after, at))


def rs_of(inc: Incident, wl: Any, number: int) -> dict[str, Any]:
    return inc.find("ReplicaSet", wl.namespace, wl.rs[number])


def pod_ref(ns: str, name: str) -> dict[str, Any]:
    """The involvedObject of an event about a pod that no longer exists (evicted, deleted)."""
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns,
                                                            "uid": o.uid("pod", ns, name)}}


def job_run(inc: Incident, ns: str, cronjob: str, container: str, image: str, started: datetime, done: datetime,
            node_name: str, log: str) -> PodHistory:
    """A CronJob's Job (owned by it, completed) and its kept pod with the run's log."""
    job = f"{cronjob}-{int(started.timestamp()) // 60}"
    inc.add({"apiVersion": "batch/v1", "kind": "Job",
             "metadata": {"name": job, "namespace": ns, "creationTimestamp": ts(started),
                          "labels": {"batch.kubernetes.io/job-name": job},
                          "ownerReferences": [o.owner_ref("CronJob", cronjob, ns, api_version="batch/v1")]},
             "spec": {"backoffLimit": 0, "completions": 1, "parallelism": 1},
             "status": {"startTime": ts(started), "completionTime": ts(done), "succeeded": 1,
                        "conditions": [{"type": "Complete", "status": "True", "lastProbeTime": ts(done),
                                        "lastTransitionTime": ts(done)}]}})
    name = f"{job}-{o.suffix(job + '/pod', 5)}"
    h = inc.cluster.add_pod(PodHistory(
        name=name, namespace=ns, workload=job, containers=[c(container, image, port=None)], node=node_name,
        created=started, states=[o.ContainerState(started_at=started + timedelta(seconds=2), ready=False)],
        labels={"batch.kubernetes.io/job-name": job, "job-name": job},
        owner=o.owner_ref("Job", job, ns, api_version="batch/v1"), logs={container: log}))
    h.memory = None
    h.ready = lambda t: False
    inc.cluster.patch(ns, name, terminated(0, "Completed", started + timedelta(seconds=2), done, phase="Succeeded"))
    return h


def zap(t: datetime, level: str, caller: str, msg: str, **fields: object) -> str:
    """A zap production-encoder JSON line (controller-runtime operators)."""
    import json
    return json.dumps({"level": level, "ts": t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z",
                       "caller": caller, "msg": msg, **fields}, separators=(",", ":"))


def logrus(t: datetime, level: str, msg: str, **fields: object) -> str:
    """logrus's text formatter, as Docker, Reloader, Argo CD and distribution print it."""
    parts = [f'time="{t.strftime("%Y-%m-%dT%H:%M:%S")}.{t.microsecond // 1000:03d}Z"', f"level={level}",
             f'msg="{msg}"']
    for k, v in fields.items():
        text = str(v)
        parts.append(f'{k}="{text}"' if (" " in text or "=" in text or not text) else f"{k}={text}")
    return " ".join(parts)


def pino(t: datetime, pod: str, level: int, msg: str, **fields: object) -> str:
    """A pino JSON line: numeric level, epoch-millisecond time, pid and hostname first."""
    import json
    return json.dumps({"level": level, "time": int(t.timestamp() * 1000), "pid": 1, "hostname": pod, **fields,
                       "msg": msg}, separators=(",", ":"))


def digest(seed: str) -> str:
    import hashlib
    return "sha256:" + hashlib.sha256(seed.encode()).hexdigest()


# ---- 1 ---------------------------------------------------------------------------------------------
AT1 = datetime(2026, 11, 23, 13, 42, tzinfo=UTC)


def thumbnail_backlog_grouped() -> Incident:
    """A Sigstore ClusterImagePolicy's image glob widened to every registry: an unsigned vendor image is refused.

    after: the common image-signature-admission rollout where a policy meant for the company's own
    registry is broadened to `**` "for defence in depth"; the next pod created from a third-party image
    that nobody signs is denied by the policy webhook, so scale-ups and replacements silently stop while
    the running pods keep serving.

    The platform team changed ClusterImagePolicy `image-signatures` (cluster-scoped) at 13:05: its
    `images` glob went from `registry.example.com/**` to `**`. media's `thumbnailer` runs the upstream
    imgproxy image from ghcr.io, which carries no signature of the company's key. At 13:25 the HPA asked
    for 7 replicas; every pod create since is denied (ReplicaSet FailedCreate: `policy.sigstore.dev`
    ... no signatures found), the policy-controller's webhook log says the same in another namespace,
    and the RabbitMQ queue grows. The grouped notification names the thumbnailer, its HPA and the queue.
    """
    inc = start(thumbnail_backlog_grouped, "thumbnailer replicas and queue backlog alerts", AT1, 3401,
                ("media", "cosign-system"))
    chg = AT1 - timedelta(minutes=37)
    scale = AT1 - timedelta(minutes=17)
    image = "ghcr.io/imgproxy/imgproxy:v3.27.2"
    custom(inc, "ClusterImagePolicy", "policy.sigstore.dev", "v1beta1", "clusterimagepolicies", "",
           "image-signatures",
           {"images": [{"glob": "**"}],
            "authorities": [{"key": {"hashAlgorithm": "sha256",
                                     "data": "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE4b"
                                             "8pQ1tX0lYwS9dN2cJmQvZrK3sF7uH1eL6aB2nC5dE8fG0hI9jK4lM7nO3pQ6rS1tU2"
                                             "vW5xY8zA0bC3dE==\n-----END PUBLIC KEY-----\n"},
                             "ctlog": {"url": "https://rekor.sigstore.dev"}}],
            "mode": "enforce"},
           {}, "kubectl-client-side-apply", chg, {"f:spec": {"f:images": {}}}, scope="Cluster", generation=4)
    wl = inc.deployment("media", "thumbnailer", [Rev(1, inc.born + timedelta(days=15), "helm upgrade",
                                                     [c("thumbnailer", image, port=8080)])],
                        {1: [P() for _ in range(3)]}, replicas=7, progress="complete")
    rs = rs_of(inc, wl, 1)
    deny = (f'Error creating: admission webhook "policy.sigstore.dev" denied the request: validation failed: '
            f"failed policy: image-signatures: spec.containers[0].image\n"
            f"{image.split(':')[0]}@{digest('imgproxy-3.27.2')} signature key validation failed for authority "
            f"authority-0 for {image.split(':')[0]}@{digest('imgproxy-3.27.2')}: no signatures found")
    inc.event(rs, "FailedCreate", deny, scale + timedelta(seconds=2), inc.captured - timedelta(seconds=20), count=31,
              component="replicaset-controller")
    inc.add({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
             "metadata": {"name": "thumbnailer", "namespace": "media"},
             "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "thumbnailer"},
                      "minReplicas": 3, "maxReplicas": 12,
                      "metrics": [{"type": "External", "external": {
                          "metric": {"name": "rabbitmq_queue_messages_ready",
                                     "selector": {"matchLabels": {"queue": "thumbnails"}}},
                          "target": {"type": "AverageValue", "averageValue": "200"}}}]},
             "status": {"currentReplicas": 3, "desiredReplicas": 7, "lastScaleTime": ts(scale)}})
    inc.event(inc.find("Deployment", "media", "thumbnailer"), "ScalingReplicaSet",
              f"Scaled up replica set {wl.rs[1]} to 7 from 3", scale, warning=False,
              component="deployment-controller")

    def webhook(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t < chg:
                return zap(t, "info", "webhook/admission.go:93", "Webhook ServeHTTP request=&AdmissionRequest",
                           knative_dev_kind="/v1, Kind=Pod", knative_dev_operation="CREATE",
                           admissionreview_allowed=True,
                           knative_dev_namespace=["shop", "web", "auth"][i % 3])
            if t < scale:
                return None
            return zap(t, "error", "webhook/admission.go:133",
                       "Failed the resource specific validation", knative_dev_kind="/v1, Kind=Pod",
                       knative_dev_namespace="media", knative_dev_operation="CREATE",
                       error=f"validation failed: failed policy: image-signatures: spec.containers[0].image\n"
                             f"ghcr.io/imgproxy/imgproxy@{digest('imgproxy-3.27.2')} signature key validation "
                             f"failed for authority authority-0: no signatures found")
        return every(s, e, 41, line)

    app(inc, "cosign-system", "policy-controller-webhook",
        "ghcr.io/sigstore/policy-controller/policy-controller:v0.12.0", 2, within(webhook))

    def thumbs(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 23, lambda i, t: (
            f"INFO   [{t.strftime('%Y-%m-%dT%H:%M:%SZ')}] Completed in {180 + i % 90}.{i % 10}ms "
            f"/insecure/rs:fit:320:320/plain/s3://media-uploads/{i}.jpg request_id={L.uuidish(pod, i)[:21]} "
            f"method=GET status=200 client_ip=10.244.{i % 4}.{17 + i % 40}"))
    for h in inc.pods_of("media", "thumbnailer"):
        h.logs["thumbnailer"] = within(thumbs)(h.name, h.created, inc.captured)
    herring(inc, "media", "image-meta", f"{REGISTRY}/media/image-meta", "1.6", AT1 - timedelta(minutes=48))
    plant(inc, "media", "media-s3", "aws-secret", "media-uploads", "AWS_SECRET_ACCESS_KEY")
    inc.series("rabbitmq_queue_messages_ready", "gauge", "Messages ready to be delivered to consumers.",
               {"namespace": "media", "queue": "thumbnails", "vhost": "/", "job": "rabbitmq"},
               lambda t: 350.0 if t < scale else 350.0 + 9.5 * (t - scale).total_seconds() / 60 * 60)
    inc.series("kube_deployment_status_replicas_available", "gauge", "Available replicas.",
               {"namespace": "media", "deployment": "thumbnailer", "job": "kube-state-metrics"}, lambda t: 3.0)
    inc.series("kube_deployment_spec_replicas", "gauge", "Desired replicas.",
               {"namespace": "media", "deployment": "thumbnailer", "job": "kube-state-metrics"},
               step(3, 7, scale))
    labels = {"namespace": "media"}
    send(inc, [
        alert(inc, "KubeDeploymentReplicasMismatch", {**labels, "deployment": "thumbnailer"},
              "Deployment has not matched the expected number of replicas.",
              "Deployment media/thumbnailer has not matched the expected number of replicas for longer than 15 "
              "minutes.", 'kube_deployment_spec_replicas{job="kube-state-metrics"} > '
                          'kube_deployment_status_replicas_available{job="kube-state-metrics"}'),
        alert(inc, "KubeHpaReplicasMismatch", {**labels, "horizontalpodautoscaler": "thumbnailer"},
              "HPA has not matched desired number of replicas.",
              "HPA media/thumbnailer has not matched the desired number of replicas for longer than 15 minutes.",
              "kube_horizontalpodautoscaler_status_desired_replicas != "
              "kube_horizontalpodautoscaler_status_current_replicas"),
        alert(inc, "RabbitMQQueueBacklog", {**labels, "queue": "thumbnails"},
              "Queue thumbnails has a growing backlog.",
              "Queue thumbnails holds 12k ready messages and is growing.",
              'rabbitmq_queue_messages_ready{queue="thumbnails"} > 5000'),
    ], group=["namespace"])
    inc.answer_key(culprit=("ClusterImagePolicy", "", "image-signatures"),
                   keywords=["signature", "glob", "imgproxy"],
                   root_cause="ClusterImagePolicy image-signatures' images glob was widened from the company "
                              "registry to **: the unsigned third-party imgproxy image of media/thumbnailer fails "
                              "signature verification, so the HPA's new pods are denied at admission",
                   category="image-signature-policy-glob-covers-unsigned-vendor-image",
                   red_herrings=[("Deployment", "media", "image-meta")])
    return inc


# ---- 2 ---------------------------------------------------------------------------------------------
AT2 = datetime(2026, 11, 24, 9, 18, tzinfo=UTC)


def invoice_api_pods_not_starting_page() -> Incident:
    """An ExternalSecret gained a target template: the synced Secret keeps only the templated key, pods lose theirs.

    after: the External Secrets Operator behaviour where adding `target.template` makes the template the
    whole content of the target Secret (unless `mergePolicy: Merge`), so keys the workloads read vanish;
    a reloader then restarts the workload onto a Secret that no longer has them.

    billing's ExternalSecret `invoice-db-credentials` was given a template at 08:51 that writes the
    password as `PGPASSWORD` for a new psql sidecar. The operator re-synced the Secret with that single
    key; Reloader saw the Secret change and rolled `invoice-api`, whose env reads `DB_PASSWORD` from it.
    The new pods sit in CreateContainerConfigError (couldn't find key DB_PASSWORD); the rollout keeps one
    old pod short. PagerDuty pages on the API's pods.
    """
    inc = start(invoice_api_pods_not_starting_page, "invoice-api pods not starting", AT2, 3402,
                ("billing", "external-secrets"))
    chg = AT2 - timedelta(minutes=27)
    synced = chg + timedelta(seconds=14)
    roll = synced + timedelta(seconds=3)
    custom(inc, "ExternalSecret", "external-secrets.io", "v1beta1", "externalsecrets", "billing",
           "invoice-db-credentials",
           {"refreshInterval": "1h", "secretStoreRef": {"kind": "ClusterSecretStore", "name": "aws-secrets-manager"},
            "target": {"name": "invoice-db-credentials", "creationPolicy": "Owner",
                       "template": {"engineVersion": "v2", "type": "Opaque",
                                    "data": {"PGPASSWORD": "{{ .password }}"}}},
            "data": [{"secretKey": "password", "remoteRef": {"key": "prod/billing/invoice-db", "property": "password"}},
                     {"secretKey": "username",
                      "remoteRef": {"key": "prod/billing/invoice-db", "property": "username"}}]},
           {"binding": {"name": "invoice-db-credentials"}, "refreshTime": ts(synced), "syncedResourceVersion":
            "1-6f1c0a2e", "conditions": [{"type": "Ready", "status": "True", "reason": "SecretSynced",
                                          "message": "Secret was synced", "lastTransitionTime": ts(synced)}]},
           "argocd-controller", chg, {"f:spec": {"f:target": {"f:template": {}}}})
    plant(inc, "billing", "invoice-db-credentials", "password", "invoice-db", "PGPASSWORD")
    synced_secret = inc.find("Secret", "billing", "invoice-db-credentials")
    synced_secret["metadata"]["labels"] = {"reconcile.external-secrets.io/created-by": "1c0f6e2b9d4a",
                                           "reconcile.external-secrets.io/managed": "true"}
    synced_secret["metadata"]["annotations"] = {"reconcile.external-secrets.io/data-hash":
                                                "9b1e0c4d7a6f52e8c3d1b0a9f8e7d6c5"}
    synced_secret["metadata"]["ownerReferences"] = [{
        "apiVersion": "external-secrets.io/v1beta1", "kind": "ExternalSecret", "name": "invoice-db-credentials",
        "uid": o.uid("externalsecret", "billing", "invoice-db-credentials"), "controller": True,
        "blockOwnerDeletion": True}]
    changed(synced_secret, ("external-secrets", "Update", synced, {"f:data": {"f:PGPASSWORD": {}}}))
    env = [{"name": "DB_HOST", "value": "invoice-db.cluster-cx81.eu-west-1.rds.amazonaws.com"},
           {"name": "DB_USER", "value": "invoice"},
           {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "invoice-db-credentials",
                                                                  "key": "DB_PASSWORD"}}}]
    img = f"{REGISTRY}/billing/invoice-api:5.2.0"

    def dotnet(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 17, lambda i, t: (
            f"info: Microsoft.AspNetCore.Hosting.Diagnostics[2]\n      Request finished HTTP/1.1 GET "
            f"http://invoice-api.billing/api/invoices/{880100 + i} - 200 - application/json {12 + i % 30}.{i % 9}ms"))
    revs = [Rev(1, inc.born + timedelta(days=20), "helm upgrade", [c("invoice-api", img, env=env)]),
            Rev(2, roll, "reloader", [c("invoice-api", img, env=env)])]
    msg = "couldn't find key DB_PASSWORD in Secret billing/invoice-db-credentials"
    wl = inc.deployment("billing", "invoice-api", revs,
                        {1: [P(log=within(dotnet)) for _ in range(3)],
                         2: [P(state="waiting", waiting_reason="CreateContainerConfigError", message=msg)]},
                        replicas=4, progress="progressing",
                        annotations={"secret.reloader.stakater.com/reload": "invoice-db-credentials"})
    tmpl = wl.obj["spec"]["template"]["metadata"].setdefault("annotations", {})
    tmpl["reloader.stakater.com/last-reloaded-from"] = (
        '{"type":"SECRET","name":"invoice-db-credentials","namespace":"billing","hash":"9b1e0c4d7a",'
        f'"containerRefs":["invoice-api"],"observedAt":{int(roll.timestamp())}}}')

    def eso(pod: str, s: datetime, e: datetime) -> Lines:
        out = every(s, e, 300, lambda i, t: zap(t, "info", "externalsecret/externalsecret_controller.go:260",
                                                "reconciled secret", logger="controllers.ExternalSecret",
                                                ExternalSecret={"name": ["orders-api-db", "search-opensearch",
                                                                         "auth-jwks"][i % 3],
                                                                "namespace": ["orders", "shop", "auth"][i % 3]}))
        out.append((synced, zap(synced, "info", "externalsecret/externalsecret_controller.go:260",
                                "reconciled secret", logger="controllers.ExternalSecret",
                                ExternalSecret={"name": "invoice-db-credentials", "namespace": "billing"})))
        return out
    app(inc, "external-secrets", "external-secrets", "ghcr.io/external-secrets/external-secrets:v0.10.7", 1,
        within(eso))

    def reloader(pod: str, s: datetime, e: datetime) -> Lines:
        return [(roll, logrus(roll, "info", "Changes detected in 'invoice-db-credentials' of type 'SECRET' in "
                                          "namespace 'billing', Updated 'invoice-api' of type 'Deployment' in "
                                          "namespace 'billing'")),
                (s + timedelta(seconds=3), logrus(s + timedelta(seconds=3), "info", "Starting Reloader"))]
    app(inc, "external-secrets", "reloader", "ghcr.io/stakater/reloader:v1.2.0", 1, within(reloader))
    herring(inc, "billing", "invoice-pdf", f"{REGISTRY}/billing/invoice-pdf", "2.8", AT2 - timedelta(minutes=55))
    inc.series("kube_deployment_status_replicas_unavailable", "gauge", "Unavailable replicas.",
               {"namespace": "billing", "deployment": "invoice-api", "job": "kube-state-metrics"},
               step(0, 1, roll))
    inc.series("externalsecret_sync_calls_total", "counter", "Total number of the External Secret sync calls",
               {"namespace": "billing", "name": "invoice-db-credentials", "job": "external-secrets"},
               lambda t: 512.0 if t < synced else 513.0)
    inc.pagerduty("[billing] invoice-api: new pods failing to start (CreateContainerConfigError)",
                  "billing-api")
    inc.answer_key(culprit=("ExternalSecret", "billing", "invoice-db-credentials"),
                   keywords=["template", "DB_PASSWORD", "PGPASSWORD"],
                   root_cause="the ExternalSecret invoice-db-credentials gained a target template that writes only "
                              "PGPASSWORD; the synced Secret lost DB_PASSWORD, Reloader restarted invoice-api and its "
                              "new pods cannot start (couldn't find key DB_PASSWORD)",
                   category="externalsecret-template-replaces-secret-keys",
                   red_herrings=[("Deployment", "billing", "invoice-pdf")])
    return inc


# ---- 3 ---------------------------------------------------------------------------------------------
AT3 = datetime(2026, 11, 25, 15, 6, tzinfo=UTC)


def app_node_evicting_pods_question() -> Incident:
    """CI runner scale set lost its node selector: docker-in-docker builds fill a production node's disk.

    after: the self-hosted runner failure where a runner scale-set chart upgrade drops the pool's
    nodeSelector and tolerations, so ephemeral docker-in-docker runners with unbounded emptyDir layers
    land on application nodes; image builds fill the kubelet's filesystem, the node reports DiskPressure
    and evicts production pods.

    `helm upgrade` of the gha-runner-scale-set release at 14:12 rewrote AutoscalingRunnerSet
    `arc-runners/build-x64` without the `ci-builds` nodeSelector and toleration. Its runner pods (runner
    + dind, /var/lib/docker on an emptyDir without sizeLimit) were scheduled on the application node the
    question names; the builds pulled and built several GiB, nodefs fell below the hard threshold and the
    kubelet evicted search and recommendations pods there. Nobody paged: someone asks about the host.
    """
    inc = start(app_node_evicting_pods_question, "question about a node", AT3, 3403, ("arc-runners", "arc-systems"))
    host = node(inc, 1)
    chg = AT3 - timedelta(minutes=54)
    fill = AT3 - timedelta(minutes=31)
    template = {"spec": {"containers": [
        {"name": "runner", "image": "ghcr.io/actions/actions-runner:2.321.0", "command": ["/home/runner/run.sh"],
         "env": [{"name": "DOCKER_HOST", "value": "unix:///var/run/docker.sock"}]},
        {"name": "dind", "image": "docker:27.4-dind", "securityContext": {"privileged": True},
         "volumeMounts": [{"name": "dind-lib", "mountPath": "/var/lib/docker"}]}],
        "volumes": [{"name": "dind-lib", "emptyDir": {}}, {"name": "dind-sock", "emptyDir": {}}]}}
    custom(inc, "AutoscalingRunnerSet", "actions.github.com", "v1alpha1", "autoscalingrunnersets", "arc-runners",
           "build-x64",
           {"githubConfigUrl": "https://github.com/acme-shop", "githubConfigSecret": "arc-github-app",
            "minRunners": 0, "maxRunners": 12, "runnerScaleSetName": "build-x64", "template": template},
           {"currentRunners": 4, "pendingEphemeralRunners": 0, "runningEphemeralRunners": 4},
           "helm", chg, {"f:spec": {"f:template": {"f:spec": {}}}})
    plant(inc, "arc-runners", "arc-github-app", "token", "github-app-key", "github_app_private_key")

    def runner(pod: str, s: datetime, e: datetime) -> Lines:
        t0 = s + timedelta(seconds=4)
        return [(t0, "√ Connected to GitHub"), (t0 + timedelta(seconds=2), "Current runner version: '2.321.0'"),
                (t0 + timedelta(seconds=3), f"{t0.strftime('%Y-%m-%d %H:%M:%SZ')}: Listening for Jobs"),
                (t0 + timedelta(seconds=9), f"{t0.strftime('%Y-%m-%d %H:%M:%SZ')}: Running job: build-and-push")]

    def dind(pod: str, s: datetime, e: datetime) -> Lines:
        out = [(s + timedelta(seconds=3), logrus(s + timedelta(seconds=3), "info", "Starting up")),
               (s + timedelta(seconds=5), logrus(s + timedelta(seconds=5), "info",
                                                 "Docker daemon", commit="92a8393", storage_driver="overlay2",
                                                 version="27.4.1"))]

        def build(i: int, t: datetime) -> str:
            if t > AT3 - timedelta(minutes=8) and i % 2:
                return logrus(t, "error", "Handler for POST /v1.47/build returned error: failed to copy: write "
                                          "/var/lib/docker/tmp/GetImageBlob: no space left on device")
            return logrus(t, "info", f"Download complete layer=sha256:{digest(pod + str(i))[7:19]}")
        out += every(s + timedelta(seconds=30), e, 47, build)
        return out
    starts = [chg + timedelta(minutes=m) for m in (5, 9, 14, 20)]
    for i, s in enumerate(starts):
        name = f"build-x64-{o.suffix(f'arc{i}', 5)}-runner-{o.suffix(f'run{i}', 5)}"
        h = inc.cluster.add_pod(PodHistory(
            name=name, namespace="arc-runners", workload="build-x64",
            containers=[c("runner", "ghcr.io/actions/actions-runner:2.321.0", port=None),
                        c("dind", "docker:27.4-dind", port=None)],
            node=host, created=s, states=[o.ContainerState(started_at=s + timedelta(seconds=3)),
                                          o.ContainerState(started_at=s + timedelta(seconds=3))],
            labels={"actions.github.com/scale-set-name": "build-x64", "app.kubernetes.io/component": "runner"},
            owner=o.owner_ref("EphemeralRunner", name, "arc-runners", api_version="actions.github.com/v1alpha1"),
            logs={"runner": within(runner)(name, s, inc.captured), "dind": within(dind)(name, s, inc.captured)}))
        h.memory = lambda t: 900 * 1024 * 1024
    node_obj = inc.cluster.nodes[1]
    for n in inc.cluster.nodes:
        if n["metadata"]["name"] != host:
            continue
        n["spec"]["taints"] = [{"key": "node.kubernetes.io/disk-pressure", "effect": "NoSchedule",
                                "timeAdded": ts(fill)}]
        for cond in n["status"]["conditions"]:
            if cond["type"] == "DiskPressure":
                cond.update({"status": "True", "reason": "KubeletHasDiskPressure",
                             "message": "kubelet has disk pressure", "lastTransitionTime": ts(fill)})
    inc.event(node_obj, "NodeHasDiskPressure", f"Node {host} status is now: NodeHasDiskPressure", fill,
              warning=False, host=host)
    inc.event(node_obj, "EvictionThresholdMet", "Attempting to reclaim ephemeral-storage", fill,
              inc.captured - timedelta(minutes=2), count=14, host=host)
    inc.event(node_obj, "FreeDiskSpaceFailed", "Failed to garbage collect required amount of images. Attempted to "
              "free 9876543210 bytes, but only found 412345678 bytes eligible to free.", fill + timedelta(minutes=1),
              inc.captured - timedelta(minutes=3), count=6, host=host)
    evicted = [("shop", "search"), ("web", "recommendations"), ("shop", "cart")]
    for i, (ns, wl) in enumerate(evicted):
        owner = inc.pods_of(ns, wl)[0].owner or {"name": wl}
        pname = f"{owner['name']}-{o.suffix(wl + 'ev', 5)}"
        when = fill + timedelta(minutes=3 + 4 * i)
        inc.event(pod_ref(ns, pname), "Evicted",
                  f"The node was low on resource: ephemeral-storage. Threshold quantity: 10%, available: "
                  f"{4012345 - 300000 * i}Ki. Container {wl} was using {180 + 40 * i}Mi, request is 0, has larger "
                  f"consumption of ephemeral-storage. ", when, host=host)
        inc.event(pod_ref(ns, pname), "Killing", f"Stopping container {wl}", when, warning=False, host=host)
    inc.series("node_filesystem_avail_bytes", "gauge", "Filesystem space available to non-root users in bytes.",
               {"instance": host, "mountpoint": "/", "device": "/dev/nvme0n1p1", "fstype": "xfs",
                "job": "node-exporter"},
               lambda t: 61e9 if t < chg else max(3.9e9, 61e9 - (t - chg).total_seconds() * 2.4e7))
    inc.series("kubelet_evictions", "counter", "Cumulative number of pod evictions by eviction signal",
               {"instance": host, "eviction_signal": "nodefs.available", "job": "kubelet"},
               lambda t: 0.0 if t < fill else float(min(3, int((t - fill).total_seconds() // 240))))
    herring(inc, "arc-systems", "arc-gha-rs-controller", "ghcr.io/actions/gha-runner-scale-set-controller",
            "0.10", AT3 - timedelta(minutes=70))
    inc.ask(f"Pods keep getting evicted on {host} since about half past two, what's going on with that node?")
    inc.answer_key(culprit=("AutoscalingRunnerSet", "arc-runners", "build-x64"),
                   keywords=["runner", "nodeSelector", "dind", "ephemeral-storage"],
                   root_cause="a helm upgrade of the runner scale set build-x64 dropped its nodeSelector and "
                              "toleration; dind CI runners with unbounded emptyDir landed on the application node "
                              "and filled its disk: DiskPressure, ephemeral-storage evictions",
                   category="ci-runner-pool-lost-node-selector-disk-pressure",
                   red_herrings=[("Deployment", "arc-systems", "arc-gha-rs-controller")])
    return inc


# ---- 4 ---------------------------------------------------------------------------------------------
AT4 = datetime(2026, 11, 26, 7, 48, tzinfo=UTC)


def vector_pod_not_ready() -> Incident:
    """A node registry-mirror DaemonSet now points containerd at a cluster DNS name the node cannot resolve.

    after: the pull-through-cache setups where containerd's hosts.toml is written onto every node by a
    DaemonSet; switching the mirror from a node-reachable address to a `*.svc.cluster.local` name breaks
    pulls, because containerd resolves with the host's resolver, not CoreDNS, and private nodes without
    NAT cannot fall back to Docker Hub.

    platform-registry's DaemonSet `containerd-registry-hosts` rolled revision 2 at 06:40: its script now
    writes `host."http://registry-cache.platform-registry.svc.cluster.local:5000"` for docker.io instead
    of the NodePort on the node's own IP. Existing pods keep running from cached images; when the
    cluster autoscaler drained a node at 07:30, logging's vector aggregator pod moved to a node without
    the image and its pull times out on registry-1.docker.io. The page is about the vector pod.
    """
    inc = start(vector_pod_not_ready, "vector-aggregator pod not ready", AT4, 3404, ("platform-registry", "logging"))
    chg = AT4 - timedelta(minutes=68)
    moved = AT4 - timedelta(minutes=18)
    ns, ds = "platform-registry", "containerd-registry-hosts"
    inc.cluster.daemonset(ns, ds, "public.ecr.aws/docker/library/busybox:1.37", inc.born + timedelta(days=6))
    obj = inc.find("DaemonSet", ns, ds)
    script = ("set -eu\nmkdir -p /host/etc/containerd/certs.d/docker.io\n"
              "cat > /host/etc/containerd/certs.d/docker.io/hosts.toml <<EOF\n"
              'server = "https://registry-1.docker.io"\n\n'
              '[host."http://registry-cache.platform-registry.svc.cluster.local:5000"]\n'
              '  capabilities = ["pull", "resolve"]\nEOF\n'
              "echo wrote /host/etc/containerd/certs.d/docker.io/hosts.toml\ncat "
              "/host/etc/containerd/certs.d/docker.io/hosts.toml\nsleep infinity\n")
    old_script = script.replace("registry-cache.platform-registry.svc.cluster.local:5000", "${NODE_IP}:30500")
    cont = obj["spec"]["template"]["spec"]["containers"][0]
    cont.update({"command": ["/bin/sh", "-c", script],
                 "env": [{"name": "NODE_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}}}],
                 "volumeMounts": [{"name": "containerd-certs", "mountPath": "/host/etc/containerd/certs.d"}]})
    obj["spec"]["template"]["spec"]["volumes"] = [
        {"name": "containerd-certs", "hostPath": {"path": "/etc/containerd/certs.d", "type": "DirectoryOrCreate"}}]
    obj["metadata"]["generation"] = 2
    obj["metadata"]["annotations"]["deprecated.daemonset.template.generation"] = "2"
    obj["status"]["observedGeneration"] = 2
    changed(obj, ("helm", "Update", inc.born + timedelta(days=6), {"f:spec": {}}),
            ("kubectl-client-side-apply", "Update", chg, {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}}))
    for rev, when, body in ((1, inc.born + timedelta(days=6), old_script), (2, chg, script)):
        tmpl = {"spec": {"containers": [{**cont, "command": ["/bin/sh", "-c", body]}]}}
        inc.add({"apiVersion": "apps/v1", "kind": "ControllerRevision", "revision": rev, "data": {"spec": {
            "template": tmpl}},
            "metadata": {"name": f"{ds}-{o.suffix(ds + str(rev), 10)}", "namespace": ns,
                         "creationTimestamp": ts(when), "labels": {"app": ds},
                         "ownerReferences": [o.owner_ref("DaemonSet", ds, ns)]}})
    for h in inc.pods_of(ns, ds):
        h.created = chg + timedelta(seconds=20 + 15 * sum(h.name.encode()) % 90)
        h.states[0].started_at = h.created + timedelta(seconds=3)
        body = ("wrote /host/etc/containerd/certs.d/docker.io/hosts.toml\nserver = \"https://registry-1.docker.io\"\n\n"
                "[host.\"http://registry-cache.platform-registry.svc.cluster.local:5000\"]\n"
                "  capabilities = [\"pull\", \"resolve\"]")
        h.logs = {ds: L.lines([(h.created + timedelta(seconds=4), body)])}
        h.labels["controller-revision-hash"] = o.suffix(ds + "2", 10)
    app(inc, "platform-registry", "registry-cache", "docker.io/library/registry:2.8.3", 2)
    inc.service("platform-registry", "registry-cache", {"app": "registry-cache"}, port=5000, target=5000)
    image = "docker.io/timberio/vector:0.43.0-distroless-libc"
    target = node(inc, 2)
    pull = (f'Failed to pull image "{image}": failed to pull and unpack image "{image}": failed to resolve reference '
            f'"{image}": failed to do request: Head "https://registry-1.docker.io/v2/timberio/vector/manifests/'
            f'0.43.0-distroless-libc": dial tcp 98.85.153.80:443: i/o timeout')
    wl = inc.deployment("logging", "vector-aggregator",
                        [Rev(1, inc.born + timedelta(days=14), "helm upgrade", [c("vector", image, port=8686)])],
                        {1: [P(), P(state="waiting", waiting_reason="ImagePullBackOff", message=pull, created=moved,
                               node=target)]}, replicas=2)
    del wl
    herring(inc, "logging", "loki-gateway", f"{REGISTRY}/logging/loki-gateway", "2.11", AT4 - timedelta(minutes=40))
    plant(inc, "logging", "vector-s3-sink", "aws", "vector-archive", "AWS_ACCESS_KEY_ID")
    inc.series("kube_pod_container_status_waiting_reason", "gauge", "Describes the reason the container is waiting.",
               {"namespace": "logging", "container": "vector", "reason": "ImagePullBackOff",
                "job": "kube-state-metrics"}, step(0, 1, moved + timedelta(minutes=1)))
    inc.series("cluster_autoscaler_scaled_down_nodes_total", "counter", "Number of nodes removed by CA.",
               {"job": "cluster-autoscaler", "reason": "underutilized"}, step(11, 12, moved))
    pod = next(h.name for h in inc.pods_of("logging", "vector-aggregator") if h.created == moved)
    inc.alertmanager("KubePodNotReady", {"namespace": "logging", "pod": pod},
                     "Pod has been in a non-ready state for more than 15 minutes.",
                     f"Pod logging/{pod} has been in a non-ready state for longer than 15 minutes.",
                     'sum by (namespace, pod) (kube_pod_status_phase{phase=~"Pending|Unknown|Failed"}) > 0')
    inc.answer_key(culprit=("DaemonSet", "platform-registry", "containerd-registry-hosts"),
                   keywords=["hosts.toml", "mirror", "svc.cluster.local"],
                   root_cause="the DaemonSet containerd-registry-hosts rewrote every node's containerd hosts.toml so "
                              "the docker.io mirror is registry-cache.platform-registry.svc.cluster.local, a name the "
                              "node's resolver cannot resolve; pulls fall back to Docker Hub, which private nodes "
                              "cannot reach: the moved vector pod cannot pull",
                   category="containerd-mirror-uses-cluster-dns-name",
                   red_herrings=[("Deployment", "logging", "loki-gateway")])
    return inc


# ---- 5 ---------------------------------------------------------------------------------------------
AT5 = datetime(2026, 11, 27, 11, 24, tzinfo=UTC)


def order_sync_rollout_stuck() -> Incident:
    """A Flux Kustomization gained post-build variable substitution: the app's own `${...}` placeholders emptied.

    after: the GitOps gotcha where enabling `postBuild.substitute`/`substituteFrom` on a Flux Kustomization
    makes kustomize-controller replace every `${VAR}` in every manifest it applies, including application
    config that expected its own runtime placeholder resolution; undefined variables become empty strings.

    flux-system's Kustomization `apps-orders` was given `postBuild.substituteFrom: cluster-vars` at 10:58
    (for a new ingress host). The orders ConfigMap generator carries Spring's `${ORDERS_DB_HOST}`; Flux
    rendered it as an empty host, the configMapGenerator's new hash rolled `order-sync`, and the new pods
    crash with pgjdbc's "Connection to localhost:5432 refused" from `jdbc:postgresql://:5432/orders`.
    """
    inc = start(order_sync_rollout_stuck, "order-sync rollout not progressing", AT5, 3405, ("orders", "flux-system"))
    chg = AT5 - timedelta(minutes=26)
    applied = chg + timedelta(seconds=48)
    good = ("spring:\n  datasource:\n    url: jdbc:postgresql://${ORDERS_DB_HOST}:5432/orders\n"
            "    username: order_sync\n  kafka:\n    bootstrap-servers: kafka-bootstrap.kafka:9092\n")
    bad = good.replace("${ORDERS_DB_HOST}", "")
    old_cm, new_cm = "order-sync-config-5h8t2k9c4m", "order-sync-config-b76fd9gk2t"
    cm = inc.configmap("orders", new_cm, {"application.yaml": bad}, at=applied)
    cm["metadata"]["labels"] = {"kustomize.toolkit.fluxcd.io/name": "apps-orders",
                                "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}
    changed(cm, ("kustomize-controller", "Apply", applied, {"f:data": {"f:application.yaml": {}}}))
    custom(inc, "Kustomization", "kustomize.toolkit.fluxcd.io", "v1", "kustomizations", "flux-system", "apps-orders",
           {"interval": "10m", "path": "./apps/orders/prod", "prune": True, "wait": False,
            "sourceRef": {"kind": "GitRepository", "name": "fleet"},
            "postBuild": {"substituteFrom": [{"kind": "ConfigMap", "name": "cluster-vars"}]}},
           {"lastAppliedRevision": "main@sha1:4be1c07d93a2", "lastAttemptedRevision": "main@sha1:4be1c07d93a2",
            "conditions": [{"type": "Ready", "status": "True", "reason": "ReconciliationSucceeded",
                            "message": "Applied revision: main@sha1:4be1c07d93a2",
                            "lastTransitionTime": ts(applied)}]},
           "kustomize-controller", chg, {"f:spec": {"f:postBuild": {}}}, generation=14)
    inc.configmap("flux-system", "cluster-vars", {"CLUSTER_NAME": "prod-eu-west-1",
                                                  "INGRESS_DOMAIN": "prod.example.com"})
    img = f"{REGISTRY}/orders/order-sync:3.9.2"
    vol = {"volumes": [{"name": "config", "configMap": {"name": old_cm}}]}
    env = [{"name": "ORDERS_DB_HOST", "value": "orders-pg.cluster-ro8x.eu-west-1.rds.amazonaws.com"},
           {"name": "SPRING_CONFIG_ADDITIONAL_LOCATION", "value": "/config/application.yaml"}]

    def crash(pod: str, s: datetime, e: datetime) -> Lines:
        t = s + timedelta(seconds=1)
        return [(t, L.spring(t, "INFO", "c.a.orders.sync.OrderSyncApplication",
                             "Starting OrderSyncApplication v3.9.2 using Java 21.0.5 with PID 1")),
                (t + timedelta(seconds=4), L.spring(t + timedelta(seconds=4), "INFO",
                                                    "com.zaxxer.hikari.HikariDataSource",
                                                    "HikariPool-1 - Starting...")),
                (t + timedelta(seconds=5), L.spring(
                    t + timedelta(seconds=5), "ERROR", "com.zaxxer.hikari.pool.HikariPool",
                    "HikariPool-1 - Exception during pool initialization.\n"
                    "org.postgresql.util.PSQLException: Connection to localhost:5432 refused. Check that the hostname "
                    "and port are correct and that the postmaster is accepting TCP/IP connections.\n"
                    "\tat org.postgresql.core.v3.ConnectionFactoryImpl.openConnectionImpl"
                    "(ConnectionFactoryImpl.java:352)\n"
                    "\tat org.postgresql.core.ConnectionFactory.openConnection(ConnectionFactory.java:54)\n"
                    "\tat org.postgresql.jdbc.PgConnection.<init>(PgConnection.java:273)\n"
                    "\tat com.zaxxer.hikari.pool.PoolBase.newConnection(PoolBase.java:364)\n"
                    "Caused by: java.net.ConnectException: Connection refused")),
                (t + timedelta(seconds=6), L.spring(t + timedelta(seconds=6), "WARN",
                                                    "o.s.b.d.LoggingFailureAnalysisReporter",
                                                    "Application run failed: jdbcUrl jdbc:postgresql://:5432/orders"))]

    def ok(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 30, lambda i, t: L.spring(t, "INFO", "c.a.orders.sync.OutboxRelay",
                                                     f"Relayed {5 + i % 11} outbox events to orders.v1",
                                                     thread="scheduling-1"))
    revs = [Rev(1, inc.born + timedelta(days=16), "kustomize-controller", [c("order-sync", img, env=env)],
                pod_spec=vol),
            Rev(2, applied + timedelta(seconds=1), "kustomize-controller", [c("order-sync", img, env=env)],
                pod_spec={"volumes": [{"name": "config", "configMap": {"name": new_cm}}]})]
    inc.deployment("orders", "order-sync", revs,
                   {1: [P(log=within(ok)) for _ in range(2)],
                    2: [P(state="crashloop", log=within(crash), run_s=lambda n: 9.0)]},
                   replicas=3, progress="deadline")

    def flux(pod: str, s: datetime, e: datetime) -> Lines:
        out = every(s, e, 600, lambda i, t: L.js(t, "info", "server-side apply completed",
                                                  controller="kustomization", name="apps-shop",
                                                  namespace="flux-system", revision="main@sha1:4be1c07d93a2"))
        out.append((applied, L.js(applied, "info", "server-side apply completed", controller="kustomization",
                                  controllerGroup="kustomize.toolkit.fluxcd.io", name="apps-orders",
                                  namespace="flux-system", revision="main@sha1:4be1c07d93a2",
                                  output={f"ConfigMap/orders/{new_cm}": "created",
                                          f"ConfigMap/orders/{old_cm}": "deleted",
                                          "Deployment/orders/order-sync": "configured"})))
        return out
    app(inc, "flux-system", "kustomize-controller", "ghcr.io/fluxcd/kustomize-controller:v1.4.0", 1, within(flux))
    herring(inc, "orders", "order-events-api", f"{REGISTRY}/orders/order-events-api", "2.2",
            AT5 - timedelta(minutes=50))
    plant(inc, "orders", "order-sync-db", "password", "orders-pg", "SPRING_DATASOURCE_PASSWORD")
    inc.pod_series(inc.pods_of("orders", "order-sync"), memory=False)
    inc.alertmanager("KubeDeploymentRolloutStuck", {"namespace": "orders", "deployment": "order-sync"},
                     "Deployment rollout is not progressing.",
                     "Rollout of deployment orders/order-sync is not progressing for longer than 15 minutes.",
                     'kube_deployment_status_condition{condition="Progressing",status="false"} != 0')
    inc.answer_key(culprit=("Kustomization", "flux-system", "apps-orders"),
                   keywords=["substitute", "postBuild", "ORDERS_DB_HOST"],
                   root_cause="postBuild substituteFrom was added to the Flux Kustomization apps-orders; "
                              "kustomize-controller replaced the app's own ${ORDERS_DB_HOST} placeholder with an "
                              "empty string, so order-sync's new pods connect to jdbc:postgresql://:5432 and crash",
                   category="flux-postbuild-substitution-empties-app-placeholder",
                   red_herrings=[("Deployment", "orders", "order-events-api")])
    return inc


# ---- 6 ---------------------------------------------------------------------------------------------
AT6 = datetime(2026, 11, 28, 14, 9, tzinfo=UTC)


def storefront_bff_burn() -> Incident:
    """An ApplicationSet's git directory generator path changed: a generated Application and its workload are pruned.

    after: the Argo CD ApplicationSet behaviour where an Application that the generators stop producing is
    deleted (the default `applicationsSync` policy), and its resources-finalizer cascades the deletion to
    every resource the Application owned; a half-finished repository restructure makes one app vanish.

    argocd's ApplicationSet `team-apps` had its directory generator changed at 13:36 from
    `apps/*/overlays/prod` to `apps/*/prod`; only the apps already moved still match. The Application
    `inventory-reservations` was deleted with its finalizer, and its Deployment and Service
    `inventory/reservations` went with it. storefront-bff's reservation calls fail with ENOTFOUND and the
    checkout SLO burns.
    """
    inc = start(storefront_bff_burn, "storefront-bff error budget burn", AT6, 3406, ("argocd", "inventory",
                                                                                    "storefront"))
    chg = AT6 - timedelta(minutes=33)
    gone = chg + timedelta(minutes=2)
    custom(inc, "ApplicationSet", "argoproj.io", "v1alpha1", "applicationsets", "argocd", "team-apps",
           {"goTemplate": True,
            "generators": [{"git": {"repoURL": "https://git.example.com/platform/deploy.git", "revision": "main",
                                    "directories": [{"path": "apps/*/prod"}]}}],
            "template": {"metadata": {"name": "{{index .path.segments 1}}-{{.path.basename}}",
                                      "finalizers": ["resources-finalizer.argocd.argoproj.io"]},
                         "spec": {"project": "default", "source": {
                             "repoURL": "https://git.example.com/platform/deploy.git", "targetRevision": "main",
                             "path": "{{.path.path}}"},
                             "destination": {"server": "https://kubernetes.default.svc",
                                             "namespace": "{{index .path.segments 1}}"},
                             "syncPolicy": {"automated": {"prune": True, "selfHeal": True}}}}},
           {"conditions": [{"type": "ResourcesUpToDate", "status": "True", "reason": "ApplicationSetUpToDate",
                            "message": "All applications have been generated successfully",
                            "lastTransitionTime": ts(gone)}]},
           "argocd-server", chg, {"f:spec": {"f:generators": {}}}, generation=22)
    crd(inc, "Application", "argoproj.io", "applications", version="v1alpha1")
    for app_name, ns in (("catalog-prod", "catalog"), ("shop-prod", "shop")):
        inc.add({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
                 "metadata": {"name": app_name, "namespace": "argocd",
                              "ownerReferences": [{"apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet",
                                                   "name": "team-apps", "uid": o.uid("applicationset", "argocd",
                                                                                     "team-apps")}]},
                 "spec": {"project": "default", "destination": {"namespace": ns}},
                 "status": {"sync": {"status": "Synced"}, "health": {"status": "Healthy"}}})

    def asc(pod: str, s: datetime, e: datetime) -> Lines:
        out = every(s, e, 180, lambda i, t: logrus(t, "info", "end reconcile", applicationset="argocd/team-apps",
                                                   requeueAfter="3m0s"))
        out.append((gone, logrus(gone, "info", "Deleted application", app="inventory-reservations",
                                 applicationset="argocd/team-apps")))
        return out
    app(inc, "argocd", "argocd-applicationset-controller", "quay.io/argoproj/argocd:v2.13.2", 1, within(asc))

    def ctrl(pod: str, s: datetime, e: datetime) -> Lines:
        t = gone + timedelta(seconds=2)
        return [(t, logrus(t, "info", "Deleting resources", application="argocd/inventory-reservations")),
                (t + timedelta(seconds=1), logrus(t + timedelta(seconds=1), "info", "Deleting resource",
                                                  application="argocd/inventory-reservations", kind="Deployment",
                                                  name="reservations", namespace="inventory")),
                (t + timedelta(seconds=1), logrus(t + timedelta(seconds=1), "info", "Deleting resource",
                                                  application="argocd/inventory-reservations", kind="Service",
                                                  name="reservations", namespace="inventory")),
                (t + timedelta(seconds=9), logrus(t + timedelta(seconds=9), "info",
                                                  "Removing finalizer resources-finalizer.argocd.argoproj.io",
                                                  application="argocd/inventory-reservations"))]
    app(inc, "argocd", "argocd-application-controller", "quay.io/argoproj/argocd:v2.13.2", 1, within(ctrl))
    app(inc, "inventory", "stock-levels", f"{REGISTRY}/inventory/stock-levels:1.12.0", 2)

    def bff(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str:
            if t < gone + timedelta(seconds=5) or i % 3 == 0:
                return pino(t, pod, 30, "request completed", req={"method": "GET", "url": f"/api/cart/{9000 + i}"},
                            res={"statusCode": 200}, responseTime=41 + i % 20)
            return pino(t, pod, 50, "reservation call failed", err={
                "type": "Error", "message": "getaddrinfo ENOTFOUND reservations.inventory.svc.cluster.local",
                "code": "ENOTFOUND", "hostname": "reservations.inventory.svc.cluster.local",
                "stack": "Error: getaddrinfo ENOTFOUND reservations.inventory.svc.cluster.local\n    at "
                         "GetAddrInfoReqWrap.onlookupall [as oncomplete] (node:dns:120:26)"},
                req={"method": "POST", "url": "/api/checkout/reserve"}, res={"statusCode": 502})
        return every(s, e, 7, line)
    victim = inc.deployment("storefront", "storefront-bff",
                            [Rev(1, inc.born + timedelta(days=18), "helm upgrade",
                                 [c("storefront-bff", f"{REGISTRY}/storefront/storefront-bff:8.4.0",
                                    env=[{"name": "RESERVATIONS_URL",
                                          "value": "http://reservations.inventory.svc.cluster.local:8080"}])])],
                            {1: [P(log=within(bff)) for _ in range(3)]})
    del victim
    http_codes(inc, "storefront", "storefront-bff", (38, 30), (0.02, 8.5), gone, "502")
    herring(inc, "inventory", "stock-levels-sync", f"{REGISTRY}/inventory/stock-levels-sync", "0.7",
            AT6 - timedelta(minutes=45))
    plant(inc, "argocd", "repo-deploy-creds", "token", "git-deploy", "password")
    inc.slo_burn("storefront-bff", "storefront", "checkout-availability", "99.9", 26.4,
                 "storefront-bff is failing 22% of checkout requests (502) over the last hour.")
    inc.answer_key(culprit=("ApplicationSet", "argocd", "team-apps"),
                   keywords=["generator", "inventory-reservations", "deleted"],
                   root_cause="the ApplicationSet team-apps' git directory generator path was changed to apps/*/prod; "
                              "it no longer generates inventory-reservations, which was deleted with its finalizer, "
                              "pruning the reservations Deployment and Service the storefront calls (ENOTFOUND)",
                   category="applicationset-generator-drops-app-cascade-delete",
                   red_herrings=[("Deployment", "inventory", "stock-levels-sync")])
    return inc


# ---- 7 ---------------------------------------------------------------------------------------------
AT7 = datetime(2026, 11, 29, 12, 55, tzinfo=UTC)


def invoice_renderer_restarts_question() -> Incident:
    """An OpenTelemetry Instrumentation bumped its Java agent: injected pods exceed their memory limit.

    after: the auto-instrumentation reports where the operator injects a newer Java agent into every
    annotated pod created after an Instrumentation change; the agent's extra heap, metaspace and
    instrumentation overhead pushes a JVM sized close to its container limit over it: OOMKilled loops on
    pods that were merely rescheduled.

    docs' Instrumentation `java-agent` was moved from agent 1.32.1 to 2.10.0 with runtime-telemetry
    enabled at 11:40. invoice-renderer runs with MaxRAMPercentage=85 in a 768Mi limit. Its pods
    recreated by a Karpenter consolidation at 12:20 got the new agent (init container image, JAVA_TOOL_OPTIONS)
    and are OOMKilled during start-up; the one pod created before the change still runs 1.32.1. Somebody
    asks in chat about the restarts, naming only the workload.
    """
    inc = start(invoice_renderer_restarts_question, "question about restarts", AT7, 3407, ("docs", "observability"))
    chg = AT7 - timedelta(minutes=75)
    moved = AT7 - timedelta(minutes=35)
    custom(inc, "Instrumentation", "opentelemetry.io", "v1alpha1", "instrumentations", "docs", "java-agent",
           {"exporter": {"endpoint": "http://otel-collector.observability:4318"},
            "propagators": ["tracecontext", "baggage"],
            "sampler": {"type": "parentbased_traceidratio", "argument": "0.2"},
            "java": {"image": "ghcr.io/open-telemetry/opentelemetry-operator/autoinstrumentation-java:2.10.0",
                     "env": [{"name": "OTEL_INSTRUMENTATION_RUNTIME_TELEMETRY_ENABLED", "value": "true"},
                             {"name": "OTEL_INSTRUMENTATION_RUNTIME_TELEMETRY_EMIT_EXPERIMENTAL_TELEMETRY",
                              "value": "true"}]}},
           {}, "kubectl-client-side-apply", chg, {"f:spec": {"f:java": {"f:image": {}, "f:env": {}}}})
    img = f"{REGISTRY}/docs/invoice-renderer:4.6.2"
    env = [{"name": "JAVA_OPTS", "value": "-XX:MaxRAMPercentage=85 -XX:+UseG1GC"}]

    def agent_patch(version: str) -> Callable[[dict[str, Any]], None]:
        def patch(pod: dict[str, Any]) -> None:
            spec = pod["spec"]
            spec["initContainers"] = [{
                "name": "opentelemetry-auto-instrumentation-java",
                "image": f"ghcr.io/open-telemetry/opentelemetry-operator/autoinstrumentation-java:{version}",
                "command": ["cp", "/javaagent.jar", "/otel-auto-instrumentation-java/javaagent.jar"],
                "volumeMounts": [{"name": "opentelemetry-auto-instrumentation-java",
                                  "mountPath": "/otel-auto-instrumentation-java"}]}]
            spec["containers"][0].setdefault("env", []).extend([
                {"name": "JAVA_TOOL_OPTIONS",
                 "value": " -javaagent:/otel-auto-instrumentation-java/javaagent.jar"},
                {"name": "OTEL_SERVICE_NAME", "value": "invoice-renderer"},
                {"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": "http://otel-collector.observability:4318"}])
            spec.setdefault("volumes", []).append({"name": "opentelemetry-auto-instrumentation-java",
                                                   "emptyDir": {"sizeLimit": "200Mi"}})
            pod["metadata"].setdefault("annotations", {})["instrumentation.opentelemetry.io/inject-java"] = "true"
        return patch

    def boot(version: str, dies: bool) -> Callable[[str, datetime, datetime], Lines]:
        def make(pod: str, s: datetime, e: datetime) -> Lines:
            t = s + timedelta(seconds=1)
            stamp = t.strftime("%Y-%m-%d %H:%M:%S:%f")[:-3] + " +0000"
            out = [(t, "Picked up JAVA_TOOL_OPTIONS:  -javaagent:/otel-auto-instrumentation-java/javaagent.jar"),
                   (t, f"[otel.javaagent {stamp}] [main] INFO io.opentelemetry.javaagent.tooling.VersionLogger - "
                       f"opentelemetry-javaagent - version: {version}"),
                   (t + timedelta(seconds=9), L.spring(t + timedelta(seconds=9), "INFO",
                                                       "c.a.docs.render.RendererApplication",
                                                       "Starting RendererApplication v4.6.2 using Java 17.0.13"))]
            if dies:
                out.append((t + timedelta(seconds=31), L.spring(t + timedelta(seconds=31), "INFO",
                                                                "o.a.fop.apps.FopFactory",
                                                                "Loading font cache (412 fonts)")))
            else:
                out += every(t + timedelta(seconds=40), e, 45, lambda i, x: L.spring(
                    x, "INFO", "c.a.docs.render.InvoiceJob", f"rendered invoice INV-{771200 + i} in {310 + i % 90} ms",
                    thread="render-4"))
            return out
        return make
    cont = c("invoice-renderer", img, env=env, memory_limit="768Mi", memory_request="768Mi")
    wl = inc.deployment("docs", "invoice-renderer",
                        [Rev(1, inc.born + timedelta(days=21), "helm upgrade", [cont])],
                        {1: [P(log=within(boot("1.32.1", False)), created=inc.born + timedelta(days=30)),
                             P(state="crashloop", reason="OOMKilled", exit_code=137, run_s=lambda n: 38.0,
                               created=moved, log=within(boot("2.10.0", True)), memory_mi=640),
                             P(state="crashloop", reason="OOMKilled", exit_code=137, run_s=lambda n: 36.0,
                               created=moved + timedelta(seconds=20), log=within(boot("2.10.0", True)),
                               memory_mi=650)]})
    for h in wl.pods:
        inc.cluster.patch("docs", h.name, agent_patch("1.32.1" if h.created < chg else "2.10.0"))
    inc.pod_series(wl.pods)
    app(inc, "observability", "otel-operator", "ghcr.io/open-telemetry/opentelemetry-operator/"
        "opentelemetry-operator:0.114.0", 1)
    herring(inc, "docs", "invoice-mailer", f"{REGISTRY}/docs/invoice-mailer", "1.4", AT7 - timedelta(minutes=28))
    plant(inc, "docs", "renderer-s3", "aws", "invoice-archive", "AWS_ACCESS_KEY_ID")
    inc.ask("why does invoice-renderer keep restarting since lunchtime?")
    inc.answer_key(culprit=("Instrumentation", "docs", "java-agent"),
                   keywords=["javaagent", "2.10.0", "OOMKilled"],
                   root_cause="the Instrumentation java-agent moved the injected OpenTelemetry javaagent from 1.32.1 "
                              "to 2.10.0 with runtime telemetry; invoice-renderer pods recreated since get the new "
                              "agent and its overhead pushes the JVM over its 768Mi limit: OOMKilled",
                   category="injected-java-agent-upgrade-exceeds-memory-limit",
                   red_herrings=[("Deployment", "docs", "invoice-mailer")])
    return inc


# ---- 8 ---------------------------------------------------------------------------------------------
AT8 = datetime(2026, 11, 30, 8, 41, tzinfo=UTC)


def fraud_scoring_degraded_page() -> Incident:
    """Registry garbage collection with --delete-untagged removed manifests production pins by digest.

    after: the self-hosted registry incidents where `registry garbage-collect --delete-untagged` is added
    to a cleanup job: images deployed by digest whose tag was later moved are untagged, so their
    manifests are deleted; nothing fails until a node without the image has to pull it.

    registry's CronJob `registry-gc` gained `--delete-untagged` yesterday at 17:30; its 03:00 run deleted
    the manifest of `payments/fraud-scorer@sha256:...`, which Argo CD pins by digest (the 2.7 tag has been
    re-pushed since). At 08:25 the HPA added pods on fresh morning nodes: ErrImagePull `not found`; the
    registry logs `manifest unknown` for that digest. PagerDuty pages on fraud scoring latency.
    """
    inc = start(fraud_scoring_degraded_page, "fraud scoring latency degraded", AT8, 3408, ("registry", "fraud"))
    chg = AT8 - timedelta(hours=15, minutes=11)
    ran = AT8.replace(hour=3, minute=0)
    done = ran + timedelta(minutes=6, seconds=12)
    scale = AT8 - timedelta(minutes=16)
    cron = inc.add({"apiVersion": "batch/v1", "kind": "CronJob",
                    "metadata": {"name": "registry-gc", "namespace": "registry", "generation": 3},
                    "spec": {"schedule": "0 3 * * *", "concurrencyPolicy": "Forbid",
                             "jobTemplate": {"spec": {"template": {"spec": {
                                 "restartPolicy": "Never",
                                 "containers": [{"name": "gc", "image": "docker.io/library/registry:2.8.3",
                                                 "command": ["/bin/registry", "garbage-collect", "--delete-untagged",
                                                             "/etc/docker/registry/config.yml"]}]}}}}},
                    "status": {"lastScheduleTime": ts(ran), "lastSuccessfulTime": ts(done)}})
    changed(cron, ("helm", "Update", inc.born + timedelta(days=8), {"f:spec": {}}),
            ("kubectl-edit", "Update", chg, {"f:spec": {"f:jobTemplate": {"f:spec": {"f:template": {}}}}}))
    pinned = digest("fraud-scorer-2.7-build-311")
    gc_lines = []
    t = ran + timedelta(seconds=3)
    for i, repo in enumerate(["shop/cart", "shop/search", "payments/fraud-scorer", "web/frontend"]):
        gc_lines.append((t + timedelta(seconds=i), f"{repo}: marking manifest {digest(repo + 'current')}"))
        gc_lines.append((t + timedelta(seconds=i), f"{repo}: marking blob {digest(repo + 'blob')}"))
    gc_lines.append((t + timedelta(seconds=40), f"manifest eligible for deletion: {pinned}"))
    gc_lines.append((t + timedelta(seconds=40), f"manifest eligible for deletion: {digest('cart-old')}"))
    gc_lines.append((t + timedelta(minutes=5), "1873 blobs marked, 412 blobs and 57 manifests eligible for deletion"))
    gc_lines.append((t + timedelta(minutes=5, seconds=2),
                     f"Deleting manifest: /docker/registry/v2/repositories/payments/fraud-scorer/_manifests/revisions/"
                     f"sha256/{pinned[7:]}"))
    job_run(inc, "registry", "registry-gc", "gc", "docker.io/library/registry:2.8.3", ran, done, node(inc, 0),
            L.lines(gc_lines))
    image = f"{REGISTRY}/payments/fraud-scorer@{pinned}"

    def registry(pod: str, s: datetime, e: datetime) -> Lines:
        def line(i: int, t: datetime) -> str | None:
            if t >= scale and i % 2 == 0:
                return logrus(t, "error", "response completed with error", **{
                    "err.code": "manifest unknown", "err.message": "manifest unknown",
                    "http.request.method": "HEAD",
                    "http.request.uri": f"/v2/payments/fraud-scorer/manifests/{pinned}",
                    "http.request.useragent": "containerd/v1.7.24", "http.response.status": 404})
            return logrus(t, "info", "response completed", **{
                "http.request.method": "GET", "http.request.uri": "/v2/shop/cart/blobs/" + digest(str(i)),
                "http.response.status": 200, "http.response.duration": "12.4ms"})
        return every(s, e, 37, line)
    app(inc, "registry", "registry", "docker.io/library/registry:2.8.3", 2, within(registry))
    plant(inc, "registry", "registry-s3", "aws-secret", "registry-storage", "REGISTRY_STORAGE_S3_SECRETKEY")
    pull = (f'Failed to pull image "{image}": rpc error: code = NotFound desc = failed to pull and unpack image '
            f'"{image}": failed to resolve reference "{image}": {image}: not found')

    def scorer(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 20, lambda i, t: L.logfmt(t, "info", "scored", txn=f"tx_{81000 + i}",
                                                     latency_ms=40 + (i % 8) * (30 if t > scale else 3),
                                                     inflight=4 + (i % 5) * (6 if t > scale else 1)))
    late = [node(inc, 3), node(inc, 3), node(inc, 2)]
    inc.deployment("fraud", "fraud-scorer",
                   [Rev(1, inc.born + timedelta(days=26), "argocd", [c("fraud-scorer", image)])],
                   {1: [P(log=within(scorer)), P(log=within(scorer)),
                        *(P(state="waiting", waiting_reason="ErrImagePull", message=pull, node=n,
                            created=scale + timedelta(seconds=5 * k)) for k, n in enumerate(late))]},
                   replicas=5)
    inc.series("fraud_score_duration_seconds_p99", "gauge", "p99 scoring latency.",
               {"namespace": "fraud", "service": "fraud-scorer", "job": "fraud-scorer"}, step(0.09, 0.74, scale))
    herring(inc, "fraud", "fraud-rules", f"{REGISTRY}/fraud/fraud-rules", "5.1", AT8 - timedelta(minutes=38))
    inc.pagerduty("fraud-scorer p99 latency above 500ms for 10m", "fraud-platform")
    inc.answer_key(culprit=("CronJob", "registry", "registry-gc"),
                   keywords=["garbage-collect", "delete-untagged", "manifest"],
                   root_cause="the registry-gc CronJob gained --delete-untagged; its 03:00 garbage-collect deleted "
                              "the untagged manifest fraud-scorer is pinned to by digest, so the HPA's new pods on "
                              "fresh nodes fail to pull it (not found) and the two old pods are overloaded",
                   category="registry-gc-deletes-untagged-digest-pinned-manifest",
                   red_herrings=[("Deployment", "fraud", "fraud-rules")])
    return inc


# ---- 9 ---------------------------------------------------------------------------------------------
AT9 = datetime(2026, 12, 1, 18, 7, tzinfo=UTC)


def event_consumer_lag_rising() -> Incident:
    """A ServiceAccount's imagePullSecrets removed by an infrastructure apply: new pods cannot pull privately.

    after: the pull-credential outages where the ServiceAccount that carries `imagePullSecrets` is
    re-created or re-applied by Terraform or a chart without them; pods created before keep the secret the
    admission plugin copied in, and pulls keep working on nodes that cache the image, so only scale-ups
    onto new nodes fail with 401 Unauthorized.

    ingest's ServiceAccount `ingest-workers` was re-applied by Terraform at 16:52 without
    `imagePullSecrets: [harbor-robot-ingest]`. At 17:40 KEDA scaled `event-consumer` from 3 to 8 for the
    evening peak; the new pods (no imagePullSecrets in their spec, unlike the three old ones) landed on
    new nodes and fail with 401 from the Harbor token service. The Kafka consumer-lag rule fires.
    """
    inc = start(event_consumer_lag_rising, "event-consumer lag rising", AT9, 3409, ("ingest",))
    chg = AT9 - timedelta(minutes=75)
    scale = AT9 - timedelta(minutes=27)
    sa = inc.add({"apiVersion": "v1", "kind": "ServiceAccount",
                  "metadata": {"name": "ingest-workers", "namespace": "ingest",
                               "creationTimestamp": ts(chg),
                               "annotations": {"eks.amazonaws.com/role-arn":
                                               "arn:aws:iam::481516234200:role/ingest-workers"}}})
    changed(sa, ("Terraform", "Update", chg, {"f:metadata": {"f:annotations": {}}}))
    inc.secret("ingest", "harbor-robot-ingest", {".dockerconfigjson": '{"auths":{"harbor.example.com":{}}}'})
    plant(inc, "ingest", "kafka-sasl", "password", "ingest-consumer", "sasl.password")
    image = "harbor.example.com/ingest/event-consumer:6.0.3"
    pull = (f'Failed to pull image "{image}": failed to pull and unpack image "{image}": failed to resolve reference '
            f'"{image}": failed to authorize: failed to fetch anonymous token: unexpected status from GET request to '
            "https://harbor.example.com/service/token?scope=repository%3Aingest%2Fevent-consumer%3Apull&"
            "service=harbor-registry: 401 Unauthorized")

    def consumer(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 30, lambda i, t: L.pylog(t, "INFO", "ingest.consumer",
                                                     f"committed offsets partition={i % 24} batch={500} "
                                                     f"lag={1200 + (i * 37) % 800 if t < scale else 48000 + i * 310}"))
    new_nodes = [node(inc, 3), node(inc, 2), node(inc, 3), node(inc, 2), node(inc, 3)]
    wl = inc.deployment("ingest", "event-consumer",
                        [Rev(1, inc.born + timedelta(days=19), "helm upgrade", [c("event-consumer", image)],
                             pod_spec={"serviceAccountName": "ingest-workers"})],
                        {1: [*(P(log=within(consumer), created=inc.born + timedelta(days=33), node=node(inc, k))
                               for k in range(2)),
                             P(log=within(consumer), created=inc.born + timedelta(days=34), node=node(inc, 0)),
                             *(P(state="waiting", waiting_reason="ImagePullBackOff", message=pull, node=n,
                                 created=scale + timedelta(seconds=3 * k)) for k, n in enumerate(new_nodes))]},
                        replicas=8)
    for h in wl.pods:
        if h.created < chg:
            inc.cluster.patch("ingest", h.name, lambda p: p["spec"].update(
                {"imagePullSecrets": [{"name": "harbor-robot-ingest"}]}))
    crd(inc, "ScaledObject", "keda.sh", "scaledobjects", version="v1alpha1")
    inc.add({"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
             "metadata": {"name": "event-consumer", "namespace": "ingest"},
             "spec": {"scaleTargetRef": {"name": "event-consumer"}, "minReplicaCount": 3, "maxReplicaCount": 12,
                      "triggers": [{"type": "kafka", "metadata": {"bootstrapServers": "kafka-bootstrap.kafka:9092",
                                                                  "consumerGroup": "event-consumer",
                                                                  "topic": "events.raw", "lagThreshold": "5000"}}]},
             "status": {"conditions": [{"type": "Active", "status": "True", "reason": "ScalerActive"}],
                        "lastActiveTime": ts(scale)}})
    herring(inc, "ingest", "schema-sync", "harbor.example.com/ingest/schema-sync", "1.3", AT9 - timedelta(minutes=44))
    inc.series("kafka_consumergroup_lag_sum", "gauge", "Current approximate lag of a consumer group.",
               {"consumergroup": "event-consumer", "topic": "events.raw", "job": "kafka-exporter"},
               lambda t: 1500.0 if t < scale else 1500.0 + 1900 * (t - scale).total_seconds() / 60)
    send(inc, [alert(inc, "KafkaConsumerGroupLagHigh", {"consumergroup": "event-consumer", "topic": "events.raw",
                                                       "job": "kafka-exporter"},
                     "Consumer group event-consumer is lagging on events.raw.",
                     "Lag of event-consumer on events.raw is 52k messages and growing for 10 minutes.",
                     'sum by (consumergroup, topic) (kafka_consumergroup_lag_sum) > 20000', "critical")],
         group=["alertname", "consumergroup"])
    inc.answer_key(culprit=("ServiceAccount", "ingest", "ingest-workers"),
                   keywords=["imagePullSecrets", "401", "Terraform"],
                   root_cause="Terraform re-applied the ServiceAccount ingest-workers without imagePullSecrets; the "
                              "event-consumer pods KEDA created since have no pull secret and get 401 Unauthorized "
                              "from Harbor on new nodes, so the consumer cannot scale and lag grows",
                   category="serviceaccount-lost-image-pull-secret-on-reapply",
                   red_herrings=[("Deployment", "ingest", "schema-sync")])
    return inc


# ---- 10 --------------------------------------------------------------------------------------------
AT10 = datetime(2026, 12, 2, 10, 33, tzinfo=UTC)


def status_page_rollout_stuck() -> Incident:
    """Image moved to the Harbor Docker Hub proxy-cache project without `library/`: the pull is not found.

    after: the pull-through-cache migrations where official Docker Hub images are re-pointed at a proxy
    project (`harbor.example.com/dockerhub/nginx`) and the implicit `library/` namespace Docker Hub adds
    for official images is left out; the proxy asks upstream for a repository that does not exist.

    web's `status-page` revision 7 (10:05) changed its image from `docker.io/library/nginx:1.27.2-alpine` to
    `harbor.example.com/dockerhub/nginx:1.27.3-alpine`; the new pod is in ImagePullBackOff (`not found`)
    and the rollout is stuck with the old pods serving. Simple: the paged Deployment's own revision.
    """
    inc = start(status_page_rollout_stuck, "status-page rollout stuck", AT10, 3410)
    chg = AT10 - timedelta(minutes=28)
    new = "harbor.example.com/dockerhub/nginx:1.27.3-alpine"
    pull = (f'Failed to pull image "{new}": rpc error: code = NotFound desc = failed to pull and unpack image '
            f'"{new}": failed to resolve reference "{new}": harbor.example.com/dockerhub/nginx:1.27.3-alpine: '
            "not found")

    def access(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 13, lambda i, t: (
            f'10.244.{i % 4}.{20 + i % 60} - - [{t.strftime("%d/%b/%Y:%H:%M:%S")} +0000] '
            f'"GET /{["", "api/summary.json", "incidents"][i % 3]} '
            f'HTTP/1.1" 200 {812 + i % 400} "-" "Mozilla/5.0" "-"'))
    revs = [Rev(6, inc.born + timedelta(days=22), "helm upgrade",
                [c("nginx", "docker.io/library/nginx:1.27.2-alpine", port=80)]),
            Rev(7, chg, "helm upgrade", [c("nginx", new, port=80)])]
    inc.deployment("web", "status-page", revs,
                   {6: [P(log=within(access)) for _ in range(2)],
                    7: [P(state="waiting", waiting_reason="ImagePullBackOff", message=pull)]},
                   replicas=2, progress="deadline")
    herring(inc, "web", "status-api", f"{REGISTRY}/web/status-api", "3.3", AT10 - timedelta(minutes=19))
    plant(inc, "web", "statuspage-io", "token", "statuspage-api", "STATUSPAGE_API_KEY")
    inc.alertmanager("KubeDeploymentRolloutStuck", {"namespace": "web", "deployment": "status-page"},
                     "Deployment rollout is not progressing.",
                     "Rollout of deployment web/status-page is not progressing for longer than 15 minutes.",
                     'kube_deployment_status_condition{condition="Progressing",status="false"} != 0')
    inc.answer_key(culprit=("Deployment", "web", "status-page"),
                   keywords=["library/", "proxy", "not found"],
                   root_cause="status-page's new revision pulls harbor.example.com/dockerhub/nginx without the "
                              "library/ namespace the Docker Hub proxy cache needs for official images: not found, "
                              "ImagePullBackOff",
                   category="proxy-cache-path-missing-library-namespace",
                   red_herrings=[("Deployment", "web", "status-api")])
    return inc


# ---- 11 --------------------------------------------------------------------------------------------
AT11 = datetime(2026, 12, 3, 16, 12, tzinfo=UTC)


def query_rewriter_crashloop() -> Incident:
    """A release image built for arm64 only, deployed to amd64 nodes: `exec format error` on start.

    after: the self-hosted-runner migrations to ARM build machines where `docker build` (no `--platform`,
    no multi-arch manifest) produces an image for the runner's architecture; x86 nodes pull it happily and
    the container dies at once with the kernel's exec format error.

    search's `query-rewriter` revision 12 (15:48) runs tag 2.9.0, the first built on the new arm64 runner
    pool; every new pod exits 255 with `exec /usr/local/bin/query-rewriter: exec format error` and loops;
    the nodes are amd64. Simple: the paged workload's own revision and log.
    """
    inc = start(query_rewriter_crashloop, "query-rewriter pods crash looping", AT11, 3411, ("search",))
    chg = AT11 - timedelta(minutes=24)

    def rust(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 25, lambda i, t: (
            f"{t.strftime('%Y-%m-%dT%H:%M:%S.%f')}Z  INFO query_rewriter::http: request handled "
            f"route=\"/rewrite\" status=200 latency_ms={3 + i % 7}"))

    def crash(pod: str, s: datetime, e: datetime) -> Lines:
        return [(s + timedelta(milliseconds=80), "exec /usr/local/bin/query-rewriter: exec format error")]
    revs = [Rev(11, inc.born + timedelta(days=24), "helm upgrade",
                [c("query-rewriter", f"{REGISTRY}/search/query-rewriter:2.8.4")]),
            Rev(12, chg, "helm upgrade", [c("query-rewriter", f"{REGISTRY}/search/query-rewriter:2.9.0")])]
    wl = inc.deployment("search", "query-rewriter", revs,
                        {11: [P(log=within(rust)) for _ in range(3)],
                         12: [P(state="crashloop", log=within(crash), exit_code=255, run_s=lambda n: 0.2)]},
                        replicas=3, progress="progressing")
    inc.pod_series(wl.pods, memory=False)
    herring(inc, "search", "synonyms-loader", f"{REGISTRY}/search/synonyms-loader", "1.1",
            AT11 - timedelta(minutes=36))
    plant(inc, "search", "opensearch-creds", "password", "opensearch", "OPENSEARCH_PASSWORD")
    pod = next(h.name for h in wl.pods if h.created >= chg)
    inc.alertmanager("KubePodCrashLooping", {"namespace": "search", "pod": pod, "container": "query-rewriter"},
                     "Pod is crash looping.",
                     f"Pod search/{pod} (query-rewriter) is in waiting state (reason: \"CrashLoopBackOff\").",
                     'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}[5m]) >= 1')
    inc.answer_key(culprit=("Deployment", "search", "query-rewriter"),
                   keywords=["exec format error", "arm64", "2.9.0"],
                   root_cause="query-rewriter's new revision runs image 2.9.0, built for arm64 only on the new ARM "
                              "runners; on the amd64 nodes the binary fails with exec format error and the pods loop",
                   category="single-arch-arm64-image-on-amd64-nodes",
                   red_herrings=[("Deployment", "search", "synonyms-loader")])
    return inc


# ---- 12 --------------------------------------------------------------------------------------------
AT12 = datetime(2026, 12, 4, 11, 37, tzinfo=UTC)


def quote_api_canary_failed() -> Incident:
    """A Flagger Canary's latency gate set below the service's normal p99: every release is rolled back.

    after: the progressive-delivery reports where a canary analysis threshold is tightened (or copied from
    another service) below what the stable version itself achieves; the canary fails its checks on
    ordinary latency, Flagger rolls back and the release never ships, while the metric is the same for
    primary and canary.

    pricing's Canary `quote-api` got `request-duration` max 250 ms (was 800) at 10:40; quote-api's p99 is
    about 420 ms for both the primary (4.1.3) and the canary (4.2.0). Flagger halted five times
    (`request duration 431ms > 250ms`) and rolled back. Simple: the paged Canary's own spec, status and
    Flagger's log.
    """
    inc = start(quote_api_canary_failed, "quote-api canary failed", AT12, 3412, ("pricing", "flagger-system"))
    chg = AT12 - timedelta(minutes=57)
    began = AT12 - timedelta(minutes=14)
    failed = AT12 - timedelta(seconds=30)
    custom(inc, "Canary", "flagger.app", "v1beta1", "canaries", "pricing", "quote-api",
           {"provider": "nginx", "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "quote-api"},
            "ingressRef": {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "name": "quote-api"},
            "progressDeadlineSeconds": 600, "service": {"port": 80, "targetPort": 8080},
            "analysis": {"interval": "1m", "threshold": 5, "maxWeight": 50, "stepWeight": 10,
                         "metrics": [{"name": "request-success-rate", "thresholdRange": {"min": 99}, "interval": "1m"},
                                     {"name": "request-duration", "thresholdRange": {"max": 250},
                                      "interval": "1m"}]}},
           {"phase": "Failed", "failedChecks": 0, "canaryWeight": 0, "iterations": 0,
            "lastAppliedSpec": "5d8f9c7b6d", "lastTransitionTime": ts(failed),
            "conditions": [{"type": "Promoted", "status": "False", "reason": "Failed",
                            "message": "Canary analysis failed, Deployment scaled to zero.",
                            "lastTransitionTime": ts(failed), "lastUpdateTime": ts(failed)}]},
           "kubectl-client-side-apply", chg, {"f:spec": {"f:analysis": {"f:metrics": {}}}})
    img = f"{REGISTRY}/pricing/quote-api"

    def quotes(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, 11, lambda i, t: L.js(t, "info", "quote served", route="/v1/quote",
                                                 status=200, duration_ms=140 + (i * 53) % 300))
    inc.deployment("pricing", "quote-api-primary",
                   [Rev(1, inc.born + timedelta(days=27), "flagger", [c("quote-api", f"{img}:4.1.3")])],
                   {1: [P(log=within(quotes)) for _ in range(3)]})
    inc.deployment("pricing", "quote-api",
                   [Rev(8, inc.born + timedelta(days=27), "helm upgrade", [c("quote-api", f"{img}:4.1.3")]),
                    Rev(9, began - timedelta(minutes=1), "helm upgrade", [c("quote-api", f"{img}:4.2.0")])],
                   {}, replicas=0)

    def flagger(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = [(began, zap(began, "info", "controller/events.go:33",
                                  "New revision detected! Scaling up quote-api.pricing", canary="quote-api.pricing"))]
        for k in range(5):
            t = began + timedelta(minutes=2 + 2 * k)
            out.append((t, zap(t, "info", "controller/events.go:33",
                               f"Halt quote-api.pricing advancement request duration {418 + 7 * k}ms > 250ms",
                               canary="quote-api.pricing")))
        out.append((failed - timedelta(seconds=2), zap(failed - timedelta(seconds=2), "info",
                                                       "controller/events.go:45",
                                                       "Rolling back quote-api.pricing failed checks threshold "
                                                       "reached 5", canary="quote-api.pricing")))
        out.append((failed, zap(failed, "info", "controller/events.go:45",
                                "Canary failed! Scaling down quote-api.pricing", canary="quote-api.pricing")))
        return out
    app(inc, "flagger-system", "flagger", "ghcr.io/fluxcd/flagger:1.39.0", 1, within(flagger))
    canary = inc.find("Canary", "pricing", "quote-api")
    inc.event(canary, "Synced", "Halt quote-api.pricing advancement request duration 432ms > 250ms",
              began + timedelta(minutes=2), failed - timedelta(seconds=40), count=5, component="flagger")
    inc.event(canary, "Synced", "Canary failed! Scaling down quote-api.pricing", failed, component="flagger")
    for variant in ("primary", "canary"):
        inc.series("nginx_ingress_controller_request_duration_seconds_p99", "gauge", "p99 of request duration.",
                   {"namespace": "pricing", "ingress": "quote-api" if variant == "primary" else "quote-api-canary",
                    "job": "ingress-nginx"}, lambda t: 0.42)
    inc.series("flagger_canary_status", "gauge", "Last canary analysis result",
               {"name": "quote-api", "namespace": "pricing", "job": "flagger"}, step(1, 2, failed))
    herring(inc, "pricing", "fx-rates", f"{REGISTRY}/pricing/fx-rates", "2.0", AT12 - timedelta(minutes=33))
    plant(inc, "pricing", "quote-api-partner", "token", "rates-partner", "PARTNER_API_TOKEN")
    send(inc, [alert(inc, "FlaggerCanaryFailed", {"namespace": "pricing", "name": "quote-api", "job": "flagger"},
                     "Canary quote-api failed and was rolled back.",
                     "Flagger rolled back canary pricing/quote-api (status 2).",
                     'flagger_canary_status{job="flagger"} > 1')], group=["alertname", "namespace"])
    inc.answer_key(culprit=("Canary", "pricing", "quote-api"),
                   keywords=["request-duration", "250", "threshold"],
                   root_cause="the Canary quote-api's request-duration threshold was cut to 250 ms, below the "
                              "~420 ms p99 that the stable primary also has; Flagger halts on every check "
                              "(threshold reached 5) and rolls back every release",
                   category="canary-latency-gate-below-baseline",
                   red_herrings=[("Deployment", "pricing", "fx-rates")])
    return inc


ALL = [thumbnail_backlog_grouped, invoice_api_pods_not_starting_page, app_node_evicting_pods_question,
       vector_pod_not_ready, order_sync_rollout_stuck, storefront_bff_burn, invoice_renderer_restarts_question,
       fraud_scoring_degraded_page,
       event_consumer_lag_rising, status_page_rollout_stuck, query_rewriter_crashloop, quote_api_canary_failed]
