"""A missing in-cluster Service that configuration names, while its user's own logs never fail to reach it.

The topology reads hosts out of env and ConfigMaps (`REDIS_URL=redis://redis.messaging:6379/0`) and reports
`no Service messaging/redis exists: redis.messaging does not resolve` when the cluster it sees has no such
Service. That is a true fact about the objects read, but not yet a cause: a name that does not resolve fails
LOUDLY in the client that uses it, and every resolver prints the host it could not find (`getaddrinfo ENOTFOUND
redis.messaging`, `UnknownHostException: redis.messaging`, `dial tcp: lookup redis.messaging ... no such host`,
`Name or service not known`). A client whose logs are in view, failing with some other error and never with a
resolution error nor naming the host, is not failing for the missing name: the variable may be unused, overridden
by a file or a sidecar, answered by a host alias or a search domain, or the Service lives in a part of the
cluster the read did not list. So such a claim is not ranked as the cause; it stays a cause when the users are
silent (not started, no logs read), when any log in view names a resolution failure, or when it names the host.

A log naming the host is not always a failure to reach it: `status=401 upstream=inventory-api.inventory.svc:8443`
is that host ANSWERING. A name that answered with an application status resolved and connected, so its Service
exists, only not among the objects read (a partial dump, a namespace the read could not list). Statuses below
500 prove it (an application said 401, 404, 429); 5xx do not (a proxy in between answers 502/503 for a backend it
cannot reach). Such a host is heard, and the missing-Service claim is not ranked as the cause either. So is a host
named on a line where the caller failed on a field of the response it read (`Cannot query field "x"`, `KeyError`):
a response was parsed, so a server answered.
"""

from __future__ import annotations

import re
from typing import Any

from agent.triage import callee_contract
from agent.triage.facts import Facts, LogEvidence, said_by

_MISSING = re.compile(r"no Service (?P<ns>[\w.-]+)/(?P<name>[\w.-]+) exists: (?P<host>[\w.-]+) does not resolve")
"""The topology's wording for a configured in-cluster host no Service answers (mcp_servers/kubernetes/topology)."""

RESOLVE = re.compile(r"Name or service not known|nodename nor servname|could not translate host name|"
                     r"Name does not resolve|NXDOMAIN|no such host|getaddrinfo|ENOTFOUND|EAI_AGAIN|"
                     r"UnknownHostException|Temporary failure in name resolution|Could not resolve host|"
                     r"failed to resolve|Unknown host|unable to resolve|DNS (?:lookup|resolution) fail", re.I)
"""How resolvers and clients say a name does not resolve."""


_STATUS = re.compile(r"^[1-4]\d\d$")
"""An HTTP status a server answered with, 5xx left out (a proxy answers those for a backend it cannot reach)."""


def _answered(log: LogEvidence, host: str, label: str) -> bool:
    """Whether this log's errors show the host answering: every entry that names it as its upstream carries a status
    below 500, and at least one does (so the name resolved and a server replied)."""
    statuses = []
    for entry in log.entries():
        fields = (entry.get("fields") or {}) if entry else {}
        upstream = str(fields.get("upstream_host") or "").lower().split(":")[0]
        if upstream and (upstream == host or (upstream.split(".")[0] == label and "." in upstream)):
            statuses.append(str(fields.get("status") or ""))
    return bool(statuses) and all(_STATUS.match(s) for s in statuses)


def _parsed(log: LogEvidence, host: str) -> bool:
    """Whether a line of this log names the host (in its text or as its entry's upstream) together with a
    response field the caller could not find in what it read (`Cannot query field "x"` from
    `http://host:4000/graphql`, `KeyError: 'price'` for `url=http://host`): a response was read and parsed, so the
    name resolved and a server answered."""
    texts = [(" ".join([said_by(e), str(e.get("exception") or ""), str(e.get("example") or "")]),
              str((e.get("fields") or {}).get("upstream_host") or "").lower()) for e in log.entries() if e]
    texts += [(line, "") for line in log.last_lines]
    return any((host in text.lower() or host in upstream) and any(p.search(text) for p in callee_contract.MISSING)
               for text, upstream in texts)


def unheard(dep: dict[str, Any], facts: Facts) -> bool:
    """Whether a topology dependency is a missing Service that no log in view fails to reach, while logs with
    errors ARE in view (the users speak, of something else)."""
    m = _MISSING.search(str(dep.get("detail") or ""))
    if m is None:
        return False
    host, label = m["host"].lower(), m["name"].lower()
    speaking = answered = False
    for log in facts.logs:
        names = any(h.lower() == host or (h.lower().split(".")[0] == label and "." in h) for h in log.hosts)
        log_answered = _answered(log, host, label) or _parsed(log, host)
        if names and not log_answered:
            return False
        answered = answered or log_answered
        texts = [" ".join([said_by(e), str(e.get("exception") or "")]) for e in log.entries() if e]
        texts += log.last_lines
        speaking = speaking or bool(log.top or log.more)
        for text in texts:
            if RESOLVE.search(text) or (host in text.lower() and not log_answered):
                return False
    return speaking or answered
