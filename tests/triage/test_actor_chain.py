"""A change made by a controller, traced to that controller's own config (agent.triage.actor_chain).

Units on the records real controllers leave (cluster-proportional-autoscaler's klog lines and
`--target=Deployment/coredns` argument, the descheduler's "pod evicted from <node> node by
sigs.k8s.io/descheduler" events with reportingController sigs.k8s.io/descheduler, kube-downscaler's
"Scaling down Deployment web/shop from 4 to 1 replicas" and its managedFields write of spec.replicas),
then four incident bundles written with the corpus writer, served by the replay API server and
investigated blind in runbook-only mode as `vigil eval` does:

- orders-evicted: a descheduler (policy mounted from ConfigMap descheduler-policy) gets lower
  LowNodeUtilization thresholds; it evicts orders-api's pods every few minutes (events, newer wording
  "pod eviction from ... by sigs.k8s.io/descheduler"). Twin orders-evicted-late: the same evictions, but the
  policy was written only after they began: the config is not blamed.
- storefront-downscaled: kube-downscaler (envFrom ConfigMap kube-downscaler) gets a DEFAULT_UPTIME that ends
  at 09:00; it writes storefront's spec.replicas 4 -> 1 (managedFields manager kube-downscaler) and the one
  pod left is overloaded. Twin storefront-downscaled-old: the same scale-down by the same controller, whose
  config has not been written for weeks: it is said by other checks, but its config is not blamed.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agent.triage import actor_chain as ac
from agent.triage.facts import Facts, LogEvidence, Ref
from agent.triage.subject import Subject
from tests.triage.blind_eval import investigate_blind

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from corpus import logs as L  # noqa: E402
from corpus.kit import REGISTRY, Incident, P, Rev, c, o, ts  # noqa: E402

M = timedelta(minutes=1)
AT = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)


def _workload(name: str, ns: str, image: str, args: list[str], labels: dict[str, str] | None = None,
              **spec: Any) -> dict[str, Any]:
    return {"kind": "Deployment", "metadata": {"name": name, "namespace": ns, "labels": labels or {}},
            "spec": {"template": {"metadata": {"labels": labels or {}},
                                  "spec": {**spec, "containers": [{"name": "main", "image": image, "args": args}]}}}}


CPA = _workload("dns-autoscaler", "kube-system", "registry.k8s.io/cpa/cluster-proportional-autoscaler:v1.8.9",
                ["--namespace=kube-system", "--configmap=dns-autoscaler", "--target=Deployment/coredns",
                 '--default-params={"linear":{"coresPerReplica":256,"nodesPerReplica":16}}'],
                {"k8s-app": "dns-autoscaler"})
DESCHEDULER = _workload("descheduler", "kube-system", "registry.k8s.io/descheduler/descheduler:v0.31.0",
                        ["--policy-config-file=/policy-dir/policy.yaml", "--descheduling-interval=2m"],
                        {"app.kubernetes.io/name": "descheduler"}, serviceAccountName="descheduler-sa")


def test_the_actor_is_known_by_its_name_labels_account_and_image() -> None:
    assert {"dns-autoscaler", "cluster-proportional-autoscaler"} <= ac.actor_names(CPA)
    assert {"descheduler", "descheduler-sa"} <= ac.actor_names(DESCHEDULER)


def test_a_controllers_arguments_name_what_it_acts_on() -> None:
    assert ac.targets(CPA) == [Ref("Deployment", "kube-system", "coredns")]  # not the JSON default params
    other = _workload("scaler", "ops", "example/cpa:1", ["--target=statefulset/redis", "--namespace=cache"])
    assert ac.targets(other) == [Ref("StatefulSet", "cache", "redis")]
    assert ac.targets(DESCHEDULER) == []


def _event(name: str, reason: str, message: str, source: str, at: datetime, count: int = 1) -> dict[str, Any]:
    return {"type": "Normal", "reason": reason, "kind": "Pod", "name": name, "namespace": "orders",
            "message": message, "count": count, "first_seen": ts(at), "last_seen": ts(at), "source": source}


def test_events_the_actor_reported_or_its_message_names_are_its_acts() -> None:
    actor = ac._actor(DESCHEDULER, "E1")
    pod = "orders-api-kzwgxswldc-"
    rows = [_event(pod + "x2v9q", "Descheduled", "pod evicted from n2 node by sigs.k8s.io/descheduler",
                   "sigs.k8s.io/descheduler", AT - 40 * M),
            _event(pod + "h7k4m", "Descheduled", "pod eviction from n3 node by sigs.k8s.io/descheduler",
                   "", AT - 30 * M, 2),  # no source recorded: the message names the actor
            _event(pod + "z8p6t", "Evicted", "The node was low on resource: memory.", "kubelet",
                   AT - 20 * M)]
    acts = ac.event_acts(rows, actor)
    assert [(a.victim.name, a.count, a.at) for a in acts] == [("orders-api", 3, AT - 40 * M)]
    assert ac.event_acts(rows, ac._actor(CPA, "E2")) == []  # another controller did not do this


def test_a_timeline_write_by_the_actor_is_its_act() -> None:
    downscaler = ac._actor(_workload("kube-downscaler", "platform", "hjacobs/kube-downscaler:23.2.0", []), "E1")
    changes = [{"at": ts(AT - 50 * M), "type": "scale", "object": {"kind": "Deployment", "namespace": "web",
                                                                     "name": "storefront"},
                "summary": "Deployment web/storefront written by kube-downscaler: spec.replicas",
                "diff": ["spec.replicas written by kube-downscaler (now 1)"]},
               {"at": ts(AT - 50 * M), "type": "scale", "object": {"kind": "Deployment", "namespace": "web",
                                                                     "name": "cart"},
                "summary": "Deployment web/cart written by kubectl-scale: spec.replicas", "diff": []}]
    acts = ac.change_acts(changes, downscaler)
    assert [(str(a.victim), a.at) for a in acts] == [("Deployment web/storefront", AT - 50 * M)]


def test_the_actors_own_log_says_what_it_did_and_when() -> None:
    cpa = ac._actor(CPA, "E1")
    klog = "I1119 21:31:10.000000       1 autoscaler_server.go:167] Replicas are not as expected : updating " \
           "replicas from 2 to 1"
    [act] = ac.log_acts(klog, cpa, AT)
    assert act.victim == Ref("Deployment", "kube-system", "coredns") and act.at == datetime(2026, 11, 19, 21, 31, 10,
                                                                                             tzinfo=UTC)
    assert "scaled coredns from 2 to 1 replica" in act.what
    line = "2026-11-20T09:00:04Z Scaling down Deployment web/storefront from 4 to 1 replicas (uptime: Mon-Fri " \
           "07:00-09:00 UTC, downtime: never)"
    [down] = ac.log_acts(line, ac._actor(_workload("kube-downscaler", "platform", "x/kube-downscaler:1", []), ""), AT)
    assert down.victim == Ref("Deployment", "web", "storefront") and "from 4 to 1 replicas" in down.what
    assert ac.log_acts("I1119 21:31:10.000000 1 k8sclient.go:277] Cluster status: SchedulableNodes[4]", cpa, AT) == []


def _facts(dns_error: bool = False) -> Facts:
    top = {"message": "upstream request failed: getaddrinfo EAI_AGAIN cart.shop.svc.cluster.local"} \
        if dns_error else {"message": "request failed: 503"}
    log = LogEvidence(pod="storefront-bff-kzwgxswldc-x2v9q", namespace="storefront", evidence_id="E3", top=top,
                      hosts=[], error_classes=set(), previous=False)
    return Facts(at=AT, logs=[log])


def _write(at: datetime) -> dict[str, Any]:
    return {"at": ts(at), "type": "config", "object": {"kind": "ConfigMap", "namespace": "kube-system",
                                                      "name": "descheduler-policy"},
            "summary": "ConfigMap kube-system/descheduler-policy updated by kubectl-edit: data key policy.yaml set "
                       "by kubectl-edit", "related": [{"kind": "Deployment", "namespace": "kube-system",
                                                       "name": "descheduler"}]}


POLICY = {"data": {"policy.yaml": "profiles:\n- name: default\n  pluginConfig:\n  - name: LowNodeUtilization\n"
                                  "    args:\n      thresholds:\n        cpu: 45\n"}}


def test_the_config_written_before_the_actor_acted_is_the_chain() -> None:
    actor = ac._actor(DESCHEDULER, "E1")
    victim = Ref("", "orders", "orders-api")
    acts = [ac.Act(victim, "Descheduled (pod evicted from n2 node by sigs.k8s.io/descheduler)", AT - 40 * M, 9)]
    found = ac.chain(_write(AT - timedelta(hours=18)), actor, acts, POLICY, [victim], _facts())
    assert found is not None and found.config == Ref("ConfigMap", "kube-system", "descheduler-policy")
    said = ac.finding(found)["message"]
    assert "Deployment kube-system/descheduler" in said and "9 times" in said and "by kubectl-edit" in said
    assert "thresholds.cpu=45" in said and "pluginConfig[0].name=LowNodeUtilization" in found.leaves


def test_a_config_written_after_the_disruption_began_or_an_act_off_the_path_is_no_chain() -> None:
    actor = ac._actor(DESCHEDULER, "E1")
    victim = Ref("", "orders", "orders-api")
    acts = [ac.Act(victim, "Descheduled", AT - 40 * M, 5), ac.Act(victim, "Descheduled", AT - 10 * M, 2)]
    assert ac.chain(_write(AT - 20 * M), actor, acts, POLICY, [victim], _facts()) is None  # already evicting
    assert ac.chain(_write(AT - timedelta(hours=3)), actor, acts, POLICY, [], _facts()) is None  # not our path
    assert ac.chain(_write(AT - timedelta(days=3)), actor, acts, POLICY, [victim], _facts()) is None  # too old


def test_the_cluster_dns_is_on_the_path_only_when_lookups_fail() -> None:
    dns = Ref("Deployment", "kube-system", "coredns")
    subject = Subject(namespace="storefront", names=["storefront-bff"])
    assert ac.on_path(dns, subject, _facts(dns_error=True))
    assert not ac.on_path(dns, subject, _facts(dns_error=False))
    assert ac.on_path(Ref("", "storefront", "storefront-bff"), subject, _facts())


# ---- end to end --------------------------------------------------------------------------------

POLICY_YAML = ('apiVersion: "descheduler/v1alpha2"\nkind: "DeschedulerPolicy"\nprofiles:\n- name: default\n'
               "  pluginConfig:\n  - name: LowNodeUtilization\n    args:\n      thresholds:\n        cpu: {low}\n"
               "        memory: {low}\n      targetThresholds:\n        cpu: 50\n        memory: 50\n"
               "  plugins:\n    balance:\n      enabled:\n      - LowNodeUtilization\n")


def _changed(obj: dict[str, Any], manager: str, when: datetime, fields: dict[str, Any]) -> None:
    obj["metadata"]["managedFields"] = [{"manager": manager, "operation": "Update", "apiVersion": obj["apiVersion"],
                                         "time": ts(when), "fieldsType": "FieldsV1", "fieldsV1": fields}]


def _orders(name: str, written_before: bool) -> Incident:
    at = datetime(2026, 11, 18, 14, 10, tzinfo=UTC)
    inc = Incident(name, title="orders-api availability SLO burning", story="", at=at, seed=571,
                   namespaces=("orders",))
    begin = at - 42 * M
    written = at - timedelta(hours=15) if written_before else begin + 12 * M
    policy = inc.configmap("kube-system", "descheduler-policy", {"policy.yaml": POLICY_YAML.format(low=40)},
                           at=inc.born + timedelta(days=4))
    _changed(policy, "kubectl-edit", written, {"f:data": {"f:policy.yaml": {}}})
    inc.deployment("kube-system", "descheduler", [Rev(1, inc.born + timedelta(days=4), "helm install descheduler", [
        c("descheduler", "registry.k8s.io/descheduler/descheduler:v0.31.0", port=10258)],
        pod_spec={"volumes": [{"name": "policy-volume", "configMap": {"name": "descheduler-policy"}}]},
        container={"args": ["--policy-config-file=/policy-dir/policy.yaml", "--descheduling-interval=2m", "--v=3"],
                   "volumeMounts": [{"name": "policy-volume", "mountPath": "/policy-dir"}]})],
        {1: [P()]})

    def api_log(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            if t - start < 60 * timedelta(seconds=1):
                return L.js(t, "warn", "not ready: loading catalog snapshot", status=503, path="/v1/orders")
            return L.js(t, "info", "request completed", status=200, path="/v1/orders", ms=31 + i % 17)
        return L.lines(L.ticker(start, end, 10, line))

    nodes = inc.node_names()
    api = inc.deployment("orders", "orders-api", [Rev(4, at - timedelta(days=12), "deploy 4.2.1",
                                                      [c("orders-api", f"{REGISTRY}/orders/api:4.2.1")])],
                         {4: [P(log=api_log, created=at - timedelta(minutes=3 + 5 * i), node=nodes[i % 4])
                              for i in range(3)]})
    for i in range(8):
        gone_name = f"{api.rs[4]}-{o.suffix(f'evicted-{i}', 5)}"
        gone = {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": gone_name, "namespace": "orders",
                                                                "uid": o.uid("pod", "orders", gone_name)}}
        inc.event(gone, "Descheduled", f"pod eviction from {nodes[i % 4]} node by sigs.k8s.io/descheduler",
                  begin + 5 * i * M, warning=False, component="sigs.k8s.io/descheduler")
    inc.slo_burn("orders-api", "orders", "orders-availability", "0.999", 14.0,
                 "orders-api answers 503 to 1.4% of /v1/orders requests.")
    culprit = ("ConfigMap", "kube-system", "descheduler-policy") if written_before else \
        ("Deployment", "kube-system", "descheduler")
    inc.answer_key(culprit=culprit, keywords=["descheduler", "evict"], root_cause="descheduler policy evicts pods",
                   category="controller-config", red_herrings=[])
    return inc


def _storefront(name: str, recent: bool) -> Incident:
    at = datetime(2026, 11, 18, 9, 40, tzinfo=UTC)
    inc = Incident(name, title="storefront p99 latency high", story="", at=at, seed=572,
                   namespaces=("web", "platform"))
    scaled = at - 40 * M
    config = inc.configmap("platform", "kube-downscaler", {"DEFAULT_UPTIME": "Mon-Fri 07:00-09:00 UTC",
                                                           "EXCLUDE_NAMESPACES": "kube-system,monitoring"},
                           at=inc.born + timedelta(days=2))
    _changed(config, "kubectl-edit", at - timedelta(hours=20) if recent else inc.born + timedelta(days=2, hours=1),
             {"f:data": {"f:DEFAULT_UPTIME": {}}})

    def downscaler_log(pod: str, start: datetime, end: datetime) -> str:
        return L.lines([(scaled, f"{ts(scaled)} Scaling down Deployment web/storefront from 4 to 1 replicas (uptime: "
                                 "Mon-Fri 07:00-09:00 UTC, downtime: never)")])
    inc.deployment("platform", "kube-downscaler", [Rev(1, inc.born + timedelta(days=2), "helm install", [
        c("downscaler", "hjacobs/kube-downscaler:23.2.0", port=None)],
        container={"args": ["--interval=60"], "envFrom": [{"configMapRef": {"name": "kube-downscaler"}}]})],
        {1: [P(log=downscaler_log, created=inc.born + timedelta(days=2))]})

    def web_log(pod: str, start: datetime, end: datetime) -> str:
        def line(i: int, t: datetime) -> str:
            slow = t > scaled + 5 * M
            return L.js(t, "warn" if slow else "info", "request completed", path="/", status=200,
                        ms=(2400 + i % 900) if slow else 80 + i % 40)
        return L.lines(L.ticker(start, end, 8, line))
    web = inc.deployment("web", "storefront", [Rev(9, at - timedelta(days=6), "deploy 9.1.0",
                                                   [c("storefront", f"{REGISTRY}/web/storefront:9.1.0")])],
                         {9: [P(log=web_log)]}, replicas=1)
    _changed(inc.find("Deployment", "web", "storefront"), "kube-downscaler", scaled, {"f:spec": {"f:replicas": {}}})
    inc.event(inc.find("ReplicaSet", "web", web.rs[9]), "SuccessfulDelete", "Deleted pod: storefront-gone-1",
              scaled + 2 * timedelta(seconds=1), warning=False, component="replicaset-controller")
    inc.alertmanager("StorefrontLatencyHigh", {"namespace": "web", "service": "storefront"},
                     "storefront p99 latency above 2s", "p99 latency of storefront is 2.6s.",
                     "histogram_quantile(0.99, ...) > 2")
    culprit = ("ConfigMap", "platform", "kube-downscaler") if recent else ("Deployment", "web", "storefront")
    inc.answer_key(culprit=culprit, keywords=["kube-downscaler", "replicas"], root_cause="downscaler uptime",
                   category="controller-config", red_herrings=[])
    return inc


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return investigate_blind((lambda: _orders("orders-evicted", True), lambda: _orders("orders-evicted-late", False),
                              lambda: _storefront("storefront-downscaled", True),
                              lambda: _storefront("storefront-downscaled-old", False)),
                             tmp_path_factory.mktemp("actor"))


def _top(results: dict[str, Any], bundle: str) -> str:
    return str(getattr(results[bundle], "top", "") or "")


@pytest.mark.parametrize(("bundle", "words"), [
    ("orders-evicted", ("ConfigMap kube-system/descheduler-policy", "Deployment kube-system/descheduler",
                        "by kubectl-edit", "8 times", "thresholds.cpu=40")),
    ("storefront-downscaled", ("ConfigMap platform/kube-downscaler", "Deployment platform/kube-downscaler",
                               "DEFAULT_UPTIME=Mon-Fri 07:00-09:00 UTC", "storefront")),
])
def test_the_controllers_config_is_named_with_what_it_did(results: dict[str, Any], bundle: str,
                                                         words: tuple[str, ...]) -> None:
    top = _top(results, bundle)
    assert all(w in top for w in words), top


@pytest.mark.parametrize("bundle", ["orders-evicted-late", "storefront-downscaled-old"])
def test_an_actor_whose_config_did_not_change_first_is_not_blamed_through_it(results: dict[str, Any],
                                                                              bundle: str) -> None:
    assert "which then acted on them" not in _top(results, bundle), _top(results, bundle)


def test_a_rollout_that_changed_a_controllers_own_args_makes_it_the_config() -> None:
    rollout = {"at": ts(AT - timedelta(hours=5)), "type": "rollout", "revision": 4,
               "object": {"kind": "Deployment", "namespace": "kube-system", "name": "descheduler"},
               "summary": "Deployment kube-system/descheduler rolled out revision 4",
               "diff": ["descheduler args ['--descheduling-interval=10m'] -> ['--descheduling-interval=1m']"]}
    image_only = {**rollout, "object": {"kind": "Deployment", "namespace": "shop", "name": "web"},
                  "diff": ["web image shop/web:1 -> shop/web:2"]}
    picked = ac._config_changes(_facts(), [rollout, image_only])
    assert [c["object"]["name"] for c in picked] == ["descheduler"]
    actor = ac._actor(DESCHEDULER, "E1")
    victim = Ref("", "orders", "orders-api")
    found = ac.chain(rollout, actor, [ac.Act(victim, "Descheduled", AT - 60 * M, 4)], None, [victim], _facts())
    assert found is not None and found.config == Ref("Deployment", "kube-system", "descheduler")
    said = ac.finding(found)["message"]
    assert "had its own settings changed" in said and "--descheduling-interval=1m" in said
