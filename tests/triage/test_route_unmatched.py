"""agent.triage.route_unmatched: a route's host/path rewritten while clients keep the old one (proxy answers no route).

Shapes: an Ingress host renamed (ingress-nginx access log, CLF stamps, `[upstream-default-backend]` 404s from a CDN
from the write on); a Gateway API HTTPRoute's hostnames narrowed in front of an Envoy gateway (ISO stamps,
`404 NR route_not_found`), the server's "now" well after the incident as a replayed capture's is. Twins: the same
404s at the same rate before the write (scanners probing unknown hosts), a write of annotations only, and 404s that
began hours after the write.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage import route_unmatched as ru
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import Call, RecordingHub, outcome

AT = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
NOW = AT + timedelta(minutes=40)
"""The server's now (a capture 40 min after the incident)."""
M = timedelta(minutes=1)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def nginx(t: datetime, path: str, status: int, upstream: str, agent: str = "Amazon CloudFront") -> str:
    stamp = t.strftime("%d/%b/%Y:%H:%M:%S +0000")
    return (f'130.176.88.20 - - [{stamp}] "GET {path} HTTP/1.1" {status} 146 "-" "{agent}" 412 0.001 '
            f"[{upstream}] [] {status} 146 0.001 {status} 15a6aa3656e0c1ae")


def envoy(t: datetime, status: int, flags: str, details: str, host: str) -> str:
    return (f'[{t.isoformat(timespec="milliseconds").replace("+00:00", "Z")}] "GET /api/v2/orders HTTP/1.1" {status} '
            f'{flags} {details} - "-" 0 0 1 - "10.1.2.3" "partner-sync/2.1" "3f1c" "{host}" "-"')


class LogHub(RecordingHub):
    """k8s_logs as the server answers it: the kubelet's stamps filtered by `since_time`, `tail`, then `grep`,
    under a header that counts the lines and the matching ones."""

    def __init__(self, logs: dict[str, list[tuple[datetime, str]]], **kw: Any) -> None:
        super().__init__(**kw)
        self.stamped = logs

    def answer(self, call: Call, eid: str) -> ToolOutcome | None:
        if call.tool != "k8s_logs":
            return super().answer(call, eid)
        rows = self.stamped.get(str(call.args.get("name")), [])
        assert "since" not in call.args, "a duration would be counted back from a now the caller cannot know"
        if call.args.get("since_time"):
            cutoff = datetime.fromisoformat(str(call.args["since_time"]).replace("Z", "+00:00"))
            rows = [(t, ln) for t, ln in rows if t >= cutoff]
        rows = rows[-int(call.args.get("tail") or 500):]
        needle = str(call.args.get("grep") or "").lower()
        kept = [ln for _, ln in rows if needle in ln.lower()]
        head = f"logs of {call.args.get('namespace')}/{call.args.get('name')} container c: {len(rows)} lines" + (
            f", {len(kept)} containing '{call.args.get('grep')}'" if needle else "")
        return outcome(True, {}, "\n".join([head, *kept]), eid)


def every(start: datetime, end: datetime, step: timedelta, line: Callable[[datetime], str]) -> list[
        tuple[datetime, str]]:
    out, t = [], start
    while t < end:
        out.append((t, line(t)))
        t += step
    return out


def write(kind: str, ns: str, name: str, ago: timedelta, fields: str) -> dict[str, Any]:
    return {"at": iso(AT - ago), "type": "other", "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} written by kubectl-edit: {fields}", "diff": []}


INGRESS = {"kind": "Ingress", "metadata": {"name": "shop-edge", "namespace": "front"},
           "spec": {"rules": [{"host": "www.shop.test", "http": {"paths": [{"path": "/", "backend": {}}]}}]}}
NGINX_POD: dict[str, Any] = {"name": "ingress-nginx-controller-7d9f8b6c5d-x2k4q", "namespace": "ingress-nginx",
                             "status": "Running", "images": ["registry.k8s.io/ingress-nginx/controller:v1.11.2"]}


def nginx_case(written_ago: timedelta, onset_ago: timedelta, chronic: bool = False,
               fields: str = "spec.rules", status: int = 404) -> tuple[Facts, LogHub]:
    start, onset = AT - 4 * 60 * M, AT - onset_ago
    lines = every(start, NOW, 20 * timedelta(seconds=1), lambda t: nginx(t, "/p/12", 200, "front-shop-80"))
    lines += every(onset, NOW, 10 * timedelta(seconds=1), lambda t: nginx(t, "/static/a.webp", status,
                                                                          "upstream-default-backend"))
    if chronic:
        lines += every(start, onset, 10 * timedelta(seconds=1),
                       lambda t: nginx(t, "/wp-login.php", 404, "upstream-default-backend", "zgrab/0.x"))
    lines.sort()
    hub = LogHub({NGINX_POD["name"]: lines}, objects={("Ingress", "front", "shop-edge"): INGRESS},
                 lists={"pods": [NGINX_POD, {"name": "shop-6c9d8f7b5d-abcde", "namespace": "front",
                                             "status": "Running", "images": ["shop:3"]}]})
    facts = Facts(at=AT, scan={"findings": []},
                  changes={"changes": [write("Ingress", "front", "shop-edge", written_ago, fields)]}, changes_id="C1")
    asyncio.run(ru.read(Subject(), facts, hub, iso(AT)))
    return facts, hub


def test_ingress_host_renamed_default_backend_names_the_ingress() -> None:
    facts, _ = nginx_case(26 * M, 26 * M)
    [(ref, finding, evidence, explains)] = ru.suspects(facts)
    assert (ref.kind, ref.namespace, ref.name) == ("Ingress", "front", "shop-edge")
    assert explains[0].name == "ingress-nginx-controller" and "C1" in evidence
    head = finding["message"][:400]
    assert "default backend" in head and "404" in head and "Host" in head
    assert "www.shop.test" in finding["message"] and "Amazon CloudFront" in finding["message"]


def test_chronic_default_backend_404s_are_not_blamed_on_the_write() -> None:
    facts, _ = nginx_case(26 * M, 26 * M, chronic=True)
    assert ru.found(facts) == []


def test_a_default_backend_answering_503_is_a_missing_backend_not_an_unmatched_route() -> None:
    """ingress-nginx sends a request whose rule matched but whose Service is gone to the default backend too, and
    answers 503: the route still matches (the scan's missing-Service finding speaks of it), so no rename is named."""
    facts, _ = nginx_case(26 * M, 26 * M, status=503)
    assert ru.found(facts) == []


def test_annotation_only_write_reads_nothing() -> None:
    facts, hub = nginx_case(26 * M, 26 * M, fields="metadata.annotations")
    assert hub.calls == [] and ru.found(facts) == []


def test_404s_starting_hours_after_the_write_are_not_its_doing() -> None:
    facts, _ = nginx_case(3 * 60 * M, 20 * M)
    assert ru.found(facts) == []


ENVOY_POD: dict[str, Any] = {"name": "envoy-gateway-5b7c9d8f6d-q8w2z", "namespace": "gateway-system",
                             "status": "Running", "images": ["docker.io/envoyproxy/envoy:distroless-v1.31.2"]}
ROUTE = {"kind": "HTTPRoute", "metadata": {"name": "partner-api", "namespace": "b2b"},
         "spec": {"hostnames": ["api.partners.example.org"], "rules": [{"backendRefs": [{"name": "orders"}]}]}}


def test_httproute_hostnames_narrowed_envoy_nr_names_the_route() -> None:
    written = AT - 15 * M
    lines = every(AT - 3 * 60 * M, NOW, 30 * timedelta(seconds=1),
                  lambda t: envoy(t, 200, "-", "via_upstream", "api.example.org") if t < written else
                  envoy(t, 404, "NR", "route_not_found", "api.example.org"))
    hub = LogHub({ENVOY_POD["name"]: lines}, objects={("HTTPRoute", "b2b", "partner-api"): ROUTE},
                 lists={"pods": [ENVOY_POD]})
    facts = Facts(at=AT, scan={"findings": []}, changes={"changes": [
        write("HTTPRoute", "b2b", "partner-api", 15 * M, "spec.hostnames"),
        {"at": iso(AT - 10 * M), "type": "rollout", "object": {"kind": "Deployment", "namespace": "b2b",
                                                               "name": "orders"},
         "summary": "Deployment b2b/orders rolled out revision 7", "diff": []}]}, changes_id="C1")
    asyncio.run(ru.read(Subject(), facts, hub, iso(AT)))
    [(ref, finding, _, _)] = ru.suspects(facts)
    assert (ref.kind, ref.name) == ("HTTPRoute", "partner-api")
    assert "route_not_found" in finding["message"][:400] and "api.partners.example.org" in finding["message"]
    assert finding["details"]["software"] == "Envoy"


def test_line_time_reads_clf_and_iso() -> None:
    assert ru.line_time(nginx(AT, "/", 200, "x")) == AT
    assert ru.line_time(envoy(AT, 200, "-", "via_upstream", "h")) == AT
