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
"""

from __future__ import annotations

import re
from typing import Any

from agent.triage.facts import Facts, said_by

_MISSING = re.compile(r"no Service (?P<ns>[\w.-]+)/(?P<name>[\w.-]+) exists: (?P<host>[\w.-]+) does not resolve")
"""The topology's wording for a configured in-cluster host no Service answers (mcp_servers/kubernetes/topology)."""

RESOLVE = re.compile(r"Name or service not known|nodename nor servname|could not translate host name|"
                     r"Name does not resolve|NXDOMAIN|no such host|getaddrinfo|ENOTFOUND|EAI_AGAIN|"
                     r"UnknownHostException|Temporary failure in name resolution|Could not resolve host|"
                     r"failed to resolve|Unknown host|unable to resolve|DNS (?:lookup|resolution) fail", re.I)
"""How resolvers and clients say a name does not resolve."""


def unheard(dep: dict[str, Any], facts: Facts) -> bool:
    """Whether a topology dependency is a missing Service that no log in view fails to reach, while logs with
    errors ARE in view (the users speak, of something else)."""
    m = _MISSING.search(str(dep.get("detail") or ""))
    if m is None:
        return False
    host, label = m["host"].lower(), m["name"].lower()
    speaking = False
    for log in facts.logs:
        if any(h.lower() == host or (h.lower().split(".")[0] == label and "." in h) for h in log.hosts):
            return False
        texts = [" ".join([said_by(e), str(e.get("exception") or "")]) for e in log.entries() if e]
        texts += log.last_lines
        speaking = speaking or bool(log.top or log.more)
        for text in texts:
            if host in text.lower() or RESOLVE.search(text):
                return False
    return speaking
