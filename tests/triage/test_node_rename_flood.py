"""Three classes of a cause that is not where the symptom shows (issue #12, H61):

- agent.triage.node_daemonsets: a node named by the incident lacks a DaemonSet its peers run, because a change
  to the DaemonSet's tolerations or node selector cut it out (a taint not tolerated any more, a nodeSelector
  narrowed); a DaemonSet that never targeted the node is not a suspect.
- agent.triage.renamed_target: a referrer (an HPA's scaleTargetRef) points at a name a rename removed; the
  object created in its place is named; a target deleted with no replacement leaves the referrer the suspect.
- agent.triage.apiserver_flood: the Kubernetes API server's 429 (API Priority and Fairness) names the client whose
  change raised its calls; an application's own 429 does not.

The facts are written in the shape of the tools' answers (the scan's findings, k8s_changes' changes with their
diff lines as reads.template_diff prints them, prom_query_range's series facts), as tests/triage/test_rank.py does;
the wording of each log line is the real software's (client-go's StatusReasonTooManyRequests message, the APF
handler's body, a Go HTTP client's 429 from a rate-limited SaaS API for the negative twin).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from agent.incident import from_text
from agent.triage import apiserver_flood, node_daemonsets, rank, renamed_target, subject_of
from agent.triage.facts import Facts, LogEvidence, Ref
from tests.triage.test_rank import alert

AT = datetime(2026, 11, 26, 13, 40, tzinfo=UTC)


# ---- what a node lacks ---------------------------------------------------------------------------------------

def _node(labels: dict[str, str], taints: list[dict[str, str]]) -> dict[str, Any]:
    return {"kind": "Node", "metadata": {"name": "worker-7", "labels": labels}, "spec": {"taints": taints}}


GPU_TAINT = {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}
NOT_READY = {"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"}


@pytest.mark.parametrize(("tolerations", "taint", "placed"), [
    ([{"operator": "Exists"}], GPU_TAINT, True),  # tolerates everything
    ([], GPU_TAINT, False),
    ([{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}], GPU_TAINT, True),
    ([{"key": "nvidia.com/gpu", "operator": "Equal", "value": "absent"}], GPU_TAINT, False),  # value differs
    ([{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoExecute"}], GPU_TAINT, False),  # effect differs
    ([], NOT_READY, True),  # the DaemonSet controller tolerates node.kubernetes.io/* itself
    ([], {"key": "spot", "value": "true", "effect": "PreferNoSchedule"}, True),  # only a preference
])
def test_a_taint_excludes_a_daemonset_pod_by_the_schedulers_rules(tolerations: list[dict[str, str]],
                                                                  taint: dict[str, str], placed: bool) -> None:
    kind, why = node_daemonsets.excluded({"tolerations": tolerations}, _node({}, [taint]))
    assert (kind == "") is placed
    if not placed:
        assert kind == "taint" and taint["key"] in why


def test_selectors_and_required_affinity_exclude_by_labels() -> None:
    node = _node({"pool": "batch", "kubernetes.io/os": "linux"}, [])
    assert node_daemonsets.excluded({"nodeSelector": {"pool": "batch"}}, node) == ("", "")
    assert node_daemonsets.excluded({"nodeSelector": {"pool": "general"}}, node)[0] == "labels"
    affinity = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "pool", "operator": "NotIn", "values": ["batch"]}]}]}}}
    assert node_daemonsets.excluded({"affinity": affinity}, node)[0] == "labels"
    either = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "pool", "operator": "In", "values": ["general"]}]},
        {"matchExpressions": [{"key": "kubernetes.io/os", "operator": "Exists"}]}]}}}
    assert node_daemonsets.excluded({"affinity": either}, node) == ("", "")  # terms are ORed


REVISIONS = [
    {"revision": 1, "created": "2026-10-01T09:00:00Z", "changes": []},
    {"revision": 2, "created": "2026-11-21T12:38:00Z", "changes": ["pod tolerations[0].operator 'Exists' -> unset"]},
    {"revision": 3, "created": "2026-11-22T01:00:00Z", "changes": ["agent image cilium:1.15.1 -> cilium:1.15.2"]},
]


def test_the_revision_that_cut_the_node_is_the_one_touching_that_field() -> None:
    assert node_daemonsets.cutting_revision("taint", REVISIONS)["revision"] == 2  # type: ignore[index]
    narrowed = [*REVISIONS, {"revision": 4, "created": "2026-11-22T03:00:00Z",
                             "changes": ["pod nodeSelector.pool unset -> 'general'"]}]
    assert node_daemonsets.cutting_revision("labels", narrowed)["revision"] == 4  # type: ignore[index]
    # a DaemonSet that never targeted the node (a GPU plugin on CPU nodes): no such change, no suspect
    assert node_daemonsets.cutting_revision("labels", REVISIONS) is None


def test_a_node_question_ranks_the_daemonset_a_change_cut_out_first() -> None:
    facts = Facts(at=AT, scan={"findings": []}, scan_id="E1")
    facts.reads[node_daemonsets.STORE] = [node_daemonsets.Gap(
        Ref("DaemonSet", "kube-system", "cilium"), "worker-7", "does not tolerate the node's taint "
        "nvidia.com/gpu=present:NoSchedule", 2, "2026-11-21T12:38:00Z",
        ["pod tolerations[0].operator 'Exists' -> unset"], 11, ["E4", "E5"])]
    subject = subject_of(from_text("pods on worker-7 cannot reach any service since this morning, what is wrong?"))
    top = rank(subject, facts)[0]
    assert top.ref == Ref("DaemonSet", "kube-system", "cilium")
    assert "toleration" in top.cause and "worker-7" in top.cause and "Revision 2" in top.cause


# ---- what a rename left behind -------------------------------------------------------------------------------

def _hpa_missing(namespace: str, hpa: str, target: str) -> dict[str, Any]:
    return {"check": "hpa.missing_target", "severity": "warning", "reason": "FailedGetScale",
            "object": {"kind": "HorizontalPodAutoscaler", "namespace": namespace, "name": hpa},
            "owner": {"kind": "Deployment", "namespace": namespace, "name": target},
            "message": f"HorizontalPodAutoscaler {namespace}/{hpa}: scale target (scaleTargetRef) Deployment/{target} "
                       "not found, so it never scales", "details": {"target": f"Deployment/{target}"},
            "evidence": [f'AbleToScale=False FailedGetScale: deployments/scale.apps "{target}" not found'],
            "since": "2026-11-26T09:02:15Z"}


def _created(kind: str, namespace: str, name: str, at: str) -> dict[str, Any]:
    return {"at": at, "type": "created", "object": {"kind": kind, "namespace": namespace, "name": name},
            "summary": f"{kind} {namespace}/{name} created", "diff": []}


@pytest.mark.parametrize(("old", "new", "same"), [
    ("availability", "availability-api", True), ("payments-v1", "payments-v2", True),
    ("search-api", "search", True), ("checkout", "checkout", False), ("orders", "billing-api", False),
    ("api", "gateway-api", False),
])
def test_a_rename_keeps_the_names_leading_words(old: str, new: str, same: bool) -> None:
    assert renamed_target.shares_stem(old, new) is same


@pytest.mark.parametrize(("old", "new"), [("quotes", "quotes-svc"), ("ledger-v1", "ledger-v2")])
def test_the_object_that_replaced_the_missing_target_is_named(old: str, new: str) -> None:
    facts = Facts(at=AT, scan_id="E1", scan={"findings": [_hpa_missing("pricing", old, old)]}, changes_id="E2",
                  changes={"changes": [_created("Deployment", "pricing", new, "2026-11-26T09:02:00Z"),
                                       _created("Deployment", "pricing", "unrelated-worker", "2026-11-26T09:01:00Z")]})
    [found] = renamed_target.renames(facts)
    assert found.replacement == Ref("Deployment", "pricing", new) and found.old_name == old
    top = rank(subject_of(alert(alertname="ErrorBudgetBurn", namespace="pricing", service=new)), facts)[0]
    assert top.ref == Ref("Deployment", "pricing", new)
    assert "renamed" in top.cause and "scaleTargetRef" in top.cause and "HPA" in top.cause


def test_a_target_deleted_with_no_replacement_leaves_the_hpa_the_suspect() -> None:
    facts = Facts(at=AT, scan_id="E1", scan={"findings": [_hpa_missing("pricing", "quotes", "quotes")]},
                  changes_id="E2", changes={"changes": [
                      _created("Deployment", "pricing", "reports", "2026-11-26T09:02:00Z"),  # unrelated name
                      _created("StatefulSet", "pricing", "quotes-db", "2026-11-26T09:02:00Z")]})  # other kind
    assert renamed_target.renames(facts) == []
    top = rank(subject_of(alert(alertname="ErrorBudgetBurn", namespace="pricing", service="quotes")), facts)[0]
    assert top.check == "hpa.missing_target" and "renamed" not in top.cause  # the scan's own finding, unchanged


def _selects_nothing(namespace: str, service: str, selector: dict[str, str]) -> dict[str, Any]:
    text = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
    return {"check": "service.selector_mismatch", "severity": "critical", "reason": "NoPodsSelected",
            "object": {"kind": "Service", "namespace": namespace, "name": service},
            "message": f"Service {namespace}/{service}: selector {text} matches no pod",
            "details": {"selector": selector}, "evidence": [f"0 pods in {namespace} carry labels {text}"],
            "since": "2025-01-01T00:00:00Z"}


def test_a_service_selecting_the_old_name_names_the_renamed_workload() -> None:
    facts = Facts(at=AT, scan_id="E1", scan={"findings": [
        _selects_nothing("search", "search", {"app.kubernetes.io/name": "search", "tier": "web"})]},
        changes_id="E2",
        changes={"changes": [_created("StatefulSet", "search", "search-engine", "2026-11-26T12:50:00Z")]})
    [found] = renamed_target.renames(facts)
    assert found.replacement == Ref("StatefulSet", "search", "search-engine")
    assert "selector app.kubernetes.io/name=search" in renamed_target.finding(found)["message"]


def test_a_selector_edited_on_the_service_itself_is_no_rename() -> None:
    edit = {"at": "2026-11-26T12:55:00Z", "type": "config", "object": {"kind": "Service", "namespace": "search",
                                                                        "name": "search"},
            "summary": "Service search/search spec.selector changed", "diff": ["spec.selector.app 'search-engine' -> "
                                                                                "'search'"]}
    facts = Facts(at=AT, scan_id="E1", scan={"findings": [_selects_nothing("search", "search", {"app": "search"})]},
                  changes_id="E2", changes={"changes": [
                      _created("StatefulSet", "search", "search-engine", "2026-11-26T12:50:00Z"), edit]})
    assert renamed_target.renames(facts) == []
    no_name = Facts(at=AT, scan_id="E1", scan={"findings": [_selects_nothing("search", "search", {"tier": "web"})]},
                    changes_id="E2",
                    changes={"changes": [_created("Deployment", "search", "web-2", "2026-11-26T12:50:00Z")]})
    assert renamed_target.renames(no_name) == []  # a selector without a name label names no workload


# ---- who floods the API server -------------------------------------------------------------------------------

def _log(pod: str, namespace: str, message: str) -> LogEvidence:
    top = {"template": message, "example": message, "message": message, "count": 30, "severity": "error",
           "error_class": "http_5xx"}
    return LogEvidence(pod=pod, namespace=namespace, evidence_id="E6", top=top, hosts=[], error_classes={"http_5xx"},
                       previous=False)


def _rollout(namespace: str, name: str, at: str, diff: list[str]) -> dict[str, Any]:
    return {"at": at, "type": "rollout", "object": {"kind": "Deployment", "namespace": namespace, "name": name},
            "summary": f"Deployment {namespace}/{name} rolled out revision 4: " + "; ".join(diff), "diff": diff}


CLIENT_GO = ("Reconciler error: Operation cannot be fulfilled: the server has received too many requests and has "
             "asked us to try again later")
APF_BODY = 'E1126 13:41:02 failed to list *v1.ConfigMap: Too many requests, please try again later.'
SAAS_429 = 'POST https://api.stripe.example/v1/charges: 429 Too Many Requests: {"error":"rate_limit"}'

CHANGES = [
    _rollout("platform", "label-sync", "2026-11-25T16:50:00Z", ["label-sync env RESYNC_INTERVAL='10m' -> "
                                                                "RESYNC_INTERVAL='5s'"]),
    _rollout("ops", "cost-exporter", "2026-11-26T10:00:00Z", ["exporter args ['--kube-api-qps=5'] -> "
                                                              "['--kube-api-qps=50']"]),
    _rollout("web", "frontend", "2026-11-26T11:00:00Z", ["frontend env CACHE_TTL='10m' -> CACHE_TTL='5s'"]),
]


@pytest.mark.parametrize(("key", "old", "new", "factor"), [
    ("RESYNC_INTERVAL", "10m", "5s", 120.0), ("--resync-period", "30s", "60s", 0.0), ("kube-api-qps", "5", "50", 10.0),
    ("workers", "8", "4", 0.0), ("CACHE_TTL", "10m", "5s", 0.0), ("ASYNC_WORKERS", "4", "8", 2.0),
    ("syncPeriod", "1m", "5s", 12.0), ("POLL_INTERVAL_SECONDS", "600", "10", 60.0),
])
def test_which_setting_changes_raise_a_clients_request_rate(key: str, old: str, new: str, factor: float) -> None:
    assert apiserver_flood.load_factor(key, old, new) == pytest.approx(factor)


@pytest.mark.parametrize(("pod", "namespace", "said"), [
    ("kustomize-controller-6d9f8c7b5d-abcde", "flux-system", CLIENT_GO),
    ("argocd-application-controller-0", "argocd", APF_BODY),
])
def test_the_api_servers_429_names_the_client_whose_change_raised_its_calls(pod: str, namespace: str,
                                                                           said: str) -> None:
    facts = Facts(at=AT, scan={"findings": []}, scan_id="E1", logs=[_log(pod, namespace, said)])
    facts.history.append(({"changes": CHANGES}, "E14"))
    facts.reads[apiserver_flood.STORE] = {
        "rejected": ([{"labels": {"priority_level": "workload-low", "flow_schema": "service-accounts",
                                  "reason": "queue-full"}, "max": 41.0},
                      {"labels": {"priority_level": "global-default", "flow_schema": "global-default",
                                  "reason": "queue-full"}, "max": 0.0}], "E30"),
        "inqueue": ([{"labels": {"priority_level": "workload-low", "flow_schema": "service-accounts"}, "max": 128.0}],
                    "E31")}
    [flood] = apiserver_flood.floods(facts)
    assert flood.client == Ref("Deployment", "platform", "label-sync")  # 120x beats the 10x QPS raise
    assert flood.level == "workload-low" and flood.schema == "service-accounts"
    top = rank(subject_of(from_text(f"{pod.rsplit('-', 2)[0]} fails every sync, why?")), facts)[0]
    assert top.ref == Ref("Deployment", "platform", "label-sync")
    assert "Priority and Fairness" in top.cause and "workload-low" in top.cause and "RESYNC_INTERVAL" in top.cause


def test_an_applications_own_429_is_not_the_api_server() -> None:
    facts = Facts(at=AT, scan={"findings": []}, scan_id="E1",
                  logs=[_log("checkout-6d9f8c7b5d-abcde", "shop", SAAS_429)])
    facts.history.append(({"changes": CHANGES}, "E14"))
    assert apiserver_flood.floods(facts) == []


def test_a_429_with_no_change_that_raised_calls_names_nobody() -> None:
    facts = Facts(at=AT, scan={"findings": []}, scan_id="E1",
                  logs=[_log("kustomize-controller-6d9f8c7b5d-abcde", "flux-system", CLIENT_GO)])
    facts.history.append(({"changes": [CHANGES[2]]}, "E14"))  # a cache TTL cut: fewer calls elsewhere, not more
    assert apiserver_flood.floods(facts) == []
