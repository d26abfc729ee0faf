"""agent.triage.rego_denials: an OPA rego policy written, and OPA denying requests from then on.

Shapes: an OPA-Envoy sidecar behind Istio whose rule now needs an `x-org-id` header a Flutter app never sends
(boolean results, `403 UAEX` in the proxy's access log, stamped counts show no denial before the write); an OPA
answering `{"allowed": false}` objects for a forward-auth proxy after a rule on DELETE was added (no header tells
the denied apart, the proxy logs a bare 403). Twins: denials as common before the write; no denial after it; no
stamped counts and no header tying the denials to the rego; a ConfigMap write that is not rego. `read` through the
hub: with no counts in the answers, the header named by the written rego is what links.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage.facts import Facts
from agent.triage.rego_denials import STORE, found, read, suspects
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub, outcome

AT = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
WRITE = AT - timedelta(minutes=20)


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def rego_write(ns: str, name: str, key: str = "policy.rego") -> dict[str, Any]:
    return {"at": iso(WRITE), "type": "config", "object": {"kind": "ConfigMap", "namespace": ns, "name": name},
            "summary": f"ConfigMap {ns}/{name} updated by kubectl-apply: data key {key} set by kubectl-apply"}


def decision(t: datetime, result: Any, headers: dict[str, str]) -> str:
    return json.dumps({"decision_id": "d", "input": {"attributes": {"request": {"http": {
        "method": "POST", "path": "/v1/cart", "headers": headers}}}}, "msg": "Decision Log",
        "path": "envoy/authz/allow", "result": result, "time": iso(t)})


FLUTTER = {"user-agent": "Dart/3.4 (dart:io)"}
BROWSER = {"user-agent": "Mozilla/5.0", "x-org-id": "acme"}
ORG_REGO = 'package envoy.authz\nallow if { input.attributes.request.http.headers["x-org-id"] != "" }\n'
ISTIO_403 = ('[2026-10-01T08:45:00.000Z] "POST /v1/cart HTTP/1.1" 403 UAEX ext_authz_denied "-" 0 0 2 - "-" '
             '"Dart/3.4 (dart:io)" "r1" "cart.shop.svc" "-"')


def after_lines(denied: Any = False, allowed: Any = True) -> str:
    lines = []
    for i in range(8):
        t = WRITE + timedelta(minutes=1 + i)
        lines.append(decision(t, denied, FLUTTER) if i % 2 else decision(t, allowed, BROWSER))
    return "logs of shop/cart-gw container opa: 8 lines\n" + "\n".join(lines)


def facts_for(ns: str, name: str, rego: str, decisions: str, proxy: str, denied: list[int] | None,
              allowed: list[int] | None, key: str = "policy.rego") -> Facts:
    facts = Facts(at=AT, changes={"changes": [rego_write(ns, name, key)]}, changes_id="C1")
    facts.reads[STORE] = {"policies": {f"ConfigMap {ns}/{name}": ({"data": {key: rego}}, "E2")},
                          "pods": {f"{name}-gw-6c7d8f9b5d-k2m4p": {
                              "namespace": ns, "decisions": decisions, "proxy": proxy, "evidence": ["E3"],
                              "kind": "Deployment", "denied": denied, "allowed": allowed}}}
    return facts


def test_sidecar_rule_needing_a_header_the_app_never_sends() -> None:
    facts = facts_for("shop", "cart-authz", ORG_REGO, after_lines(), ISTIO_403, [0, 12], [30, 20])
    [(ref, finding, _, explains)] = suspects(facts)
    assert (ref.kind, ref.name) == ("ConfigMap", "cart-authz")
    assert "requires header x-org-id" in finding["message"] and "Dart/3.4" in finding["message"]
    assert "ext_authz" in finding["message"] and "rego" in finding["message"]
    assert explains[0].name == "cart-authz-gw"


def test_object_results_and_a_bare_forward_auth_403() -> None:
    rego = 'package httpapi.authz\ndefault allow := {"allowed": false}\nallow := {"allowed": true} if { x }\n'
    lines = after_lines(denied={"allowed": False, "http_status": 403}, allowed={"allowed": True})
    [d] = found(facts_for("docs", "wiki-authz", rego, lines, '10.0.0.9 - - "DELETE /page/7" 403 opa', [0, 8],
                          [50, 40]))
    assert d.header == "" and d.denied == 8
    assert "no longer satisfy its rules" in suspects(facts_for("docs", "wiki-authz", rego, lines, "", [0, 8],
                                                               [50, 40]))[0][1]["message"]


def test_denials_as_common_before_the_write_are_not_its_doing() -> None:
    assert found(facts_for("shop", "cart-authz", ORG_REGO, after_lines(), ISTIO_403, [10, 10], [20, 20])) == []


def test_no_denial_after_the_write() -> None:
    assert found(facts_for("shop", "cart-authz", ORG_REGO, after_lines(denied=True), ISTIO_403, [0, 0],
                           [30, 40])) == []


def test_without_counts_only_a_header_named_by_the_rego_links() -> None:
    unrelated = 'package envoy.authz\nallow if { input.parsed_path[0] == "v1" }\n'
    assert found(facts_for("shop", "cart-authz", unrelated, after_lines(), ISTIO_403, None, None)) == []
    assert len(found(facts_for("shop", "cart-authz", ORG_REGO, after_lines(), ISTIO_403, None, None))) == 1


def test_a_configmap_write_that_is_not_rego_reads_nothing() -> None:
    facts = Facts(at=AT, changes={"changes": [rego_write("shop", "cart-config", "settings.yaml")]}, changes_id="C1")
    hub = RecordingHub(objects={}, lists={})
    asyncio.run(read(Subject(), facts, hub, iso(AT)))
    assert hub.calls == [] and found(facts) == []


def test_read_through_the_hub_finds_the_header() -> None:
    pod = "cart-gw-6c7d8f9b5d-k2m4p"
    spec = {"kind": "Pod", "metadata": {"name": pod, "namespace": "shop", "ownerReferences": [{"kind": "ReplicaSet"}]},
            "spec": {"containers": [{"name": "envoy", "image": "envoyproxy/envoy:v1.31"},
                                    {"name": "opa", "image": "openpolicyagent/opa:0.68.0-envoy"}]}}
    hub = RecordingHub(
        objects={("ConfigMap", "shop", "cart-authz"): {"kind": "ConfigMap", "metadata": {"name": "cart-authz"},
                                                      "data": {"policy.rego": ORG_REGO}},
                 ("Pod", "shop", pod): spec},
        lists={("Pod", "shop"): [{"name": pod, "images": ["envoyproxy/envoy:v1.31", "openpolicyagent/opa:0.68.0"]},
                                 {"name": "cart-7d8f9b5c6d-q2w4z", "images": ["shop/cart:3"]}]},
        logs={pod: [*after_lines().splitlines()[1:], ISTIO_403]})
    facts = Facts(at=AT, changes={"changes": [rego_write("shop", "cart-authz")]}, changes_id="C1")
    asyncio.run(read(Subject(), facts, hub, iso(AT)))
    [d] = found(facts)
    assert d.header == "x-org-id" and d.workload.kind == "Deployment"
    moments = {a.get("since_time") for t, a in hub.calls if t == "k8s_logs" and a.get("since_time")}
    assert moments == {iso(WRITE - timedelta(minutes=1))}
    assert not any("since" in a for t, a in hub.calls if t == "k8s_logs")


# ---- object results counted through the hub (issue #12 audit: the counts' needles were the boolean ones only) -----

def compact(t: datetime, result: Any, agent: str) -> str:
    """A decision line as OPA writes it (compact JSON), for a policy answering an object."""
    return json.dumps({"decision_id": "d", "input": {"attributes": {"request": {"http": {
        "method": "GET", "path": "/api/orders", "headers": {"user-agent": agent}}}}}, "msg": "Decision Log",
        "path": "ingress/authz", "result": result, "time": iso(t)}, separators=(",", ":"))


def stamped_logs(lines: list[str]) -> Any:
    """A k8s_logs answer that says how many lines contain the grep, since `since_time` when given."""
    def answer(call: Any, eid: str) -> ToolOutcome:
        needle = str(call.args.get("grep") or "").lower()
        since = call.args.get("since_time")
        kept = [ln for ln in lines if needle in ln.lower() and (not since or json.loads(ln)["time"] >= since)]
        head = f"logs of {call.args['name']} container {call.args.get('container')}: {len(kept)} containing '{needle}'"
        return outcome(True, {}, "\n".join([head, *kept]), eid)
    return answer


def object_policy_read(image: str, before_denied: int, after_denied: int) -> list[Any]:
    pod = "orders-authz-5f6d7c8b9-x7k2m"
    lines = [compact(WRITE - timedelta(minutes=30 - i), {"allowed": i >= before_denied, "http_status": 403},
                     "okhttp/4.12") for i in range(30)]
    lines += [compact(WRITE + timedelta(minutes=1 + i), {"allowed": i >= after_denied, "http_status": 403},
                      "okhttp/4.12") for i in range(12)]
    spec = {"kind": "Pod", "metadata": {"name": pod, "namespace": "shop", "ownerReferences": [{"kind": "ReplicaSet"}]},
            "spec": {"containers": [{"name": "authz", "image": image}]}}
    hub = RecordingHub(
        objects={("ConfigMap", "shop", "orders-authz"): {"kind": "ConfigMap", "metadata": {"name": "orders-authz"},
                                                        "data": {"authz.rego": "package ingress.authz\n"}},
                 ("Pod", "shop", pod): spec},
        lists={("Pod", "shop"): [{"name": pod, "images": [image]}]},
        answers={"k8s_logs": stamped_logs(lines)})
    facts = Facts(at=AT, changes={"changes": [rego_write("shop", "orders-authz", "authz.rego")]}, changes_id="C1")
    asyncio.run(read(Subject(), facts, hub, iso(AT)))
    return found(facts)


def test_an_object_answering_policy_is_counted_by_its_allowed_field() -> None:
    [d] = object_policy_read("openpolicyagent/opa:1.0.0-envoy", before_denied=0, after_denied=8)
    assert d.denied == 8 and d.allowed == 5 and d.agent == "okhttp/4.12"


def test_an_enterprise_opa_forward_auth_policy_is_read() -> None:
    [d] = object_policy_read("ghcr.io/styrainc/enterprise-opa:1.30.0", before_denied=0, after_denied=6)
    assert (d.policy.name, d.denied, d.allowed) == ("orders-authz", 6, 7)


def test_object_denials_as_common_before_the_write_are_not_its_doing() -> None:
    assert object_policy_read("openpolicyagent/opa:1.0.0-envoy", before_denied=20, after_denied=8) == []


def test_an_enterprise_opa_allowing_everything_after_the_write_names_nothing() -> None:
    assert object_policy_read("ghcr.io/styrainc/enterprise-opa:1.30.0", before_denied=0, after_denied=0) == []
