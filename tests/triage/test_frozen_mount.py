"""agent.triage.frozen_mount: a ConfigMap/Secret write its workload's running pods never see (a subPath mount).

Shapes: an nginx gateway Deployment mounting one key of its routes ConfigMap with subPath, the ConfigMap edited 40
min before while every pod is two days old, the gateway now refusing upstream connections; a mail-notifier
StatefulSet mounting one key of a Secret through a projected volume with subPath, the Secret rotated while its pod
ran, the notifier now refused by the SMTP server. Twins: the whole volume mounted (the kubelet refreshes it); a pod
created after the write (it read the new file); a write to another key than the one mounted; a workload whose
pods are not failing (nothing is read).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage import frozen_mount as fm
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from mcp_servers.kubernetes.render import logs_answer
from tests.triage.doubles import Call, RecordingHub, outcome

AT = datetime(2026, 9, 2, 11, 0, tzinfo=UTC)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def gateway(sub_path: bool) -> dict[str, Any]:
    mount: dict[str, Any] = {"name": "routes", "mountPath": "/etc/nginx/conf.d/upstreams.conf"}
    if sub_path:
        mount["subPath"] = "upstreams.conf"
    else:
        mount["mountPath"] = "/etc/nginx/conf.d"
    return {"kind": "Deployment", "metadata": {"name": "edge-gw", "namespace": "web"},
            "spec": {"template": {"spec": {
                "containers": [{"name": "nginx", "image": "nginx:1.27", "volumeMounts": [mount]}],
                "volumes": [{"name": "routes", "configMap": {"name": "edge-gw-routes"}}]}}}}


def notifier() -> dict[str, Any]:
    return {"kind": "StatefulSet", "metadata": {"name": "mailer", "namespace": "ops"},
            "spec": {"template": {"spec": {
                "containers": [{"name": "mailer", "image": "r.example/mailer:3",
                                "volumeMounts": [{"name": "conf", "mountPath": "/app/smtp.yaml",
                                                  "subPath": "smtp.yaml"}]}],
                "volumes": [{"name": "conf", "projected": {"sources": [{"secret": {"name": "mailer-smtp"}}]}}]}}}}


def write(kind: str, ns: str, name: str, key: str, workload: tuple[str, str, str], minutes: int) -> dict[str, Any]:
    return {"at": iso(AT - timedelta(minutes=minutes)), "type": "config",
            "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} updated by kubectl-apply: data key {key} set by kubectl-apply",
            "diff": [f"data key {key} set by kubectl-apply"],
            "related": [{"kind": workload[0], "namespace": workload[1], "name": workload[2]}]}


class Kubelet(RecordingHub):
    """k8s_logs over kubelet-stamped lines: `since_time` and `grep` applied, stamps stripped."""

    def __init__(self, stamped: list[tuple[datetime, str]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stamped = stamped

    def answer(self, call: Call, eid: str) -> ToolOutcome | None:
        if call.tool != "k8s_logs":
            return super().answer(call, eid)
        lines = self.stamped
        if call.args.get("since_time"):
            cutoff = datetime.fromisoformat(str(call.args["since_time"]).replace("Z", "+00:00"))
            lines = [(t, text) for t, text in lines if t >= cutoff]
        text = logs_answer("\n".join(t for _, t in lines), header=f"logs of ns/{call.args['name']} container c",
                           grep=call.args.get("grep"), budget=3000, more_hint="narrow")
        return outcome(True, {}, text, eid)


def run(obj: dict[str, Any], change: dict[str, Any], pods: dict[str, int], failing_pod: str | None,
        line: str, errors_since_min: int = 10) -> tuple[Facts, RecordingHub]:
    """`pods`: pod name -> minutes since it was created; the failing pod printed `line` every 2 minutes from
    `errors_since_min` minutes before the alert."""
    meta = obj["metadata"]
    rows = [{"name": name, "namespace": meta["namespace"], "created": iso(AT - timedelta(minutes=age))}
            for name, age in pods.items()]
    start = AT - timedelta(minutes=errors_since_min)
    hub = Kubelet([(start + timedelta(minutes=2 * i), line) for i in range(errors_since_min // 2)],
                  objects={(obj["kind"], meta["namespace"], meta["name"]): obj},
                  lists={("Pod", meta["namespace"]): rows})
    logs = [] if failing_pod is None else [
        LogEvidence(pod=failing_pod, namespace=meta["namespace"], evidence_id="L1",
                    top={"template": line.replace("111", "<n>"), "example": line, "severity": "error"}, hosts=[],
                    error_classes=set(), previous=False)]
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="C1", logs=logs)
    asyncio.run(fm.read(Subject(namespace=meta["namespace"]), facts, hub, iso(AT)))
    return facts, hub


NGINX = "connect() failed (111: Connection refused) while connecting to upstream, upstream: http://10.4.2.9:8080/"
SMTP = "smtp: 535 5.7.8 Authentication credentials invalid"
GW_POD = "edge-gw-6d9f8c7b5d-qx2vb"
TWO_DAYS = 60 * 48
OLD_PODS = {GW_POD: TWO_DAYS, "edge-gw-6d9f8c7b5d-m4kzt": TWO_DAYS - 3}


def gw_write(key: str = "upstreams.conf") -> dict[str, Any]:
    return write("ConfigMap", "web", "edge-gw-routes", key, ("Deployment", "web", "edge-gw"), 40)


def test_nginx_gateway_with_a_subpath_mount_is_named_for_the_edit_it_never_saw() -> None:
    facts, _ = run(gateway(True), gw_write(), OLD_PODS, GW_POD, NGINX)
    [hit] = fm.found(facts)
    assert (hit.workload.name, hit.config.name, hit.mounts[0][2]) == ("edge-gw", "edge-gw-routes", "upstreams.conf")
    assert "subPath" in fm.finding(hit, AT)["message"]


def test_mailer_with_a_projected_secret_subpath_is_named() -> None:
    change = write("Secret", "ops", "mailer-smtp", "smtp.yaml", ("StatefulSet", "ops", "mailer"), 90)
    facts, _ = run(notifier(), change, {"mailer-0": 60 * 30}, "mailer-0", SMTP)
    [hit] = fm.found(facts)
    assert (hit.workload.kind, hit.config.kind) == ("StatefulSet", "Secret")


def test_twin_whole_volume_mount_is_refreshed_and_not_named() -> None:
    facts, _ = run(gateway(False), gw_write(), OLD_PODS, GW_POD, NGINX)
    assert fm.found(facts) == []


def test_twin_a_pod_created_after_the_write_read_the_new_file() -> None:
    facts, _ = run(gateway(True), gw_write(), {GW_POD: TWO_DAYS, "edge-gw-6d9f8c7b5d-m4kzt": 20}, GW_POD, NGINX)
    assert fm.found(facts) == []


def test_twin_a_write_to_another_key_is_not_frozen_by_this_mount() -> None:
    facts, _ = run(gateway(True), gw_write("rate-limits.conf"), OLD_PODS, GW_POD, NGINX)
    assert fm.found(facts) == []


def test_twin_a_workload_that_is_not_failing_is_not_read() -> None:
    facts, hub = run(gateway(True), gw_write(), OLD_PODS, None, NGINX)
    assert fm.found(facts) == [] and hub.calls == []


def test_twin_errors_already_printed_before_the_write_are_not_its_doing() -> None:
    facts, _ = run(gateway(True), gw_write(), OLD_PODS, GW_POD, NGINX, errors_since_min=120)
    assert fm.found(facts) == []


def test_registered_with_its_weight() -> None:
    from agent.triage import behind

    assert fm in behind.MODULES and behind.WEIGHTS[fm.CHECK] == fm.WEIGHT
