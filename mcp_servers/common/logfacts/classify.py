"""What an error message means: a stable error class and the values it names.

Classes are recognised from the *message's words*, the phrasings runtimes, drivers and proxies use
for the same failure (`ECONNREFUSED`, `connect: connection refused`, `actively refused`,
`Connection refused (os error 111)`...), never from one program's line layout, so they hold for
services nobody wrote a rule for. The first class that matches wins; the order puts the specific
causes (a missing variable, a name that does not resolve) before their symptoms (a 5xx).
"""

from __future__ import annotations

import re

from mcp_servers.common.logfacts.doc_urls import without_doc_links

_I = re.I
_ST = r"(?:status|code|HTTP|returned|got)\W{1,3}"
"""A word that says the number after it is an HTTP status."""

GO_RESOLVER_ERROR = r"\blookup ([\w.\-]+) on (?:[\d.]+|\[[0-9a-fA-F:]+\]):53: "
"""Go's *net.DNSError, `lookup NAME on SERVER:53: <cause>`: a DNS failure whatever the cause (a read
timeout, a refused socket); the group is the name wanted (logfacts.fields reads it)."""

NAME_NOT_RESOLVED = (r"[\w.\-]+ could not be resolved \(\d+: |"
                     r"(?:host(?:name)?|address|name|domain)\b[^.;]{0,80}? could not be resolved")
"""nginx's `NAME could not be resolved (3: Host not found)` (or `(110: Operation timed out)`, `(2: Server
failure)`): its resolver's answer for an upstream named by a variable, whatever the errno says (the timeout is
the DNS query's, not the upstream's). The second form covers `host ... could not be resolved`."""

RESOLVER_FAILED = (r"\bwhile resolving\b|\bresolver: (?:\d|\[)|"
                   r"\bDNS (?:NX|timeout|refused|servfail|invalid response|no answer(?: from server)?) status\b|"
                   r"\bunspecified DNS error\b")
"""The RESOLVER failing rather than the service wanted: nginx `send() failed (111: Connection refused) while
resolving, resolver: 10.96.0.10:53` (its resolver refused or unreachable), HAProxy's server-state reasons
`(DNS NX status)`, `(DNS timeout status)`, `(DNS refused status)`."""

CONNECTION_LIMIT = (
    r"too many clients|remaining connection slots are reserved|SQLSTATE\W{0,3}53300|"  # PostgreSQL
    r"too many (?:open )?connections|\bER_CON_COUNT_ERROR\b|max_user_connections|"  # MySQL/MariaDB, MongoDB
    r"max(?:imum)? number of clients reached|"  # Redis, Valkey
    r"no more connections allowed|\bmax_client_conn\b|"  # PgBouncer
    r"connection is not available, request timed out|"  # HikariCP: its pool is empty, the server gives no more
    r"(?:connection )?pool (?:is )?(?:exhausted|full)|(?:connection )?pool timeout|"
    r"timeout (?:acquiring|waiting for) (?:a )?connection|connection limit (?:exceeded|reached)|"
    r"\bQueuePool limit of size \d+ overflow \d+ reached|"  # SQLAlchemy: every pooled connection is checked out
    r"server reached (?:pm\.)?max_children|server reached MaxRequestWorkers|"  # PHP-FPM, Apache httpd workers
    r"worker_connections are not enough")  # nginx
"""A datastore (or the client's pool in front of it) refuses another connection: its limit is reached. A server's
worker ceiling is the same limit one hop earlier: PHP-FPM's `server reached pm.max_children setting (5)`, Apache's
`server reached MaxRequestWorkers setting` queue every request past it.
Tried before timeouts and refusals, whose words these messages also use (HikariCP "timed out", MongoDB
"connection refused because too many open connections")."""

STORE_FULL = (
    r"\bOOM command not allowed\b|used memory > 'maxmemory'|"  # Redis, Valkey (maxmemory with noeviction)
    r"\bSERVER_ERROR out of memory\b|"  # Memcached: `SERVER_ERROR out of memory storing object`
    r"(?:memory|disk) resource limit alarm|vm_memory_high_watermark set|"  # RabbitMQ blocks publishers
    r"CircuitBreakingException|\bData too large, data for\b|"  # Elasticsearch/OpenSearch memory breakers
    r"flood[- ]stage (?:disk )?watermark|read-only-allow-delete|index read-only / allow delete|"  # ES/OpenSearch
    r"database space exceeded")  # etcd: its backend quota
"""A server the caller writes to refuses because ITS OWN memory or storage limit is reached (a datastore's,
a broker's or a search engine's configured ceiling). Not the caller running out of memory: a client printing
Redis's `-OOM command not allowed` was not OOM-killed, so these are tried before `oom` and `disk_full`."""

LOGIN_REFUSED = (
    r"password authentication failed|\brole \S+ does not exist|\bdatabase \S+ does not exist|"  # PostgreSQL
    r"no pg_hba\.conf entry|pg_hba\.conf rejects|SQLSTATE\W{0,3}(?:28000|28P01|3D000)\b|"  # PostgreSQL
    r"access denied for user|\bunknown database\b|\bER_(?:ACCESS_DENIED|BAD_DB|DBACCESS_DENIED)_ERROR\b|"  # MySQL
    r"\b10(?:44|45|49) \((?:28000|42000)\)|"  # MySQL's numbered errors
    r"login failed for user|\bauthentication failed\b")  # SQL Server (18456); MongoDB, RabbitMQ and others
"""A server refusing the LOGIN: an unknown role or database, a wrong password, no host rule for the client.
PostgreSQL ends such a connection with FATAL at startup (SQLSTATE class 28, invalid authorization, and
3D000 for the database), MySQL at its handshake (1044/1045/1049). The caller's connection settings do not
match what the server accepts, so it is `auth_failure`; tried before `connection_refused`, whose words the
drivers wrap them in (pgx `failed to connect to ...: server error (FATAL: password authentication failed`)."""

CLASS_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("store_full", re.compile(STORE_FULL, _I)),
    ("oom", re.compile(
        r"out of memory|OutOfMemory|\bOOM(?:Killed|[- ]?kill(?:ed|er)?)?\b|cannot allocate memory|\bENOMEM\b|"
        r"heap (?:limit|out of memory)|\bMemoryError\b|memory limit (?:exceeded|reached)|bad_alloc|"
        r"allocation failed|killed process \d+|memory exhausted|failed to allocate|"
        r"allowed memory size of \d+ bytes exhausted", _I)),  # PHP's memory_limit
    ("disk_full", re.compile(
        r"no space left on device|\bENOSPC\b|disk (?:is )?full|disk quota exceeded|\bEDQUOT\b|"
        r"not enough (?:disk )?space|could not extend file|insufficient (?:disk|storage) space|out of disk", _I)),
    ("missing_config", re.compile(
        r"(?i:(?:env(?:ironment)?(?:[ _-]?var(?:iable)?s?)?|config(?:uration)?(?: (?:key|value|option|entry|file))?|"
        r"setting|variable|option|parameter|placeholder|required key)\b[^.;]{0,60}?"
        r"(?:\bnot (?:been )?(?:set|defined|found|provided|configured|specified|present)\b|\bunset\b|\bundefined\b|"
        r"\bmissing\b|\brequired\b|\bis empty\b|\bmust be (?:set|provided|defined|specified|present)\b|"
        r"could not (?:be )?resolved?))"
        r"|(?i:(?:\bmissing|\brequired|\bundefined|\bno value (?:set |provided )?for|could not resolve|unset|"
        r"not set:?)\s+(?:required\s+|mandatory\s+)?(?:env\b|environment|config(?:uration)?\b|setting|"
        r"variable|placeholder|option|parameter|property))"
        r"|\b[A-Z][A-Z0-9]*_[A-Z0-9_]+['\"`]?\s+(?:is |was |has )?(?:not (?:been )?(?:set|defined|provided|"
        r"configured|specified)|unset|undefined|required|missing|empty|must be (?:set|provided|defined|specified))"
        r"|process\.env\.\w+ is (?:undefined|not defined|missing)|undefined:? process\.env"
        r"|(?i:\bset\s+(?:the\s+)?)[$]?[A-Z][A-Z0-9]*_[A-Z0-9_]+ (?i:env)"
        r"|(?i:\bmissing:?\s+(?:required\s+)?|please set\s+(?:the\s+)?|must set\s+|need to set\s+)[$]?"
        r"[A-Z][A-Z0-9]*_[A-Z0-9_]+\b"
        r"|\b[A-Z][A-Z0-9]*_[A-Z0-9_]+['\"`]? (?i:env(?:ironment)?(?:[ _-]?var(?:iable)?)?) (?i:is |was |has )?"
        r"(?i:not|missing|unset|undefined|required|empty|must)"
        r"|(?i:\b(?:connection ?string|property|key|value|secret)\b[^.;]{0,40}?\b(?:has not been|was not|is not) "
        r"(?:initiali[sz]ed|set|configured|provided))"
        r"|\bKeyError\b.{0,4}['\"][A-Z][A-Z0-9]*_[A-Z0-9_]+['\"]|key not found: ['\"][A-Z][A-Z0-9_]+['\"]")),
    ("dns_failure", re.compile(
        r"no such host|name or service not known|\bENOTFOUND\b|\bEAI_AGAIN\b|\bEAI_NONAME\b|UnknownHost|"
        r"temporary failure in name resolution|could not resolve (?:host|hostname|address|name)|"
        r"nodename nor servname|\bNXDOMAIN\b|name does not resolve|failed to resolve|dns (?:resolution|lookup) "
        r"failed|(?:unable|failed) to (?:resolve|lookup)|server misbehaving|host not found|"
        r"no address associated with hostname|unknown host|name resolution failed|getaddrinfo failed|"
        r"failed to lookup address|could not translate host name|no such domain|"
        r"\bquery(?:A|AAAA|Srv|Txt|Cname|Mx|Ns|Any)\b \w+|\bESERVFAIL\b|\bENODATA\b|"
        r"UnresolvedAddressException|"  # java.nio: the JDK HttpClient's and NIO channels' unresolved name
        r"unknown (?:MySQL )?server host|"  # MySQL/MariaDB client 2005
        r"\berrors? resolving [\w.\-]+:\d+|domain name not found|address lookup failed|dns resolution failed|"  # gRPC
        r"\bDNS lookup failure for\b|\bERR_DNS_FAIL\b|"  # Apache httpd mod_proxy (AH00898), Squid
        + NAME_NOT_RESOLVED + "|" + RESOLVER_FAILED + "|" + GO_RESOLVER_ERROR, _I)),
    ("tls_error", re.compile(
        r"\bx509\b|certificate (?:has expired|verify failed|is not valid|signed by unknown|is valid for|"
        r"required|unknown|expired|not trusted)|\btls: |TLS handshake|\bSSL(?:Error|HandshakeException|"
        r"Exception)?\b.{0,40}(?:error|fail|wrong|alert|handshake|verify)|CERTIFICATE_VERIFY_FAILED|"
        r"PKIX path|handshake failure|wrong version number|self[- ]signed certificate|unable to get local issuer|"
        r"ERR_TLS|ssl_error|SSL routines|bad certificate|unknown certificate authority|"
        r"(?:server|peer) does not support (?:SSL|TLS)|(?:SSL|TLS) (?:was |is )?required by|"  # libpq sslmode=require
        r"SSL connection is required|requires? (?:an )?(?:SSL|TLS|encrypted) connection", _I)),
    ("connection_limit", re.compile(CONNECTION_LIMIT, _I)),
    ("auth_failure", re.compile(LOGIN_REFUSED, _I)),
    ("connection_refused", re.compile(
        r"connection refused|\bECONNREFUSED\b|actively refused|refused (?:the |to )?connect|connection to \S+ refused|"
        r"reset reason: (?:remote |local )?connection failure|delayed connect error: 111|"
        r"ConnectException|could not connect to server|can't connect to (?:\w+ )?server|failed to connect to|"
        r"unable to connect to|couldn't connect to|connection attempt failed|connect failed|connect call failed|"
        r"failed to make connection to backend|"  # Apache httpd mod_proxy (AH01114)
        r"\bERR_CONNECT_FAIL\b|"  # Squid's error page name
        r"errno 111|os error 111", _I)),
    ("connection_timeout", re.compile(
        r"\btimed? ?out\b|\btimeout\b(?! *[=:])|deadline exceeded|DeadlineExceeded|\bETIMEDOUT\b|"
        r"\bESOCKETTIMEDOUT\b|Timeout(?:Exception|Error)|SocketTimeout|took too long to respond|"
        r"gateway time-?out|errno 110|os error 110|deadline_exceeded|(?-i:[a-z]Timeout\b)|"
        r"\bUND_ERR_(?:CONNECT|HEADERS|BODY)_TIMEOUT\b|\bERR_(?:READ_TIMEOUT|LIFETIME_EXP)\b", _I)),  # undici, Squid
    ("upstream_reset", re.compile(
        r"connection reset|\bECONNRESET\b|reset by peer|broken pipe|\bEPIPE\b|prematurely closed|"
        r"upstream reset|disconnect/reset before headers|unexpected EOF|socket hang up|\bGOAWAY\b|"
        r"RST_STREAM|closed the connection unexpectedly|connection (?:was )?(?:closed|aborted|terminated)|"
        r"stream (?:was )?reset|connection termination|remote end closed|server disconnected|ECONNABORTED|"
        r"IncompleteRead|EOF occurred|other side closed|\bUND_ERR_SOCKET\b|"  # undici: the peer closed
        r"\b(?:Get|Post|Put|Patch|Delete|Head|Options) \"[^\"]+\": (?:read tcp \S+: )?EOF\b|"  # Go net/http client
        r"\bread (?:tcp|unix)[46]? \S+: EOF\b", _I)),  # Go: a connection's read ended by the peer
    ("auth_failure", re.compile(
        r"authentication (?:failed|failure|required|error)|\bunauthori[sz]ed\b|\bunauthenticated\b|"
        r"invalid (?:credentials|token|password|api[ _-]?key|username or password|signature|grant|client)|"
        r"password authentication failed|access denied for user|login (?:failed|incorrect)|"
        r"(?:token|credentials?|session) (?:has |have )?expired|\binvalid_grant\b|\binvalid_client\b|"
        r"signature (?:is )?(?:invalid|mismatch|does not match)|AuthenticationException|\bNOAUTH\b|\bWRONGPASS\b|"
        r"bad credentials|ACCESS_REFUSED|login (?:was )?refused|AuthenticationError|"
        + _ST + r"401\b|not authenticated|authentication is required|"
        r"jwt (?:expired|malformed)|"
        r"unable to locate credentials|NoCredentialsError|could not load credentials|no valid credential sources|"
        r"unable to load (?:aws )?credentials|NoCredentialProviders|CredentialsProviderError|"  # AWS SDKs: none found
        r"security token included in the request is (?:invalid|expired)|\bInvalidClientTokenId\b|"
        r"\bUnrecognizedClientException\b|\bExpiredToken(?:Exception)?\b|\bInvalidAccessKeyId\b", _I)),
    ("permission_denied", re.compile(
        r"permission denied|\bEACCES\b|\bEPERM\b|access (?:is )?denied|operation not permitted|\bforbidden\b|"
        r"AccessDenied|not authori[sz]ed to|insufficient (?:privileges|permissions)|PermissionError|"
        r"SecurityException|" + _ST + r"403\b|does not have (?:the )?(?:required )?permission|cannot (?:get|list|watch|"
        r"create|patch|update|delete) resource|PERMISSION_DENIED|read-only file system|"
        r"client denied by server configuration|access forbidden by rule|"  # Apache httpd AH01630, nginx
        r"\bERR_ACCESS_DENIED\b", _I)),  # Squid
    ("rate_limited", re.compile(
        r"rate[- ]?limit|too many requests|" + _ST + r"429\b|throttl|quota (?:exceeded|exhausted)|RESOURCE_EXHAUSTED|"
        r"ResourceExhausted|\bSlowDown\b|TooManyRequests|request limit exceeded|backpressure|overloaded|"
        r"(?:throughput|(?:read|write|provisioned) capacity|request rate)\b[^.;]{0,40}\bexceeded|"  # DynamoDB, Kinesis
        r"ThroughputExceeded|"
        r"too many 429 error responses", _I)),  # urllib3's Retry gave up on 429s
    ("file_not_found", re.compile(
        r"no such file|\bENOENT\b|FileNotFound|NoSuchFile|cannot find the (?:file|path)|"
        r"(?:file|directory|path|module)\b.{0,80}?(?:does not exist|not found|doesn't exist)|"
        r"cannot find module|ModuleNotFoundError|ImportError|No module named|ClassNotFoundException|"
        r"NoClassDefFoundError|cannot open shared object", _I)),
    ("db_error", re.compile(
        r"SQLSTATE|sql_?state|deadlock detected|duplicate key|duplicate entry|relation \S+ does not exist|"
        r"\bORA-\d{5}\b|\b\d{4} \([0-9A-Z]{5}\)(?: at line \d+)?:|deadlock found|PSQLException|SQLException|"
        r"OperationalError|IntegrityError|"
        r"ProgrammingError|"
        r"could not serialize access|"
        r"lock wait timeout|table \S+ doesn't exist|syntax error at or near|QueryFailedError|"
        r"SequelizeDatabaseError|MongoServerError|\bWRONGTYPE\b|database is locked|"
        r"violates (?:foreign key|unique|not-null|check) constraint|column \S+ does not exist", _I)),
    ("unavailable", re.compile(
        r"no healthy upstream|service unavailable|\bUnavailable\b|circuit ?breaker (?:is )?open|"
        r"no endpoints available|upstream (?:is )?unavailable|no available (?:server|backend|upstream)|"
        r"all (?:backends|upstreams|hosts) (?:are )?(?:down|unhealthy)|" + _ST + r"503\b|"
        r"\ball (?:handlers|servers|backends)\b[^.;]{0,60}\bare (?:down|unhealthy)|"  # lighttpd gw_backend
        r"too many 503 error responses", _I)),  # urllib3's Retry gave up on 503s
    ("crash_exit", re.compile(
        r"^killed$|\bELIFECYCLE\b|exit(?:ed)? with (?:exit )?(?:code|status) [1-9]|exit (?:code|status):? [1-9]\d*|"
        r"terminated with (?:exit code|signal)|exited on signal|back-off restarting failed|process exited|"
        r"killed by signal|"
        r"signal: (?:killed|aborted|segmentation)|segmentation fault|\bSIGSEGV\b|core dumped|\bSIGABRT\b|"
        r"\bSIGKILL\b|\bSIGBUS\b|CrashLoopBackOff|abnormal (?:exit|termination)", _I)),
    ("panic", re.compile(
        r"\bpanicked at\b|\bpanic: |nil pointer dereference|entry in nil map|index out of range \[|unhandled panic")),
    ("http_5xx", re.compile(
        r"(?:status|code|HTTP|returned|response|got|received)[\"']?[\s=:/]+5\d\d\b|internal server error|"
        r"bad gateway|\b5\d\d (?:Internal|Bad|Service|Gateway|Not Implemented)|too many 5\d\d error responses", _I)),
]
"""(class, pattern) in the order they are tried."""

CAUSE_CLASSES = {"store_full", "missing_config", "invalid_config", "connection_refused", "dns_failure", "oom",
                 "tls_error",
                 "auth_failure", "permission_denied", "disk_full", "file_not_found", "panic", "db_error",
                 "connection_timeout", "upstream_reset", "unavailable", "connection_limit"}
"""Classes that name a cause rather than a symptom; they rank above http_5xx, crash_exit and bare errors."""

_ENVOY_FLAGS = {"UF": "connection_refused", "UH": "unavailable", "UO": "unavailable", "UT": "connection_timeout",
                "UC": "upstream_reset", "UR": "upstream_reset", "LR": "upstream_reset", "URX": "upstream_reset",
                "NR": "no_route", "RL": "rate_limited", "UAEX": "permission_denied", "DPE": "bad_request",
                "UPE": "upstream_reset", "UMSDR": "connection_timeout", "OM": "oom"}


ENVOY_LOCAL_DENIAL = re.compile(r"^(?:jwt_authn_access_denied|rbac_access_denied|ext_authz_(?:denied|error)|"
                                r"oauth_?\w*|client_cert\w*)", re.I)
"""Response code details of a refusal Envoy made itself (its JWT, RBAC, external-authorisation or OAuth filter):
the proxy checked the request against its own policy and refused it, which is what a policy change causes. A
401/403 the upstream answered carries `via_upstream` and stays a counted status."""


def haproxy_state_class(state: str, status: str = "", server: str = "") -> str | None:
    """The error class HAProxy's termination state means (its log format's first two flag characters).

    First: who ended the session. `S` the server aborted or refused it, `s` the server-side timeout
    struck, `P` the proxy itself stopped it (a deny rule, a malformed request), `R` a proxy resource
    ran out (memory, sockets, source ports), `I` an internal error, `D` the server was marked down,
    `K` an administrator killed it, `C`/`c` the client aborted or timed out, `L` served locally,
    `-` normal end. Second: where the session was. `R` reading the request, `Q` queued for a server,
    `C` connecting to it, `H` waiting for its response headers, `D` transferring data, `L` last
    data, `T` tarpitted. A client-side end says nothing about the backend: no class.
    """
    if len(state) < 2:
        return None
    cause, phase = state[0], state[1]
    if cause == "S":
        if phase == "C":  # refused (RST/ICMP); without a server picked, none was available
            return "unavailable" if server.startswith("<") else "connection_refused"
        return "upstream_reset" if phase in "HDL" else "unavailable"
    if cause == "s":
        return "unavailable" if phase == "Q" else "connection_timeout"
    if cause == "D":
        return "unavailable"
    if cause == "K":
        return "upstream_reset"
    if cause == "R":
        return "rate_limited"
    if cause == "P":
        return "permission_denied" if status == "403" else "bad_request" if status.startswith("4") else None
    if cause == "-" and phase == "-" and server == "<NOSRV>" and status == "503":
        return "unavailable"
    return None


_RESET_REASON = re.compile(r"reset reason: ([a-z][a-z ]*[a-z])", re.I)
_RESET_REASONS = {"connection failure": "connection_refused", "remote connection failure": "connection_refused",
                  "local connection failure": "connection_refused", "overflow": "unavailable",
                  "connection timeout": "connection_timeout"}
"""Envoy's `reset reason` words (its body text for a failed upstream request); others are resets."""

_CONNECT_SSL_MODE = re.compile(r"\bssl:(?:default|None|False|True|<[^>]{0,120}>)")
"""aiohttp's `Cannot connect to host H:P ssl:default [...]` states the TLS setting of the attempt (`ssl:default`,
`ssl:None`, `ssl:<ssl.SSLContext ...>`), whatever failed: no TLS failure of its own."""

_GRPC_CODES = {"DeadlineExceeded": "connection_timeout", "ResourceExhausted": "rate_limited",
               "PermissionDenied": "permission_denied", "Unauthenticated": "auth_failure",
               "Unavailable": "unavailable"}

_PARSE_ERROR = re.compile(
    r"could not convert|invalid literal|invalid syntax|NumberFormatException|cannot parse|failed to parse|"
    r"unable to parse|invalid (?:value|duration|format|number|boolean|port|url)|not a valid|parse error|"
    r"cannot unmarshal|must be (?:a|an) (?:number|integer|boolean|duration)|ParseError|DateTimeParseException|"
    r"value out of range|unknown unit|(?:^|\s)yaml:|(?:^|\s)toml:|mapping values are not allowed|did not find expected|"
    r"unexpected token|malformed|JSONDecodeError|invalid character", re.I)
_CONFIG_WORD = re.compile(r"\bconfig(?:uration)?\b|\bsettings?\b|\benv(?:ironment)?\b", re.I)
"""A message that itself says it was reading configuration."""
_CONFIG_FRAME = re.compile(r"config|settings|environ|\benv\b|dotenv|properties", re.I)


def classify(text: str, *, exception: str | None = None, fields: dict[str, str] | None = None,
             context: str = "") -> str | None:
    """The error class of a message, or None when it names no known kind of failure.

    `context` is extra text that points at configuration (a stack trace's frames and code lines):
    a parse error raised while reading configuration is `invalid_config`, not a bare exception."""
    fields = fields or {}
    probe = f"{exception}: {text}" if exception and exception not in text else text
    probe = without_doc_links(probe)  # `see https://developer.mozilla.org/.../Status/500` is no HTTP status
    if "ssl:" in probe:
        probe = _CONNECT_SSL_MODE.sub("", probe)
    reason = _RESET_REASON.search(probe)
    if reason:
        return _RESET_REASONS.get(reason.group(1).lower(), "upstream_reset")
    if fields.get("termination_state"):
        found_state = haproxy_state_class(fields["termination_state"], fields.get("status", ""),
                                          fields.get("server", ""))
        if found_state:
            return found_state
    for flag in fields.get("response_flags", "").split(","):
        if flag in _ENVOY_FLAGS:
            detail = _match(fields.get("upstream_failure", "") + " " + fields.get("response_code_details", ""))
            return detail or _ENVOY_FLAGS[flag]
    status = fields.get("status", "")
    if status in ("401", "403") and ENVOY_LOCAL_DENIAL.match(fields.get("response_code_details", "")):
        return "auth_failure" if status == "401" else "permission_denied"
    found = _match(probe)
    if found in (None, "connection_timeout", "file_not_found", "panic") and _PARSE_ERROR.search(probe) and (
            fields.get("env_var") or fields.get("config_key") or _CONFIG_FRAME.search(context)
            or _CONFIG_WORD.search(probe)):
        return "invalid_config"
    if found is None and fields.get("grpc_code") in _GRPC_CODES:
        return _GRPC_CODES[fields["grpc_code"]]
    if found:
        return found
    if exception in ("panic", "fatal error"):
        return "panic"
    if status.isdigit() and len(status) == 3 and status[0] == "5":
        return "http_5xx"
    if exception:
        return "exception"
    return None


_ANCHORS: dict[str, tuple[str, ...]] = {
    "store_full": ("oom command", "maxmemory", "server_error out of memory", "resource limit alarm",
                   "vm_memory_high_watermark", "circuitbreaking", "data too large", "flood", "read-only-allow-delete",
                   "read-only / allow delete", "database space exceeded"),
    "oom": ("memory", "oom", "enomem", "heap", "bad_alloc", "allocat", "killed process"),
    "disk_full": ("space", "enospc", "disk", "edquot", "extend file", "storage"),
    "missing_config": ("env", "config", "setting", "variable", "option", "parameter", "placeholder", "required",
                       "set", "initiali",
                       "missing", "undefined", "unset", "not ", "keyerror", "key not found", "no value",
                       "could not resolve", "must be", "empty"),
    "dns_failure": ("host", "name", "enotfound", "eai_", "query", "eservfail", "enodata",
                    "resolv", "nxdomain", "lookup", "misbehaving", "domain",
                    "getaddrinfo", "translate", "dns"),
    "tls_error": ("x509", "certificate", "tls", "ssl", "pkix", "handshake", "wrong version", "self", "issuer",
                  "encrypted"),
    "connection_limit": ("too many", "connection slots", "53300", "er_con_count", "max_user_connections",
                         "number of clients", "no more connections", "max_client_conn", "not available", "pool",
                         "acquiring", "waiting for", "connection limit", "server reached", "worker_connections"),
    "connection_refused": ("refused", "connection failure", "111", "connectexception", "connect to",
                           "connect failed", "connection attempt", "connect call failed", "make connection",
                           "err_connect_fail"),
    "connection_timeout": ("time", "deadline", "took too long", "110"),
    "upstream_reset": ("und_err_socket",
                       "reset", "broken pipe", "epipe", "prematurely", "eof", "hang up", "goaway", "rst_stream",
                       "closed", "aborted", "terminat", "remote end", "disconnected", "incompleteread"),
    "auth_failure": ("auth", "access_refused", "invalid", "password", "denied for user", "login", "expired",
                     "signature", "credential", "unrecognizedclient",
                     "wrongpass", "credential", "401", "jwt", "does not exist", "pg_hba", "unknown database",
                     "er_", "28000", "28p01", "3d000", "(42000)"),
    "permission_denied": ("permission", "eacces", "eperm", "denied", "not permitted", "forbidden", "authori",
                          "insufficient", "securityexception", "403", "cannot ", "read-only"),
    "rate_limited": ("rate", "too many", "429", "throttl", "quota", "resource_exhausted", "resourceexhausted",
                     "slowdown", "request limit", "backpressure", "overloaded", "exceeded"),
    "file_not_found": ("no such file", "enoent", "filenotfound", "nosuchfile", "cannot find", "exist", "not found",
                       "module", "importerror", "classnotfound", "noclassdef", "shared object"),
    "db_error": ("sql", "deadlock", "duplicate key", "duplicate entry", ") at line", "relation", "ora-", "):",
                 "operationalerror", "integrityerror",
                 "programmingerror", "serialize", "lock wait", "exist",
                 "syntax error", "queryfailed", "sequelize", "mongo", "wrongtype", "database", "violates",
                 "column"),
    "unavailable": ("healthy", "unavailable", "circuit", "no endpoints", "no available", "down", "503"),
    "crash_exit": ("killed", "elifecycle", "exit", "terminated with", "back-off", "signal", "segmentation",
                   "sigsegv", "core dumped", "sigabrt", "sigkill", "sigbus", "crashloop", "abnormal"),
    "panic": ("panic", "nil pointer", "nil map", "index out of range"),
    "http_5xx": ("5", "internal server error", "bad gateway"),
}
"""Lower-case words at least one of which any match of a class's pattern contains: a pattern runs only
when one is present (a substring test costs far less than a regex search with many alternatives)."""


def _match(text: str) -> str | None:
    if not text.strip():
        return None
    low = text.lower()
    for name, pattern in CLASS_PATTERNS:
        if any(a in low for a in _ANCHORS[name]) and pattern.search(text):
            return name
    return None
