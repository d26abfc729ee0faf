"""Connection reuse turned off in a client, and the local ports it then runs out of.

An HTTP (or database, or gRPC) client normally keeps its connections open between requests: Go's
`http.Transport` pools idle connections unless `DisableKeepAlives` is set (or `MaxIdleConnsPerHost` is
negative), the JVM's HttpURLConnection keeps them unless `-Dhttp.keepAlive=false`, Node's agents keep them with
`keepAlive: true`, nginx/Envoy upstreams keep them with `keepalive N` / `keepalive_timeout > 0`, and a client
that sends `Connection: close` asks the server to drop each one. Turn reuse off and a busy caller opens a
new TCP connection per request; the side that closes first holds each socket in TIME_WAIT for 60 s, so the
caller's sockets pile up in TIME_WAIT, the ephemeral port range (`net.ipv4.ip_local_port_range`, about 28k
ports per destination by default) runs out, and `connect()` fails with EADDRNOTAVAIL, "cannot assign requested
address" (a NAT gateway or conntrack table behind it fills the same way). Nothing in the callee changed.

This module is one family of `agent.triage.governing_settings`: the error's real wording, what it means, the
settings that decide it (keep-alive, idle pool, `Connection: close`) on the erroring process's own side, and
which values of them turn reuse off. `agent.triage.governing_change` then finds the recent write that set one
(a workload's env or flags, or the ConfigMap it loads, whose current value it reads when the timeline records
only that the key was written). A write that turns reuse ON, or an error printed before the write, is not named.
"""

from __future__ import annotations

import re

from agent.triage.governing_settings import Governed

ERROR = re.compile(
    r"cannot assign requested address|can't assign requested address|EADDRNOTAVAIL|"
    r"Address not available|Only one usage of each socket address|WSAEADDRINUSE|WSAENOBUFS|"
    r"SocketException \(10055\)|system lacked sufficient buffer space", re.I)
"""Linux/glibc, BSD/macOS and errno wordings of a connect() with no free local port, and Windows' WSAEADDRINUSE
on connect (Go: `dial tcp ...: connect: cannot assign requested address`; Java: `NoRouteToHostException:
Cannot assign requested address`; Node: `connect EADDRNOTAVAIL`; Python: `[Errno 99] Cannot assign requested
address`; .NET: `SocketException (99)` on Linux, `(10048) Only one usage of each socket address` and `(10055) ...
lacked sufficient buffer space` (WSAENOBUFS: Windows' ephemeral ports spent) on Windows)."""

DISABLE = re.compile(r"disable[-_.]?keep[-_.]?alives?|no[-_.]?keep[-_.]?alive|disable[-_.]?(?:conn(?:ection)?[-_.]?)?"
                     r"(?:pool(?:ing)?|reuse)", re.I)
"""Keys whose TRUE value turns reuse off (Go's DisableKeepAlives spelt as env/config, `no_keepalive`)."""
ENABLE = re.compile(r"(?:^|[-_.])(?:enable[-_.]?)?keep[-_.]?alives?(?:[-_.]?enabled?)?$|http\.keepAlive$|"
                    r"(?:conn(?:ection)?[-_.]?)?(?:pool(?:ing)?|reuse)[-_.]?enabled?$|reuse[-_.]?conn(?:ection)?s?$",
                    re.I)
"""Keys whose FALSE value turns reuse off (`-Dhttp.keepAlive=false`, `KEEPALIVE=false`, `pool_enabled: false`)."""
IDLE = re.compile(r"max[-_.]?idle[-_.]?conn(?:ection)?s?(?:[-_.]?per[-_.]?host)?$|keep[-_.]?alive[-_.]?timeout$|"
                  r"^(?:upstream[-_.]?)?keepalive[-_.]?(?:conn(?:ection)?s|requests)$|idle[-_.]?pool[-_.]?size$",
                  re.I)
"""Keys whose value 0 (or negative) keeps no idle connection (Go's MaxIdleConnsPerHost < 0, nginx
`keepalive_timeout 0`, an idle pool of size 0)."""
REQUESTS = re.compile(r"max[-_.]?requests[-_.]?per[-_.]?conn(?:ection)?$|keep[-_.]?alive[-_.]?requests$", re.I)
"""Keys that cap the requests one connection serves: 1 means a new connection for every request (Envoy/Istio
`maxRequestsPerConnection: 1` "disables keep-alive"; nginx `keepalive_requests 1`); nginx's 0 too (0 is
Envoy's "unlimited")."""
LIFETIME = re.compile(r"pooled[-_.]?connection[-_.]?(?:idle[-_.]?timeout|lifetime)$", re.I)
""".NET SocketsHttpHandler's pool times (`PooledConnectionIdleTimeout`, `PooledConnectionLifetime`): zero keeps no
connection for the next request."""
CLOSE = re.compile(r"(?:^|[-_.])connection(?:[-_.]?header)?$", re.I)
"""A header setting whose value `close` makes every request ask for the connection to be dropped."""

SETTING = re.compile("|".join(f"(?:{p.pattern})" for p in (DISABLE, ENABLE, IDLE, REQUESTS, LIFETIME, CLOSE)), re.I)

TRUE = {"true", "1", "yes", "on", "y"}
FALSE = {"false", "0", "no", "off", "n", "disabled"}


def _leaf(key: str) -> str:
    """The last segment of a dotted/flag key (`--upstream.disable-keepalives` -> `disable-keepalives`)."""
    return key.lstrip("-")


def reuse_off(key: str, value: str | None) -> bool:
    """Whether `key` set to `value` turns connection reuse off (None: value unknown, so not judged)."""
    if value is None:
        return False
    v = value.strip().strip("'\"").lower()
    k = _leaf(key)
    if DISABLE.search(k):
        return v in TRUE
    if REQUESTS.search(k):
        return v == "1" or (v == "0" and not re.search(r"per[-_.]?conn", k, re.I))
    if LIFETIME.search(k):
        return bool(re.fullmatch(r"0+(?:\.0+)?(?:s|ms)?|0?0:00:00(?:\.0+)?", v))
    if re.search(r"timeout", k, re.I) and IDLE.search(k):
        return bool(re.fullmatch(r"0+(?:\.0+)?(?:s|ms)?", v))
    if IDLE.search(k):
        return bool(re.fullmatch(r"-?\d+", v)) and int(v) <= 0
    if ENABLE.search(k):
        return v in FALSE
    if CLOSE.search(k):
        return v == "close"
    return False


MEANING = ("connection reuse (HTTP keep-alive, the idle connection pool) was turned off, so the client opens a new "
           "TCP connection for every request; each closed socket holds its local port in TIME_WAIT for 60 s, the "
           "ephemeral port range (net.ipv4.ip_local_port_range, ~28k ports per destination) runs out and connect() "
           "fails with 'cannot assign requested address' (EADDRNOTAVAIL); turn keep-alive back on rather than "
           "blaming the callee")
HEADLINE = ("keep-alive off: one new connection per request, sockets pile up in TIME_WAIT until the ephemeral port "
            "range runs out")
"""Said right after the setting in the finding, so the meaning survives a truncated headline."""

FAMILY: Governed = Governed("connection_reuse_off", ERROR, MEANING, SETTING, ("self",), reuse_off, headline=HEADLINE)
