"""JWT refusals whose lines carry no time, dated by the kubelet's stamps (agent.triage.jwt_policy + log_since).

Shapes: Istio's sidecar writing Envoy's JSON access log with no time field (`response_code_details`
`jwt_authn_access_denied{Audiences_in_Jwt_are_not_allowed}`) after a RequestAuthentication write; Kong's gateway
answering `No credentials found for given 'iss'` in a JSON log line with no time field after a KongPlugin write
(the refusal in the survey's own log of the gateway). Twins: the same refusals, some stamped by the kubelet hours
before the write (the rule change did not start them): not named.

The container logs are served the way the API server and the Kubernetes MCP server serve them: each stored line
carries the kubelet's stamp, `since_time` keeps the lines stamped at or after that moment, the stamps are stripped,
and the answer is rendered by the server's own `logs_answer` (whose header counts the lines containing the grep).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage import jwt_policy as jp
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from mcp_servers.kubernetes.render import logs_answer
from tests.triage.doubles import Call, RecordingHub, outcome

AT = datetime(2026, 10, 7, 9, 0, tzinfo=UTC)
ENVOY_JSON = ('{"method":"GET","path":"/v2/orders","response_code":401,"response_code_details":'
              '"jwt_authn_access_denied{Audiences_in_Jwt_are_not_allowed}","upstream_host":null,'
              '"user_agent":"okhttp/4.12","authority":"shop-api.shop.svc"}')
KONG_JSON = ('{"level":"warn","plugin":"jwt","message":"No credentials found for given \'iss\'",'
             '"client":"203.0.113.9","route":"orders"}')
OK_LINE = '{"method":"GET","path":"/healthz","response_code":200}'


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


class Kubelet(RecordingHub):
    """k8s_logs over kubelet-stamped lines, `since` and `grep` applied as the API server and the MCP server do."""

    def __init__(self, stamped: dict[str, list[tuple[datetime, str]]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stamped = stamped

    def answer(self, call: Call, eid: str) -> ToolOutcome | None:
        if call.tool != "k8s_logs":
            return super().answer(call, eid)
        lines = self.stamped.get(str(call.args.get("name")), [])
        assert "since" not in call.args, "a duration would be counted back from a now the caller cannot know"
        if call.args.get("since_time"):
            cutoff = datetime.fromisoformat(str(call.args["since_time"]).replace("Z", "+00:00"))
            lines = [(t, text) for t, text in lines if t >= cutoff]
        lines = lines[-int(call.args.get("tail") or 500):]
        text = logs_answer("\n".join(t for _, t in lines), header=f"logs of ns/{call.args['name']} container c",
                           grep=call.args.get("grep"), budget=3000, more_hint="narrow")
        return outcome(True, {}, text, eid)


def _write(kind: str, ns: str, name: str, diff: str, minutes: int) -> dict[str, Any]:
    return {"at": _iso(AT - timedelta(minutes=minutes)), "type": "other",
            "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} written by argocd-controller: {diff}", "diff": [diff]}


def _spread(line: str, start: datetime, count: int) -> list[tuple[datetime, str]]:
    return [(start + timedelta(minutes=2 * i), line) for i in range(count)]


def _istio(first_denial_minutes_ago: int) -> tuple[Facts, Kubelet]:
    """A RequestAuthentication written 40 min ago; the sidecar's denials (no time field) began at the given age."""
    pod = "shop-api-6c9d8-x1x2x"
    topology = {"subject": {"kind": "Deployment", "namespace": "shop", "name": "shop-api"},
                "pods": [{"name": pod, "namespace": "shop"}]}
    facts = Facts(at=AT, changes={"changes": [_write("RequestAuthentication", "mesh-root", "default-jwt",
                                                     'spec.jwtRules = [{"audiences": ["https://web.example.com"]}]',
                                                     40)]},
                  changes_id="E2", topologies=[(topology, "E3")],
                  logs=[LogEvidence(pod=pod, namespace="shop", evidence_id="E7", top={"message": "request ok"},
                                    hosts=[], error_classes=set(), previous=False)])
    rule = {"kind": "RequestAuthentication", "metadata": {"name": "default-jwt", "namespace": "mesh-root"},
            "spec": {"jwtRules": [{"issuer": "https://id.example.com", "audiences": ["https://web.example.com"]}]}}
    spec = {"kind": "Pod", "metadata": {"name": pod, "namespace": "shop"},
            "spec": {"containers": [{"name": "shop-api", "image": "shop:1"},
                                    {"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.23.2"}]}}
    start = AT - timedelta(minutes=first_denial_minutes_ago)
    stamped = {pod: [*_spread(OK_LINE, AT - timedelta(hours=5), 30),
                     *_spread(ENVOY_JSON, start, first_denial_minutes_ago // 2)]}
    stamped[pod].sort()
    hub = Kubelet(stamped, objects={("RequestAuthentication", "default-jwt"): rule, ("Pod", pod): spec},
                  logs={pod: [text for _, text in stamped[pod]]})
    return facts, hub


def _kong(first_denial_minutes_ago: int) -> tuple[Facts, Kubelet]:
    """A KongPlugin's issuer written 25 min ago; the gateway's own log (read by the survey) refuses with no time."""
    pod = "kong-7f9c-a1b2c"
    topology = {"subject": {"kind": "Deployment", "namespace": "edge", "name": "kong"},
                "pods": [{"name": pod, "namespace": "edge"}]}
    top = {"message": KONG_JSON, "example": KONG_JSON, "first_seen": None}
    facts = Facts(at=AT, changes={"changes": [_write("KongPlugin", "edge", "jwt-auth",
                                                     "config.claims_to_verify, config.key_claim_name = iss", 25)]},
                  changes_id="E2", topologies=[(topology, "E3")],
                  logs=[LogEvidence(pod=pod, namespace="edge", evidence_id="E7", top=top, hosts=[],
                                    error_classes=set(), previous=False)])
    plugin = {"kind": "KongPlugin", "metadata": {"name": "jwt-auth", "namespace": "edge"},
              "config": {"claims_to_verify": ["exp"], "key_claim_name": "iss"}}
    stamped = {pod: sorted(_spread(KONG_JSON, AT - timedelta(minutes=first_denial_minutes_ago),
                                   first_denial_minutes_ago // 2))}
    return facts, Kubelet(stamped, objects={("KongPlugin", "jwt-auth"): plugin})


def _run(facts: Facts, hub: Kubelet) -> list[jp.Narrowed]:
    asyncio.run(jp.read(Subject(), facts, hub, _iso(AT)))
    return jp.found(facts)


def test_lines_without_time_are_undated_by_themselves() -> None:
    facts, _ = _istio(30)
    assert jp.first_denial(facts) is None  # no stamp in the line: read() must date them


def test_envoy_json_refusals_that_all_follow_the_write_name_the_rule() -> None:
    facts, hub = _istio(first_denial_minutes_ago=30)
    got = _run(facts, hub)
    assert [str(n.target) for n in got] == ["RequestAuthentication mesh-root/default-jwt"]
    dated = [a for t, a in hub.calls if t == "k8s_logs" and a.get("grep") == "jwt_authn_access_denied"
             "{Audiences_in_Jwt_are_not_allowed}"]
    assert len(dated) == 2 and dated[1]["since_time"] == "2026-10-07T08:19:00Z"
    assert dated[0]["container"] == "istio-proxy"
    assert jp.finding(got[0])["message"].startswith("RequestAuthentication mesh-root/default-jwt changed the proxy's")


def test_envoy_json_refusals_printed_before_the_write_do_not_name_it() -> None:
    facts, hub = _istio(first_denial_minutes_ago=180)
    assert _run(facts, hub) == []
    assert (facts.reads[jp.RECORD]["before"] or {}).get("RequestAuthentication mesh-root/default-jwt", 0) > 0


def test_kong_refusals_without_time_after_the_plugin_write_name_it() -> None:
    facts, hub = _kong(first_denial_minutes_ago=20)
    got = _run(facts, hub)
    assert [str(n.target) for n in got] == ["KongPlugin edge/jwt-auth"] and got[0].part == "issuer"


def test_kong_refusals_already_there_hours_before_the_plugin_write_do_not_name_it() -> None:
    facts, hub = _kong(first_denial_minutes_ago=240)
    assert _run(facts, hub) == []


def test_the_window_is_an_absolute_moment_whatever_the_wall_clock() -> None:
    """The read since the write names the write's moment less SLACK, not a duration counted from a guessed now."""
    facts, hub = _istio(first_denial_minutes_ago=20)
    _run(facts, hub)
    moments = {a.get("since_time") for t, a in hub.calls if t == "k8s_logs" and a.get("since_time")}
    assert moments == {_iso(AT - timedelta(minutes=40) - jp.SLACK)}
