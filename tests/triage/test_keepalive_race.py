"""A backend's idle keep-alive timeout fell below its proxy's (issue #12, round 14 class): premature closes.

Written here, not taken from the held-out bundles: a Node.js service behind ingress-nginx whose env override is
dropped, and a gunicorn service behind Envoy whose `--keep-alive` flag is dropped, with negative twins (closes
older than the rollout, a raised setting, another backend named, a logged timeout above the proxy's). Change lines
are in `k8s_changes`' shape (mcp_servers/kubernetes/reads.py template_diff); log facts in `k8s_logs`' shape; the
survey's reads run through a recorded fake of the tool hub.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from agent.toolhub import ToolOutcome
from agent.triage import keepalive_race
from agent.triage.facts import Facts, LogEvidence
from tests.triage.doubles import Call, RecordingHub, grep, outcome

AT = datetime(2026, 5, 11, 16, 0, tzinfo=UTC)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _rollout(ns: str, name: str, diff: list[str], ago: timedelta = timedelta(hours=2)) -> dict[str, Any]:
    return {"at": _iso(AT - ago), "type": "rollout", "revision": 8,
            "object": {"kind": "Deployment", "namespace": ns, "name": name},
            "summary": f"Deployment {ns}/{name} rolled out revision 8", "diff": diff,
            "related": [{"kind": "Service", "namespace": ns, "name": name}]}


def _proxy_log(message: str, example: str, hosts: list[str], first_seen: str, last: str = "") -> LogEvidence:
    top = {"message": message, "example": example, "count": 42, "first_seen": first_seen, "severity": "error",
           "error_class": "upstream_reset"}
    return LogEvidence(pod="edge-proxy-6d9c7b8f5-k2l9p", namespace="edge", evidence_id="E5", top=top, hosts=hosts,
                       error_classes={"upstream_reset"}, previous=False, last_lines=[last] if last else [])


NGINX = ("upstream prematurely closed connection while reading response header from upstream",
         '2026/05/11 14:31:09 [error] 31#31: *9 upstream prematurely closed connection while reading response '
         'header from upstream, client: 10.0.3.4, server: api.example.org, request: "GET /v2/carts/7 HTTP/1.1", '
         'upstream: "http://10.244.2.31:3000/v2/carts/7"')
NODE_ENV_DROPPED = ["carts image reg/carts:4.9.2 -> reg/carts:5.0.0",
                    "carts env HTTP_KEEP_ALIVE_TIMEOUT='65s' -> unset"]


class Hub(RecordingHub):
    """The tool hub as the survey calls it: the Deployment, an EndpointSlice of the addresses, one pod, and the
    startup log (grepped, no header)."""

    def __init__(self, deployment: dict[str, Any], addresses: list[str], startup: str) -> None:
        name = deployment["metadata"]["name"]
        super().__init__(lists={"EndpointSlice": [{"name": "svc-x7k2p"}],
                                "pods": [{"name": f"{name}-7f8d9c6b4-abcde", "status": "Running"}]})
        self.deployment, self.addresses, self.startup = deployment, addresses, startup

    def answer(self, call: Call, eid: str) -> ToolOutcome | None:
        if call.tool == "k8s_get" and call.args["kind"] == "Deployment":
            return outcome(True, {}, yaml.safe_dump(self.deployment), eid)
        if call.tool == "k8s_get":
            eps = [{"addresses": [a], "conditions": {"ready": True}} for a in self.addresses]
            return outcome(True, {}, yaml.safe_dump({"kind": "EndpointSlice", "metadata": {"name": call.args["name"]},
                                                     "endpoints": eps}), eid)
        if call.tool == "k8s_logs":
            return outcome(True, {}, "\n".join(grep(self.startup.splitlines(), call.args)), eid)
        return super().answer(call, eid)


def _deployment(name: str, image: str, command: list[str] | None = None) -> dict[str, Any]:
    return {"kind": "Deployment", "metadata": {"name": name, "namespace": "shop"},
            "spec": {"template": {"spec": {"containers": [{"name": name, "image": image, "command": command or [],
                                                           "env": [{"name": "NODE_ENV", "value": "production"}]
                                                           if "node" in image else []}]}}}}


def _facts(changes: list[dict[str, Any]], log: LogEvidence) -> Facts:
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="E2")
    facts.logs.append(log)
    return facts


def _run(facts: Facts, hub: Hub) -> list[keepalive_race.Race]:
    asyncio.run(keepalive_race.read(facts, hub))
    return keepalive_race.found(facts)


def test_node_override_dropped_behind_ingress_nginx() -> None:
    facts = _facts([_rollout("shop", "carts", NODE_ENV_DROPPED)],
                   _proxy_log(*NGINX, hosts=["10.244.2.31"], first_seen="2026/05/11 14:01:40"))
    hub = Hub(_deployment("carts", "reg/carts:5.0.0"), ["10.244.2.31", "10.244.1.8"],
              '{"level":30,"msg":"server listening","port":3000,"keepAliveTimeout":5000}')
    [race] = _run(facts, hub)
    assert (race.backend_s, race.proxy_s) == (5.0, 60.0)
    message = keepalive_race.finding(race)["message"]
    assert message.startswith("Deployment shop/carts revision 8 changed its keep-alive setting HTTP_KEEP_ALIVE_TIMEOUT "
                              "65 s -> unset")
    assert "idle keep-alive connections after 5 s" in message and "upstream keepalive_timeout" in message


def test_node_default_from_the_runtime_when_nothing_is_logged() -> None:
    facts = _facts([_rollout("shop", "carts", NODE_ENV_DROPPED)],
                   _proxy_log(*NGINX, hosts=["10.244.2.31"], first_seen="2026/05/11 14:01:40"))
    [race] = _run(facts, Hub(_deployment("carts", "reg/node-carts:5.0.0"), ["10.244.2.31"], ""))
    assert race.backend_s == 5.0 and "Node.js" in race.backend_source


ENVOY = ("upstream connect error or disconnect/reset before headers. reset reason: connection termination",
         '[2026-05-11T15:02:11.120Z] "POST /orders HTTP/1.1" 503 UC upstream_reset_before_response_started'
         '{connection_termination} - "outbound|8000||orders.shop.svc.cluster.local"')


def test_gunicorn_keep_alive_flag_dropped_behind_envoy() -> None:
    args = ("orders args ['--bind', '0.0.0.0:8000', '--keep-alive', '75', 'app:wsgi'] -> "
            "['--bind', '0.0.0.0:8000', 'app:wsgi']")
    facts = _facts([_rollout("shop", "orders", [args])],
                   _proxy_log(*ENVOY, hosts=[], first_seen="2026-05-11T14:10:00Z", last=ENVOY[1]))
    hub = Hub(_deployment("orders", "reg/orders:3.1", ["gunicorn"]), ["10.244.3.3"], "")
    [race] = _run(facts, hub)
    assert (race.backend_s, race.proxy_s) == (2.0, 3600.0) and race.setting.key == "--keep-alive"


def test_twins_name_nothing() -> None:
    startup = '{"msg":"server listening","keepAliveTimeout":5000}'
    before = _facts([_rollout("shop", "carts", NODE_ENV_DROPPED)],  # the closes began before the rollout
                    _proxy_log(*NGINX, hosts=["10.244.2.31"], first_seen="2026/05/11 12:40:00"))
    assert _run(before, Hub(_deployment("carts", "reg/carts:5"), ["10.244.2.31"], startup)) == []
    raised = _facts([_rollout("shop", "carts", ["carts env HTTP_KEEP_ALIVE_TIMEOUT='65s' -> HTTP_KEEP_ALIVE_TIMEOUT="
                                                "'120s'"])],
                    _proxy_log(*NGINX, hosts=["10.244.2.31"], first_seen="2026/05/11 14:01:40"))
    assert _run(raised, Hub(_deployment("carts", "reg/carts:5"), ["10.244.2.31"], startup)) == []
    other = _facts([_rollout("shop", "carts", NODE_ENV_DROPPED)],  # the proxy names another backend
                   _proxy_log(NGINX[0], NGINX[1].replace("10.244.2.31", "10.244.9.9"), hosts=["10.244.9.9"],
                              first_seen="2026/05/11 14:01:40"))
    assert _run(other, Hub(_deployment("carts", "reg/carts:5"), ["10.244.2.31"], startup)) == []
    longer = _facts([_rollout("shop", "carts", NODE_ENV_DROPPED)],  # the new code sets 65 s itself
                    _proxy_log(*NGINX, hosts=["10.244.2.31"], first_seen="2026/05/11 14:01:40"))
    assert _run(longer, Hub(_deployment("carts", "reg/carts:5"), ["10.244.2.31"],
                            '{"msg":"server listening","keepAliveTimeout":65000}')) == []


def test_units_of_timeouts() -> None:
    assert keepalive_race.seconds("SERVER_KEEPALIVE_TIMEOUT_MS", "75000") == 75.0
    assert keepalive_race.seconds("KEEPALIVE", "75s") == 75.0
    assert keepalive_race.seconds("--keep-alive", "5") == 5.0
    assert keepalive_race.seconds("IDLE_TIMEOUT", "90000") == 90.0


def test_code_only_release_named_by_what_the_server_logs() -> None:
    release = _rollout("shop", "carts", ["carts image reg/carts:4.9.2 -> reg/carts:5.0.0"])
    facts = _facts([release], _proxy_log(*NGINX, hosts=["10.244.2.31"], first_seen="2026/05/11 14:01:40"))
    [race] = _run(facts, Hub(_deployment("carts", "reg/node-carts:5.0.0"), ["10.244.2.31"],
                             "uvicorn running; timeout_keep_alive=5"))
    assert race.backend_s == 5.0
    message = keepalive_race.finding(race)["message"]
    assert "released new code (carts image reg/carts:4.9.2 -> reg/carts:5.0.0)" in message
    silent = _facts([release], _proxy_log(*NGINX, hosts=["10.244.2.31"], first_seen="2026/05/11 14:01:40"))
    assert _run(silent, Hub(_deployment("carts", "reg/node-carts:5.0.0"), ["10.244.2.31"], "")) == []  # no default
