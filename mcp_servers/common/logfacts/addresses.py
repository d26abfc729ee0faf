"""Whether a `name:number` an error prints is a network address or a key:value pair.

Log lines are full of `key:value` shapes that look like `host:port`: gunicorn's
`WORKER TIMEOUT (pid:33)`, `line:12`, `attempt:3`, `tid:7`, `retry:2/5`. Taken for addresses they
send triage after a Service named `pid`. A real address either looks resolvable on its own (an
IP, a dotted DNS name such as `db.shop.svc`) or stands in a network context: a URL, `dial tcp`,
`connect to`, `host=`, `upstream`, `Connection refused`... A bare one-label name (`redis:6379`,
`postgres:5432`) is common in Kubernetes, so it is kept when the line speaks of the network; a
counter or identifier key (`pid`, `line`, `attempt`) is never a host, whatever the line says.
"""

from __future__ import annotations

import re

COUNTER_KEYS = frozenset({
    "pid", "ppid", "tid", "thread", "thread_id", "line", "lineno", "ln", "col", "column",
    "attempt", "attempts", "retry", "retries", "try", "tries", "count", "cnt", "n", "num", "no", "id", "idx", "index",
    "seq", "step", "offset", "partition", "generation", "epoch", "version", "rev", "revision", "shard", "page",
    "row", "uid", "gid", "fd", "errno", "exit", "status", "code", "level", "lvl", "priority", "prio", "pos",
    "position", "frame", "depth", "iteration", "iter", "round", "batch", "chunk", "slot", "core", "cpu", "gen",
    "took", "elapsed", "duration", "latency", "ms", "sec", "secs", "seconds", "size", "len", "length", "total",
    "max", "min", "avg", "p50", "p95", "p99", "rc", "ret", "result", "err", "conn_id", "req", "request_id",
    "txn", "xid", "lsn", "term", "node_id", "broker_id",
})
"""Keys whose `key:number` counts, numbers or identifies something in the process (never a host)."""

_NETWORK = re.compile(
    r"://|\bdial\b|\bconnect(?:ing|ion|ed)?\b|\brefused\b|\breset\b|\bunreachable\b|no route|\bupstream\b|"
    r"\bhost(?:name)?\b|\baddr(?:ess)?\b|\bserver\b|\bendpoint\b|\bsocket\b|\btcp\b|\budp\b|\bproxy\b|"
    r"\bbackend\b|\bbroker\b|\bpeer\b|\blookup\b|\bresolv|\bi/o timeout\b|\bE(?:CONNREFUSED|CONNRESET|TIMEDOUT|"
    r"HOSTUNREACH|NOTFOUND)\b|getaddrinfo|\bbootstrap\b|\blisten(?:ing)?\b|\bbind\b|\bport\b",
    re.I)
"""Words that put a `name:port` in a network context."""

_IP = re.compile(r"^(?:\d{1,3}\.){3}\d{1,3}$|^\[[0-9a-fA-F:]+\]$")


def resolvable(host: str) -> bool:
    """An IP or a dotted DNS name (`db.shop.svc.cluster.local`): an address on its own."""
    if _IP.match(host):
        return True
    labels = host.split(".")
    return len(labels) >= 2 and all(labels) and labels[-1][:1].isalpha()


def network_context(text: str) -> bool:
    """Whether the line speaks of the network (a URL, dial, connect, refused, upstream, host=...)."""
    return _NETWORK.search(text) is not None


def plausible(host: str, text: str) -> bool:
    """Whether `host` of a `host:port` found in `text` is an address rather than a key:value pair."""
    if host.lower() in COUNTER_KEYS:
        return False
    return resolvable(host) or network_context(text)
