"""A Secret or ConfigMap rewritten with a value of the wrong SHAPE, which the workload reading it cannot even use.

A credential re-created from a file (`kubectl create secret generic --from-file=api-key=./key.txt`, `echo` without
`-n`, an editor's final newline) keeps the file's trailing newline; a connection string pasted with a line break,
a key base64-encoded twice, a PEM block cut short are the same class. Nothing fails where the value was written:
the workload that reads it (env valueFrom, envFrom, a mounted volume) fails later, when it loads the value (the
Reloader/stakater restart, the next rollout) and uses it, and its own error says the value is MALFORMED, not
wrong: Node's `Invalid character in header content ["x-api-key"]` (ERR_INVALID_CHAR), Go's `net/http: invalid
header field value for "Authorization"`, Python's `Invalid header value b'...'` / requests' `Invalid leading
whitespace, reserved character(s), or return character(s) in header value`, OkHttp's `Unexpected char 0x0a at 32
in X-Api-Key value`, Go's `illegal base64 data at input byte 44`, Java's `Illegal base64 character a`, `invalid
DSN`, `net/url: invalid control character in URL`, `URL can't contain control characters`, `jwt malformed`, `failed
to find any PEM data`. The client never sends the request, so the server never refuses it: there is no 401 to
see, and a rule that looks for authentication refusals (credential_rotation, the rank's rejected credential) does
not fire. A refusal that says the credential is WRONG (401, `invalid api key`) is that other class and not this.

The survey (`read`, reading only) runs only when a surveyed log says a value is malformed: it reads the failing
pod's spec for the Secrets and ConfigMaps it references (names, keys and env variable names; never a value). A
Secret or ConfigMap the workload references (by its pod spec, its topology, or the change timeline's `used by`)
that was written or created within WINDOW before the errors were first printed is the suspect; with several, the
one whose key or variable shares a word with what the error names (the header `x-api-key` and the key `api-key`)
wins, then the latest. Guardrail: no Secret's data is ever read, hashed or measured; the judgement rests on the
error's wording, the reference chain and the change's metadata only. `suspects` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

CHECK = "value.malformed"
WEIGHT = 0.93
"""The write that put an unusable value in place outranks the client errors it causes and the restart that loaded it."""
STORE = "value_shape"
WINDOW = timedelta(hours=6)
"""How long before the errors began a write to a referenced Secret/ConfigMap still counts (the timeline's span)."""
SLACK = timedelta(minutes=2)
"""Log and API clocks differ a little: an error first printed this much before the write still follows it."""
MAX_PODS = 3

Call = Callable[..., Awaitable[Any]]

HEADER, BASE64, ADDRESS, TOKEN, PEM, CONTROL = "header", "base64", "address", "token", "pem", "control"
MALFORMED: tuple[tuple[str, re.Pattern[str]], ...] = (
    (HEADER, re.compile(
        r"invalid character in header content|ERR_INVALID_CHAR\b|ERR_HTTP_INVALID_HEADER_VALUE|"
        r"invalid header (?:field )?value|invalid value\b.{0,120}\bfor header|"
        r"(?:reserved character\(s\)|return character\(s\)|return character or leading space) in header|"
        r"unexpected char 0x[0-9a-f]{1,2} at \d+ in [\w-]+ (?:value|name)|"
        r"header (?:value|content) contains (?:a )?(?:prohibited|invalid|illegal) char|"
        r"illegal character\(s\) in (?:message )?header|illegal header value|"
        r"new-line characters are not allowed in header values|cannot include CR/LF|"
        r"newline or carriage return character detected|header values must be RFC 7230|"
        r"InvalidHeaderValue|failed to parse header value|format of value .{0,200}? is invalid|"
        # gRPC metadata is a header too: grpc-go, grpcio (Python)
        r"header key \"[^\"]+\" contains value with non-printable ASCII characters|metadata was invalid", re.I)),
    (BASE64, re.compile(
        r"illegal base64 (?:data|character)|invalid base64|base64[^\n]{0,60}(?:incorrect padding|invalid "
        r"(?:character|input|length))|binascii\.Error: (?:incorrect padding|invalid)|"
        r"(?:not|isn't) (?:a )?valid base-?64|non-base ?64 character", re.I)),  # .NET: 'not a valid Base-64 string'
    (ADDRESS, re.compile(
        r"invalid (?:DSN|data source name|connection string|connection URI)|"
        r"missing \"=\" after \"[^\"]*\" in connection info string|error parsing (?:uri|connection string)|"
        r"invalid control character in URL|URL can't contain control characters|"
        r"illegal character in (?:path|authority|scheme name|query|opaque part|hostname) at index \d+|"
        r"could not parse (?:rfc1738|SQLAlchemy) URL|"
        r"invalid port \"[^\"]*\" after host|invalid URI for request|"
        # urllib3, redis-py, the MongoDB drivers
        r"LocationParseError|Redis URL must specify one of the following schemes|"
        r"MongoParseError|Invalid scheme, expected connection string", re.I)),
    (TOKEN, re.compile(r"\bjwt malformed|token (?:is )?malformed|MalformedJwtException|malformed (?:jwt|token)|"
                       r"invalid (?:jwt|token) serialization|invalid compact JWS|"
                       r"DecodeError: Not enough segments|Missing part delimiters", re.I)),  # PyJWT, Nimbus JOSE
    (PEM, re.compile(r"failed to find any PEM data|no PEM data|Key must be (?:a )?PEM encoded|"
                     r"PEM routines[^\n]{0,40}no start line|x509: malformed|asn1: structure error|"
                     # Python cryptography, Node 17+ on OpenSSL 3, Java's key spec parser
                     r"Could not deserialize key data|DECODER routines::unsupported|"
                     r"InvalidKeySpecException", re.I)),
    (CONTROL, re.compile(r"(?:contains?|has) (?:a |an )?(?:newline|line break|control character|carriage return)|"
                         r"newline in (?:string|value|header|key|token|password)|"
                         r"(?:invalid|illegal|unexpected) (?:newline|control character)", re.I)),
)
"""(the kind of value, its client's wording) for errors that say a configured value cannot be USED as it is: a
header value with a character HTTP forbids, text that is not base64, a DSN/URL that does not parse, a token or key
that is not well formed. Each is the software's own wording (Node, Go, Python requests/http.client/httpx/aiohttp,
Java OkHttp/Netty, .NET, Ruby net/http, PHP Guzzle, Rust http, libpq, SQLAlchemy, jsonwebtoken, golang-jwt,
OpenSSL)."""
_WRONG = re.compile(r"\b401\b|\b403\b|unauthori[sz]ed|forbidden|invalid (?:api[ _-]?key|credentials?|password|"
                    r"token\b(?! serialization))|incorrect (?:password|api[ _-]?key)|authentication failed|"
                    r"access denied|expired", re.I)
"""A refusal that says the credential is WRONG, not malformed (credential_rotation's and the rank's class)."""
_NEWLINE = re.compile(r"0x0?[ad]\b|\\[nr]['\"]|new-?line|line break|carriage return|CR/LF|"
                      r"illegal base64 character [ad]\b", re.I)
"""The error itself shows an end-of-line (OkHttp's 0x0a, Java's base64 `character a`, a quoted value ending in
`\\n`); requests' `return character(s)` is in each of its header errors and says nothing alone."""
_NAMED = (re.compile(r"header content \[\"([^\"]+)\"\]", re.I),
          re.compile(r"for header \"([^\"]+)\"", re.I),
          re.compile(r"header field value for (?:key )?\"?([\w-]+)", re.I),
          re.compile(r"field value .{0,80}? for key ([\w-]+)", re.I),
          re.compile(r"\bin (?!header\b)([\w-]+) value", re.I),
          re.compile(r"in header: ([\w-]+)", re.I),
          re.compile(r"header ([\w-]+) has field value", re.I),
          re.compile(r"header key \"([^\"]+)\" contains value", re.I))
"""Where each client's wording names the header (or key) whose value it refuses: never the value itself."""
_VALUE_QUOTED = re.compile(r"(\b(?:value|header|content|data|string|parse|DSN|URL|uri|port)\b:?\s*)"
                           r"(?:b?'[^']*'|b?\"[^\"]*\")", re.I)
_VALUE_TAIL = re.compile(r"(\bvalue:\s*)\S.*$", re.I)
_ENDS_BLANK = re.compile(r"->\s*'[^']*?(?:\\n|\\r|\\t| )'")
"""A ConfigMap diff line (the timeline's `data key K 'old' -> 'new'`) whose new value ends in a line end or blank."""
_WORDS = re.compile(r"[a-z0-9]+")
_FILLER = frozenset({"x", "env", "from", "key", "secret", "configmap", "value", "volume", "mounted", "at", "the"})


@dataclass(frozen=True)
class Malformed:
    """One error that says a configured value is malformed: what kind of value, the name it refers to."""

    kind: str
    named: str
    """The header or key the error names (`x-api-key`), or ''."""
    newline: bool
    said: str
    """The error's words, any value in them masked."""
    first: datetime | None
    log: LogEvidence


@dataclass(frozen=True)
class Use:
    """How a workload reads a Secret or ConfigMap (names only)."""

    target: Ref
    via: str
    """`env PARTNER_API_KEY (key api-key)`, `envFrom`, `volume at /etc/creds`."""


@dataclass
class BadValue:
    """A Secret/ConfigMap written shortly before the workload that reads it began to call its value malformed."""

    target: Ref
    change: dict[str, Any]
    written: datetime
    use: Use
    error: Malformed
    workload: Ref
    restart: str
    """The rollout that loaded the new value into the workload's pods, in words, or ''."""
    evidence: list[str] = field(default_factory=list)


# ---- the error's words ------------------------------------------------------------------------


def masked(text: str) -> str:
    """The error with any value it quotes masked (Python and Go print the refused header value; OkHttp after
    `value:`): a Secret's value must never be repeated, even a broken one."""
    text = _VALUE_QUOTED.sub(lambda m: m.group(1) + "'***'", text)
    return _VALUE_TAIL.sub(lambda m: m.group(1) + "***", text)


def malformed(text: str) -> tuple[str, str, bool] | None:
    """(kind of value, the header/key named, whether the error shows a line end) when `text` says a configured value
    is malformed; None for any other error, and for a refusal that says the credential is wrong."""
    for kind, pattern in MALFORMED:
        hit = pattern.search(text)
        if hit is None:
            continue
        if kind in (TOKEN, CONTROL) and _WRONG.search(text):
            return None  # `401 invalid token: jwt malformed`: a server refusing its caller's token, not a config
        named = next((m.group(1) for p in _NAMED for m in [p.search(text)] if m), "")
        return kind, named, bool(_NEWLINE.search(text))
    return None


def _texts(log: LogEvidence) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for error in [*([log.top] if log.top else []), *log.more, *log.warnings]:
        for key in ("message", "example", "template"):
            value = error.get(key)
            if value:
                out.append((str(value), error))
    return out + [(line, {}) for line in log.last_lines]


def errors(facts: Facts) -> list[Malformed]:
    """The surveyed logs' errors that say a configured value is malformed, one per pod (its first such error)."""
    out = []
    for log in facts.logs:
        for text, error in _texts(log):
            shape = malformed(text)
            if shape is not None:
                message = str(error.get("message") or text)
                said = masked(message if malformed(message) else text)
                out.append(Malformed(shape[0], shape[1], shape[2], said[:220],
                                     parse_time(error.get("first_seen")), log))
                break
    return out


# ---- what the workload reads (names only) -----------------------------------------------------


def uses_of(pod: dict[str, Any], namespace: str) -> list[Use]:
    """The Secrets and ConfigMaps a pod spec references: env valueFrom, envFrom, volumes (projected too)."""
    spec = pod.get("spec") or {}
    out: list[Use] = []
    for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        for env in (c or {}).get("env") or []:
            source = (env or {}).get("valueFrom") or {}
            for field_, kind in (("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")):
                ref = source.get(field_)
                if isinstance(ref, dict) and ref.get("name"):
                    out.append(Use(Ref(kind, namespace, str(ref["name"])),
                                   f"env {env.get('name')} (key {ref.get('key')})"))
        for src in (c or {}).get("envFrom") or []:
            for field_, kind in (("secretRef", "Secret"), ("configMapRef", "ConfigMap")):
                ref = (src or {}).get(field_)
                if isinstance(ref, dict) and ref.get("name"):
                    out.append(Use(Ref(kind, namespace, str(ref["name"])), "envFrom"))
    mounts = {str(m.get("name")): str(m.get("mountPath")) for c in spec.get("containers") or []
              for m in (c or {}).get("volumeMounts") or [] if isinstance(m, dict)}
    for volume in spec.get("volumes") or []:
        sources = [volume, *((volume.get("projected") or {}).get("sources") or [])]
        for src in sources:
            for field_, kind, key in (("secret", "Secret", "secretName"), ("configMap", "ConfigMap", "name")):
                ref = (src or {}).get(field_)
                if isinstance(ref, dict) and ref.get(key):
                    at = mounts.get(str(volume.get("name")))
                    out.append(Use(Ref(kind, namespace, str(ref[key])), f"volume at {at}" if at else "volume"))
    return out


def topology_secrets(facts: Facts, log: LogEvidence, workload: str) -> list[Use]:
    """The Secrets the topology says the logging pod's workload reads (image pull Secrets aside: no value the
    software handles), in the pod's namespace unless the topology says another."""
    out: list[Use] = []
    for data, _ in facts.topologies:
        subject = Ref.of(data.get("subject"))
        pods = {str(p.get("name")) for p in data.get("pods") or [] if isinstance(p, dict)}
        if subject is None or (log.pod not in pods and subject.name != workload):
            continue
        for u in data.get("secrets") or []:
            target = Ref.of((u or {}).get("secret"))
            if target is not None and u.get("via") != "imagePullSecrets":
                out.append(Use(Ref("Secret", target.namespace or log.namespace, target.name), str(u.get("via"))))
    return out


def _uses(facts: Facts, log: LogEvidence, workload: str) -> list[Use]:
    """Every known reference from the failing workload: its pod spec read here, its topology, the timeline's
    `used by`."""
    out: list[Use] = []
    for entry in facts.reads.get(STORE) or []:
        if entry.get("pod") == log.pod and entry.get("namespace") == log.namespace:
            out += [Use(Ref(u["kind"], log.namespace, u["name"]), u["via"]) for u in entry.get("uses") or []]
    out += topology_secrets(facts, log, workload)
    for change, _ in facts.every_change():
        target = Ref.of(change.get("object"))
        if target is None or target.kind not in ("Secret", "ConfigMap"):
            continue
        for r in change.get("related") or []:
            user = Ref.of(r)
            if user is not None and user.name == workload and user.namespace in ("", log.namespace):
                out.append(Use(target, f"used by {user}"))
    return out


# ---- reading (survey) -------------------------------------------------------------------------


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, and only when a surveyed log says a value is malformed: the failing pods' specs, kept as the
    names of the Secrets/ConfigMaps they reference (facts.reads[STORE]); no Secret is read."""
    if STORE in facts.reads:
        return
    found = errors(facts)
    if not found:
        return
    store: list[dict[str, Any]] = facts.reads.setdefault(STORE, [])
    for error in found[:MAX_PODS]:
        log = error.log
        got = await get_yaml(call, "Pod", log.pod, log.namespace, f"survey-value-shape-pod-{log.pod}")
        if got is None:
            continue
        store.append({"pod": log.pod, "namespace": log.namespace, "evidence": got[1],
                      "uses": [{"kind": u.target.kind, "name": u.target.name, "via": u.via}
                               for u in uses_of(got[0], log.namespace)]})


# ---- judging (rank) ---------------------------------------------------------------------------


def _words(text: str) -> set[str]:
    return {w for w in _WORDS.findall(text.lower()) if w not in _FILLER}


def _fit(error: Malformed, use: Use) -> int:
    """How many words the error's named header/key shares with the reference (its key, variable, object name)."""
    return len(_words(error.named) & _words(f"{use.via} {use.target.name}")) if error.named else 0


def _restart(facts: Facts, workload: str, namespace: str, after: datetime, before: datetime) -> str:
    """The workload's rollout between the write and the first error: what loaded the new value into its pods."""
    for change, _ in facts.every_change():
        target, when = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or when is None or change.get("type") != "rollout":
            continue
        if target.name == workload and target.namespace == namespace and after - SLACK <= when <= before + SLACK:
            cause = re.search(r"change-cause: ([^)]*)", str(change.get("summary") or ""))
            return (f"its pods restarted at {when.strftime('%H:%M')}" + (f" ({cause.group(1)[:80]})" if cause else "")
                    + " and loaded it")
    return ""


def found(facts: Facts) -> list[BadValue]:
    """For each failing workload, the Secret/ConfigMap it references that was written within WINDOW before its
    malformed-value errors began (the best-fitting, then the latest)."""
    out: list[BadValue] = []
    seen: set[tuple[str, str]] = set()
    for error in errors(facts):
        log = error.log
        workload = workload_of_pod(log.pod)
        if (log.namespace, workload) in seen:
            continue
        uses = _uses(facts, log, workload)
        first = error.first or facts.at
        best: tuple[tuple[int, datetime], BadValue] | None = None
        for change, evidence in facts.every_change():
            target, when = Ref.of(change.get("object")), parse_time(change.get("at"))
            if target is None or when is None or target.kind not in ("Secret", "ConfigMap"):
                continue
            if not first - WINDOW <= when <= first + SLACK:
                continue  # long before, or after the errors began: not what they report
            use = max((u for u in uses if u.target.kind == target.kind and u.target.name == target.name
                       and u.target.namespace in ("", target.namespace)),
                      key=lambda u: (_fit(error, u), not u.via.startswith("used by")), default=None)
            if use is None:
                continue  # a write to something this workload does not read
            if _fit(error, use) == 0 and any(_fit(error, u) > 0 for u in uses if u.target != use.target):
                continue  # the header the error names is fed by another, unwritten reference
            ids = [e for e in (evidence, log.evidence_id) if e]
            ids += [e.get("evidence") for e in facts.reads.get(STORE) or [] if e.get("pod") == log.pod]
            bad = BadValue(target, change, when, use, error, Ref("", log.namespace, workload),
                           _restart(facts, workload, log.namespace, when, first), [str(i) for i in ids if i])
            key = (_fit(error, use), when)
            if best is None or key > best[0]:
                best = (key, bad)
        if best is not None:
            seen.add((log.namespace, workload))
            out.append(best[1])
    return out


_MEANS = {
    HEADER: "a value an HTTP header cannot carry (the client refuses it before any request leaves)",
    BASE64: "text that is not valid base64",
    ADDRESS: "a connection string / URL that does not parse",
    TOKEN: "a token that is not well formed",
    PEM: "no usable PEM key or certificate",
    CONTROL: "a character the value cannot carry",
}
_SHAPE = {
    HEADER: "a trailing newline (or other control character) left by creating it from a file",
    BASE64: "a trailing newline, or a value encoded twice or not at all",
    ADDRESS: "a trailing newline or a stray character in the URL",
    TOKEN: "a trailing newline, quotes or a truncated value",
    PEM: "a truncated or re-encoded block, or a key of the wrong format",
    CONTROL: "a trailing newline or control character left by creating it from a file",
}


def _what(error: Malformed, use: Use, change: dict[str, Any]) -> str:
    """What the value is, in words (`the API key`): from the header the error names, the key it is read as, or the
    one data key the write set."""
    key = re.search(r"\(key ([^)]+)\)", use.via) or re.search(r"^env (\S+)", use.via)
    written = set(re.findall(r"data key (\S+) (?:set|changed|added|')", " ".join(map(str, change.get("diff") or []))))
    source = error.named or (key.group(1) if key else "") or (next(iter(written)) if len(written) == 1 else "")
    words = [w for w in re.split(r"[^a-z0-9]+", re.sub(r"^x-", "", source.lower())) if w]
    if not words:
        return "the value"
    acronyms = {"api", "url", "dsn", "jwt", "tls", "id", "uri"}
    noun = "key" if words[-1] == "key" and len(words) > 1 else "value"
    text = " ".join(w.upper() if w in acronyms else w for w in (words[:-1] if noun == "key" else words))
    return f"the {text} {noun}"


def finding(bad: BadValue, at: datetime) -> dict[str, Any]:
    """The written object's finding: what it now holds is malformed, how the workload reads it, the error."""
    error, ago = bad.error, minutes_text(int((at - bad.written).total_seconds() // 60))
    summary = str(bad.change.get("summary") or "")
    how = "created anew" if " created" in summary else "written"
    manager = re.search(r"updated by ([\w.,\s-]+?)(?::|$| \()", summary)
    by = f" by {manager.group(1).strip()}" if manager else ""
    shape = ("a trailing newline (the error shows a line end)" if error.newline and error.kind != PEM
             else _SHAPE[error.kind])
    if bad.target.kind == "ConfigMap" and _ENDS_BLANK.search(" ".join(map(str, bad.change.get("diff") or []))):
        shape = "a trailing newline or space (the write's new value ends in one)"  # a ConfigMap's diff shows values
    workload, what = f"{bad.workload.namespace}/{bad.workload.name}", _what(error, bad.use, bad.change)
    message = (f"{bad.target} was {how}{by} at {bad.written.strftime('%H:%M')} ({ago} before the alert) and "
               f"{what} it gives {workload} ({bad.use.via}) is malformed, most likely {shape}: "
               f"{workload} says '{error.said[:160]}', {_MEANS[error.kind]}"
               + (f"; {bad.restart}" if bad.restart else "") + ". The value is malformed, not wrong: re-create "
               f"{bad.target} without the stray character (`--from-literal`, or strip the file's newline) and "
               "roll its readers")
    return {"check": CHECK, "severity": "critical", "reason": "MalformedConfiguredValue",
            "object": {"kind": bad.target.kind, "namespace": bad.target.namespace, "name": bad.target.name},
            "message": message, "evidence": [error.said, summary[:200]],
            "details": {"kind": error.kind, "named": error.named, "via": bad.use.via, "workload": workload,
                        "written": bad.written.isoformat().replace("+00:00", "Z")}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The Secret/ConfigMap whose new value is malformed; it explains the workload that reads it."""
    return [(b.target, finding(b, facts.at), b.evidence, [b.workload]) for b in found(facts)]
