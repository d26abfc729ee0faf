"""A change line says what it set and what that means (agent.triage.field_meaning, agent.triage.shell_wrapper).

Changes come from the real change timeline (mcp_servers.kubernetes.changes.timeline over objects in the API
server's shape: managedFields writes) and from the real rollout template diff (mcp_servers.kubernetes.reads.
template_diff between two pod templates). Each class is tried in two shapes (a managedFields write and a rollout
diff, or two kinds/wordings) beside a negative twin where the same field changed harmlessly.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.incident import from_text
from agent.triage import field_meaning, rank, scale_reset, shell_wrapper, subject_of
from agent.triage.facts import Facts
from mcp_servers.kubernetes.changes import timeline
from mcp_servers.kubernetes.reads import template_diff

AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _stamp(minutes: int) -> str:
    return (AT - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _written(kind: str, name: str, ns: str, body: dict[str, Any], fields: dict[str, Any], minutes: int,
             manager: str = "kubectl-patch", api: str = "v1") -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": ns, "creationTimestamp": "2026-01-01T00:00:00Z",
                            "managedFields": [{"manager": manager, "operation": "Update", "apiVersion": api,
                                               "time": _stamp(minutes), "fieldsType": "FieldsV1",
                                               "fieldsV1": fields}]}
    return {"apiVersion": api, "kind": kind, "metadata": meta, **body}


def _changes(*objs: dict[str, Any]) -> list[dict[str, Any]]:
    objects: dict[str, list[dict[str, Any]]] = {}
    for o in objs:
        objects.setdefault(o["kind"], []).append(o)
    return [c.model_dump() for c in timeline(objects, AT - timedelta(hours=6), AT)]


def _affinity(value: str, name: str = "search", ns: str = "shop") -> dict[str, Any]:
    spec: dict[str, Any] = {"selector": {"app": name}, "sessionAffinity": value,
                            "ports": [{"port": 80, "targetPort": 8080}]}
    if value == "ClientIP":
        spec["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": 10800}}
    return _written("Service", name, ns, {"spec": spec},
                    {"f:spec": {"f:sessionAffinity": {}, "f:sessionAffinityConfig": {".": {}}}}, 90)


def _rollout(kind: str, name: str, before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    diff = template_diff(before, after)
    return {"at": _stamp(40), "type": "rollout", "object": {"kind": kind, "namespace": "ns", "name": name},
            "summary": f"{kind} ns/{name} rolled out revision 8: " + "; ".join(diff), "diff": diff}


def _pod(security: dict[str, Any] | None = None, command: list[str] | None = None) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "app", "image": "app:1"}
    if command is not None:
        container["command"] = command
    spec: dict[str, Any] = {"containers": [container]}
    if security is not None:
        spec["securityContext"] = security
    return {"spec": spec}


# ---- (1) the generic change line carries the values written -------------------------------------------------

def test_a_bare_field_write_names_its_value_and_meaning_in_the_generic_change_line() -> None:
    facts = Facts(at=AT, changes={"changes": _changes(_affinity("ClientIP"))}, changes_id="E2")
    [top, *_] = rank(subject_of(from_text("search in namespace shop is slow")), facts)
    assert top.ref is not None and (top.ref.kind, top.ref.name) == ("Service", "search")
    assert "(now 'ClientIP')" in top.cause  # the value, not only the field name
    assert "sessionAffinity None (default) -> ClientIP" in top.cause and "uneven" in top.cause
    assert "90 min before the alert" in top.cause


def test_the_same_field_written_harmlessly_gets_its_value_but_no_meaning() -> None:
    facts = Facts(at=AT, changes={"changes": _changes(_affinity("None"))}, changes_id="E2")
    [top, *_] = rank(subject_of(from_text("search in namespace shop is slow")), facts)
    assert "(now 'None')" in top.cause and "Meaning of" not in top.cause


def test_change_line_does_not_repeat_a_value_the_summary_already_shows() -> None:
    change = _rollout("Deployment", "web", _pod(), _pod({"fsGroup": 2000}))
    line = field_meaning.change_line(change, change["summary"], 12)
    assert line.count("fsGroup unset -> '2000'") == 1 and "(12 min before the alert)" in line


# ---- (2) pod securityContext ----------------------------------------------------------------------------------

def test_fs_group_without_on_root_mismatch_means_a_recursive_ownership_change_in_two_kinds() -> None:
    for kind in ("StatefulSet", "Deployment"):
        said = field_meaning.said(_rollout(kind, "nexus", _pod(), _pod({"fsGroup": 200})))
        assert "fsGroup unset -> 200" in said and "fsGroupChangePolicy" in said and "ownership" in said
        assert "FailedMount" in said


def test_fs_group_with_on_root_mismatch_or_removed_is_the_harmless_twin() -> None:
    careful = _rollout("StatefulSet", "nexus", _pod(), _pod({"fsGroup": 200, "fsGroupChangePolicy": "OnRootMismatch"}))
    assert "fsGroup" not in field_meaning.said(careful)
    dropped = _rollout("StatefulSet", "nexus", _pod({"fsGroup": 200}), _pod())
    assert field_meaning.said(dropped) == ""


def test_run_as_non_root_and_run_as_user_say_what_the_kubelet_and_files_do() -> None:
    said = field_meaning.said(_rollout("Deployment", "api", _pod(), _pod({"runAsNonRoot": True})))
    assert "runAsNonRoot" in said and "image will run as root" in said
    user = field_meaning.said(_rollout("Deployment", "api", _pod({"runAsUser": 0}), _pod({"runAsUser": 1000})))
    assert "runAsUser 0 -> 1000" in user and "Permission denied" in user
    assert field_meaning.said(_rollout("Deployment", "api", _pod({"runAsNonRoot": True}), _pod())) == ""


# ---- (3) a command that becomes a shell wrapper, or loses its init --------------------------------------------

def test_shell_wrapper_without_exec_means_sigterm_is_not_forwarded_sh_and_bash() -> None:
    for shell in (["/bin/sh", "-c", "alembic upgrade head && python -m worker"],
                  ["bash", "-ec", "./migrate.sh; java -jar /app.jar"]):
        said = field_meaning.said(_rollout("Deployment", "worker", _pod(command=["python", "-m", "worker"]),
                                           _pod(command=shell)))
        assert "shell" in said and "SIGTERM" in said and "SIGKILL" in said, shell


def test_wrapper_with_exec_a_trap_or_a_single_command_is_the_harmless_twin() -> None:
    for shell in (["/bin/sh", "-c", "alembic upgrade head && exec python -m worker"],
                  ["/bin/sh", "-c", "trap 'kill -TERM $pid' TERM; python -m worker & pid=$!; wait $pid"],
                  ["/bin/sh", "-c", "python -m worker"]):
        change = _rollout("Deployment", "worker", _pod(command=["python", "-m", "worker"]), _pod(command=shell))
        assert "SIGKILL" not in field_meaning.said(change), shell
    # a wrapper that was already there is not what changed
    same = _rollout("Deployment", "worker", _pod(command=["sh", "-c", "a && b"]), _pod(command=["sh", "-c", "a && c"]))
    assert field_meaning.said(same) == ""


def test_init_dropped_from_the_command_and_its_twin() -> None:
    said = field_meaning.said(_rollout("Deployment", "api", _pod(command=["/usr/bin/tini", "--", "node", "server.js"]),
                                       _pod(command=["node", "server.js"])))
    assert "PID 1" in said and "SIGTERM" in said
    kept = _rollout("Deployment", "api", _pod(command=["dumb-init", "node", "a.js"]),
                    _pod(command=["dumb-init", "node", "b.js"]))
    assert field_meaning.said(kept) == ""


def test_argv_refuses_what_is_not_a_command_literal() -> None:
    assert shell_wrapper.argv("__import__('os')") is None and shell_wrapper.argv("[1, 2") is None
    assert shell_wrapper.script(["busybox", "sh", "-c", "a; b"]) == "a; b"


# ---- (4) spec.replicas written by a deploy tool over an autoscaled workload --------------------------------

def _scaled(manager: str) -> dict[str, Any]:
    return _written("Deployment", "pricing-api", "pricing", {"spec": {"replicas": 3}},
                    {"f:spec": {"f:replicas": {}}}, 6, manager=manager, api="apps/v1")


def test_replicas_written_by_argo_cd_or_helm_names_the_tool_and_the_hpa_reset() -> None:
    for manager, tool in (("argocd-controller", "Argo CD ("), ("kubectl-client-side-apply", "kubectl apply (manager ")):
        [change] = _changes(_scaled(manager))
        said = field_meaning.said(change)
        assert f"written by {tool}{manager})" in said and "HorizontalPodAutoscaler" in said and "HPA" in said


def test_replicas_written_by_the_autoscaler_itself_is_the_twin() -> None:
    [change] = _changes(_scaled("kube-controller-manager"))
    assert field_meaning.said(change) == ""


# ---- (5) more core fields ---------------------------------------------------------------------------------------

def test_rollout_and_pod_fields_mean_what_kubernetes_does() -> None:
    deploy = {"object": {"kind": "Deployment", "namespace": "ns", "name": "web"},
              "diff": ["spec.progressDeadlineSeconds: 600 -> 60", "spec.minReadySeconds: 0 -> 120"]}
    said = field_meaning.said(deploy)
    assert "ProgressDeadlineExceeded" in said and "available only after" in said
    relaxed = {"object": deploy["object"], "diff": ["spec.progressDeadlineSeconds: 600 -> 900",
                                                    "spec.minReadySeconds: 30 -> 0"]}
    assert field_meaning.said(relaxed) == ""
    pulled = field_meaning.said(_rollout("Deployment", "web", {"spec": {"containers": [{"name": "w", "image": "w:1"}]}},
                                         {"spec": {"shareProcessNamespace": True, "containers": [
                                             {"name": "w", "image": "w:1", "imagePullPolicy": "Always"}]}}))
    assert "toomanyrequests" in pulled and "pause container" in pulled


# ---- (6) the replicas write whose scale-down the Deployment controller's events show (agent.triage.scale_reset)

def _event(ns: str, name: str, message: str, minutes: int) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Event", "reason": "ScalingReplicaSet", "type": "Normal", "message": message,
            "metadata": {"name": f"{name}.{minutes}", "namespace": ns}, "lastTimestamp": _stamp(minutes),
            "involvedObject": {"kind": "Deployment", "namespace": ns, "name": name}}


def _reset_facts(manager: str, down: str, up: str | None, *, finding_minutes: int = 6) -> Facts:
    """A write of spec.replicas = 3 by `manager` 6 min before, then the Deployment controller's events."""
    events = [_event("pricing", "pricing-api", down, 5)] + ([_event("pricing", "pricing-api", up, 2)] if up else [])
    changes = _changes(_scaled(manager), *events)
    not_ready = {"check": "workload.not_ready", "severity": "critical",
                 "object": {"kind": "Deployment", "namespace": "pricing", "name": "pricing-api"},
                 "reason": "NotReady", "message": "Deployment pricing/pricing-api: 5/8 pods not Ready", "details": {},
                 "evidence": [], "since": _stamp(finding_minutes)}
    return Facts(at=AT, scan_id="E1", scan={"findings": [not_ready]}, changes={"changes": changes}, changes_id="E2")


def test_argo_cd_replicas_write_that_cut_the_hpa_scale_is_named_with_the_fight() -> None:
    facts = _reset_facts("argocd-controller", "Scaled down replica set pricing-api-7c9d8 to 3 from 22",
                         "Scaled up replica set pricing-api-7c9d8 to 22 from 3")
    [top, *_] = rank(subject_of(from_text("pricing-api in namespace pricing is slow")), facts)
    assert top.ref is not None and top.ref.name == "pricing-api" and top.check == "change.scale_reset"
    assert "Argo CD (argocd-controller) wrote spec.replicas = 3" in top.cause and "from 22 to 3" in top.cause
    assert "HPA" in top.cause and "back to 22" in top.cause


def test_a_kubectl_write_over_an_hpa_seen_rescaling_is_named_without_a_way_back_yet() -> None:
    facts = _reset_facts("kubectl-client-side-apply", "Scaled down replica set pricing-api-7c9d8 to 3 from 12", None)
    assert scale_reset.found(facts) == []  # a plain scale-down: no autoscaler seen, other modules judge it
    hpa = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
           "metadata": {"name": "pricing", "namespace": "pricing"},
           "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "pricing-api", "apiVersion": "apps/v1"}}}
    rescale = {"apiVersion": "v1", "kind": "Event", "reason": "SuccessfulRescale", "type": "Normal",
               "message": "New size: 12; reason: cpu resource utilization (percentage of request) above target",
               "metadata": {"name": "pricing.1", "namespace": "pricing"}, "lastTimestamp": _stamp(50),
               "involvedObject": {"kind": "HorizontalPodAutoscaler", "namespace": "pricing", "name": "pricing"}}
    facts.changes = {"changes": [*facts.change_list(), *_changes(hpa, rescale)]}
    [reset] = scale_reset.found(facts)
    message = scale_reset.finding(reset)["message"]
    assert "kubectl apply (manager kubectl-client-side-apply)" in message and "from 12 to 3" in message
    assert "an HPA scales it" in message


def test_twins_the_autoscaler_own_write_a_scale_to_another_count_or_a_scale_up() -> None:
    own = _reset_facts("kube-controller-manager", "Scaled down replica set pricing-api-7c9d8 to 3 from 22", None)
    assert scale_reset.found(own) == []
    other = _reset_facts("argocd-controller", "Scaled down replica set pricing-api-7c9d8 to 8 from 22", None)
    assert scale_reset.found(other) == []
    grew = _reset_facts("argocd-controller", "Scaled up replica set pricing-api-7c9d8 to 3 from 2", None)
    assert scale_reset.found(grew) == []
