"""A Job's pod kept Running by a sidecar that a Namespace injection switch added: Istio's label seen by comparing
with the last run, Linkerd's annotation seen in managedFields, and the twins (the last run had the sidecar too, the
main container still working, a pod template that opts in itself)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import behind, sidecar_hold
from agent.triage.facts import Facts

AT = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _job(name: str, template_meta: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"kind": "Job", "metadata": {"name": name, "namespace": "billing",
                                        "ownerReferences": [{"kind": "CronJob", "name": "invoice-run"}]},
            "spec": {"template": {"metadata": template_meta or {},
                                  "spec": {"containers": [{"name": "invoice-run"}]}}}}


def _pod(job: str, created: datetime, sidecar: str | None, main_done: bool = True,
         phase: str = "Running") -> dict[str, Any]:
    containers = [{"name": "invoice-run"}] + ([{"name": sidecar}] if sidecar else [])
    statuses = [{"name": "invoice-run", "state": {"terminated": {"exitCode": 0, "finishedAt": _iso(created + timedelta(
        minutes=30))}} if main_done else {"running": {}}}]
    if sidecar:
        statuses.append({"name": sidecar, "state": {"running": {}}})
    return {"kind": "Pod", "metadata": {"name": f"{job}-x7k2p", "namespace": "billing",
                                        "creationTimestamp": _iso(created),
                                        "ownerReferences": [{"kind": "Job", "name": job}]},
            "spec": {"containers": containers}, "status": {"phase": phase, "containerStatuses": statuses}}


def _namespace(labels: dict[str, str], annotations: dict[str, str] | None = None,
               managed: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"kind": "Namespace", "metadata": {"name": "billing", "labels": labels, "annotations": annotations or {},
                                              "managedFields": managed or []}}


def _facts(*objects: dict[str, Any]) -> Facts:
    facts = Facts(at=AT)
    facts.objects += [(o, f"E{20 + i}") for i, o in enumerate(objects)]
    return facts


def test_an_istio_label_switched_on_since_the_last_run_is_named() -> None:
    created = AT - timedelta(hours=6)
    facts = _facts(_pod("invoice-run-2901", created, "istio-proxy"), _job("invoice-run-2901"),
                   _namespace({"istio-injection": "enabled"}),
                   _pod("invoice-run-2900", created - timedelta(days=1), None, phase="Succeeded"))
    [h] = sidecar_hold.found(facts)
    message = sidecar_hold.finding(h)["message"]
    assert message.startswith("Namespace billing was labelled istio-injection=enabled since the last run (its pod "
                              "invoice-run-2900-x7k2p had no istio-proxy): the injector adds the istio-proxy sidecar")
    assert "so Job billing/invoice-run-2901 never completes" in message and "quitquitquit" in message
    [(ref, _, evidence, explains)] = [s for s in behind.suspects(facts) if s[1]["check"] == sidecar_hold.CHECK]
    assert (str(ref), evidence) == ("Namespace billing", ["E20", "E21", "E22", "E23"])
    assert [str(e) for e in explains] == ["Pod billing/invoice-run-2901-x7k2p", "Job billing/invoice-run-2901"]


def test_a_linkerd_annotation_written_hours_before_the_run_is_named_with_its_writer() -> None:
    created = AT - timedelta(hours=6)
    managed = [{"manager": "kubectl-annotate", "time": _iso(created - timedelta(hours=3)),
                "fieldsV1": {"f:metadata": {"f:annotations": {"f:linkerd.io/inject": {}}}}}]
    facts = _facts(_pod("invoice-run-2901", created, "linkerd-proxy"), _job("invoice-run-2901"),
                   _namespace({}, {"linkerd.io/inject": "enabled"}, managed))
    [h] = sidecar_hold.found(facts)
    message = sidecar_hold.finding(h)["message"]
    assert message.startswith("Namespace billing was annotated linkerd.io/inject=enabled by kubectl-annotate 9 h 0 min "
                              "before the incident")
    assert "localhost:4191/shutdown" in message


def test_a_sidecar_the_last_run_had_too_is_not_named() -> None:
    created = AT - timedelta(hours=6)
    facts = _facts(_pod("invoice-run-2901", created, "istio-proxy"), _job("invoice-run-2901"),
                   _namespace({"istio-injection": "enabled"}),
                   _pod("invoice-run-2900", created - timedelta(days=1), "istio-proxy", phase="Succeeded"))
    assert sidecar_hold.found(facts) == []


def test_a_main_container_still_working_is_not_held() -> None:
    created = AT - timedelta(hours=6)
    facts = _facts(_pod("invoice-run-2901", created, "istio-proxy", main_done=False), _job("invoice-run-2901"),
                   _namespace({"istio-injection": "enabled"}),
                   _pod("invoice-run-2900", created - timedelta(days=1), None, phase="Succeeded"))
    assert sidecar_hold.found(facts) == []


def test_a_pod_template_that_asks_for_the_sidecar_itself_does_not_blame_the_namespace() -> None:
    created = AT - timedelta(hours=6)
    facts = _facts(_pod("invoice-run-2901", created, "istio-proxy"),
                   _job("invoice-run-2901", {"labels": {"sidecar.istio.io/inject": "true"}}),
                   _namespace({"istio-injection": "enabled"}),
                   _pod("invoice-run-2900", created - timedelta(days=1), None, phase="Succeeded"))
    assert sidecar_hold.found(facts) == []


def test_a_pod_that_no_job_owns_is_not_held() -> None:
    created = AT - timedelta(hours=6)
    pod = _pod("invoice-run-2901", created, "istio-proxy")
    pod["metadata"]["ownerReferences"] = [{"kind": "ReplicaSet", "name": "invoice-run-2901"}]
    facts = _facts(pod, _namespace({"istio-injection": "enabled"}),
                   _pod("invoice-run-2900", created - timedelta(days=1), None, phase="Succeeded"))
    assert sidecar_hold.found(facts) == []
