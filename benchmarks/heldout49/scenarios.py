"""Round 49 of the held-out incident set: security controls and hardening as the cause of outages.

Each function builds one `Incident` on the corpus background; its docstring is the story (the answer): the
first line names the failure type, the second paragraph (`after: ...`) the kind of public postmortem, vendor
note or everyday on-call failure it re-creates (our own names and text, nothing copied). Every cause is a
hardening step that did what it was told: a read-only root filesystem, a trust bundle without public roots, a
seccomp profile re-recorded without clone3, capabilities dropped under an entrypoint that switches user,
runAsNonRoot against a named image user, an image-signature policy switched to enforce, a mesh namespace that
now wants mTLS identities, a log filter redacting fields a consumer reads, a server certificate re-issued without
its intermediate, a node sysctl that turns user namespaces off, client certificates required on an Ingress and
Secure-only cookies on a site served over plain HTTP. Each is seen from the application it hurts.
"""

from __future__ import annotations

import hashlib
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
from corpus.kit import REGISTRY, Incident, P, Rev, c, o, ts  # noqa: E402
from incidentgen import alerts as am  # noqa: E402

from benchmarks.heldout.scene import (  # noqa: E402
    changed,
    counter,
    crd,
    every,
    herring,
    node,
    plant,
    pod_log,
    revision,
    send,
    series,
    start,
    step,
    within,
)

Lines = list[tuple[datetime, str]]
Make = Callable[[str, datetime, datetime], Lines]
Tick = Callable[[int, datetime], str | None]

PROM = {"prometheus": "monitoring/kube-prometheus-stack-prometheus", "cluster": "prod-eu-west-1"}


# ---- helpers ---------------------------------------------------------------------------------------

def phases(at: datetime, before: Tick, after: Tick, step_s: float = 20) -> Make:
    """Pod logs that tick with `before` until `at` and with `after` from then on."""
    def make(pod: str, s: datetime, e: datetime) -> Lines:
        return every(s, e, step_s, lambda i, t: before(i, t) if t < at else after(i, t))
    return make


def steady(tick: Tick, step_s: float = 20) -> Make:
    """Pod logs that tick the same way all along; each replica starts at its own offset."""
    def make(pod: str, s: datetime, e: datetime) -> Lines:
        digest = int(hashlib.sha256(pod.encode()).hexdigest()[:8], 16)
        off, shift = digest % max(1, int(step_s)), digest % 997
        return every(s + timedelta(seconds=off), e, step_s, lambda i, t: tick(i + shift, t))
    return make


def boot(lines: list[tuple[float, str | Callable[[datetime], str]]]) -> Make:
    """A short container run's output: lines a fraction of a second after the container starts (a callable
    line is given its own time, for formats that print one)."""
    def make(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = []
        for dt, text in lines:
            t = s + timedelta(seconds=dt)
            out.append((t, text(t) if callable(text) else text))
        return out
    return make


def alert(inc: Incident, name: str, labels: dict[str, str], summary: str, description: str, expr: str,
          severity: str = "warning") -> dict[str, Any]:
    """One Prometheus-style alert (not yet sent)."""
    full = {"alertname": name, **labels, "severity": severity, **PROM}
    ann = {"summary": summary, "description": description,
           "runbook_url": f"https://runbooks.example.com/alerts/{name.lower()}"}
    return am.alert(full, ann, inc.at, expr)


def custom(inc: Incident, kind: str, api: str, plural: str, ns: str, name: str, spec: dict[str, Any],
           status: dict[str, Any], manager: str, chg: datetime, fields: dict[str, Any],
           scope: str = "Namespaced") -> dict[str, Any]:
    """A custom resource (with its CRD) created weeks ago by Argo CD and last changed by `manager` at `chg`."""
    group, version = api.split("/")
    crd(inc, kind, group, plural, scope, version)
    meta: dict[str, Any] = {"name": name, "generation": 6}
    if ns:
        meta["namespace"] = ns
    obj = inc.add({"apiVersion": api, "kind": kind, "metadata": meta, "spec": spec, "status": status})
    return changed(obj, ("argocd-controller", "Apply", inc.born + timedelta(days=4), {"f:spec": {}}),
                   (manager, "Update", chg, fields))


def tally(inc: Incident, family: str, help_: str, labels: dict[str, str], fn: Callable[[datetime], float | None]
          ) -> None:
    series(inc, family, "counter", help_, labels, fn, 30)


def gauge(inc: Incident, family: str, help_: str, labels: dict[str, str], fn: Callable[[datetime], float | None]
          ) -> None:
    series(inc, family, "gauge", help_, labels, fn, 30)


def pino(t: datetime, level: int, msg: str, **fields: object) -> str:
    """A pino JSON line (numeric level, epoch milliseconds)."""
    return json.dumps({"level": level, "time": int(t.timestamp() * 1000), "pid": 1, "hostname": "", "msg": msg,
                       **fields}, separators=(",", ":"))


def zap(t: datetime, level: str, caller: str, msg: str, **fields: object) -> str:
    """A zap production JSON line."""
    return json.dumps({"level": level, "ts": round(t.timestamp(), 6), "caller": caller, "msg": msg, **fields},
                      separators=(",", ":"))


def pyts(t: datetime) -> str:
    """Python logging's default asctime (comma before the milliseconds)."""
    return t.strftime("%Y-%m-%d %H:%M:%S,") + f"{t.microsecond // 1000:03d}"


def pem(label: str, seed: str, lines: int = 6) -> str:
    """A PEM block of the right shape (the body is filler, not a real certificate)."""
    body = [hashlib.sha512(f"{seed}/{i}".encode()).hexdigest()[:64] for i in range(lines)]
    return "\n".join([f"-----BEGIN {label}-----", *body, f"-----END {label}-----"]) + "\n"


def touched(obj: dict[str, Any], generation: int) -> None:
    """Bump an object's generation the way the API server does after a spec change."""
    obj["metadata"]["generation"] = generation


# ---- 1: nginx under a read-only root filesystem ---------------------------------------------------
AT1 = datetime(2026, 12, 5, 9, 40, tzinfo=UTC)


def storefront_edge_crashloop() -> Incident:
    """Read-only root filesystem breaks nginx's temp directories: the edge pods crash-loop on start.

    after: the common hardening-rollout failure where a chart's securityContext gains
    `readOnlyRootFilesystem: true` and the official nginx image can no longer create /var/cache/nginx/*_temp
    (or rewrite its config in the entrypoint) because no emptyDir was mounted there; the new ReplicaSet
    crash-loops while the old one keeps serving (simple: the cause is in the failing pod's own spec and logs).
    """
    inc = start(storefront_edge_crashloop, "storefront-edge pod crash looping", AT1, 4901, ("edge",))
    old = c("storefront-edge", "docker.io/library/nginx:1.27.3-alpine", port=8080)
    new = c("storefront-edge", "docker.io/library/nginx:1.27.3-alpine", port=8080)
    hardened = {"securityContext": {"readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False,
                                    "runAsNonRoot": True, "runAsUser": 101,
                                    "capabilities": {"drop": ["ALL"]}}}
    chg = AT1 - timedelta(minutes=14)

    def access(i: int, t: datetime) -> str:
        path = ["/", "/static/app.9c1e.js", "/static/app.3f.css", "/products/espresso-grinder"][i % 4]
        return (f'10.0.{12 + i % 3}.{40 + i % 50} - - [{t.strftime("%d/%b/%Y:%H:%M:%S +0000")}] "GET {path} '
                f'HTTP/1.1" 200 {1200 + (i * 37) % 9000} "-" "Mozilla/5.0" "203.0.113.{i % 200}"')

    crash = boot([
        (0.05, "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration"),
        (0.06, "/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/"),
        (0.07, "/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh"),
        (0.09, "10-listen-on-ipv6-by-default.sh: info: can not modify /etc/nginx/conf.d/default.conf "
               "(read-only file system?)"),
        (0.10, "/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh"),
        (0.11, "/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh"),
        (0.13, "/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh"),
        (0.14, "/docker-entrypoint.sh: Configuration complete; ready for start up"),
        (0.16, lambda t: f'{t.strftime("%Y/%m/%d %H:%M:%S")} [emerg] 1#1: mkdir() '
                         '"/var/cache/nginx/client_temp" failed (30: Read-only file system)'),
        (0.17, 'nginx: [emerg] mkdir() "/var/cache/nginx/client_temp" failed (30: Read-only file system)'),
    ])
    revs = [Rev(1, inc.born + timedelta(days=10), "helm upgrade", [old]),
            Rev(2, chg, "helm upgrade", [new], container=hardened)]
    inc.deployment("edge", "storefront-edge", revs,
                   {1: [P(log=within(steady(access, 4))) for _ in range(3)],
                    2: [P(state="crashloop", log=within(crash), exit_code=1, created=chg + timedelta(seconds=15),
                          run_s=lambda n: 0.4)]},
                   progress="progressing", replicas=3)
    herring(inc, "edge", "edge-geoip", f"{REGISTRY}/edge/edge-geoip", "2.3.0", "2.3.1",
            AT1 - timedelta(minutes=50))
    plant(inc, "edge", "storefront-edge-origin-auth", "token", "origin-shield", "ORIGIN_SHARED_SECRET")
    pod = inc.pods_of("edge", "storefront-edge")[-1]
    inc.pod_series(inc.pods_of("edge", "storefront-edge"))
    inc.alertmanager("KubePodCrashLooping", {"namespace": "edge", "pod": pod.name, "container": "storefront-edge",
                                             "job": "kube-state-metrics"},
                     "Pod is crash looping.",
                     f"Pod edge/{pod.name} (storefront-edge) is in waiting state (reason: \"CrashLoopBackOff\").",
                     'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff",'
                     'job="kube-state-metrics"}[5m]) >= 1')
    inc.answer_key(culprit=("Deployment", "edge", "storefront-edge"),
                   keywords=["readOnlyRootFilesystem", "client_temp", "Read-only file system"],
                   root_cause="Revision 2 of storefront-edge added a hardened securityContext with "
                              "readOnlyRootFilesystem: true but no writable emptyDir for /var/cache/nginx: nginx "
                              "cannot mkdir client_temp (30: Read-only file system) and exits on start.",
                   category="read-only-root-filesystem-nginx-temp-dirs",
                   red_herrings=[("Deployment", "edge", "edge-geoip")])
    return inc


# ---- 2: trust-manager Bundle without the public roots ----------------------------------------------
AT2 = datetime(2026, 12, 5, 14, 5, tzinfo=UTC)


def notification_sends_failing_page() -> Incident:
    """A trust-manager Bundle edited to drop `useDefaultCAs`: the shared CA ConfigMap loses every public root.

    after: the platform-PKI change described in trust-manager issue threads and internal postmortems where
    a cluster-wide trust bundle is narrowed to the company CAs only; every app that points its HTTP client's
    CA file at the distributed ConfigMap (REQUESTS_CA_BUNDLE, SSL_CERT_FILE) can still reach internal services
    but fails certificate verification against public SaaS APIs.
    """
    inc = start(notification_sends_failing_page, "notifications not being delivered", AT2, 4902,
                ("notify", "cert-manager"))
    chg = AT2 - timedelta(minutes=38)
    corp_root, corp_issuing = pem("CERTIFICATE", "corp-root"), pem("CERTIFICATE", "corp-issuing-2026")
    custom(inc, "Bundle", "trust.cert-manager.io/v1alpha1", "bundles", "", "platform-ca-bundle",
           {"sources": [{"secret": {"name": "corp-root-ca", "key": "ca.crt"}},
                        {"secret": {"name": "corp-issuing-ca-2026", "key": "ca.crt"}}],
            "target": {"configMap": {"key": "ca-bundle.crt"},
                       "namespaceSelector": {"matchLabels": {"trust.example.com/inject": "enabled"}}}},
           {"conditions": [{"type": "Synced", "status": "True", "reason": "Synced",
                            "message": "Successfully synced Bundle to all namespaces",
                            "lastTransitionTime": ts(chg + timedelta(seconds=2)), "observedGeneration": 6}]},
           "kubectl-edit", chg,
           {"f:spec": {"f:sources": {}}},
           scope="Cluster")
    cm = inc.configmap("notify", "platform-ca-bundle", {"ca-bundle.crt": corp_root + corp_issuing},
                       annotations={"trust.cert-manager.io/hash": hashlib.sha256(b"v2").hexdigest()})
    cm["metadata"]["labels"] = {"trust.cert-manager.io/bundle": "platform-ca-bundle"}
    cm["metadata"]["ownerReferences"] = [{"apiVersion": "trust.cert-manager.io/v1alpha1", "kind": "Bundle",
                                          "name": "platform-ca-bundle", "controller": True,
                                          "blockOwnerDeletion": True, "uid": o.uid("bundle", "", "platform-ca-bundle")}]
    changed(cm, ("trust-manager", "Apply", chg + timedelta(seconds=2),
                 {"f:data": {"f:ca-bundle.crt": {}}, "f:metadata": {"f:annotations": {}}}))

    def tm_log(pod: str, s: datetime, e: datetime) -> Lines:
        out: Lines = []
        for t in L.every(s, e, 600):
            gen = 5 if t < chg else 6
            out.append((t, f'I{t.strftime("%m%d %H:%M:%S.%f")}       1 bundle.go:196] "syncing bundle" '
                           f'logger="trust-manager.bundle" bundle="platform-ca-bundle" generation={gen}'))
        out.append((chg + timedelta(seconds=1), f'I{chg.strftime("%m%d %H:%M:%S.%f")}       1 bundle.go:311] '
                    '"successfully synced bundle to namespace" logger="trust-manager.bundle" '
                    'bundle="platform-ca-bundle" namespace="notify"'))
        return out

    inc.deployment("cert-manager", "trust-manager", [Rev(1, inc.born + timedelta(days=8), "helm upgrade",
                   [c("trust-manager", "quay.io/jetstack/trust-manager:v0.12.0", port=6443)])],
                   {1: [P(log=within(tm_log))]})

    def dispatch(i: int, t: datetime) -> str:
        nid = L.uuidish("notif", i)
        if i % 3 == 0:
            return (f"{pyts(t)} INFO [dispatcher.templates] rendered template=order_shipped locale=en-GB "
                    f"source=https://templates.notify.svc:8443 id={nid}")
        host, url = (("api.sendgrid.com", "/v3/mail/send") if i % 2 else ("fcm.googleapis.com",
                     "/v1/projects/acme-shop/messages:send"))
        if t < chg + timedelta(minutes=1):
            return f"{pyts(t)} INFO [dispatcher.send] delivered id={nid} provider={host.split('.')[1]} status=202"
        return (f"{pyts(t)} ERROR [dispatcher.send] send failed id={nid} provider={host.split('.')[1]} attempt=3\n"
                "Traceback (most recent call last):\n"
                '  File "/usr/local/lib/python3.12/site-packages/urllib3/connectionpool.py", line 464, in '
                "_make_request\n    self._validate_conn(conn)\n"
                '  File "/usr/local/lib/python3.12/site-packages/urllib3/connection.py", line 741, in connect\n'
                "    sock_and_verified = _ssl_wrap_socket_and_match_hostname(\n"
                "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
                "unable to get local issuer certificate (_ssl.c:1006)\n\n"
                "During handling of the above exception, another exception occurred:\n\n"
                "Traceback (most recent call last):\n"
                '  File "/app/dispatcher/send.py", line 88, in deliver\n'
                "    resp = self.session.post(url, json=payload, timeout=10)\n"
                f"requests.exceptions.SSLError: HTTPSConnectionPool(host='{host}', port=443): Max retries exceeded "
                f"with url: {url} (Caused by SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED]"
                " certificate verify failed: unable to get local issuer certificate (_ssl.c:1006)')))")

    env = [{"name": "REQUESTS_CA_BUNDLE", "value": "/etc/ssl/platform/ca-bundle.crt"},
           {"name": "SENDGRID_API_KEY", "valueFrom": {"secretKeyRef": {"name": "sendgrid", "key": "api-key"}}}]
    vol = {"volumes": [{"name": "platform-ca", "configMap": {"name": "platform-ca-bundle"}}]}
    inc.deployment("notify", "notification-dispatcher",
                   [Rev(1, inc.born + timedelta(days=20), "helm upgrade",
                        [c("notification-dispatcher", f"{REGISTRY}/notify/notification-dispatcher:3.2.1", env=env)],
                        pod_spec=vol,
                        container={"volumeMounts": [{"name": "platform-ca", "mountPath": "/etc/ssl/platform",
                                                     "readOnly": True}]})],
                   {1: [P(log=within(steady(dispatch, 9))) for _ in range(2)]})
    ns_obj = inc.find("Namespace", "", "notify")
    ns_obj["metadata"].setdefault("labels", {})["trust.example.com/inject"] = "enabled"
    herring(inc, "notify", "template-renderer", f"{REGISTRY}/notify/template-renderer", "1.8.0", "1.9.0",
            AT2 - timedelta(minutes=25))
    plant(inc, "notify", "sendgrid", "token", "sendgrid", "api-key", "SG.{}")
    for provider in ("sendgrid", "fcm"):
        for result, before, after in (("delivered", 1.4, 0.0), ("tls_error", 0.0, 1.4)):
            tally(inc, "notifications_sent_total", "Notifications handed to a provider, by outcome.",
                  {"namespace": "notify", "service": "notification-dispatcher", "provider": provider,
                   "result": result}, counter(AT2 - timedelta(hours=2), before, after, chg + timedelta(minutes=1)))
    gauge(inc, "notification_outbox_pending", "Notifications waiting in the outbox.",
          {"namespace": "notify", "service": "notification-dispatcher"},
          lambda t: 12.0 if t < chg else 12.0 + (t - chg).total_seconds() * 2.6)
    inc.pagerduty("Email and push notifications not delivered: notification-dispatcher outbox growing",
                  "notification-dispatcher")
    inc.answer_key(culprit=("Bundle", "", "platform-ca-bundle"),
                   keywords=["useDefaultCAs", "CERTIFICATE_VERIFY_FAILED", "public root"],
                   root_cause="The trust-manager Bundle platform-ca-bundle was edited to list only the corporate "
                              "CAs (useDefaultCAs dropped, so no public root is left); trust-manager rewrote the "
                              "platform-ca-bundle ConfigMap "
                              "that REQUESTS_CA_BUNDLE points at, so calls to SendGrid and FCM fail "
                              "CERTIFICATE_VERIFY_FAILED while internal calls still work.",
                   category="trust-bundle-drops-public-roots",
                   red_herrings=[("Deployment", "notify", "template-renderer")])
    return inc


# ---- 3: seccomp profile without clone3 -------------------------------------------------------------
AT3 = datetime(2026, 12, 5, 11, 25, tzinfo=UTC)


def content_ssr_replicas_missing() -> Incident:
    """A re-recorded SeccompProfile omits clone3: Node.js pods created since cannot start a thread.

    after: the seccomp-versus-glibc failure reported for container runtimes and the Security Profiles
    Operator, where a profile built from a recording lacks clone3 and answers EPERM instead of ENOSYS, so
    glibc never falls back to clone and libuv's thread creation aborts; pods running before the change keep
    their old profile, every pod created after it dies at start.
    """
    inc = start(content_ssr_replicas_missing, "content-ssr replicas unavailable", AT3, 4903, ("content",))
    chg = AT3 - timedelta(hours=3, minutes=10)
    base = ["accept4", "access", "arch_prctl", "bind", "brk", "close", "connect", "epoll_create1", "epoll_ctl",
            "epoll_pwait", "eventfd2", "execve", "exit", "exit_group", "fcntl", "fstat", "futex", "getpid",
            "getrandom", "ioctl", "listen", "lseek", "madvise", "mmap", "mprotect", "munmap", "openat", "pipe2",
            "prctl", "pread64", "read", "recvfrom", "rt_sigaction", "rt_sigprocmask", "sched_getaffinity",
            "sendto", "set_robust_list", "set_tid_address", "setsockopt", "socket", "statx", "uname", "write"]
    prof = custom(inc, "SeccompProfile", "security-profiles-operator.x-k8s.io/v1beta1", "seccompprofiles",
                  "content", "node-runtime",
                  {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],
                   "syscalls": [{"action": "SCMP_ACT_ALLOW", "names": base}]},
                  {"status": "Installed", "localhostProfile": "operator/content/node-runtime.json",
                   "activeWorkloads": ["content/content-ssr"]},
                  "kubectl-client-side-apply", chg, {"f:spec": {"f:syscalls": {}}})
    prof["metadata"]["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration": json.dumps(
        {"apiVersion": "security-profiles-operator.x-k8s.io/v1beta1", "kind": "SeccompProfile",
         "metadata": {"name": "node-runtime", "namespace": "content",
                      "labels": {"spo.x-k8s.io/recording-id": "content-ssr-rec-20261204"}},
         "spec": {"defaultAction": "SCMP_ACT_ERRNO"}}, separators=(",", ":"))}
    prof["metadata"]["labels"] = {"spo.x-k8s.io/recording-id": "content-ssr-rec-20261204"}
    for n in inc.node_names():
        inc.event(prof, "SavedSeccompProfile", f"Successfully saved profile to disk on {n}", chg + timedelta(
            seconds=4), warning=False, component="spod", host=n)

    def serve(i: int, t: datetime) -> str:
        path = ["/", "/guides/brewing", "/api/content/home", "/guides/cold-brew"][i % 4]
        return pino(t, 30, "request completed", req={"method": "GET", "url": path}, res={"statusCode": 200},
                    responseTime=18 + (i * 7) % 60)

    abort = boot([
        (0.3, lambda t: pino(t, 30, "starting content-ssr", version="5.4.0", node="v22.11.0")),
        (0.4, "node[1]: ../src/node_platform.cc:68:std::unique_ptr<long unsigned int> node::WorkerThreadsTaskRunner"
              "::DelayedTaskScheduler::Start(): Assertion `(0) == (uv_thread_create(t.get(), start_thread, this))' "
              "failed."),
        (0.41, " 1: 0xe2a5c1 node::Abort() [node]"),
        (0.42, " 2: 0xd1f0b7 node::Assert(node::AssertionInfo const&) [node]"),
        (0.43, " 3: 0xec77c2 node::WorkerThreadsTaskRunner::WorkerThreadsTaskRunner(int) [node]"),
        (0.44, " 4: 0xec78e4 node::NodePlatform::NodePlatform(int, v8::TracingController*, "
               "v8::PageAllocator*) [node]"),
        (0.45, " 5: 0xdf1c55 node::InitializeOncePerProcess(...) [node]"),
    ])
    sc = {"securityContext": {"seccompProfile": {"type": "Localhost",
                                                 "localhostProfile": "operator/content/node-runtime.json"}}}
    moved = AT3 - timedelta(minutes=9)
    wl = inc.deployment("content", "content-ssr",
                        [Rev(1, inc.born + timedelta(days=18), "helm upgrade",
                             [c("content-ssr", f"{REGISTRY}/content/content-ssr:5.4.0", port=3000)], pod_spec=sc)],
                        {1: [P(log=within(steady(serve, 3))), P(log=within(steady(serve, 3))),
                             P(state="crashloop", log=within(abort), exit_code=134, created=moved,
                               node=node(inc, 2)),
                             P(state="crashloop", log=within(abort), exit_code=134, created=moved + timedelta(
                                 seconds=3), node=node(inc, 3))]})
    rs = inc.find("ReplicaSet", "content", wl.rs[1])
    for h in wl.pods[2:]:
        inc.event(rs, "SuccessfulCreate", f"Created pod: {h.name}", h.created, warning=False,
                  component="replicaset-controller")
    herring(inc, "content", "content-api", f"{REGISTRY}/content/content-api", "3.1.4", "3.2.0",
            AT3 - timedelta(minutes=40))
    plant(inc, "content", "content-ssr-cms", "token", "cms-preview", "CMS_PREVIEW_TOKEN")
    inc.pod_series(wl.pods)
    tally(inc, "http_requests_total", "Requests served.", {"namespace": "content", "service": "content-ssr",
                                                            "code": "200"},
          counter(AT3 - timedelta(hours=2), 42.0, 42.0, AT3))
    inc.alertmanager("KubeDeploymentReplicasMismatch",
                     {"namespace": "content", "deployment": "content-ssr", "job": "kube-state-metrics"},
                     "Deployment has not matched the expected number of replicas.",
                     "Deployment content/content-ssr has not matched the expected number of replicas for longer "
                     "than 15 minutes.",
                     '(kube_deployment_spec_replicas{job="kube-state-metrics"} > '
                     'kube_deployment_status_replicas_available{job="kube-state-metrics"})')
    inc.answer_key(culprit=("SeccompProfile", "content", "node-runtime"),
                   keywords=["clone3", "seccomp", "uv_thread_create"],
                   root_cause="The SeccompProfile node-runtime was re-applied from a new recording without "
                              "clone3; its default SCMP_ACT_ERRNO returns EPERM, glibc does not fall back, and "
                              "Node's uv_thread_create fails so every content-ssr pod created since aborts (134).",
                   category="seccomp-profile-omits-clone3",
                   red_herrings=[("Deployment", "content", "content-api")])
    return inc


# ---- 4: capabilities dropped under gosu -------------------------------------------------------------
AT4 = datetime(2026, 12, 5, 16, 20, tzinfo=UTC)


def basket_errors_grouped() -> Incident:
    """Dropping ALL capabilities on the Redis StatefulSet: the image's entrypoint cannot switch user.

    after: the hardening failure seen with official database images whose entrypoint starts as root and
    steps down with gosu/su-exec: with `capabilities.drop: [ALL]` and no SETUID/SETGID the switch fails
    ("failed switching to ... operation not permitted"), the server never starts and its clients see
    connection refused.
    """
    inc = start(basket_errors_grouped, "basket errors and latency", AT4, 4904, ("basket",))
    chg = AT4 - timedelta(minutes=11)
    img = "docker.io/library/redis:7.2.5"
    crash = boot([(0.2, 'error: failed switching to "redis": operation not permitted')])
    wl = inc.statefulset("basket", "basket-redis", [c("basket-redis", img, port=6379)],
                         [P(state="crashloop", log=within(crash), exit_code=1, created=chg + timedelta(seconds=8),
                            run_s=lambda n: 0.3)], chg - timedelta(days=30),
                         claims=[("data", "8Gi", "gp3")], service=6379)
    sts = wl.obj
    box = sts["spec"]["template"]["spec"]["containers"][0]
    box["args"] = ["redis-server", "/etc/redis/redis.conf"]
    hardened = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                "seccompProfile": {"type": "RuntimeDefault"}}
    box["securityContext"] = hardened
    old_t = {"metadata": {"labels": {"app": "basket-redis"}},
             "spec": {"containers": [{"name": "basket-redis", "image": img,
                                      "args": ["redis-server", "/etc/redis/redis.conf"]}]}}
    new_t = json.loads(json.dumps(old_t))
    new_t["spec"]["containers"][0]["securityContext"] = hardened
    r1 = revision(inc, "StatefulSet", "basket", "basket-redis", 1, inc.born + timedelta(days=6), old_t)
    r2 = revision(inc, "StatefulSet", "basket", "basket-redis", 2, chg, new_t)
    touched(sts, 4)
    sts["status"].update({"currentRevision": r1, "updateRevision": r2, "readyReplicas": 0,
                          "availableReplicas": 0, "observedGeneration": 4, "updatedReplicas": 1,
                          "currentReplicas": 0})
    changed(sts, ("helm", "Update", chg, {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}}))
    wl.pods[0].labels["controller-revision-hash"] = r2

    def harden(pod: dict[str, Any]) -> None:
        pod["spec"]["containers"][0]["securityContext"] = hardened
        pod["spec"]["containers"][0]["args"] = ["redis-server", "/etc/redis/redis.conf"]

    inc.cluster.patch("basket", wl.pods[0].name, harden)

    def api(i: int, t: datetime) -> str:
        if t < chg:
            return zap(t, "info", "http/log.go:58", "request", method="GET", path="/v1/baskets/{id}", status=200,
                       dur_ms=4 + i % 6)
        return zap(t, "error", "store/redis.go:112", "load basket", basket_id=L.uuidish("bk", i),
                   error="dial tcp 10.100.41.18:6379: connect: connection refused")

    inc.deployment("basket", "basket-api", [Rev(1, inc.born + timedelta(days=15), "helm upgrade",
                   [c("basket-api", f"{REGISTRY}/basket/basket-api:2.11.0",
                      env=[{"name": "REDIS_ADDR", "value": "basket-redis.basket.svc:6379"}])])],
                   {1: [P(log=within(steady(api, 3))) for _ in range(3)]})
    herring(inc, "basket", "basket-promotions", f"{REGISTRY}/basket/basket-promotions", "1.6.2", "1.7.0",
            AT4 - timedelta(minutes=30))
    plant(inc, "basket", "basket-redis-auth", "password", "redis", "requirepass")
    inc.pod_series(wl.pods)
    for code, before, after in (("200", 55.0, 4.0), ("503", 0.1, 51.0)):
        tally(inc, "http_server_requests_total", "HTTP requests by status.",
              {"namespace": "basket", "service": "basket-api", "code": code},
              counter(AT4 - timedelta(hours=2), before, after, chg + timedelta(seconds=30)))
    alerts = [
        alert(inc, "BasketAPIHighErrorRate", {"namespace": "basket", "service": "basket-api", "team": "basket"},
              "basket-api 5xx ratio above 5%", "basket-api is answering 92% of requests with 5xx.",
              'sum(rate(http_server_requests_total{service="basket-api",code=~"5.."}[5m])) / '
              'sum(rate(http_server_requests_total{service="basket-api"}[5m])) > 0.05', "critical"),
        alert(inc, "BasketAPILatencyHigh", {"namespace": "basket", "service": "basket-api", "team": "basket"},
              "basket-api p99 above 1s", "p99 latency of basket-api is 3.1s.",
              'histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket'
              '{service="basket-api"}[5m]))) > 1'),
        alert(inc, "CheckoutBasketFetchFailures", {"namespace": "shop", "service": "checkout", "team": "basket"},
              "checkout cannot load baskets", "checkout's basket client fails 40 times a second.",
              'sum(rate(basket_client_errors_total{service="checkout"}[5m])) > 1'),
    ]
    send(inc, alerts, ["team"])
    inc.answer_key(culprit=("StatefulSet", "basket", "basket-redis"),
                   keywords=["gosu", "SETUID", "capabilities"],
                   root_cause="Revision 2 of the basket-redis StatefulSet drops ALL capabilities; the official "
                              "image's entrypoint starts as root and switches to the redis user with gosu, which "
                              "needs SETUID/SETGID: 'failed switching to \"redis\": operation not permitted', "
                              "Redis never starts and basket-api gets connection refused.",
                   category="dropped-capabilities-break-gosu",
                   red_herrings=[("Deployment", "basket", "basket-promotions")])
    return inc


# ---- 5: runAsNonRoot with a non-numeric image user --------------------------------------------------
AT5 = datetime(2026, 12, 6, 2, 25, tzinfo=UTC)


def invoice_export_job_stuck() -> Incident:
    """runAsNonRoot added to a CronJob whose image names its user: the kubelet cannot verify it, no container.

    after: the everyday Pod Security hardening ticket where `runAsNonRoot: true` is set without `runAsUser`
    on an image whose Dockerfile says `USER node`; the kubelet refuses with CreateContainerConfigError
    ("image has non-numeric user ... cannot verify user is non-root") and the nightly job never runs
    (simple: the cause is in the CronJob's own spec and its pod's events).
    """
    inc = start(invoice_export_job_stuck, "invoice export job not completed", AT5, 4905, ("finance",))
    chg = AT5 - timedelta(hours=17)
    image = f"{REGISTRY}/finance/invoice-export:1.9.3"
    sec = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    jt: dict[str, Any] = {"spec": {"backoffLimit": 2, "activeDeadlineSeconds": 7200,
                   "template": {"spec": {"restartPolicy": "Never", "securityContext": sec,
                                         "serviceAccountName": "invoice-export",
                                         "containers": [{"name": "invoice-export", "image": image,
                                                         "args": ["node", "dist/export.js", "--period=daily"]}]}}}}
    cj = inc.add({"apiVersion": "batch/v1", "kind": "CronJob",
                  "metadata": {"name": "invoice-export", "namespace": "finance", "generation": 9,
                               "labels": {"app.kubernetes.io/managed-by": "Helm"},
                               "annotations": {"meta.helm.sh/release-name": "invoice-export"}},
                  "spec": {"schedule": "0 2 * * *", "concurrencyPolicy": "Forbid", "successfulJobsHistoryLimit": 3,
                           "failedJobsHistoryLimit": 1, "jobTemplate": jt},
                  "status": {"lastScheduleTime": ts(AT5 - timedelta(minutes=25)),
                             "lastSuccessfulTime": ts(AT5 - timedelta(days=1, minutes=13))}})
    changed(cj, ("helm", "Update", chg,
                 {"f:spec": {"f:jobTemplate": {"f:spec": {"f:template": {"f:spec": {"f:securityContext": {}}}}}}}))
    for day, ok in ((1, True), (0, False)):
        when = AT5 - timedelta(days=day, minutes=25)
        name = f"invoice-export-{int(when.timestamp()) // 60}"
        status: dict[str, Any] = {"startTime": ts(when), "active": 0 if ok else 1}
        if ok:
            status.update({"succeeded": 1, "completionTime": ts(when + timedelta(minutes=12)),
                           "conditions": [{"type": "Complete", "status": "True"}]})
        job = inc.add({"apiVersion": "batch/v1", "kind": "Job",
                       "metadata": {"name": name, "namespace": "finance", "creationTimestamp": ts(when),
                                    "labels": {"job-name": name},
                                    "ownerReferences": [o.owner_ref("CronJob", "invoice-export", "finance")]},
                       "spec": {**jt["spec"], "template": {**jt["spec"]["template"],
                                                           "spec": {**jt["spec"]["template"]["spec"],
                                                                    "securityContext": sec if not ok else {}}}},
                       "status": status})
        inc.event(cj, "SuccessfulCreate", f"Created job {name}", when, warning=False, component="cronjob-controller")
        if ok:
            continue
        pod_name = f"{name}-{o.suffix(name, 5)}"
        msg = (f'container has runAsNonRoot and image has non-numeric user (node), cannot verify user is non-root '
               f'(pod: "{pod_name}_finance({o.uid("pod", "finance", pod_name)})", container: invoice-export)')
        r = Rev(1, when, "cronjob", [c("invoice-export", image, port=None)])
        inc._pod("finance", name, pod_name, r,  # the Job's single pod, as the kit builds any waiting pod
                 P(state="waiting", waiting_reason="CreateContainerConfigError", message=msg,
                   created=when + timedelta(seconds=1)), 0,
                 {"job-name": name, "batch.kubernetes.io/job-name": name}, o.owner_ref("Job", name, "finance"))
        inc.event(job, "SuccessfulCreate", f"Created pod: {pod_name}", when + timedelta(seconds=1), warning=False,
                  component="job-controller")
    herring(inc, "finance", "ledger-api", f"{REGISTRY}/finance/ledger-api", "6.2.0", "6.2.1",
            AT5 - timedelta(hours=3))
    plant(inc, "finance", "invoice-export-sftp", "password", "bank-sftp", "SFTP_PASSWORD")
    job_name = f"invoice-export-{int((AT5 - timedelta(minutes=25)).timestamp()) // 60}"
    gauge(inc, "kube_job_status_active", "The number of actively running pods.",
          {"namespace": "finance", "job_name": job_name, "job": "kube-state-metrics"}, lambda t: 1.0)
    inc.alertmanager("KubeJobNotCompleted", {"namespace": "finance", "job_name": job_name,
                                             "job": "kube-state-metrics"},
                     "Job did not complete in time",
                     f"Job finance/{job_name} is taking more than 20 minutes to complete.",
                     'time() - max by (namespace, job_name, cluster) (kube_job_status_start_time'
                     '{job="kube-state-metrics"} and kube_job_status_active{job="kube-state-metrics"} > 0) > 1200')
    inc.answer_key(culprit=("CronJob", "finance", "invoice-export"),
                   keywords=["runAsNonRoot", "non-numeric user", "runAsUser"],
                   root_cause="The invoice-export CronJob's pod template gained runAsNonRoot: true without a "
                              "numeric runAsUser; the image has the non-numeric user 'node', so the kubelet cannot "
                              "verify it is "
                              "non-root and leaves the container in CreateContainerConfigError.",
                   category="runasnonroot-non-numeric-image-user",
                   red_herrings=[("Deployment", "finance", "ledger-api")])
    return inc


# ---- 6: image-signature policy switched to enforce --------------------------------------------------
AT6 = datetime(2026, 12, 5, 13, 10, tzinfo=UTC)


def feature_freshness_page() -> Incident:
    """A ClusterImagePolicy moved from warn to enforce: pods of an image signed by another pipeline are refused.

    after: the supply-chain rollout failure written up around Sigstore policy-controller and similar
    admission checks, where a keyless-signature policy is switched to enforce while one team's images are
    still signed by a legacy CI identity; nothing changes until pods need re-creating (a node consolidation),
    and then the ReplicaSet cannot create them.
    """
    inc = start(feature_freshness_page, "feature freshness SLA breached", AT6, 4906, ("ml", "cosign-system"))
    chg = AT6 - timedelta(minutes=55)
    custom(inc, "ClusterImagePolicy", "policy.sigstore.dev/v1beta1", "clusterimagepolicies", "",
           "internal-images-signed",
           {"mode": "enforce",
            "images": [{"glob": f"{REGISTRY}/**"}],
            "authorities": [{"name": "github-release",
                             "keyless": {"url": "https://fulcio.sigstore.dev",
                                         "identities": [{"issuer": "https://token.actions.githubusercontent.com",
                                                         "subjectRegExp": "^https://github.com/acme-shop/.+/"
                                                                          ".github/workflows/release.yml@refs/heads/main$"}]},
                             "ctlog": {"url": "https://rekor.sigstore.dev"}}]},
           {}, "kubectl-edit", chg, {"f:spec": {"f:mode": {}}}, scope="Cluster")
    ns = inc.find("Namespace", "", "ml")
    ns["metadata"].setdefault("labels", {})["policy.sigstore.dev/include"] = "true"
    image = f"{REGISTRY}/ml/feature-builder@sha256:{hashlib.sha256(b'fb-7.3.0').hexdigest()}"
    consolidated = AT6 - timedelta(minutes=22)

    def build(i: int, t: datetime) -> str:
        return (f"{t.strftime('%Y-%m-%d %H:%M:%S,')}{t.microsecond // 1000:03d} INFO feature_builder.pipeline: "
                f"materialized feature_view=user_affinity rows={41000 + i * 13} lag_s={22 + i % 9}")

    wl = inc.deployment("ml", "feature-builder",
                        [Rev(1, inc.born + timedelta(days=16), "helm upgrade", [c("feature-builder", image)])],
                        {1: [P(log=within(steady(build, 30)), node=node(inc, 0))]}, replicas=3)
    rs = inc.find("ReplicaSet", "ml", wl.rs[1])
    rs["spec"]["replicas"] = 3
    denial = (f'Error creating: admission webhook "policy.sigstore.dev" denied the request: validation failed: '
              f'failed policy: internal-images-signed: spec.containers[0].image\n{image} signature keyless '
              f'validation failed for authority github-release for {image}: no matching signatures:\n'
              'none of the expected identities matched what was in the certificate, got subjects '
              '[https://jenkins.acme-shop.internal/job/ml/job/feature-builder/] with issuer '
              'https://jenkins.acme-shop.internal/oidc')
    inc.event(rs, "FailedCreate", denial, consolidated + timedelta(seconds=3), AT6 + timedelta(minutes=30),
              count=19, component="replicaset-controller")
    for n in (node(inc, 1), node(inc, 2)):
        inc.event({"apiVersion": "v1", "kind": "Node", "metadata": {"name": n, "uid": o.uid("node", "", n)}},
                  "DisruptionTerminating", "Disrupting Node: Underutilized", consolidated, warning=False,
                  component="karpenter")

    def webhook(i: int, t: datetime) -> str | None:
        if t < chg:
            return zap(t, "info", "webhook/admission.go:142", "Webhook ServeHTTP request",
                       knative_dev_kind="apps/v1, Kind=ReplicaSet", admissionreview_allowed=True)
        if t < consolidated:
            return None
        return zap(t, "warn", "webhook/admission.go:151", "Failed the resource specific validation",
                   knative_dev_kind="/v1, Kind=Pod", knative_dev_namespace="ml",
                   error="validation failed: failed policy: internal-images-signed: spec.containers[0].image "
                         "signature keyless validation failed for authority github-release: no matching signatures")

    inc.deployment("cosign-system", "policy-controller-webhook",
                   [Rev(1, inc.born + timedelta(days=9), "helm upgrade",
                        [c("policy-controller-webhook", "ghcr.io/sigstore/policy-controller/policy-controller:"
                           "v0.12.0", port=8443)])],
                   {1: [P(log=within(steady(webhook, 45))) for _ in range(2)]})

    def recs(i: int, t: datetime) -> str:
        age = 60 + max(0.0, (t - consolidated).total_seconds()) * 1.0
        return L.logfmt(t, "info", "served recommendations", feature_age_s=int(age), user=f"u{i % 900}")

    inc.deployment("ml", "recs-serving", [Rev(1, inc.born + timedelta(days=11), "helm upgrade",
                   [c("recs-serving", f"{REGISTRY}/ml/recs-serving:2.2.0")])],
                   {1: [P(log=within(steady(recs, 15))) for _ in range(2)]})
    herring(inc, "ml", "model-registry", f"{REGISTRY}/ml/model-registry", "0.14.1", "0.15.0",
            AT6 - timedelta(minutes=35))
    plant(inc, "ml", "feature-store-creds", "aws-secret", "feature-store", "AWS_SECRET_ACCESS_KEY")
    gauge(inc, "kube_deployment_status_replicas_available", "The number of available replicas per deployment.",
          {"namespace": "ml", "deployment": "feature-builder", "job": "kube-state-metrics"},
          step(3, 1, consolidated))
    gauge(inc, "feature_view_staleness_seconds", "Age of the newest materialized row per feature view.",
          {"namespace": "ml", "feature_view": "user_affinity"},
          lambda t: 60.0 if t < consolidated else 60.0 + (t - consolidated).total_seconds() * 0.7)
    inc.pagerduty("Feature freshness SLA breached: user_affinity stale > 15 min (feature-builder at 1/3 replicas)",
                  "ml-platform")
    inc.answer_key(culprit=("ClusterImagePolicy", "", "internal-images-signed"),
                   keywords=["no matching signatures", "enforce", "keyless"],
                   root_cause="The cluster-scoped ClusterImagePolicy internal-images-signed was switched to mode "
                              "enforce; its keyless authority accepts only the GitHub release workflow, "
                              "feature-builder's "
                              "image is signed by the Jenkins identity (no matching signatures), so the "
                              "policy-controller webhook denies every new pod after the node consolidation.",
                   category="image-signature-policy-enforced",
                   red_herrings=[("Deployment", "ml", "model-registry")])
    return inc


# ---- 7: Linkerd namespace default policy all-authenticated ------------------------------------------
AT7 = datetime(2026, 12, 5, 10, 50, tzinfo=UTC)


def wallet_api_burn() -> Incident:
    """A mesh namespace annotated `default-inbound-policy: all-authenticated`: the unmeshed ingress is refused.

    after: the mTLS-enforcement incident common to service-mesh adoptions, where a namespace's default
    inbound policy moves from all-unauthenticated to all-authenticated and a restart applies it; meshed
    callers keep working, but the ingress controller (not meshed, no client identity) gets 403 from the
    proxy on every request.
    """
    inc = start(wallet_api_burn, "wallet-api error budget burn", AT7, 4907, ("wallet",))
    chg = AT7 - timedelta(minutes=16)
    restart = AT7 - timedelta(minutes=7)
    ns = inc.find("Namespace", "", "wallet")
    ns["metadata"].setdefault("annotations", {}).update({
        "linkerd.io/inject": "enabled", "config.linkerd.io/default-inbound-policy": "all-authenticated"})
    changed(ns, ("argocd-controller", "Apply", inc.born + timedelta(days=3), {"f:metadata": {"f:labels": {}}}),
            ("kubectl-annotate", "Update", chg,
             {"f:metadata": {"f:annotations": {"f:config.linkerd.io/default-inbound-policy": {}}}}))

    def app(i: int, t: datetime) -> str:
        path = ["/v1/balance", "/v1/transfers", "/v1/balance", "/v1/cards"][i % 4]
        return json.dumps({"@t": t.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "@mt": "HTTP {Method} {Path} responded "
                           "{StatusCode} in {Elapsed:0.0000} ms", "Method": "GET", "Path": path,
                           "StatusCode": 200, "Elapsed": 11.2 + i % 9,
                           "SourceContext": "Serilog.AspNetCore.RequestLoggingMiddleware"})

    def proxy(i: int, t: datetime) -> str | None:
        up = f"[{(t - restart).total_seconds():>12.6f}s]"
        if i % 2:
            return None
        return (f"{up}  INFO ThreadId(01) inbound:server{{port=8080}}: linkerd_app_inbound::policy::http: "
                "Request denied server.group= server.kind=default server.name=all-authenticated route.group= "
                f"route.kind=default route.name=default client.tls=None(NoClientHello) "
                f"client.ip=10.0.{3 + i % 2}.{17 + i % 5}")

    revs = [Rev(1, inc.born + timedelta(days=12), "helm upgrade",
                [c("wallet-api", f"{REGISTRY}/wallet/wallet-api:4.7.2"),
                 c("linkerd-proxy", "cr.l5d.io/linkerd/proxy:edge-24.11.8", port=4143)]),
            Rev(2, restart, "kubectl rollout restart",
                [c("wallet-api", f"{REGISTRY}/wallet/wallet-api:4.7.2"),
                 c("linkerd-proxy", "cr.l5d.io/linkerd/proxy:edge-24.11.8", port=4143)])]
    wl = inc.deployment("wallet", "wallet-api", revs, {2: [P(log=within(steady(app, 12))) for _ in range(3)]})
    for h in wl.pods:
        pod_log(h, "linkerd-proxy", steady(proxy, 2), h.created, inc.captured)
    for h in inc.pods_of("ingress-nginx", "ingress-nginx-controller"):
        def access(i: int, t: datetime) -> str:
            code, up = (403, "0.002") if t >= restart else (200, "0.013")
            return (f'203.0.113.{i % 250} - - [{t.strftime("%d/%b/%Y:%H:%M:%S +0000")}] "GET /v1/balance HTTP/2.0" '
                    f'{code} {19 if code == 403 else 412} "-" "WalletApp/6.2 (iOS 18.1)" 61 {up} '
                    f'[wallet-wallet-api-80] [] 10.0.7.{20 + i % 3}:8080 {19 if code == 403 else 412} {up} {code} '
                    f'{L.uuidish("w", i).replace("-", "")}')
        pod_log(h, h.containers[0].name, steady(access, 5), h.created, inc.captured)
    herring(inc, "wallet", "wallet-notifier", f"{REGISTRY}/wallet/wallet-notifier", "1.3.0", "1.4.0",
            AT7 - timedelta(minutes=45))
    plant(inc, "wallet", "wallet-api-signing", "jwt", "wallet-service", "JWT_SIGNING_TOKEN")
    for code, tls, before, after in (("200", "true", 6.0, 6.0), ("200", "no_identity", 38.0, 0.0),
                                     ("403", "no_identity", 0.0, 38.0)):
        tally(inc, "response_total", "Total count of HTTP responses.",
              {"namespace": "wallet", "deployment": "wallet-api", "direction": "inbound", "status_code": code,
               "tls": tls, "classification": "success" if code == "200" else "failure"},
              counter(AT7 - timedelta(hours=2), before, after, restart))
    for code, before, after in (("200", 38.0, 0.0), ("403", 0.0, 38.0)):
        tally(inc, "nginx_ingress_controller_requests", "The total number of client requests",
              {"namespace": "wallet", "ingress": "wallet-api", "service": "wallet-api", "status": code},
              counter(AT7 - timedelta(hours=2), before, after, restart))
    inc.slo_burn("wallet-api", "wallet", "wallet-api-availability", "0.999", 41.0,
                 "wallet-api availability SLO: 1h burn 41x, 5m burn 96x (most errors are 403 at the edge).")
    inc.answer_key(culprit=("Namespace", "", "wallet"),
                   keywords=["all-authenticated", "default-inbound-policy", "NoClientHello"],
                   root_cause="The wallet Namespace was annotated config.linkerd.io/default-inbound-policy: "
                              "all-authenticated and the rollout restart applied it: the proxy now denies requests "
                              "without a mesh identity (client.tls=None(NoClientHello)), and ingress-nginx "
                              "(not meshed) "
                              "gets 403 for every call.",
                   category="mesh-default-inbound-policy-authenticated",
                   red_herrings=[("Deployment", "wallet", "wallet-notifier")])
    return inc


# ---- 8: log redaction strips a field a consumer reads ------------------------------------------------
AT8 = datetime(2026, 12, 5, 11, 45, tzinfo=UTC)


def bot_scores_stalled_alert() -> Incident:
    """A Fluent Bit redaction filter removes client_ip and user_agent: the bot scorer drops every record.

    after: the privacy-hardening side effect described in log-pipeline postmortems, where a PII filter added
    to the shipper (GDPR ticket) strips fields from access logs that a security or fraud consumer downstream
    keys on; the pipeline looks healthy and the consumer silently discards everything.
    """
    inc = start(bot_scores_stalled_alert, "bot scores not published", AT8, 4908, ("logging", "trust-safety"))
    chg = AT8 - timedelta(minutes=33)
    old_conf = ("[SERVICE]\n    Flush        1\n    Hot_Reload   On\n    HTTP_Server  On\n\n"
                "[INPUT]\n    Name   tail\n    Path   /var/log/containers/*.log\n    Tag    kube.*\n"
                "    multiline.parser cri\n\n"
                "[FILTER]\n    Name   kubernetes\n    Match  kube.*\n    Merge_Log On\n\n")
    redact = ("[FILTER]\n    Name   modify\n    Match  kube.var.log.containers.edge-proxy*\n"
              "    Remove client_ip\n    Remove user_agent\n    Remove x_forwarded_for\n\n")
    out = ("[OUTPUT]\n    Name   kafka\n    Match  kube.var.log.containers.edge-proxy*\n"
           "    Brokers kafka-0.kafka.logging.svc:9092\n    Topics edge-access-logs\n")
    cm = inc.configmap("logging", "fluent-bit-pipeline", {"fluent-bit.conf": old_conf + redact + out},
                       annotations={"argocd.argoproj.io/tracking-id":
                                    "logging:/ConfigMap:logging/fluent-bit-pipeline"})
    changed(cm, ("argocd-controller", "Apply", chg, {"f:data": {"f:fluent-bit.conf": {}}}))
    fb = inc.cluster.daemonset("logging", "fluent-bit", "cr.fluentbit.io/fluent/fluent-bit:3.2.2",
                               inc.born + timedelta(days=6), memory_mi=45)

    def shipper(pod: str, s: datetime, e: datetime) -> Lines:
        rows: Lines = []
        for t in L.every(s, e, 300):
            rows.append((t, f"[{t.strftime('%Y/%m/%d %H:%M:%S')}] [ info] [output:kafka:kafka.0] "
                            "delivered messages to topic edge-access-logs"))
        r = chg + timedelta(seconds=20)
        for dt, text in ((0, "[engine] caught signal (SIGHUP)"),
                         (1, "[ info] reloading instance pid=1 tid=0x7f3a2c1f4b40"),
                         (1, "[ info] [reload] stop everything of the old context"),
                         (2, "[ info] [reload] start everything"),
                         (2, "[ info] [filter:modify:modify.1] Initialized modify filter with 0 conditions and "
                             "3 rules")):
            at = r + timedelta(seconds=dt)
            rows.append((at, f"[{at.strftime('%Y/%m/%d %H:%M:%S')}] {text}"))
        return rows

    mounts = [{"name": "config", "mountPath": "/fluent-bit/etc/"},
              {"name": "varlog", "mountPath": "/var/log", "readOnly": True}]
    volumes = [{"name": "config", "configMap": {"name": "fluent-bit-pipeline"}},
               {"name": "varlog", "hostPath": {"path": "/var/log"}}]

    def mount(spec: dict[str, Any]) -> None:
        spec["volumes"] = volumes
        spec["containers"][0]["volumeMounts"] = mounts

    mount(inc.find("DaemonSet", "logging", "fluent-bit")["spec"]["template"]["spec"])
    for h in fb:
        pod_log(h, "fluent-bit", shipper, h.created, inc.captured)
        inc.cluster.patch("logging", h.name, lambda pod: mount(pod["spec"]))

    def scorer(i: int, t: datetime) -> str:
        stamp = t.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
        if t < chg + timedelta(seconds=40):
            return (f"{stamp}  INFO bot_scorer::pipeline: scored batch topic=\"edge-access-logs\" partition={i % 6} "
                    f"records=500 flagged={3 + i % 7}")
        return (f"{stamp}  WARN bot_scorer::pipeline: dropping record: missing field `client_ip` "
                f"topic=\"edge-access-logs\" partition={i % 6} offset={18203312 + i * 500}")

    inc.deployment("trust-safety", "bot-scorer", [Rev(1, inc.born + timedelta(days=14), "helm upgrade",
                   [c("bot-scorer", f"{REGISTRY}/trust-safety/bot-scorer:0.22.1")])],
                   {1: [P(log=within(steady(scorer, 6))) for _ in range(2)]})
    herring(inc, "trust-safety", "abuse-reports", f"{REGISTRY}/trust-safety/abuse-reports", "3.0.4", "3.1.0",
            AT8 - timedelta(minutes=20))
    plant(inc, "logging", "kafka-client-creds", "password", "fluent-bit-kafka", "sasl_password")
    t0 = AT8 - timedelta(hours=2)
    shift = chg + timedelta(seconds=40)
    tally(inc, "bot_scorer_records_consumed_total", "Records read from Kafka.",
          {"namespace": "trust-safety", "service": "bot-scorer"}, counter(t0, 900.0, 900.0, shift))
    tally(inc, "bot_scorer_records_dropped_total", "Records discarded before scoring.",
          {"namespace": "trust-safety", "service": "bot-scorer", "reason": "missing_field"},
          counter(t0, 0.0, 900.0, shift))
    tally(inc, "bot_scorer_scores_published_total", "Scores published to the edge blocklist.",
          {"namespace": "trust-safety", "service": "bot-scorer"}, counter(t0, 14.0, 0.0, shift))
    tally(inc, "fluentbit_output_proc_records_total", "Number of processed output records.",
          {"namespace": "logging", "name": "kafka.0"}, counter(t0, 905.0, 903.0, shift))
    inc.alertmanager("BotScoresNotPublished", {"namespace": "trust-safety", "service": "bot-scorer",
                                               "team": "trust-safety"},
                     "bot-scorer has published no scores for 15 minutes",
                     "rate(bot_scorer_scores_published_total) is 0 while records are still consumed.",
                     'sum(rate(bot_scorer_scores_published_total[15m])) == 0 and '
                     'sum(rate(bot_scorer_records_consumed_total[15m])) > 0', "critical",
                     runbook="https://runbooks.example.com/alerts/botscoresnotpublished")
    inc.answer_key(culprit=("ConfigMap", "logging", "fluent-bit-pipeline"),
                   keywords=["client_ip", "redact", "modify"],
                   root_cause="A PII redaction filter (modify, Remove client_ip/user_agent/x_forwarded_for) was "
                              "added to the fluent-bit-pipeline ConfigMap and hot-reloaded: edge access records "
                              "reach Kafka without client_ip, and bot-scorer drops every record as missing it.",
                   category="log-redaction-strips-consumer-field",
                   red_herrings=[("Deployment", "trust-safety", "abuse-reports")])
    return inc


# ---- 9: database server certificate without its intermediate -----------------------------------------
AT9 = datetime(2026, 12, 5, 10, 35, tzinfo=UTC)


def report_api_question() -> Incident:
    """The reporting database's TLS Secret replaced with a leaf-only certificate: verifying clients fail.

    after: the certificate-rotation outage reported again and again where a renewed server certificate is
    installed without the intermediate (the CA's download offered leaf and chain separately); clients that
    trust only the root and verify the chain (sslmode=verify-full) fail with unknown authority while the old
    connections in pools keep working until they recycle.
    """
    inc = start(report_api_question, "question: report-api", AT9, 4909, ("data", "analytics"))
    chg = AT9 - timedelta(minutes=48)
    inc.secret("data", "reports-pg-tls", {"tls.crt": pem("CERTIFICATE", "reports-pg-leaf-2026"),
                                          "tls.key": pem("PRIVATE KEY", "reports-pg-key-2026", 4),
                                          "ca.crt": pem("CERTIFICATE", "corp-root")})
    sec = inc.find("Secret", "data", "reports-pg-tls")
    sec["metadata"]["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration": json.dumps(
        {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
         "metadata": {"name": "reports-pg-tls", "namespace": "data",
                      "annotations": {"pki.example.com/ticket": "CHG-20481", "pki.example.com/expires": "2027-12-04"}
                      }}, separators=(",", ":")),
        "pki.example.com/ticket": "CHG-20481", "pki.example.com/expires": "2027-12-04"}
    changed(sec, ("kubectl-client-side-apply", "Update", chg,
                  {"f:data": {"f:tls.crt": {}, "f:tls.key": {}}, "f:metadata": {"f:annotations": {}}}))
    reload = chg + timedelta(minutes=2)

    def pg(pod: str, s: datetime, e: datetime) -> Lines:
        rows: Lines = []
        for i, t in enumerate(L.every(s, e, 20)):
            if t < reload:
                if i % 15 == 0:
                    rows.append((t, L.postgres(t, "LOG", "checkpoint complete: wrote 211 buffers (1.3%)", 64)))
            else:
                rows.append((t, L.postgres(t, "LOG", "could not accept SSL connection: tlsv1 alert unknown ca",
                                           4100 + i)))
        rows.append((reload, L.postgres(reload, "LOG", "received SIGHUP, reloading configuration files", 1)))
        return rows

    pgwl = inc.statefulset("data", "reports-pg", [c("reports-pg", "docker.io/library/postgres:16.4", port=5432)],
                           [P(log=within(pg))], inc.born + timedelta(days=2), claims=[("pgdata", "200Gi", "gp3")],
                           service=5432)
    tls_args = ["-c", "ssl=on", "-c", "ssl_cert_file=/etc/postgresql/tls/tls.crt",
                "-c", "ssl_key_file=/etc/postgresql/tls/tls.key", "-c", "ssl_ca_file=/etc/postgresql/tls/ca.crt"]

    def tls(spec: dict[str, Any]) -> None:
        spec.setdefault("volumes", []).append({"name": "tls", "secret": {"secretName": "reports-pg-tls",
                                                                         "defaultMode": 0o600}})
        box = spec["containers"][0]
        box["args"] = tls_args
        box.setdefault("volumeMounts", []).append({"name": "tls", "mountPath": "/etc/postgresql/tls",
                                                   "readOnly": True})

    tls(pgwl.obj["spec"]["template"]["spec"])
    inc.cluster.patch("data", "reports-pg-0", lambda pod: tls(pod["spec"]))

    def api(i: int, t: datetime) -> str:
        if t < reload + timedelta(minutes=3) and i % 4:
            return L.logfmt(t, "info", "report rendered", report=f"r-{i % 40}", rows=300 + i % 700)
        if t < reload:
            return L.logfmt(t, "info", "report rendered", report=f"r-{i % 40}", rows=120)
        return L.logfmt(t, "error", "report query failed", report=f"r-{i % 40}",
                        err="failed to connect to `user=reporting database=reports`: 10.100.22.5:5432 "
                            "(reports-pg.data.svc.cluster.local): tls error: tls: failed to verify certificate: "
                            "x509: certificate signed by unknown authority")

    env = [{"name": "PGSSLMODE", "value": "verify-full"}, {"name": "PGSSLROOTCERT", "value": "/etc/pki/corp-root.pem"}]
    inc.deployment("analytics", "report-api", [Rev(1, inc.born + timedelta(days=17), "helm upgrade",
                   [c("report-api", f"{REGISTRY}/analytics/report-api:1.12.0", env=env)])],
                   {1: [P(log=within(steady(api, 8))) for _ in range(2)]})
    herring(inc, "analytics", "report-scheduler", f"{REGISTRY}/analytics/report-scheduler", "2.0.3", "2.1.0",
            AT9 - timedelta(minutes=30))
    plant(inc, "analytics", "report-api-db", "password", "reporting", "PGPASSWORD")
    tally(inc, "pg_stat_database_xact_commit", "Number of transactions committed in this database",
          {"namespace": "data", "datname": "reports", "job": "postgres-exporter"},
          counter(AT9 - timedelta(hours=2), 30.0, 3.0, reload + timedelta(minutes=3)))
    for code, before, after in (("200", 4.0, 0.3), ("500", 0.0, 3.8)):
        tally(inc, "http_requests_total", "Requests served.", {"namespace": "analytics", "service": "report-api",
                                                                "code": code},
              counter(AT9 - timedelta(hours=2), before, after, reload + timedelta(minutes=3)))
    inc.ask("report-api can't load any reports since around 10:00 UTC, everything returns 500. What happened?")
    inc.answer_key(culprit=("Secret", "data", "reports-pg-tls"),
                   keywords=["intermediate", "unknown authority", "chain"],
                   root_cause="The reports-pg-tls Secret was re-applied with the renewed leaf certificate only, "
                              "without the intermediate CA (an incomplete chain); after Postgres reloaded it, "
                              "clients that verify "
                              "against the corporate root (verify-full) fail with 'x509: certificate signed by "
                              "unknown authority' and Postgres logs 'tlsv1 alert unknown ca'.",
                   category="server-certificate-missing-intermediate",
                   red_herrings=[("Deployment", "analytics", "report-scheduler")])
    return inc


# ---- 10: node hardening turns user namespaces off ----------------------------------------------------
AT10 = datetime(2026, 12, 5, 15, 30, tzinfo=UTC)


def pdf_exports_question_host() -> Incident:
    """A node-hardening DaemonSet revision sets user.max_user_namespaces=0: Chromium's sandbox cannot start.

    after: the CIS-benchmark hardening side effect reported by headless-browser users, where disabling
    unprivileged user namespaces on a host breaks Chromium's namespace sandbox ("No usable sandbox!");
    with an OnDelete DaemonSet only the node whose pod was recycled has the new sysctl, so only the
    renderer replica on that node fails.
    """
    inc = start(pdf_exports_question_host, "question about a node", AT10, 4910, ("node-security", "docs"))
    chg = AT10 - timedelta(minutes=42)
    target = node(inc, 1)
    fresh = chg + timedelta(minutes=3)
    old_t = {"metadata": {"labels": {"app": "node-sysctl-hardening"}},
             "spec": {"hostPID": True, "containers": [
                 {"name": "node-sysctl-hardening", "image": f"{REGISTRY}/platform/node-sysctl:1.4.0",
                  "args": ["--set=kernel.kptr_restrict=2", "--set=kernel.dmesg_restrict=1", "--set=net.ipv4."
                           "conf.all.rp_filter=1"], "securityContext": {"privileged": True}}]}}
    new_t = json.loads(json.dumps(old_t))
    new_t["spec"]["containers"][0]["image"] = f"{REGISTRY}/platform/node-sysctl:1.5.0"
    new_t["spec"]["containers"][0]["args"] += ["--set=user.max_user_namespaces=0",
                                               "--set=kernel.unprivileged_bpf_disabled=1"]
    pods = inc.cluster.daemonset("node-security", "node-sysctl-hardening", f"{REGISTRY}/platform/node-sysctl:1.4.0",
                                 inc.born + timedelta(days=5), memory_mi=12)
    ds = inc.find("DaemonSet", "node-security", "node-sysctl-hardening")
    ds["spec"]["template"] = new_t
    ds["spec"]["updateStrategy"] = {"type": "OnDelete"}
    ds["metadata"]["generation"] = 2
    ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"] = "2"
    count = len(pods)
    ds["status"].update({"updatedNumberScheduled": 1, "observedGeneration": 2, "desiredNumberScheduled": count})
    changed(ds, ("kubectl-client-side-apply", "Update", chg, {"f:spec": {"f:template": {}, "f:updateStrategy": {}}}))
    r1 = revision(inc, "DaemonSet", "node-security", "node-sysctl-hardening", 1, inc.born + timedelta(days=5), old_t)
    r2 = revision(inc, "DaemonSet", "node-security", "node-sysctl-hardening", 2, chg, new_t)
    for h in pods:
        new = h.node == target
        h.labels["controller-revision-hash"] = (r2 if new else r1).rsplit("-", 1)[1]
        if new:
            h.created = fresh
            h.states = [o.ContainerState(started_at=fresh + timedelta(seconds=5))]
            h.containers = [c("node-sysctl-hardening", f"{REGISTRY}/platform/node-sysctl:1.5.0", port=None)]
        keys = ["kernel.kptr_restrict = 2", "kernel.dmesg_restrict = 1", "net.ipv4.conf.all.rp_filter = 1"]
        if new:
            keys += ["user.max_user_namespaces = 0", "kernel.unprivileged_bpf_disabled = 1"]
        applied = h.created + timedelta(seconds=6)
        h.logs = {"node-sysctl-hardening": L.lines(
            [(applied, L.logfmt(applied, "info", "applied", key=k.split(" = ")[0], value=k.split(" = ")[1]))
             for k in keys] + [(applied, L.logfmt(applied, "info", "sleeping; sysctls applied", count=len(keys)))])}
    inc.event(ds, "SuccessfulCreate", f"Created pod: {next(h.name for h in pods if h.node == target)}", fresh,
              warning=False, component="daemonset-controller")

    def render(i: int, t: datetime, broken: bool) -> str:
        job = L.uuidish("pdf", i)
        if not broken or t < fresh:
            return pino(t, 30, "rendered pdf", jobId=job, pages=2 + i % 9, ms=800 + (i * 31) % 900)
        return pino(t, 50, "render failed", jobId=job, err={
            "type": "Error", "message": "Failed to launch the browser process!\n[1205/"
            f"{t.strftime('%H%M%S')}.{i % 1000:03d}:FATAL:zygote_host_impl_linux.cc(128)] No usable sandbox! If you "
            "are running on Ubuntu 23.10+ or another Linux distro that has disabled unprivileged user namespaces "
            "with AppArmor, see https://chromium.googlesource.com/chromium/src/+/main/docs/security/"
            "apparmor-userns-restrictions.md. Otherwise see https://chromium.googlesource.com/chromium/src/+/main/"
            "docs/linux/suid_sandbox_development.md for more information on developing with the (older) SUID "
            "sandbox. If you want to live dangerously and need an immediate workaround, you can try using "
            "--no-sandbox.\n",
            "stack": "Error: Failed to launch the browser process!\n    at ChildProcess.onClose "
                     "(/app/node_modules/@puppeteer/browsers/lib/cjs/launch.js:318:24)"})

    renderer_nodes = [target, node(inc, 2), node(inc, 3)]
    def on(n: str) -> Tick:
        return lambda i, t: render(i, t, n == target)

    plans = [P(log=within(steady(on(n), 10)), node=n) for n in renderer_nodes]
    inc.deployment("docs", "pdf-renderer", [Rev(1, inc.born + timedelta(days=13), "helm upgrade",
                   [c("pdf-renderer", f"{REGISTRY}/docs/pdf-renderer:3.3.0", memory_limit="1Gi")])], {1: plans})
    herring(inc, "docs", "docs-portal", f"{REGISTRY}/docs/docs-portal", "8.1.0", "8.2.0", AT10 - timedelta(minutes=28))
    plant(inc, "docs", "pdf-renderer-storage", "aws", "pdf-bucket", "AWS_ACCESS_KEY_ID")
    for n in renderer_nodes:
        for result, before, after in (("ok", 0.3, 0.0 if n == target else 0.3),
                                      ("error", 0.0, 0.3 if n == target else 0.0)):
            tally(inc, "pdf_render_jobs_total", "PDF render jobs by outcome.",
                  {"namespace": "docs", "service": "pdf-renderer", "node": n, "result": result},
                  counter(AT10 - timedelta(hours=2), before, after, fresh))
    inc.ask(f"About a third of PDF exports fail, and every failure I can find ran on {target}. "
            "What is different about that node?")
    inc.answer_key(culprit=("DaemonSet", "node-security", "node-sysctl-hardening"),
                   keywords=["max_user_namespaces", "user namespaces", "No usable sandbox"],
                   root_cause=f"Revision 2 of the node-sysctl-hardening DaemonSet (OnDelete) sets "
                              f"user.max_user_namespaces=0; only {target}'s pod was recycled, so only that node "
                              "disables user namespaces and the pdf-renderer replica there cannot start Chromium's "
                              "sandbox ('No usable sandbox!').",
                   category="user-namespaces-disabled-break-browser-sandbox",
                   red_herrings=[("Deployment", "docs", "docs-portal")])
    return inc


# ---- 11: client certificates required on a partner Ingress -------------------------------------------
AT11 = datetime(2026, 12, 5, 12, 40, tzinfo=UTC)


def shipment_tracking_stale_page() -> Incident:
    """An Ingress moves `auth-tls-verify-client` from optional to on: a carrier without a client cert gets 400.

    after: the partner-integration outage seen when mTLS on an ingress is tightened from optional to
    required before every partner has enrolled a client certificate; nginx answers 400 "No required SSL
    certificate was sent" before the backend, the partner's webhook retries give up, and the harm shows up
    as stale data in the service that consumes those events.
    """
    inc = start(shipment_tracking_stale_page, "shipment tracking updates stale", AT11, 4911, ("logistics",))
    chg = AT11 - timedelta(minutes=52)
    ann = {"nginx.ingress.kubernetes.io/auth-tls-secret": "logistics/partner-client-ca",
           "nginx.ingress.kubernetes.io/auth-tls-verify-client": "on",
           "nginx.ingress.kubernetes.io/auth-tls-verify-depth": "2",
           "nginx.ingress.kubernetes.io/auth-tls-pass-certificate-to-upstream": "true",
           "nginx.ingress.kubernetes.io/backend-protocol": "HTTP"}
    ing = inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                   "metadata": {"name": "partner-hooks", "namespace": "logistics", "generation": 4,
                                "annotations": ann},
                   "spec": {"ingressClassName": "nginx",
                            "tls": [{"hosts": ["hooks.acme-shop.example"], "secretName": "hooks-tls"}],
                            "rules": [{"host": "hooks.acme-shop.example", "http": {"paths": [
                                {"path": "/carriers", "pathType": "Prefix",
                                 "backend": {"service": {"name": "hook-receiver", "port": {"number": 80}}}}]}}]},
                   "status": {"loadBalancer": {"ingress": [{"hostname": "a1f3.elb.eu-west-1.amazonaws.com"}]}}})
    changed(ing, ("helm", "Update", inc.born + timedelta(days=7), {"f:spec": {}}),
            ("kubectl-annotate", "Update", chg,
             {"f:metadata": {"f:annotations": {"f:nginx.ingress.kubernetes.io/auth-tls-verify-client": {}}}}))
    inc.secret("logistics", "partner-client-ca", {"ca.crt": pem("CERTIFICATE", "partner-ca-northwind")})

    def access(i: int, t: datetime) -> str:
        stamp = t.strftime("%d/%b/%Y:%H:%M:%S +0000")
        rid = L.uuidish("hook", i).replace("-", "")
        if i % 3 == 0:
            ua, ip = "NorthwindFreight-Hooks/2.4", "198.51.100.23"
        else:
            ua, ip = "ParcelWave-Webhooks/3.1", "203.0.113.77"
        if t >= chg and ua.startswith("ParcelWave"):
            return (f'{ip} - - [{stamp}] "POST /carriers/parcelwave/events HTTP/1.1" 400 246 "-" "{ua}" 1190 0.000 '
                    f'[logistics-hook-receiver-80] [] - - - - {rid}')
        path = "/carriers/northwind/events" if ua.startswith("Northwind") else "/carriers/parcelwave/events"
        return (f'{ip} - - [{stamp}] "POST {path} HTTP/1.1" 202 2 "-" "{ua}" 1188 0.011 '
                f'[logistics-hook-receiver-80] [] 10.0.5.{30 + i % 2}:8080 2 0.011 202 {rid}')

    for h in inc.pods_of("ingress-nginx", "ingress-nginx-controller"):
        pod_log(h, h.containers[0].name, steady(access, 4), h.created, inc.captured)

    def receiver(i: int, t: datetime) -> str:
        carrier = "northwind" if (i % 3 == 0 or t >= chg) else "parcelwave"
        return ("info: HookReceiver.Controllers.CarrierEventsController[12]\n"
                f"      Accepted {1 + i % 4} tracking events from {carrier} batch={L.uuidish('b', i)}")

    inc.deployment("logistics", "hook-receiver", [Rev(1, inc.born + timedelta(days=15), "helm upgrade",
                   [c("hook-receiver", f"{REGISTRY}/logistics/hook-receiver:5.0.2")])],
                   {1: [P(log=within(steady(receiver, 6))) for _ in range(2)]})
    inc.service("logistics", "hook-receiver", {"app": "hook-receiver"})

    def updater(i: int, t: datetime) -> str:
        lag = 40 + max(0.0, (t - chg).total_seconds())
        level = "WARNING" if t >= chg + timedelta(minutes=15) else "INFO"
        return L.pylog(t, level, "tracking.sync", f"carrier=parcelwave newest_event_age_s={int(lag)} "
                       f"open_shipments={18400 + i % 50}")

    inc.deployment("logistics", "tracking-updater", [Rev(1, inc.born + timedelta(days=19), "helm upgrade",
                   [c("tracking-updater", f"{REGISTRY}/logistics/tracking-updater:2.6.1")])],
                   {1: [P(log=within(steady(updater, 30)))]})
    herring(inc, "logistics", "label-printer", f"{REGISTRY}/logistics/label-printer", "4.4.0", "4.5.0",
            AT11 - timedelta(minutes=35))
    plant(inc, "logistics", "parcelwave-api", "token", "parcelwave", "PARCELWAVE_API_TOKEN")
    for status, carrier, before, after in (("202", "parcelwave", 0.5, 0.0), ("400", "parcelwave", 0.0, 0.5),
                                           ("202", "northwind", 0.25, 0.25)):
        tally(inc, "nginx_ingress_controller_requests", "The total number of client requests",
              {"namespace": "logistics", "ingress": "partner-hooks", "status": status, "path": f"/carriers/{carrier}"},
              counter(AT11 - timedelta(hours=2), before, after, chg))
    gauge(inc, "tracking_newest_event_age_seconds", "Age of the newest tracking event per carrier.",
          {"namespace": "logistics", "service": "tracking-updater", "carrier": "parcelwave"},
          lambda t: 40.0 + max(0.0, (t - chg).total_seconds()))
    inc.pagerduty("Shipment tracking stale: no ParcelWave status updates for 30 min (tracking-updater)",
                  "logistics-tracking")
    inc.answer_key(culprit=("Ingress", "logistics", "partner-hooks"),
                   keywords=["auth-tls-verify-client", "client certificate", "400"],
                   root_cause="The partner-hooks Ingress was annotated auth-tls-verify-client: on (was optional): "
                              "ParcelWave sends no client certificate, ingress-nginx answers 400 before "
                              "hook-receiver, and tracking-updater receives no ParcelWave events.",
                   category="ingress-client-certificate-required",
                   red_herrings=[("Deployment", "logistics", "label-printer")])
    return inc


# ---- 12: Secure-only cookies on a plain-HTTP internal site -----------------------------------------
AT12 = datetime(2026, 12, 5, 17, 15, tzinfo=UTC)


def backoffice_logins_failing() -> Incident:
    """Django settings ConfigMap turns on Secure session and CSRF cookies for a site served over plain HTTP.

    after: the security-header hardening ticket that sets SESSION_COOKIE_SECURE / CSRF_COOKIE_SECURE
    everywhere, including an internal tool reached over http:// on the VPN; browsers refuse to store a
    Secure cookie from an insecure origin, so every login POST fails Django's CSRF check ("CSRF cookie not
    set") with 403 while GET pages still render.
    """
    inc = start(backoffice_logins_failing, "backoffice staff cannot log in", AT12, 4912, ("ops",))
    chg = AT12 - timedelta(minutes=26)
    roll = chg + timedelta(seconds=35)
    settings = {"DJANGO_ALLOWED_HOSTS": "backoffice.corp.internal", "DJANGO_DEBUG": "False",
                "SESSION_COOKIE_SECURE": "True", "CSRF_COOKIE_SECURE": "True",
                "SECURE_HSTS_SECONDS": "0", "SESSION_COOKIE_SAMESITE": "Lax",
                "CSRF_TRUSTED_ORIGINS": "http://backoffice.corp.internal"}
    cm = inc.configmap("ops", "backoffice-settings", settings,
                       annotations={"kubectl.kubernetes.io/last-applied-configuration": json.dumps(
                           {"apiVersion": "v1", "kind": "ConfigMap",
                            "metadata": {"name": "backoffice-settings", "namespace": "ops"},
                            "data": {**settings, "SESSION_COOKIE_SECURE": "False", "CSRF_COOKIE_SECURE": "False"}},
                           separators=(",", ":"))})
    changed(cm, ("kubectl-client-side-apply", "Update", inc.born + timedelta(days=5), {"f:data": {}}),
            ("kubectl-edit", "Update", chg,
             {"f:data": {"f:SESSION_COOKIE_SECURE": {}, "f:CSRF_COOKIE_SECURE": {}}}))

    def web(i: int, t: datetime) -> str:
        ip = f"10.20.{i % 4}.{30 + i % 40}"
        stamp = t.strftime("[%d/%b/%Y:%H:%M:%S +0000]")
        if i % 3 == 0:
            return (f'{ip} - - {stamp} "GET /admin/orders/order/?q=ORD-{4400 + i} HTTP/1.1" 302 0 "-" '
                    '"Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0.0.0"')
        if i % 3 == 1:
            return f'{ip} - - {stamp} "GET /admin/login/?next=/admin/ HTTP/1.1" 200 4172 "-" "Mozilla/5.0"'
        head = f"{t.strftime('%Y-%m-%d %H:%M:%S,')}{t.microsecond // 1000:03d} WARNING django.security.csrf"
        return (f"{head} Forbidden (CSRF cookie not set.): /admin/login/\n"
                f'{ip} - - {stamp} "POST /admin/login/?next=/admin/ HTTP/1.1" 403 2870 '
                '"http://backoffice.corp.internal/admin/login/?next=/admin/" "Mozilla/5.0"')

    env = [{"name": k, "valueFrom": {"configMapKeyRef": {"name": "backoffice-settings", "key": k}}}
           for k in ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "DJANGO_ALLOWED_HOSTS")]
    env.append({"name": "DJANGO_SECRET_KEY", "valueFrom": {"secretKeyRef": {"name": "backoffice-django",
                                                                              "key": "secret-key"}}})
    image = f"{REGISTRY}/ops/backoffice:2024.11.3"
    revs = [Rev(1, inc.born + timedelta(days=14), "helm upgrade", [c("backoffice", image, env=env)]),
            Rev(2, roll, "reloader: backoffice-settings changed", [c("backoffice", image, env=env)])]
    inc.deployment("ops", "backoffice", revs, {2: [P(log=within(steady(web, 7))) for _ in range(2)]},
                   annotations={"configmap.reloader.stakater.com/reload": "backoffice-settings"})
    ing = inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                   "metadata": {"name": "backoffice", "namespace": "ops", "generation": 2,
                                "annotations": {"nginx.ingress.kubernetes.io/ssl-redirect": "false"}},
                   "spec": {"ingressClassName": "nginx-internal",
                            "rules": [{"host": "backoffice.corp.internal", "http": {"paths": [
                                {"path": "/", "pathType": "Prefix",
                                 "backend": {"service": {"name": "backoffice", "port": {"number": 80}}}}]}}]}})
    changed(ing, ("helm", "Update", inc.born + timedelta(days=14), {"f:spec": {}}))
    herring(inc, "ops", "backoffice-worker", f"{REGISTRY}/ops/backoffice-worker", "2024.11.2", "2024.11.3",
            AT12 - timedelta(minutes=45))
    plant(inc, "ops", "backoffice-django", "password", "django", "secret-key")
    t0 = AT12 - timedelta(hours=2)
    for code, path, before, after in (("302", "/admin/login/", 0.08, 0.0), ("403", "/admin/login/", 0.0, 0.08),
                                      ("200", "/admin/", 1.2, 0.1)):
        tally(inc, "django_http_responses_total_by_status_view_method", "Count of responses by status, view, "
              "method.", {"namespace": "ops", "service": "backoffice", "status": code, "view": path,
                          "method": "POST" if "login" in path else "GET"}, counter(t0, before, after, roll))
    inc.alertmanager("BackofficeLoginFailures", {"namespace": "ops", "service": "backoffice", "team": "ops-tools"},
                     "backoffice: no successful staff logins for 15 minutes",
                     "All POST /admin/login/ requests end in 403; no staff session has been created since 17:00.",
                     'sum(rate(django_http_responses_total_by_status_view_method{service="backoffice",'
                     'view="/admin/login/",status="403"}[10m])) > 0 and sum(rate(django_http_responses_total_by_'
                     'status_view_method{service="backoffice",view="/admin/login/",status="302"}[10m])) == 0',
                     runbook="https://runbooks.example.com/alerts/backofficeloginfailures")
    inc.answer_key(culprit=("ConfigMap", "ops", "backoffice-settings"),
                   keywords=["CSRF_COOKIE_SECURE", "Secure", "plain HTTP"],
                   root_cause="The backoffice-settings ConfigMap was edited to SESSION_COOKIE_SECURE and "
                              "CSRF_COOKIE_SECURE True and Reloader restarted backoffice; the site is served over "
                              "plain HTTP, so browsers drop the Secure CSRF cookie and every login POST gets 403 "
                              "'CSRF cookie not set'.",
                   category="secure-cookie-flags-on-plain-http-site",
                   red_herrings=[("Deployment", "ops", "backoffice-worker")])
    return inc


ALL = [storefront_edge_crashloop, notification_sends_failing_page, content_ssr_replicas_missing,
       basket_errors_grouped, invoice_export_job_stuck, feature_freshness_page, wallet_api_burn,
       bot_scores_stalled_alert, report_api_question, pdf_exports_question_host, shipment_tracking_stale_page,
       backoffice_logins_failing]
