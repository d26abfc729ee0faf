"""A VPN tunnel's MTU set with no room for its encapsulation: large transfers through it stall (an MTU black hole).

A site-to-site tunnel (WireGuard, IPsec/VTI, GRE, Tailscale) wraps each packet in its own headers before it crosses
the underlying path, whose MTU is 1500 on the internet. Its interface MTU must leave room for that overhead
(WireGuard 60-80 bytes: 1420 by default, 1440 at most over IPv4; IPsec ESP about 50-73; GRE 24). Re-apply the
tunnel's config with `MTU = 1500` (a pasted default, a template that lost the line) and every full-size packet
becomes too big for the path once wrapped; where ICMP "fragmentation needed" does not come back (the usual case
across a VPN), those packets simply vanish. Connections still open and small requests still work (a handshake, a
short query), but any reply that fills a packet stalls until the client's read times out: `could not receive data
from server: Connection timed out` (libpq), `Read timed out` (JDBC, requests), `read tcp ...: i/o timeout` (Go),
`TLS handshake timeout` (a certificate chain fills packets). The victims look guilty (their own timeout), the
tunnel's gateway stays Ready, and its config is often a Secret nobody can read.

Evidence read generically: a tunnel gateway (a workload written or restarted in LEAD before the stalls, or a reader
the timeline names of a written Secret/ConfigMap) whose own log says which MTU it gave its tunnel interface (wg-quick
`ip link set mtu 1500 up dev wg0`, OpenVPN `ip link set dev tun0 up mtu 1500`, `ifconfig gre1 ... mtu 1500`) or whose
readable config sets it (a WireGuard `[Interface]` `MTU =` line in a ConfigMap, a `*_MTU` env of a VPN container),
above what that tunnel family leaves room for; and another workload whose reads stall mid-transfer (not connects
failing) from the tunnel's (re)start on. The finding names the written Secret/ConfigMap the gateway loads (its
pod spec references it, an annotation names it as a reloader's does, or the timeline relates them), else the
gateway. Twins: an MTU within the family's room (1420), connect timeouts instead of stalled reads, stalls that began
before the tunnel's restart, a victim calling an in-cluster Service or an address outside the tunnel's routes.

`read` (reading only, when a surveyed log shows a read stalling mid-transfer): the candidates' objects, one running
pod's log of each, and the written ConfigMaps.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml, pod_of
from agent.triage.outbound import Line, lines, stamp
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.tunnel_mtu"
WEIGHT = 0.94
"""Above the stalled reads it explains and a rollout nearby: the tunnel's MTU says why only large replies stall."""
STORE = "tunnel_mtu"
LEAD = timedelta(hours=6)
"""How long before the first stall the gateway's write may lie (a batch may only move large results hours later)."""
LINK = timedelta(minutes=15)
"""How long before the gateway's (re)start its config object's write may lie, to be the write it loaded."""
AFTER = timedelta(hours=4)
SLACK = timedelta(minutes=2)
MAX_CANDIDATES = 4
LOG_TAIL = 300
_WORKLOADS = ("Deployment", "DaemonSet", "StatefulSet")

STALL = re.compile(
    r"could not receive data from server|Read timed out|ReadTimeout|read tcp \S+: i/o timeout|"
    r"Client\.Timeout exceeded while reading body|TLS handshake timeout|handshake (?:operation )?timed out|"
    r"ESOCKETTIMEDOUT|Unable to read data from the transport connection|"
    r"last packet successfully received from the server was|Lost connection to MySQL server during query|"
    r"Socket read timed out|Recv failure: Connection timed out|timed out after \d+ milliseconds with \d+", re.I)
"""A read stalling after the connection opened, in clients' own words: libpq, Java/JDBC and Python requests/urllib3/
httpx, Go (a read's i/o timeout, a body or TLS handshake that never completes), Node's request, .NET, MySQL
Connector/J and libmysql, Oracle JDBC, curl (56, and 28 with bytes already received)."""
CONNECTING = re.compile(r"connect timed out|ConnectTimeout|dial tcp|connect ETIMEDOUT|OpenTimeout|"
                        r"timeout while connecting|connection attempt failed", re.I)
"""A connect that never completed: a reachability failure, not a packet-size one."""

Family = tuple[str, re.Pattern[str], int]
FAMILIES: tuple[Family, ...] = (
    ("WireGuard", re.compile(r"^(?:wg\d*|wg-[\w-]+|wireguard[\w.-]*|tailscale\d*|nebula\d*)$", re.I), 1440),
    ("IPsec", re.compile(r"^(?:ipsec\d+|vti\d+|xfrm\d+)$", re.I), 1450),
    ("GRE", re.compile(r"^(?:gre\d+|gretap\d+)$", re.I), 1476),
    ("tun/tap", re.compile(r"^(?:tun\d+|tap\d+|utun\d+)$", re.I), 1500),
)
"""Tunnel interface names by family, with the largest MTU that leaves room for the family's encapsulation over a
1500-byte path (WireGuard 60 bytes over IPv4, IPsec ESP at least 50, GRE 24; a tun/tap VPN such as OpenVPN
fragments for itself at 1500, so only above it)."""
_DEFAULT = {"WireGuard": 1420, "IPsec": 1400, "GRE": 1476, "tun/tap": 1500}
_DEV = r"(?P<dev>[A-Za-z][\w.-]*)"
_MTU_LINE = re.compile(rf"\bmtu\s*[=:]?\s*(?P<mtu>\d{{3,5}})\b.*?\bdev\s+{_DEV}|"
                       rf"\bdev\s+{_DEV.replace('dev>', 'dev2>')}\b.*?\bmtu\s*[=:]?\s*(?P<mtu2>\d{{3,5}})\b|"
                       rf"^(?:\S+\s+)?(?:\[#\]\s+)?ifconfig\s+{_DEV.replace('dev>', 'dev3>')}\b.*?\bmtu\s+"
                       rf"(?P<mtu3>\d{{3,5}})\b", re.I)
"""A tunnel tool setting an interface's MTU: wg-quick `ip link set mtu 1500 up dev wg0`, OpenVPN/iproute2
`ip link set dev tun0 up mtu 1500`, `ifconfig gre1 10.9.0.1 ... mtu 1476`."""
_ROUTE = re.compile(r"route add (?P<cidr>[\d.]+/\d+) dev (?P<dev>\S+)")
_WG_CONF = re.compile(r"^\s*MTU\s*=\s*(\d{3,5})\s*$", re.I | re.M)
_ALLOWED = re.compile(r"^\s*AllowedIPs\s*=\s*(.+)$", re.I | re.M)
_ENV = re.compile(r"^(?P<family>WG|WIREGUARD|TAILSCALE|TS_DEBUG|IPSEC|VTI|GRE)_?MTU$", re.I)
_STAMP_AT = re.compile(r"^(\S+Z)\s")

Call = Callable[..., Awaitable[Any]]


def family_of(dev: str) -> tuple[str, int] | None:
    """(family, largest MTU with room for its encapsulation) of a tunnel interface name, or None (not a tunnel)."""
    return next(((name, ceiling) for name, pattern, ceiling in FAMILIES if pattern.match(dev)), None)


@dataclass(frozen=True)
class Setting:
    """A tunnel MTU a gateway set: where it was said, the interface and family, and when."""

    mtu: int
    dev: str
    family: str
    ceiling: int
    said: str
    at: datetime | None


def log_settings(text: str) -> list[Setting]:
    """The tunnel MTUs a gateway's log says it set, in log order."""
    out: list[Setting] = []
    for raw in text.splitlines():
        m = _MTU_LINE.search(raw)
        if m is None:
            continue
        dev = m["dev"] or m["dev2"] or m["dev3"]
        mtu = int(m["mtu"] or m["mtu2"] or m["mtu3"])
        fam = family_of(dev)
        if fam is not None:
            at = _STAMP_AT.match(raw)
            out.append(Setting(mtu, dev, fam[0], fam[1], re.sub(r"^\S+Z\s+", "", raw.strip())[:160],
                               stamp(at.group(1)) if at else None))
    return out


def routes_in(text: str) -> list[str]:
    """The networks a tunnel routes, from its log (`ip -4 route add 10.80.0.0/16 dev wg0`) or config (AllowedIPs)."""
    out = [m["cidr"] for m in _ROUTE.finditer(text) if family_of(m["dev"]) is not None]
    for m in _ALLOWED.finditer(text):
        out += [c.strip() for c in m.group(1).split(",") if "/" in c]
    return [c for c in out if not c.startswith(("0.0.0.0/", "::/"))]


def config_settings(obj: dict[str, Any]) -> list[Setting]:
    """The tunnel MTUs an object's readable content sets: a WireGuard config file in a ConfigMap (`[Interface]`,
    `MTU = 1500`), a VPN container's `WG_MTU`/`IPSEC_MTU`-style env value."""
    out: list[Setting] = []
    for key, value in (obj.get("data") or {}).items():
        text = str(value)
        if "[Interface]" in text:
            out += [Setting(int(m), "wg", "WireGuard", 1440, f"{key}: MTU = {m}", None) for m in _WG_CONF.findall(text)]
    spec = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        for e in (c or {}).get("env") or []:
            m = _ENV.match(str((e or {}).get("name") or ""))
            if m and re.fullmatch(r"\d{3,5}", str(e.get("value") or "")):
                fam = family_of({"ipsec": "ipsec0", "vti": "vti0", "gre": "gre0"}.get(m["family"].lower(), "wg0"))
                if fam is not None:
                    out.append(Setting(int(e["value"]), str(e["name"]), fam[0], fam[1], f"{e['name']}={e['value']}",
                                       None))
    return out


def stalls(facts: Facts) -> list[Line]:
    """Each pod's first error line where a read stalled mid-transfer (a connect failure is not one)."""
    return [line for line in lines(facts, STALL) if not CONNECTING.search(line.text)]


# ---- reading (survey) -------------------------------------------------------------------------


def _candidates(facts: Facts, until: datetime) -> list[Ref]:
    """Workloads written (or restarted) in LEAD before the first stall, and the readers the timeline names of the
    Secrets/ConfigMaps written then: where a tunnel gateway's config lands."""
    out: list[Ref] = []
    for change, _, ref in facts.writes_to((*_WORKLOADS, "Secret", "ConfigMap"), within=LEAD, until=until,
                                          deletions=False):
        refs = [ref] if ref.kind in _WORKLOADS else [r for r in (Ref.of(x) for x in change.get("related") or [])
                                                      if r is not None and r.kind in _WORKLOADS]
        out += [r for r in refs if not any(r.same_object(o) for o in out)]
    return out


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when a surveyed pod's reads stall: each candidate gateway's object and a running pod's log, and
    the ConfigMaps written in LEAD."""
    found_ = stalls(facts)
    if STORE in facts.reads or not found_:
        return
    first = min((s.first for s in found_ if s.first is not None), default=facts.at)
    victims = {(s.namespace, workload_of_pod(s.pod)) for s in found_}
    store: dict[str, Any] = facts.reads.setdefault(STORE, {"gateways": [], "configs": {}})
    for ref in [r for r in _candidates(facts, first + SLACK) if (r.namespace, r.name) not in victims][:MAX_CANDIDATES]:
        got = await get_yaml(call, ref.kind, ref.name, ref.namespace, f"survey-tunnel-mtu-{ref.name}")
        pod = await pod_of(call, ref, f"survey-tunnel-mtu-pods-{ref.name}", running=True)
        text, evidence = "", ""
        if pod:
            logs = await call("k8s_logs", {"name": pod, "namespace": ref.namespace, "tail": LOG_TAIL},
                              f"survey-tunnel-mtu-logs-{ref.name}")
            if logs is not None and logs.ok:
                text, evidence = str(logs.full_text or ""), str(logs.evidence_id or "")
        store["gateways"].append({"kind": ref.kind, "namespace": ref.namespace, "name": ref.name,
                                  "object": got[0] if got else {}, "evidence": [e for e in (got[1] if got else "",
                                                                                            evidence) if e],
                                  "log": text[:40000]})
    for _, _, ref in facts.writes_to(("ConfigMap",), within=LEAD, until=first + SLACK, deletions=False)[:2]:
        got = await get_yaml(call, "ConfigMap", ref.name, ref.namespace, f"survey-tunnel-mtu-cm-{ref.name}")
        if got is not None:
            store["configs"][str(ref)] = {"object": got[0], "evidence": got[1]}


# ---- judging (rank) ---------------------------------------------------------------------------


@dataclass
class Tight:
    """A tunnel MTU with no room for its encapsulation, the object that set it, and the reads stalling since."""

    target: Ref
    gateway: Ref
    setting: Setting
    written: datetime | None
    victims: list[Ref]
    said: str
    evidence: list[str] = field(default_factory=list)


def _loads(obj: dict[str, Any], config: Ref, related: bool) -> bool:
    """Whether a gateway loads a config object: its pod spec references it, an annotation names it (a reloader's
    `secret.reloader.stakater.com/reload: <name>`), or the timeline relates them."""
    if related:
        return True
    meta, template = obj.get("metadata") or {}, (obj.get("spec") or {}).get("template") or {}
    notes = {**(meta.get("annotations") or {}), **((template.get("metadata") or {}).get("annotations") or {})}
    if any(config.name in [v.strip() for v in str(value).split(",")] for value in notes.values()):
        return True
    spec = template.get("spec") or {}
    text = str([spec.get("volumes"), [(c or {}).get("env") for c in spec.get("containers") or []],
                [(c or {}).get("envFrom") for c in spec.get("containers") or []]])
    return re.search(rf"['\"]{re.escape(config.name)}['\"]", text) is not None


def _config_write(facts: Facts, gateway: dict[str, Any], ref: Ref,
                  when: datetime | None) -> tuple[Ref, datetime | None, str] | None:
    """The Secret/ConfigMap written in LINK before the gateway's (re)start that the gateway loads."""
    if when is None:
        return None
    for change, evidence, config in facts.writes_to(("Secret", "ConfigMap"), within=LINK, until=when + SLACK,
                                                    deletions=False):
        related = any(r is not None and r.same_object(ref) for r in (Ref.of(x) for x in change.get("related") or []))
        if config.namespace == ref.namespace and _loads(gateway.get("object") or {}, config, related):
            return config, parse_time(change.get("at")), evidence
    return None


def _ip_outside(host: str, routes: list[str]) -> bool:
    """Whether a victim's host is an address the tunnel's known routes leave out (a name cannot be judged)."""
    try:
        address = ipaddress.ip_address(host.split(":")[0])
    except ValueError:
        return False
    nets = []
    for cidr in routes:
        try:
            nets.append(ipaddress.ip_network(cidr, strict=False))
        except ValueError:
            continue
    return bool(nets) and not any(address in n for n in nets)


def found(facts: Facts) -> list[Tight]:
    """Each tunnel whose MTU leaves no room for its encapsulation, set before other workloads' reads began to
    stall, named by the config object that brought it (else the gateway)."""
    store = facts.reads.get(STORE)
    if not isinstance(store, dict):
        return []
    by_pod = {log.pod: log for log in facts.logs}
    out: list[Tight] = []
    for gw in store.get("gateways") or []:
        ref = Ref(str(gw.get("kind")), str(gw.get("namespace")), str(gw.get("name")))
        log = str(gw.get("log") or "")
        settings = log_settings(log) or config_settings(gw.get("object") or {})
        tight = [s for s in settings if s.mtu > s.ceiling]
        if not tight:
            continue
        setting = tight[-1]
        write = next(((c, e) for c, e, r in facts.writes_to((ref.kind,), within=LEAD, deletions=False)
                      if r.same_object(ref)), None)
        since = setting.at or (parse_time(write[0].get("at")) if write else None)
        if since is None:
            continue
        routes = routes_in(log)
        victims = [s for s in stalls(facts) if (s.namespace, workload_of_pod(s.pod)) != (ref.namespace, ref.name)
                   and (s.first is None or since - SLACK <= s.first <= since + AFTER)
                   and not any(_in_cluster(h) or _ip_outside(h, routes)
                               for h in (by_pod[s.pod].hosts if s.pod in by_pod else []))]
        if not victims:
            continue
        config = _config_write(facts, gw, ref, since)
        target, written, config_evidence = config if config else (ref, parse_time(write[0].get("at")) if write
                                                                   else None, write[1] if write else "")
        ids = [e for e in (config_evidence, *(gw.get("evidence") or []), victims[0].evidence) if e]
        out.append(Tight(target, ref, setting, written, [Ref("", v.namespace, workload_of_pod(v.pod)) for v in victims],
                         victims[0].text[:200], ids))
    for entry in (store.get("configs") or {}).values():
        obj = entry.get("object") or {}
        meta = obj.get("metadata") or {}
        ref = Ref("ConfigMap", str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        tight = [s for s in config_settings(obj) if s.mtu > s.ceiling]
        write = next(((c, e) for c, e, r in facts.writes_to(("ConfigMap",), within=LEAD, deletions=False)
                      if r.same_object(ref)), None)
        when = parse_time(write[0].get("at")) if write else None
        if not tight or when is None or any(t.target.same_object(ref) for t in out):
            continue
        victims = [s for s in stalls(facts) if s.first is None or when - SLACK <= s.first <= when + AFTER]
        routes = routes_in("\n".join(str(v) for v in (obj.get("data") or {}).values()))
        victims = [s for s in victims if not any(_in_cluster(h) or _ip_outside(h, routes)
                                                 for h in (by_pod[s.pod].hosts if s.pod in by_pod else []))]
        if victims:
            out.append(Tight(ref, ref, tight[-1], when, [Ref("", v.namespace, workload_of_pod(v.pod)) for v in victims],
                             victims[0].text[:200], [e for e in (write[1] if write else "", entry.get("evidence"),
                                                                 victims[0].evidence) if e]))
    return out


def _in_cluster(host: str) -> bool:
    return re.search(r"\.svc(?:\.|:|$)|cluster\.local", host.lower()) is not None


def finding(t: Tight, at: datetime) -> dict[str, Any]:
    """The tunnel's finding: the MTU and what it leaves no room for first, then the object, then the victims."""
    s = t.setting
    ago = (f" (written {minutes_text(int((at - t.written).total_seconds() // 60))} before the alert)"
           if t.written else "")
    by = f", which {t.gateway} loads," if t.gateway != t.target else ""
    victims = ", ".join(sorted({v.name for v in t.victims}))
    message = (f"{t.target}{ago}{by} sets the {s.family} tunnel's MTU to {s.mtu} on {s.dev} ('{s.said}'): no room "
               f"for the tunnel's encapsulation over a 1500-byte path (at most {s.ceiling}; {_DEFAULT[s.family]} is "
               f"the usual {s.family} MTU). Full-size packets through the tunnel are dropped (an MTU black hole), so "
               f"connections open and small replies pass but large results stall until the reads time out: "
               f"{victims} ('{t.said[:160]}'). Set the tunnel MTU back to {_DEFAULT[s.family]} (or clamp TCP MSS)")
    return {"check": CHECK, "severity": "critical", "reason": "TunnelMtuBlackHole",
            "object": {"kind": t.target.kind, "namespace": t.target.namespace, "name": t.target.name},
            "message": message, "evidence": [s.said, t.said[:200]],
            "details": {"mtu": s.mtu, "interface": s.dev, "family": s.family, "gateway": str(t.gateway)}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The object that set the tunnel's MTU; it explains the stalled reads through the tunnel."""
    return [(t.target, finding(t, facts.at), t.evidence, t.victims) for t in found(facts)]
