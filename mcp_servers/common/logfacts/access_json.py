"""A JSON log record that is an access-log entry, read as one: `METHOD path STATUS`, status, upstream.

Proxies write access logs as JSON as often as text: nginx with `log_format ... escape=json` (the keys
are whatever the operator named: commonly `request`, `status`, `upstream_addr`, `request_time`,
ingress-nginx's `proxy_upstream_name`), Envoy's and Istio's `json_format` (`method`, `path`,
`response_code`, `response_flags`, `upstream_host`, `upstream_cluster`, `duration`), Traefik's JSON
access log (`RequestMethod`, `RequestPath`, `DownstreamStatus`, `ServiceAddr`, `ServiceURL`,
`ServiceName`, `Duration`), Caddy's `http.log.access` (`request.method`, `request.uri`, `status`,
`duration`). Read as an application log, every such record has the same masked shape, so the errors
collapse into one template, the statuses go uncounted and the path and method are lost. A record with a
status and a request (method and path, or nginx's `$request` line) is read like a text access log
instead; an error message the record also carries (Caddy's `http.log.error` puts the failure in `msg`)
is kept after it when it names a failure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mcp_servers.common.logfacts.classify import ENVOY_LOCAL_DENIAL, classify

STATUS_KEYS = ("status", "response_code", "DownstreamStatus", "status_code", "statusCode", "http_status",
               "http.response.status_code", "http.status_code", "OriginStatus")
METHOD_KEYS = ("method", "request_method", "RequestMethod", "request.method", "http.method", "http.request.method",
               "verb")
PATH_KEYS = ("path", "request_uri", "uri", "RequestPath", "request.uri", "url.path", "http.target", "http.url", "url")
REQUEST_LINE_KEYS = ("request", "request_line")
"""nginx's `$request`: `GET /path HTTP/1.1`."""
UPSTREAM_KEYS = ("upstream_addr", "upstream_host", "upstream_address", "upstream", "ServiceAddr", "ServiceURL.Host",
                 "ServiceURL", "upstream.address", "upstream_remote_address")
CLUSTER_KEYS = ("upstream_cluster", "proxy_upstream_name", "ServiceName", "upstream_name")
DURATION_KEYS = ("duration", "request_time", "Duration", "request_duration", "response_time")
AUTHORITY_KEYS = ("authority", "request.host", "RequestHost", "host", "http_host")
FLAG_SEVERITY = {"UF", "UH", "UO", "URX", "UT", "UC", "UR", "NR", "LR", "UMSDR", "UPE", "NC", "OM", "DPE"}
"""Envoy response flags that mean the proxy failed the request (as in the text access log)."""

_REQUEST_LINE = re.compile(r"^([A-Z]{3,10}) (\S+?)(?: HTTP/[\d.]+)?$")
_URL_HOST = re.compile(r"^[a-z][a-z0-9+.\-]*://(?:[^/@\s]*@)?([^/\s?#]+)", re.I)
_MSG_KEYS = ("msg", "message", "error", "err", "error.message")
_SEVERITY_ORDER = {"fatal": 0, "error": 1, "warning": 2, "info": 3, "unknown": 4}


@dataclass(slots=True)
class Access:
    """What an access record says: its headline, severity from the status and flags, and its fields."""

    message: str
    severity: str
    fields: dict[str, str]


def _value(flat: dict[str, Any], keys: tuple[str, ...]) -> str:
    for key in keys:
        value = flat.get(key)
        if value not in (None, "", "-") and not isinstance(value, dict | list | bool):
            return str(value).strip()
    return ""


def _status(flat: dict[str, Any]) -> str:
    for key in STATUS_KEYS:
        value = flat.get(key)
        if isinstance(value, bool) or value is None:
            continue
        text = str(value).strip()
        if text.isdigit() and len(text) == 3 and "1" <= text[0] <= "5":
            return text
    return ""


def _upstream(flat: dict[str, Any]) -> str:
    """The upstream that answered last: nginx lists every server tried (`a:80, b:80` or `a:80 : b:80`)."""
    raw = _value(flat, UPSTREAM_KEYS)
    if not raw:
        return ""
    last = re.split(r"\s*[,:]\s+|\s+:\s*", raw)[-1].strip()
    url = _URL_HOST.match(last)
    host = url.group(1) if url else last
    return "" if host in ("-", "") or host.startswith("unix:") else host


def access_record(flat: dict[str, Any]) -> Access | None:
    """The access-log reading of a flattened JSON record, or None when it carries no status and request."""
    status = _status(flat)
    if not status:
        return None
    method, path = _value(flat, METHOD_KEYS), _value(flat, PATH_KEYS)
    if not (method and path):
        line = _REQUEST_LINE.match(_value(flat, REQUEST_LINE_KEYS))
        if not line:
            return None
        method, path = line.group(1), line.group(2)
    fields = {"method": method[:20], "path": path[:200], "status": status}
    upstream = _upstream(flat)
    if upstream:
        fields["upstream_host"] = upstream[:200]
    for name, keys in (("upstream_cluster", CLUSTER_KEYS), ("duration", DURATION_KEYS),
                       ("authority", AUTHORITY_KEYS)):
        found = _value(flat, keys)
        if found:
            fields[name] = found[:200]
    flags = _value(flat, ("response_flags",))
    if flags:
        fields["response_flags"] = flags
    details = _value(flat, ("response_code_details",))
    if details:
        fields["response_code_details"] = details[:200]
    flag_set = set(flags.split(",")) if flags else set()
    code = int(status)
    denial = code in (401, 403) and bool(ENVOY_LOCAL_DENIAL.match(details))  # the proxy's own filter refused
    severity = "error" if code >= 500 or flag_set & FLAG_SEVERITY or denial else "warning" if code == 429 else "info"
    message = f"{method} {path} {status}" + (f" {flags}" if flags else "") + (f" {details}" if denial else "")
    said = _value(flat, _MSG_KEYS)
    if said and classify(said) is not None:
        message = f"{message}: {said}"
    return Access(message, severity, fields)


def worse(a: str, b: str) -> str:
    """The more severe of two severities (an access record's status against its logger's level)."""
    return a if _SEVERITY_ORDER.get(a, 4) <= _SEVERITY_ORDER.get(b, 4) else b
