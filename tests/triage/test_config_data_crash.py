"""agent.triage.config_data_crash: a config object written just before its reader began crash-looping on its data.

Shapes: a custom-kind policy created with a blank field, whose Java reader's helpful NPE names the getter of that
field (scan crash loop; its gateway caller's Envoy log shows ext_authz failing closed); a Python operator crashing on
`'NoneType' object is not subscriptable` while reconciling a custom object its last line names (previous logs read,
no scan finding); a Go router whose rules ConfigMap (the timeline says it reads it) no longer unmarshals. Twins: the
reader rolled out a new image beside the write (new code: not this); nothing ties the written object to the reader;
the crash is not about data (connection refused); the written object is a workload kind; the reader is not
crash-looping.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage.config_data_crash import data_error, found, named_fields, suspects
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 9, 14, 16, 0, tzinfo=UTC)
NPE = ('java.lang.NullPointerException: Cannot invoke "java.util.List.size()" because the return value of '
       '"io.example.limits.Rule.getBurstWindows()" is null')


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def log(pod: str, ns: str, message: str, previous: bool = True, last: list[str] | None = None,
        exception: str = "") -> LogEvidence:
    top = {"message": message, "example": message, "exception": exception, "severity": "error",
           "error_class": "exception"} if message else None
    return LogEvidence(pod=pod, namespace=ns, evidence_id=f"L-{pod}", top=top, hosts=[],
                       error_classes={"exception"} if message else set(), previous=previous,
                       last_lines=last or [])


def written(kind: str, ns: str, name: str, at: datetime, diff: list[str], type_: str = "created",
            related: list[str] | None = None) -> dict[str, Any]:
    return {"at": iso(at), "type": type_, "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} {type_} by kubectl-client-side-apply: " + "; ".join(diff), "diff": diff,
            "related": [{"kind": "Deployment", "namespace": ns, "name": r} for r in related or []]}


def crashloop(ns: str, name: str) -> dict[str, Any]:
    ref = {"kind": "Deployment", "namespace": ns, "name": name}
    return {"check": "pod.crashloop", "severity": "critical", "object": ref, "owner": ref, "message": "crash"}


def policy(own_rollout: bool = False, diff: list[str] | None = None, last: list[str] | None = None,
           kind: str = "RateRule", error: str = NPE) -> Facts:
    """limits/limiter (Java) crash-loops after RateRule tenants/gold-burst was created with burstWindows blank."""
    facts = Facts(at=AT, changes_id="C1", scan_id="S1")
    changes = [written(kind, "tenants", "gold-burst", AT - timedelta(minutes=25),
                       diff or ["spec.burstWindows = null", "spec.rps = 900"])]
    if own_rollout:
        changes.append({"at": iso(AT - timedelta(minutes=20)), "type": "rollout",
                        "object": {"kind": "Deployment", "namespace": "limits", "name": "limiter"},
                        "summary": "Deployment limits/limiter rolled out revision 9: limiter image "
                                   "registry/limiter:5.1.0 -> registry/limiter:5.2.0", "diff": []})
    facts.changes = {"changes": changes}
    facts.scan = {"findings": [crashloop("limits", "limiter")]}
    facts.logs = [log("limiter-7d9c8b6f5d-x2k4q", "limits", error,
                      last=last if last is not None else ["loading 3 rules: tenants/gold-burst, tenants/base"]),
                  log("edge-proxy-5b7d9c6f4d-k2m8n", "edge", "", previous=False,
                      last=['[2026-09-14T15:58:01.000Z] "GET /v2/items HTTP/1.1" 403 UAEX ext_authz_error "-" 0 0']
                      )]
    return facts


def test_a_blank_field_of_a_new_custom_object_crashing_its_java_reader_is_named() -> None:
    (crash,) = found(policy())
    assert str(crash.target) == "RateRule tenants/gold-burst" and crash.blank
    assert crash.fields[0] == "spec.burstWindows"
    _, finding, _, explains = suspects(policy())[0]
    head = finding["message"][:400]
    for words in ("RateRule tenants/gold-burst was created", "spec.burstWindows = null", "limits/limiter",
                  "NullPointerException", "Rule.getBurstWindows()", "ext_authz"):
        assert words in head, (words, head)
    assert {str(r) for r in explains} == {"limits/limiter", "edge/edge-proxy"}


def test_the_field_alone_ties_the_object_when_the_log_names_nothing() -> None:
    (crash,) = found(policy(last=[]))
    assert "written field burstWindows" in crash.tie


def test_a_python_operator_whose_last_line_names_the_object() -> None:
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": [written("Tenant", "acme", "blue-team", AT - timedelta(minutes=40),
                                         ["spec.quota.cpu changed"], type_="updated")]}
    facts.logs = [log("tenant-operator-6c8f9d7b5d-q4wzt", "ops", "TypeError: 'NoneType' object is not subscriptable",
                      last=["INFO reconciling Tenant acme/blue-team", "TypeError: 'NoneType' object is not "
                            "subscriptable"])]
    (crash,) = found(facts)
    assert crash.target.name == "blue-team" and "names acme/blue-team" in crash.tie


def test_the_kind_named_by_the_reader_ties_the_only_object_of_it_written() -> None:
    facts = Facts(at=AT, changes_id="C1")
    facts.changes = {"changes": [written("BackupPlan", "db", "nightly", AT - timedelta(minutes=30),
                                         ["spec.retention = ''"])]}
    facts.logs = [log("backup-operator-6c8f9d7b5d-q4wzt", "ops", "panic: runtime error: invalid memory address or "
                      "nil pointer dereference", last=["INFO starting informer for BackupPlans"])]
    (crash,) = found(facts)
    assert crash.target.name == "nightly" and "names the kind BackupPlan" in crash.tie
    facts.changes["changes"].append(written("BackupPlan", "db", "hourly", AT - timedelta(minutes=20),
                                            ["spec.schedule = '@hourly'"]))
    assert found(facts) == []  # two of the kind written, nothing says which one


def test_a_configmap_the_timeline_says_the_reader_uses() -> None:
    facts = Facts(at=AT, changes_id="C1", scan_id="S1")
    facts.changes = {"changes": [written("ConfigMap", "edge", "router-rules", AT - timedelta(minutes=15),
                                         ["data key rules.yaml changed"], type_="updated", related=["router"])]}
    facts.scan = {"findings": [crashloop("edge", "router")]}
    facts.logs = [log("router-5f6d7c8b9d-z9x8w", "edge", "yaml: unmarshal errors: line 12: cannot unmarshal !!str "
                      "`fast` into int", previous=False)]
    (crash,) = found(facts)
    assert str(crash.target) == "ConfigMap edge/router-rules" and "reads ConfigMap router-rules" in crash.tie


def test_the_readers_own_new_image_beside_the_write_is_not_this() -> None:
    assert found(policy(own_rollout=True)) == []


def test_nothing_tying_the_object_to_the_reader_names_nothing() -> None:
    assert found(policy(diff=["spec.rps = 900"], last=["loading rules"])) == []


def test_a_crash_not_about_data_and_a_workload_kind_are_not_this() -> None:
    assert found(policy(error="java.net.ConnectException: Connection refused")) == []
    assert found(policy(kind="Deployment")) == []


def test_a_reader_that_is_not_crash_looping_is_not_this() -> None:
    facts = policy()
    facts.scan = {"findings": []}
    facts.logs = [log("limiter-7d9c8b6f5d-x2k4q", "limits", NPE, previous=False)]
    assert found(facts) == []


def test_errors_about_data_and_the_fields_they_name() -> None:
    assert named_fields(NPE) >= {"burstwindows"}
    assert "reading 'limits'" in data_error(log("a-7d9c8b6f5d-x2k4q", "n", "TypeError: Cannot read properties of "
                                                "undefined (reading 'limits')"))
    assert named_fields("TypeError: Cannot read properties of undefined (reading 'limits')") == {"limits"}
    assert data_error(log("a-7d9c8b6f5d-x2k4q", "n", "dial tcp 10.0.0.1:5432: connect: connection refused")) == ""
