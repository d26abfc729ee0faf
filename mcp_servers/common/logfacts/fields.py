"""The values an error message names: addresses, hosts, variables, files, codes.

Each extractor looks for the phrasings used across ecosystems for one kind of value (an
environment variable is named by `KeyError: 'X'`, `X is not set`, `missing required env X`,
`process.env.X`, `Could not resolve placeholder 'X'`...). Credentials inside URLs are dropped:
only scheme, host, port and path are kept.
"""

from __future__ import annotations

import re

from mcp_servers.common.logfacts.addresses import plausible
from mcp_servers.common.logfacts.classify import GO_RESOLVER_ERROR
from mcp_servers.common.logfacts.doc_urls import doc_links, without_doc_links

_NAME = r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{3,}[0-9]*"
_ENV_PATTERNS = [
    re.compile(r"process\.env\.([A-Za-z_]\w*)|process\.env\[['\"](\w+)['\"]\]"),
    re.compile(r"(?:os\.environ|\bENV|\benv|os\.Getenv|getenv|System\.getenv|Environment\.GetEnvironmentVariable|"
               r"env::var|os\.LookupEnv)(?:\.get|\.fetch)?\s*[(\[]\s*['\"]([A-Za-z_]\w*)['\"]"),
    re.compile(r"(?i:placeholder|required key|env(?:ironment)?(?:[ _-]?var(?:iable)?)?s?|variables?|"
               r"setting|config(?:uration)? key)\s*[:=]?\s*['\"`$]?\{?(" + _NAME + r")\b"),
    re.compile(r"(?:^|[\s'\"`$({])\$?\{?(" + _NAME + r")\}?['\"`]?:?\s+(?:is |was |has )?(?:not (?:been )?(?:set|"
               r"defined|provided|configured|specified)|unset|undefined|required|missing|empty|must be)"),
    re.compile(r"KeyError:?\s*['\"](" + _NAME + r")['\"]|key not found: ['\"](" + _NAME + r")['\"]"),
    re.compile(r"(?i:\bmissing:?\s+(?:required\s+)?|\bset\s+(?:the\s+)?|must set\s+|need to set\s+)[$]?("
               + _NAME + r")\b"),
    re.compile(r"\b(" + _NAME + r")['\"`]? (?i:env(?:ironment)?(?:[ _-]?var(?:iable)?)?) "),
]
_CONFIG_KEY = re.compile(r"(?i:placeholder|config(?:uration)? key|property|setting|option)\s*['\"`]([\w.\-]+)['\"`]"
                         r"|['\"`]([\w.\-]+)['\"`] (?i:setting|config(?:uration)? key|option|property)\b")

_URL = re.compile(r"\b([a-z][a-z0-9+.\-]*)://(?:[^/\s\"'@]*@)?(\[[0-9a-fA-F:]+\]|[\w.\-]+)(?::(\d{1,5}))?(/[^\s\"',)]*)?")
_HOSTPORT = re.compile(
    r"(?<![\w.:/\-])((?:\d{1,3}\.){3}\d{1,3}|\[[0-9a-fA-F:]+\]|[a-zA-Z][\w\-]*(?:\.[\w\-]+)*):(\d{2,5})\b(?!:\d)")
_DIAL = re.compile(r"\b(?:dial|connect(?:ing)?|connection|upstream|host|addr(?:ess)?|server|endpoint|to|target|"
                   r"backend|peer)\b[^\n]{0,12}?((?:\d{1,3}\.){3}\d{1,3}|[a-zA-Z][\w\-]*(?:\.[\w\-]+)*):(\d{2,5})\b",
                   re.I)
_DNS = [
    re.compile(r"\blookup ([\w.\-]+)(?: on [\w.:\[\]]+)?: (?:no such host|server misbehaving|i/o timeout|"
               r"Temporary failure)", re.I),
    # Go's *net.DNSError prints `lookup NAME on SERVER: <cause>` whatever the cause (a read timeout
    # `read udp a->b:53: i/o timeout`, a refused socket): the server part alone makes it DNS.
    re.compile(GO_RESOLVER_ERROR),
    re.compile(r"UnknownHostException:?\s*([\w.\-]+)"),
    re.compile(r"(?:getaddrinfo|query[A-Z][a-z]*|lookup|resolve)\s+E[A-Z_]+\s+([\w.\-]+)"),
    re.compile(r"(?:ENOTFOUND|EAI_AGAIN)\s+([\w.\-]+)"),
    re.compile(r"(?i:could not resolve (?:host(?:name)?|address|name)|failed to resolve|unable to resolve|"
               r"could not translate host name|unknown host|host not found)[:\s]+['\"]?([\w.\-]+)"),
    re.compile(r"(?i:getaddrinfo for|errors? resolving|address lookup failed for|DNS lookup failure for:?|"
               r"(?:DNS|name) resolution failed for(?: service:| target)?)\s+(?:dns:(?:///)?)?([\w.\-]+)"),
    # aiohttp's ClientConnectorDNSError: `Cannot connect to host NAME:PORT ssl:default [Name or service not known]`
    re.compile(r"(?i:cannot connect to host) ([\w.\-]+)(?::\d+)?[^\[\n]{0,40}\[(?i:Name or service not known|"
               r"nodename nor servname|Temporary failure in name resolution|Name does not resolve|"
               r"No address associated|Domain name not found|Could not contact DNS servers)"),
    re.compile(r"([\w.\-]+): (?i:Name or service not known|nodename nor servname|Name does not resolve|"
               r"Temporary failure in name resolution|No address associated)"),
    re.compile(r"(?i:failed to lookup address information|name resolution)[^'\"]{0,40}['\"]([\w.\-]+)['\"]"),
    re.compile(r"(?i:no such host is known)\.? \(([\w.\-]+)(?::\d+)?\)"),
    re.compile(r"([\w.\-]+) could not be resolved \(\d+: "),  # nginx's resolver
    re.compile(r"(?i:unknown (?:MySQL )?server host) '([\w.\-]+)'"),  # MySQL/MariaDB client (2005)
]
_GRPC = re.compile(r"\bcode\s*=\s*([A-Z][A-Za-z]+)\b")
_GRPC_NAMES = ("CANCELLED|UNKNOWN|INVALID_ARGUMENT|DEADLINE_EXCEEDED|NOT_FOUND|ALREADY_EXISTS|PERMISSION_DENIED|"
               "RESOURCE_EXHAUSTED|FAILED_PRECONDITION|ABORTED|OUT_OF_RANGE|UNIMPLEMENTED|INTERNAL|UNAVAILABLE|"
               "DATA_LOSS|UNAUTHENTICATED")
_GRPC_STATUS = re.compile(r"\bStatusCode\.(" + _GRPC_NAMES + r")\b|\bStatusCode=\"?([A-Z][A-Za-z]+)\b"
                          r"|\bStatus(?:Runtime)?Exception: (" + _GRPC_NAMES + r")\b|(?:^|[\s:])1?\d (" + _GRPC_NAMES
                          + r"): ")
_GRPC_GATE = ("StatusCode", *_GRPC_NAMES.split("|"))
"""gRPC's status outside Go's `rpc error: code = X`: Python grpcio's `status = StatusCode.UNAVAILABLE` (its
`_InactiveRpcError`) and `code=StatusCode.X`, .NET's `Status(StatusCode="Unavailable", ...)`, Java's
`io.grpc.StatusRuntimeException: UNAVAILABLE: io exception`, Node grpc-js's `Error: 14 UNAVAILABLE: ...`. Written
as Go names it (`Unavailable`, `DeadlineExceeded`), whatever the runtime's spelling."""
_BACKEND = re.compile(r"(?i:connection to backend): ([\w.\-]+)\b")
"""Apache httpd mod_proxy's `AH01114: HTTP: failed to make connection to backend: orders.shop.svc` (no port)."""
_PY_ADDRESS = re.compile(r"\bhost=['\"]([\w.\-]+|[0-9a-fA-F:]+)['\"],\s*port=(\d{1,5})\b"
                         r"|(?i:connect call failed|connecting to|dest=\(.{0,80}?|raddr=|connect to|connection to)\s*"
                         r"\(['\"]((?:\d{1,3}\.){3}\d{1,3}|[0-9a-fA-F:]*:[0-9a-fA-F:]+|[\w.\-]+)['\"],\s*(\d{1,5})[,)]")
"""Python's ways of naming the peer: urllib3's `HTTPConnection(host='10.0.0.7', port=8080)` (requests, botocore),
and a socket address tuple after the connect words, `Connect call failed ('10.0.0.7', 5432)` (asyncio: aiohttp,
asyncpg), pika's `dest=(..., ('10.0.0.7', 5672))`, `raddr=(...)`; never `laddr=` (the local socket)."""
_SQLSTATE = re.compile(r"SQLSTATE[\s=:\[]*([0-9A-Z]{5})\b|\bsql_?state[\s\"'=:]*([0-9A-Z]{5})\b", re.I)
_FILE = re.compile(
    r"(?:open|stat|read|load|lstat|mkdir|access|opening|reading)\s+['\"]?(/[\w.\-/]+)['\"]?:?\s*(?i:no such file|"
    r"permission denied|not a directory|is a directory)"
    r"|(?i:no such file or directory)[:,]\s*(?:open |stat )?['\"]?(/?[\w.\-/]+)['\"]?"
    r"|(?:FileNotFound\w*|NoSuchFileException):?\s*\[?[^'\"/]*['\"]?(/[\w.\-/]+)"
    r"|(?i:cannot find module) ['\"]([^'\"]+)['\"]")
_COMMA_PORT = re.compile(
    r"(?i:\bserver|data source|\baddr(?:ess)?|network address|\bhost)\s*(?:=|:)?\s*['\"]?(?:tcp:)?"
    r"((?:\d{1,3}\.){3}\d{1,3}|[a-zA-Z][\w\-]*(?:\.[\w\-]+)*)(?:\\[\w$]+)?,\s?(\d{2,5})\b")
"""SQL Server's `host,port` (`server 'sqlserver.data.svc,1433'`, `Data Source=tcp:db,1433`,
`Server=db\\INST,1433`): its client libraries separate the port with a comma, not a colon."""
_SERVER_AT = re.compile(r"(?i:server at|host) \"?([\w.\-]+)\"? \([\d.:a-f]+\)(?:,? (?i:port) (\d{2,5}))?"
                        r"|(?i:server at) \"([\w.\-]+)\",? (?i:port) (\d{2,5})"
                        r"|(?i:connect to (?:MySQL )?server on) '([\w.\-]+)'(?::(\d{2,5}))?")
"""libpq's `connection to server at "db" (10.0.0.5), port 5432 failed` and, for an IP, `server at "10.0.0.5",
port 5432` (PostgreSQL 14+); the MySQL/MariaDB client's `Can't connect to (MySQL) server on 'db' (111)`."""
_RESOLVER = re.compile(r"\bresolver:? \"?((?:\d{1,3}\.){3}\d{1,3}(?::\d+)?|\[[0-9a-fA-F:]+\](?::\d+)?)"
                       r"|\blookup [\w.\-]+ on ((?:\d{1,3}\.){3}\d{1,3}:53|\[[0-9a-fA-F:]+\]:53)\b")
"""The DNS server a failed lookup asked (nginx `resolver: 10.96.0.10:53`, Go `lookup x on 10.96.0.10:53`): the
resolver, never the upstream the program wanted."""
_DB_USER = re.compile(
    r"(?i:password authentication failed for user|access denied for user|login failed for user|"
    r"authentication failed for user|pg_hba\.conf (?:entry|rejects connection) for host \"[^\"]*\", user)"
    r"\s+[\"'`]([^\"'`\s]{1,63})[\"'`]"
    r"|(?i:\brole) \"([^\"\s]{1,63})\" (?i:does not exist)")
_DB_NAME = re.compile(r"(?i:\bdatabase) \"([^\"\s]{1,63})\" (?i:does not exist)|(?i:unknown database|to database|"
                      r"pg_hba\.conf (?:entry|rejects connection) for host [^\n]{0,120}?, database)"
                      r"\s+[\"'`]([^\"'`\s]{1,63})[\"'`]")
"""The role and database a refused login names (PostgreSQL `role "x" does not exist`, `database "x" does not
exist`, `no pg_hba.conf entry for host "h", user "u", database "d"`; MySQL `Access denied for user 'u'@'h'`,
`Unknown database 'd'`; SQL Server `Login failed for user 'u'`)."""
_DNS_SERVER = re.compile(r"(?:\bon |->)?(?:(?:\d{1,3}\.){3}\d{1,3}|\[[0-9a-fA-F:]+\]):53\b")
"""`lookup NAME on 10.96.0.10:53` (or `read udp a->10.96.0.10:53`): the resolver asked, not the service wanted."""
_LOCAL_END = re.compile(r"\b(?:read|write|dial) (?:udp|tcp)[46]? [\w.:\[\]]+->")
"""Go's `read tcp 10.1.2.3:51234->10.4.5.6:5432`: the part before `->` is this pod's own socket."""
_CLIENT_END = re.compile(r"\b(?:panic serving|TLS handshake error from|(?:accept(?:ed)?|incoming) connection from) "
                         r"[\w.:\[\]\-]+")
"""A server's log naming the CLIENT it was serving (Go net/http `http: panic serving 10.0.0.1:5555`, `http: TLS
handshake error from 10.0.0.1:5555`): that address is no upstream."""
_EXIT = re.compile(r"(?i:exit(?:ed)? with (?:exit )?(?:code|status)|exit (?:code|status)):?\s*(-?\d+)")
_STATUS = re.compile(r"(?i:status(?:[ _]?code)?|HTTP/\d(?:\.\d)?|returned|response code)[\"']?[\s=:]+([1-5]\d\d)\b"
                     r"|(?i:too many) ([1-5]\d\d) error responses|ResponseError: ([1-5]\d\d), message="
                     r"|\b([1-5]\d\d) (?:Server|Client) Error: ")
"""Also urllib3's `too many 503 error responses` (its Retry gave up on that status), aiohttp's
`ClientResponseError: 503, message='Service Unavailable'` and requests' `500 Server Error: Internal Server Error for
url: ...`."""

_SOURCE_FILE = re.compile(r"\.(?:java|kt|scala|py|go|js|mjs|cjs|ts|rb|cs|c|cc|cpp|h|rs|php|ex|exs|erl|swift)$", re.I)
"""`Main.java:42` and `server.go:88` are source positions, not host:port."""
_NOT_HOSTS = {"http", "https", "tcp", "udp", "dial", "localhost.localdomain", "line", "error", "at", "file",
              "caused", "code", "desc", "time", "ts"}
_BUCKET_SCHEMES = frozenset({"s3", "s3a", "s3n", "gs", "gcs", "wasb", "wasbs", "abfs", "abfss", "oss", "cos", "r2",
                            "az", "swift"})
"""Object-store URL schemes: `s3://NAME/key` names a bucket (or container), not a host a client dials, so it is
never an upstream host (an in-cluster Service of that name is not what the client failed to reach)."""


_ENV_ANCHORS = ("env", "set", "process.", "keyerror", "key not found", "placeholder", "required", "variable", "setting",
                "config", "not ", "unset", "undefined", "missing", "empty", "must be")
_DNS_ANCHORS = ("host", "lookup", "enotfound", "eai_", "resolv", "name", "translate")
_FILE_ANCHORS = ("no such file", "enoent", "filenotfound", "nosuchfile", "cannot find module", "permission denied",
                 "not a directory", "is a directory")
_STATUS_ANCHORS = ("status", "http/", "returned", "response code", "error responses", "responseerror",
                   "server error: ", "client error: ")
"""Lower-case words one of which any match of the patterns below contains: the cheap gate before a search."""


def _has(low: str, anchors: tuple[str, ...]) -> bool:
    return any(a in low for a in anchors)


_NOT_VARIABLES = frozenset({"ENV", "THE", "VAR", "NOT", "KEY", "API", "URL", "SSL", "TLS", "HTTP", "HTTPS", "DNS",
                            "TCP", "UDP", "JSON", "XML", "SQL", "JWT", "CORS", "MFA", "SASL", "GSSAPI", "SCRAM"})
"""Words in capitals that are no variable: `server does not support SSL, but SSL was required` (libpq) names a
protocol the connection lacked, not an unset `SSL` variable."""


def env_var(text: str) -> str | None:
    """The environment variable a message names, in any of the common phrasings."""
    if not _has(text.lower(), _ENV_ANCHORS):
        return None
    for pattern in _ENV_PATTERNS:
        m = pattern.search(text)
        if m:
            name = next(g for g in m.groups() if g)
            if name.upper() not in _NOT_VARIABLES:
                return name
    return None


_GRPC_SCHEME = re.compile(r"\b(?:(?:ipv4|ipv6|unix|unix-abstract|vsock):(?!//)|(?:dns|passthrough|xds):///|"
                          r"(?:tcp|udp):(?=\d|\[))")
"""gRPC target and resolver prefixes (`ipv4:10.0.0.7:9090`, `dns:///orders:50051`) and a transport before an address
(lighttpd's `socket: tcp:127.0.0.1:18999`): not host names."""


def extract(text: str) -> dict[str, str]:
    """Every value `text` names, by field name (see docs/logfacts.md for the list)."""
    out: dict[str, str] = {}
    docs = doc_links(text)
    if docs:  # a link for the reader (docs, an issue): kept aside, never a host nor a status
        out["doc_url"] = docs[0][:200]
        text = without_doc_links(text)
    low = text.lower()
    name = env_var(text)
    if name:
        out["env_var"] = name
    key = _CONFIG_KEY.search(text) if _has(low, ("placeholder", "config", "propert", "setting", "option")) else None
    if key:
        out["config_key"] = next(g for g in key.groups() if g)
    for pattern in _DNS if _has(low, _DNS_ANCHORS) else ():
        m = pattern.search(text)
        if m and m.group(1).lower() not in _NOT_HOSTS:
            out["dns_name"] = m.group(1).rstrip(".")
            break
    url = _URL.search(text) if "://" in text else None
    if url:
        scheme, host, port, path = url.groups()
        path = (path or "").rstrip(":.;")  # `Cannot connect to redis://host:6379/0: Error 111 ...`: prose, not path
        out["url"] = f"{scheme}://{host}{':' + port if port else ''}{path}"[:200]
    resolver = _RESOLVER.search(text) if "resolv" in low or "lookup" in low else None
    if resolver:
        out["resolver"] = next(g for g in resolver.groups() if g)
    probe = _LOCAL_END.sub("", text)
    probe = _CLIENT_END.sub("", probe) if " from " in probe or "serving" in probe else probe
    probe = _DNS_SERVER.sub("", probe) if "dns_name" in out else probe
    probe = probe.replace(out["resolver"], "") if resolver else probe
    probe = _GRPC_SCHEME.sub("", probe)
    comma = _COMMA_PORT.search(probe) if "," in probe else None
    hostport = _address(probe, comma)
    server_at = _SERVER_AT.search(text) if "server at" in low or "host " in low or "server on" in low else None
    if hostport:
        out["upstream_host"], out["upstream_port"] = hostport.group(1), hostport.group(2)
        out["address"] = f"{hostport.group(1)}:{hostport.group(2)}"
    elif server_at:
        host = server_at.group(1) or server_at.group(3) or server_at.group(5)
        port = server_at.group(2) or server_at.group(4) or server_at.group(6)
        out["upstream_host"] = host
        if port:
            out["upstream_port"] = port
            out["address"] = f"{host}:{port}"
    elif backend := _BACKEND.search(text) if "backend: " in text else None:
        out["upstream_host"] = backend.group(1)
    elif (py := _PY_ADDRESS.search(text) if "host=" in text or "('" in text or "(\"" in text else None):
        host, port = (py.group(1), py.group(2)) if py.group(1) else (py.group(3), py.group(4))
        out["upstream_host"], out["upstream_port"] = host, port
        out["address"] = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    elif url and url.group(2).lower() not in _NOT_HOSTS and url.group(1).lower() not in _BUCKET_SCHEMES:
        out["upstream_host"] = url.group(2)
        if url.group(3):
            out["upstream_port"] = url.group(3)
    if _has(low, ("role", "user", "database")):
        if m := _DB_USER.search(text):
            out["db_user"] = m.group(1) or m.group(2)
        if m := _DB_NAME.search(text):
            out["database"] = m.group(1) or m.group(2)
    if "rpc error" in text and (m := _GRPC.search(text)):
        out["grpc_code"] = m.group(1)
    elif any(word in text for word in _GRPC_GATE) and (m := _GRPC_STATUS.search(text)):
        code = next(g for g in m.groups() if g)
        out["grpc_code"] = code if "_" not in code and not code.isupper() else \
            "".join(part.capitalize() for part in code.lower().split("_"))
    if "sql" in low and (m := _SQLSTATE.search(text)):
        out["sql_state"] = next(g for g in m.groups() if g)
    if _has(low, _FILE_ANCHORS) and (m := _FILE.search(text)):
        out["file"] = next(g for g in m.groups() if g)
    if "exit" in low and (m := _EXIT.search(text)):
        out["exit_code"] = m.group(1)
    if _has(low, _STATUS_ANCHORS) and (m := _STATUS.search(text)):
        out["status"] = next(g for g in m.groups() if g)
    return out


def _address(probe: str, comma: re.Match[str] | None) -> re.Match[str] | None:
    """The first `host:port` of the line that is an address (logfacts.addresses): a dialled one first, then
    any; `pid:33` or `line:12` is passed over for a real address later in the line."""
    for m in ([comma] if comma else []) + [*_DIAL.finditer(probe), *_HOSTPORT.finditer(probe)]:
        host = m.group(1)
        if host.lower() not in _NOT_HOSTS and not _SOURCE_FILE.search(host) and plausible(host, probe):
            return m
    return None


def split_hostport(value: str) -> tuple[str, str | None]:
    """`10.0.3.4:5432` -> (`10.0.3.4`, `5432`); URLs and bare names too."""
    url = _URL.match(value)
    if url:
        return url.group(2), url.group(3)
    host, sep, port = value.rpartition(":")
    if sep and port.isdigit() and host:
        return host.strip("[]"), port
    return value, None
