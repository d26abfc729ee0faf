"""config_data_crash: readers in other runtimes crashing on a config object's data (issue #12 audit).

Shapes: a Rust router (serde: missing field) whose rules ConfigMap the timeline says it mounts; a .NET operator
(`FormatException: Input string was not in a correct format`) whose last line names the custom object it
reconciles; a Node service whose feature-flag JSON was written empty (`Unexpected end of JSON input`); a Ruby
worker (`undefined method '[]' for nil`). Twins: the .NET reader rolled out its own new image beside the write (new
code, not this), and a crash that is not about data (connection refused).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage.config_data_crash import DATA_ERROR, found
from agent.triage.facts import Facts, LogEvidence

AT = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _log(pod: str, ns: str, message: str, last: list[str] | None = None) -> LogEvidence:
    top = {"message": message, "example": message, "severity": "error", "error_class": "exception"}
    return LogEvidence(pod=pod, namespace=ns, evidence_id=f"L-{pod}", top=top, hosts=[],
                       error_classes={"exception"}, previous=True, last_lines=last or [])


def _written(kind: str, ns: str, name: str, diff: list[str], related: list[str] | None = None) -> dict[str, Any]:
    return {"at": _iso(AT - timedelta(minutes=30)), "type": "updated",
            "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} updated by kubectl-edit: " + "; ".join(diff), "diff": diff,
            "related": [{"kind": "Deployment", "namespace": ns, "name": r} for r in related or []]}


def _facts(changes: list[dict[str, Any]], reader: tuple[str, str], logs: list[LogEvidence]) -> Facts:
    ref = {"kind": "Deployment", "namespace": reader[0], "name": reader[1]}
    facts = Facts(at=AT, changes_id="C1", scan_id="S1")
    facts.changes = {"changes": changes}
    facts.scan = {"findings": [{"check": "pod.crashloop", "severity": "critical", "object": ref, "owner": ref,
                                "message": "crash"}]}
    facts.logs = logs
    return facts


RUST = ("thread 'main' panicked at src/config.rs:41:10: called `Result::unwrap()` on an `Err` value: "
        "Error(\"missing field `upstream`\", line: 7, column: 3)")
DOTNET = ("Unhandled exception. System.FormatException: Input string was not in a correct format. at "
          "System.Number.ThrowOverflowOrFormatException(ParsingStatus status, TypeCode type)")


def test_rust_router_crashing_on_its_mounted_rules_configmap() -> None:
    change = _written("ConfigMap", "edge", "route-rules", ["data.rules.yaml changed"], related=["router"])
    [crash] = found(_facts([change], ("edge", "router"), [_log("router-6c8d9f7b5-x2k4p", "edge", RUST)]))
    assert str(crash.target) == "ConfigMap edge/route-rules"


def test_dotnet_operator_names_the_custom_object_it_reconciles_and_its_rollout_twin() -> None:
    change = _written("TenantPolicy", "tenants", "acme", ["spec.maxUsers = ''"])
    last = ["info: Reconciling TenantPolicy tenants/acme"]
    facts = _facts([change], ("platform", "tenant-operator"),
                   [_log("tenant-operator-7f6d5c4b8-zxvbn", "platform", DOTNET, last)])
    [crash] = found(facts)
    assert str(crash.target) == "TenantPolicy tenants/acme"
    rollout = {"at": _iso(AT - timedelta(minutes=28)), "type": "rollout",
               "object": {"kind": "Deployment", "namespace": "platform", "name": "tenant-operator"},
               "summary": "Deployment platform/tenant-operator rolled out: image op:2.3 -> op:2.4", "diff": []}
    facts.changes = {"changes": [change, rollout]}
    assert found(facts) == []


def test_node_service_whose_flag_json_was_written_empty() -> None:
    change = _written("ConfigMap", "web", "feature-flags", ["data.flags.json = ''"], related=["storefront"])
    error = "SyntaxError: Unexpected end of JSON input at JSON.parse (<anonymous>) at loadFlags (/app/flags.js:12:20)"
    [crash] = found(_facts([change], ("web", "storefront"), [_log("storefront-5d4c6b2f9-zxvbn", "web", error)]))
    assert crash.target.name == "feature-flags"


def test_runtime_wordings_and_a_crash_that_is_not_about_data() -> None:
    for said in ("NoMethodError: undefined method `[]' for nil:NilClass",
                 "System.NullReferenceException: Object reference not set to an instance of an object.",
                 "panic: interface conversion: interface {} is nil, not string",
                 "ValueError: invalid literal for int() with base 10: ''",
                 "com.fasterxml.jackson.module.kotlin.MissingKotlinParameterException: Instantiation of [simple type]"):
        assert DATA_ERROR.search(said), said
    assert not DATA_ERROR.search("System.Net.Http.HttpRequestException: Connection refused (db:5432)")
    change = _written("ConfigMap", "edge", "route-rules", ["data.rules.yaml changed"], related=["router"])
    refused = _log("router-6c8d9f7b5-x2k4p", "edge", "Error: Connection refused (os error 111)")
    assert found(_facts([change], ("edge", "router"), [refused])) == []
