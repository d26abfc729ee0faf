"""An ingress allow-list written without one of the ports its pods serve: a client's connects to that port time out.

A policy written to "lock down" a server (a Kubernetes NetworkPolicy, a Calico or Cilium policy selecting its
pods) lists the ports its authors knew of: the API, the UI, the RPC port. A server often serves more than one
port to its own peers and workers (Flink's blob server beside its RPC port, a database's replication port, a
cache's cluster bus, a worker's file-transfer or metrics port). Nothing fails at the write: the connections
already open keep working and a client that cached what it fetched never asks again. The next client that needs
the unlisted port (a replaced worker downloading the job's files, a new replica syncing) has its connects dropped
and says so in its own words: Java `Could not connect to BlobServer at address host/10.0.0.5:6124` with `Connect
timed out`, Go `dial tcp 10.0.0.5:7000: i/o timeout`, Python `ConnectTimeoutError ... 10.0.0.5:9000`, curl
`Failed to connect to host port 9000 ... Connection timed out`. The alert names the client or the job it runs
(restarting, lagging), hours after the write, and the newest change nearby is somebody's rollout.

So: a policy of any flavour written within `LEAD`; the logs of up to `MAX_LOGS` pods of its namespace that the
incident names (their workload, or a name that opens with a name the alert's labels carry), newest first; in them
a connect failure (a timeout or a plain "could not connect", never `connection refused`: a policy drops, it does
not refuse) naming an IP (a pod's, found by `status.podIP`) or a Service host with a port, after the write. The
shared engine (`policy_path.decide`) is asked whether that client may open that port on that pod under the
namespace's policies; when the written policy is what denies it (it decides, or it isolates the pod and no rule
admits the port), the policy is named with the ports it admits and the client's own line.

Twins stay out: the port is listed; the address is a pod the policy does not select; the write is older than
`LEAD`; the client's connects are refused (a closed port, not a policy); its failures predate the write.
Reading only; `suspects` is pure over what `read` kept.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml, rows_of
from agent.triage.peer_cut import _plurals
from agent.triage.policy_cut import KINDS
from agent.triage.policy_path import Endpoint, Port, decide
from agent.triage.subject import Subject, workload_of_pod

Call = Callable[..., Awaitable[Any]]

CHECK = "netpol.port_unadmitted"
WEIGHT = 0.95
"""As a policy cutting a store's peers: above a neighbour's rollout and the client's own restarts."""
STORE = "port_unadmitted"
LEAD = timedelta(hours=48)
"""A latent cut shows only when a client first needs the port (a replaced worker), possibly the next day."""
HISTORY_WINDOW = "48h"
MAX_POLICIES = 2
MAX_LOGS = 3
MAX_ADDRESSES = 2

CONNECT_FAILED = re.compile(
    r"could not connect|couldn'?t connect|failed to connect|unable to connect|cannot connect|can'?t connect|"
    r"connect(?:ion)? timed out|connect(?:ion)? timeout|timed out (?:while )?connecting|i/o timeout|ETIMEDOUT|"
    r"ConnectTimeout|connect_timeout|dial tcp|no route to host|EHOSTUNREACH", re.I)
"""A client's words for a connect that did not complete, in Java, Go, Python, Node and curl wordings."""
REFUSED = re.compile(r"connection refused|ECONNREFUSED|actively refused", re.I)
"""A closed port answers with a reset: that is no policy drop, so a refused line is never read as one."""
ADDRESS = re.compile(r"(?:(?P<host>[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*)/)?(?P<ip>\d{1,3}(?:\.\d{1,3}){3}):"
                     r"(?P<port>\d{2,5})\b|(?<![\w.(/])(?P<svc>[a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)*)(?::| port )"
                     r"(?P<sport>\d{2,5})\b(?!\.\d)", re.I)
"""`host/10.0.0.5:6124` (Java), `10.0.0.5:7000`, or a Service host with its port (`search.data:9300`, curl's
`Failed to connect to search.data port 9300`)."""
SOURCE_FILE = re.compile(r"\.(?:java|kt|scala|py|go|js|mjs|ts|rb|cs|cc|cpp|c|h|rs|php|ex|exs|erl)$", re.I)
"""A stack frame's `Foo.java:166`: a file and a line, not a host and a port."""
STAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?Z?")


@dataclass
class Unadmitted:
    """A written policy whose allow-list leaves out the port a client of its pods fails to connect to."""

    policy: Ref
    written: datetime
    server: Ref
    port: int
    admitted: list[str]
    client: str
    said: str
    evidence: list[str] = field(default_factory=list)


def failed_connects(text: str) -> list[tuple[str, str, int, str]]:
    """(ip, service host, port, line) for each connect failure a log names an address in, first seen first. A
    failure word on the line itself, or on the lines carrying on its exception (a Java `Caused by: ... Connect
    timed out` under the line naming the address); a refused connect is never one."""
    lines = text.splitlines()
    out: list[tuple[str, str, int, str]] = []
    for i, line in enumerate(lines):
        carried = _continuation(lines[i + 1:i + 6])
        near = " ".join([line, *carried])
        if not CONNECT_FAILED.search(near) or REFUSED.search(near):
            continue
        said = line.strip() if CONNECT_FAILED.search(line) else " ... ".join(
            [line.strip()[:200], *[c.strip() for c in carried if CONNECT_FAILED.search(c)][:1]])
        for m in ADDRESS.finditer(line):
            port = int(m["port"] or m["sport"])
            ip, host = m["ip"] or "", (m["host"] or m["svc"] or "").lower()
            if not 0 < port < 65536 or (not ip and (host.count(".") > 3 or STAMP.search(m.group(0)))):
                continue
            if not ip and (("." not in host and "-" not in host) or SOURCE_FILE.search(host)):
                continue  # a bare word before a colon ("error:80") or a source file is no host
            if all((o[0], o[1], o[2]) != (ip, host, port) for o in out):
                out.append((ip, host, port, said))
    return out


def _continuation(lines: list[str]) -> list[str]:
    """The lines that carry on an exception (a stack frame, a `Caused by:`), up to the next log record."""
    out: list[str] = []
    for line in lines:
        bare = STAMP.sub("", line, count=1).strip() if STAMP.match(line) else line
        if not (line[:1].isspace() or bare.startswith(("at ", "Caused by", "...")) or not bare):
            break
        out.append(line)
    return out


def _line_time(line: str) -> datetime | None:
    found = STAMP.search(line)
    return parse_time(found.group(0).replace(" ", "T").replace(",", ".")) if found else None


def _labels(obj: dict[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in ((obj.get("metadata") or {}).get("labels") or {}).items()}


def _named(subject: Subject, pod: str) -> bool:
    """A pod the incident points at: its workload is named, or its name opens with a name the alert's labels carry
    (a Flink TaskManager `job-taskmanager-1-7` of job `job`)."""
    return subject.mentions(workload_of_pod(pod)) or any(pod.startswith(f"{n}-") for n in subject.from_labels)


def admitted_ports(policy: dict[str, Any]) -> list[str]:
    """The ports the policy's ingress rules admit, as written (`6123`, `8081`); ["any"] when a rule names none."""
    out: list[str] = []
    spec = policy.get("spec") or {}
    for rule in [*(spec.get("ingress") or [])]:
        ports = rule.get("ports") or rule.get("toPorts") or (rule.get("destination") or {}).get("ports") or []
        if not ports:
            return ["any"]
        for p in ports:
            if not isinstance(p, dict):
                out.append(str(p))  # Calico lists bare numbers or ranges ("9000:9010")
                continue
            for q in p.get("ports") or [p]:
                if isinstance(q, dict) and q.get("port") is not None:
                    end = f"-{q['endPort']}" if q.get("endPort") else ""
                    out.append(f"{q['port']}{end}")
    return list(dict.fromkeys(out))


async def _history(facts: Facts, call: Call, at: str) -> None:
    if facts.history_reaches(LEAD):
        return
    got = await call("k8s_changes", {"at": at, "window": HISTORY_WINDOW}, "survey-port-unadmitted-history")
    if got is not None and got.ok and isinstance(got.data, dict):
        facts.history.append(({**got.data, "window": HISTORY_WINDOW}, got.evidence_id))


async def _policies(call: Call, ref: Ref) -> tuple[list[dict[str, Any]], dict[str, Any] | None, str]:
    """Every policy of the written one's kind in its namespace (the engine weighs them together), the written one,
    and its evidence id."""
    for plural in _plurals(ref.kind):
        written = await get_yaml(call, plural, ref.name, ref.namespace, f"survey-port-unadmitted-{ref.name}")
        if written is None:
            continue
        out = [{"kind": ref.kind, **written[0]}]
        listed = await call("k8s_list", {"kind": plural, "namespace": ref.namespace},
                            f"survey-port-unadmitted-list-{ref.namespace}")
        for row in rows_of(listed)[:10]:
            if str(row.get("name")) != ref.name:
                got = await get_yaml(call, plural, str(row["name"]), ref.namespace,
                                     f"survey-port-unadmitted-{row['name']}")
                if got is not None:
                    out.append({"kind": ref.kind, **got[0]})
        return out, out[0], written[1]
    return [], None, ""


async def _server(call: Call, ip: str, host: str, namespace: str) -> tuple[dict[str, Any], Ref, str] | None:
    """The pod an address names: the pod holding the IP, else a pod selected by the Service the host names."""
    if ip:
        rows = rows_of(await call("k8s_list", {"kind": "pods", "field_selector": f"status.podIP={ip}"},
                                  f"survey-port-unadmitted-ip-{ip}"))
        row = next((r for r in rows if r.get("name")), None)
        if row is None:
            return None
        got = await get_yaml(call, "Pod", str(row["name"]), str(row.get("namespace") or namespace),
                             f"survey-port-unadmitted-pod-{row['name']}")
        return (got[0], Ref("Pod", str(row.get("namespace") or namespace), str(row["name"])), got[1]) if got else None
    parts = host.split(".")
    svc_ns = parts[1] if len(parts) > 1 and parts[1] not in ("svc", "local") else namespace
    got = await get_yaml(call, "Service", parts[0], svc_ns, f"survey-port-unadmitted-svc-{parts[0]}")
    if got is None or not (got[0].get("spec") or {}).get("selector"):
        return None
    labels = {str(k): str(v) for k, v in ((got[0].get("spec") or {}).get("selector") or {}).items()}
    return {"metadata": {"labels": labels, "namespace": svc_ns}}, Ref("Service", svc_ns, parts[0]), got[1]


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: the policies written within LEAD, the logs of the named pods of their namespace, and the pod
    each failed connect names; keeps each port the written policy leaves out."""
    if STORE in facts.reads:
        return
    store: list[Unadmitted] = facts.reads.setdefault(STORE, [])
    if not subject.names and not subject.pods:
        return
    await _history(facts, call, at)
    kinds = {k for _, k, _ in KINDS}
    seen: list[Ref] = []
    for change, change_id, ref in facts.writes_to(kinds, within=LEAD, deletions=False):
        when = parse_time(change.get("at"))
        if when is None or not ref.namespace or any(r.same_object(ref) for r in seen) or len(seen) >= MAX_POLICIES:
            continue
        seen.append(ref)
        policies, mine, policy_id = await _policies(call, ref)
        if mine is None:
            continue
        ns = await get_yaml(call, "Namespace", ref.namespace, "", f"survey-port-unadmitted-ns-{ref.namespace}")
        ns_labels = {**(_labels(ns[0]) if ns else {}), "kubernetes.io/metadata.name": ref.namespace}
        pods = [r for r in rows_of(await call("k8s_list", {"kind": "Pod", "namespace": ref.namespace},
                                               f"survey-port-unadmitted-pods-{ref.namespace}"))
                if r.get("name") and _named(subject, str(r["name"]))]
        pods.sort(key=lambda r: str(r.get("created") or ""), reverse=True)
        for row in pods[:MAX_LOGS]:
            if any(h.policy.same_object(ref) for h in store):
                break  # one client's line names the policy; the other clients' logs add nothing
            pod = str(row["name"])
            logs = await call("k8s_logs", {"name": pod, "namespace": ref.namespace, "tail": 2000,
                                           "budget_tokens": 2000}, f"survey-port-unadmitted-logs-{pod}")
            text = str(getattr(logs, "full_text", "") or "") if logs is not None and logs.ok else ""
            failed = [f for f in failed_connects(text) if (_line_time(f[3]) or when) >= when][:MAX_ADDRESSES]
            if not failed:
                continue
            client = await get_yaml(call, "Pod", pod, ref.namespace, f"survey-port-unadmitted-pod-{pod}")
            if client is None:
                continue
            source = Endpoint(namespace=ref.namespace, labels=_labels(client[0]), ns_labels=ns_labels)
            for ip, host, port, line in failed:
                server = await _server(call, ip, host, ref.namespace)
                if server is None or server[1].namespace != ref.namespace:
                    continue
                dest = Endpoint(namespace=ref.namespace, labels=_labels(server[0]), ns_labels=ns_labels,
                                service=server[1].name if server[1].kind == "Service" else "")
                decision = decide(policies, source, dest, Port(port))
                if decision.allowed or not (decision.policy is mine or any(p is mine for p in decision.selecting)):
                    continue
                store.append(Unadmitted(ref, when, server[1], port, admitted_ports(mine), pod, line[:500],
                                        [e for e in (change_id, policy_id, getattr(logs, "evidence_id", ""),
                                                     server[2]) if e]))
                break


def finding(hit: Unadmitted, at: datetime) -> dict[str, Any]:
    """What the allow-list means first (the port left out, so the client's connects are dropped), then its line."""
    ago = minutes_text(int((at - hit.written).total_seconds() // 60))
    ports = ", ".join(hit.admitted) or "none"
    message = (f"{hit.policy} (written {ago} before the incident) selects {hit.server} and admits ingress only on "
               f"port(s) {ports}, not {hit.port}: connections to port {hit.port} are dropped, so {hit.client}, "
               f"which needs that port, fails to connect ('{hit.said[:400]}'). Connections opened before the write "
               f"kept working; the first client to open a new one (a replaced pod) is cut. Add port {hit.port} to "
               f"the policy's ingress rule")
    return {"check": CHECK, "severity": "critical", "reason": "PortNotAdmitted",
            "object": {"kind": hit.policy.kind, "namespace": hit.policy.namespace, "name": hit.policy.name},
            "message": message, "evidence": [f"{hit.client}: {hit.said[:200]}", f"admits ports {ports}"],
            "details": {"port": hit.port, "admitted": hit.admitted, "server": str(hit.server), "client": hit.client,
                        "written": hit.written.isoformat().replace("+00:00", "Z")}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The written policy whose allow-list leaves out the port the named clients fail to connect to."""
    out: list[tuple[Ref, dict[str, Any], list[str], list[Ref]]] = []
    for hit in facts.reads.get(STORE) or []:
        if isinstance(hit, Unadmitted) and all(not o[0].same_object(hit.policy) for o in out):
            client = Ref("Pod", hit.policy.namespace, hit.client)
            out.append((hit.policy, finding(hit, facts.at), hit.evidence, [hit.server, client]))
    return out
