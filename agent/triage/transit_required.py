"""A managed datastore switched to REQUIRE encryption in transit, and its plaintext clients are reset or refused.

Managed caches, databases and brokers are declared in the cluster as custom resources (ACK `ReplicationGroup`,
`DBInstance`/`DBParameterGroup`, Crossplane `forProvider`, Config Connector `RedisInstance`/`SQLInstance`, Azure
Service Operator `Redis`) and their transport encryption is one field of that resource: ElastiCache
`transitEncryptionEnabled: true` with `transitEncryptionMode: required`, Memorystore `transitEncryptionMode:
SERVER_AUTHENTICATION`, RDS's `rds.force_ssl = 1`, MySQL's `require_secure_transport = ON`, Cloud SQL
`requireSsl: true` / `sslMode: ENCRYPTED_ONLY`, Azure Cache `enableNonSslPort: false`, MSK `clientBroker: TLS`.
Nothing fails on the resource: it stays available. Its clients that still speak plaintext (`redis://` rather than
`rediss://`, `sslmode=disable`, no TLS flag) now have every connection cut by the server, in their library's
words: `ECONNRESET` / `Connection is closed` (ioredis), `connection reset by peer` / `EOF` (go-redis, Go),
`server closed the connection unexpectedly` or `no pg_hba.conf entry ... no encryption` (PostgreSQL),
`Connections using insecure transport are prohibited` (MySQL).

The suspect is that write when (1) its diff sets a field that makes encryption REQUIRED (a `preferred` mode, a
field turned off, or a required mode turned back off is not it), (2) a workload's errors in those words begin
after the write (errors already there before rule it out), and (3) that workload's own spec or error lines name
the resource (its name as a whole label of a host, or an endpoint host of its status) through an address that is
not already TLS (a `rediss://` or `sslmode=require` client meets the new rule). `read` (reading only) fetches the
failing pods' specs (env values and args; Secrets by name only, never values) and the written resource's current
text (for its endpoint hosts); `found` is pure.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agent.triage import group_users, pod_spec_words
from agent.triage.facts import Facts, LogEvidence, Ref, minutes_text, parse_time, said_by
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.transit_encryption_required"
WEIGHT = 0.93
"""A managed resource's field whose meaning is exactly what the clients' resets say: above the clients' own
symptoms and the generic identifier link (0.86)."""
STORE = "transit_required"
LEAD = timedelta(hours=24)
SLACK = timedelta(minutes=2)
MAX_PODS = 3

Call = Callable[..., Awaitable[Any]]

REQUIRES: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = (
    (re.compile(r"transitencryptionmode$", re.I), re.compile(r"^(?:required|server_authentication)$", re.I)),
    (re.compile(r"(?:transitencryptionenabled|intransitencryption(?:enabled)?|requiressl|forcessl|"
                r"rds\.force_ssl|force_ssl|require_secure_transport|requiresecuretransport)$", re.I),
     re.compile(r"^(?:true|1|on|yes|enabled)$", re.I)),
    (re.compile(r"(?:ipconfiguration\.)?sslmode$", re.I),
     re.compile(r"^(?:encrypted_only|trusted_client_certificate_required)$", re.I)),
    (re.compile(r"enablenonsslport$", re.I), re.compile(r"^(?:false|0|off|no)$", re.I)),
    (re.compile(r"clientbroker$", re.I), re.compile(r"^tls$", re.I)),
)
"""(the written field's last name, the new value that makes encryption in transit REQUIRED)."""
_ASSIGN = re.compile(r"([\w.\[\]\"'-]+)\s*(?:=|:)\s*(?:[^\s;]+\s*->\s*)?['\"]?([\w.-]+)['\"]?\s*$")
_MODE = re.compile(r"(?:transitencryptionmode|sslmode)$", re.I)
"""The fields that say HOW encryption applies: a value other than a required one keeps plaintext served."""
_SERVED = re.compile(r"(?:transitEncryptionMode|sslMode)['\"]?\s*:\s*['\"]?(?:preferred|optional|disabled|allow|"
                     r"ALLOW_UNENCRYPTED_AND_ENCRYPTED)\b", re.I)
"""A resource's current spec that still serves plaintext clients beside TLS ones."""
_PARAMETER = re.compile(r"(rds\.force_ssl|require_secure_transport)\W{1,12}(?:\w+\W{1,6}){0,3}?(1|on|true)\b", re.I)
"""A parameter group's list entry (`{"parameterName": "rds.force_ssl", "parameterValue": "1"}`)."""

RESET = re.compile(r"ECONNRESET|connection reset|reset by peer|Connection is closed|connection closed|"
                   r"unexpected EOF|\bEOF\b|server closed the connection|closed the connection unexpectedly|"
                   r"no pg_hba\.conf entry[^\n]{0,120}(?:no encryption|SSL off)|insecure transport are prohibited|"
                   r"SSL (?:connection )?is required|requires? (?:an )?(?:SSL|TLS|encrypted) connection|"
                   r"socket hang up|broken pipe|Unexpected end of stream|pg_hba\.conf rejects connection[^\n]{0,120}"
                   r"no encryption|connection requires a valid client certificate|"
                   r"could not be established\. Broker may not be available|Connection refused|"
                   r"SSL_connect|wrong version number", re.I)
"""A plaintext client's connection cut or refused by a server that now requires TLS, in its library's words:
ioredis `ECONNRESET`, Lettuce `Connection reset by peer`, Jedis `Unexpected end of stream`, go-redis `EOF`,
PostgreSQL `no pg_hba.conf entry ... no encryption` / Cloud SQL's `pg_hba.conf rejects connection ... no
encryption` and `connection requires a valid client certificate`, MySQL 3159 `Connections using insecure
transport are prohibited`, a Kafka client's `Connection to node -1 (...:9092) could not be established. Broker may
not be available` once MSK stops serving its plaintext port, `Connection refused` once Azure Cache closes its
non-TLS port 6379."""
TLS_CLIENT = re.compile(r"rediss://|sslmode=(?:require|verify)|[?&,;](?:ssl|tls|useSSL|encrypt)=(?:true|1|required)|"
                        r"\btls=true\b|--tls\b|amqps://|https://|mongodb\+srv://[^\s]*tls=true|"
                        r"(?:SSL|TLS)_?(?:ENABLED|MODE)\s*=\s*(?:true|1|required|require)|"
                        r"security[._]protocol\W{1,4}(?:SASL_)?SSL\b", re.I)
"""A client address or flag that already speaks TLS: such a client meets the new rule (StackExchange.Redis'
`,ssl=True`, Kafka's `security.protocol=SSL`)."""
_HOST = re.compile(r"\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+){2,}\b", re.I)


@dataclass
class Required:
    """A resource written to require encryption in transit, and a plaintext client it now cuts."""

    resource: Ref
    written: datetime
    field: str
    client: Ref
    pod: str
    said: str
    where: str
    """Where the client names the resource (`env REDIS_URL = redis://...`)."""
    first: datetime
    evidence: list[str]
    users: list[str] = dataclasses.field(default_factory=list)
    """The instances using the written parameter group, through which the client names it."""


def requiring(change: dict[str, Any]) -> list[str]:
    """The diff lines of a write that make encryption in transit required (`spec.transitEncryptionMode =
    'required'`)."""
    out: list[str] = []
    for line in [str(d) for d in change.get("diff") or []]:
        m = _ASSIGN.search(line.strip())
        if m:
            leaf = m.group(1).strip("\"'[]").split(".")[-1] if "force_ssl" not in m.group(1) else m.group(1)
            if _MODE.search(leaf) and not any(k.search(leaf) and v.match(m.group(2)) for k, v in REQUIRES):
                return []  # a mode written to `preferred`/`optional`: plaintext is still served, whatever else
            if any(k.search(leaf) and v.match(m.group(2)) for k, v in REQUIRES):
                out.append(line.strip())
                continue
        if _PARAMETER.search(line):
            out.append(line.strip())
    return out


def resets(log: LogEvidence) -> tuple[str, datetime | None]:
    """The first reset or refusal of a plaintext connection in a pod's errors, and when it was first seen."""
    hits = [e for e in [log.top or {}, *log.more] if RESET.search(said_by(e))]
    if not hits:
        return "", None
    first = min((t for t in (parse_time(e.get("first_seen")) for e in hits) if t is not None), default=None)
    best = min(hits, key=lambda e: (len(said_by(e)), str(e.get("first_seen") or "")))
    return said_by(best), first


def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(STORE, {})  # type: ignore[no-any-return]


def _spec_words(pod: dict[str, Any]) -> tuple[list[tuple[str, str]], list[str]]:
    """(where, text) for each env value and args line of a pod's containers, and the ConfigMaps its env reads
    (envFrom, configMapKeyRef; not its volumes), whose text `read` fetches. Secrets are never read."""
    walked = pod_spec_words.walk(pod.get("spec") or {})
    return pod_spec_words.words(walked), pod_spec_words.configmaps(walked, mounted=False)


def _hosts(body: Any) -> set[str]:
    """The host names anywhere in an object's spec and status (its endpoints)."""
    return {h.lower() for h in _HOST.findall(str(body)) if re.search(r"[a-z]", h, re.I)}


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: when a write requires encryption in transit and pods' errors are resets, the pods' specs and
    the written resource's current endpoints."""
    del subject, at
    store = _store(facts)
    writes = [c for c in facts.change_list() if requiring(c)]
    failing = [lg for lg in facts.logs if lg.pod and resets(lg)[0]]
    if "pods" in store or not writes or not failing:
        return
    store["pods"], store["objects"] = {}, {}
    for log in failing[:MAX_PODS]:
        got = await get_yaml(call, "Pod", log.pod, log.namespace, f"survey-transit-required-pod-{log.pod}")
        if got is None:
            continue
        words, configmaps = _spec_words(got[0])
        for name in configmaps[:2]:
            cm = await get_yaml(call, "ConfigMap", name, log.namespace, f"survey-transit-required-cm-{name}")
            if cm is not None:
                words += [(f"ConfigMap {name} {k}", str(v)[:2000]) for k, v in (cm[0].get("data") or {}).items()]
        store["pods"][log.pod] = {"words": words, "evidence": got[1]}
    for change in writes[:2]:
        target = Ref.of(change.get("object"))
        if target is None or str(target) in store["objects"]:
            continue
        got = await get_yaml(call, target.kind, target.name, target.namespace,
                             f"survey-transit-required-object-{target.name}")
        if got is not None:
            annotations = (got[0].get("metadata") or {}).get("annotations") or {}
            names = [str(v) for k, v in annotations.items() if k.endswith("external-name")]
            hosts = sorted(_hosts({k: got[0].get(k) for k in ("spec", "status")}))
            # a parameter group has no endpoint: its clients name the instances that use it
            users = await group_users.users(call, got[0], f"survey-transit-required-users-{target.name}")
            store["objects"][str(target)] = {"hosts": hosts + [h for u in users for h in u.hosts],
                                             "names": names + [u.ref.name for u in users], "evidence": got[1],
                                             "users": [f"{u.ref.kind} {u.ref.name}" for u in users],
                                             "plaintext": bool(_SERVED.search(str(got[0].get("spec") or "")))}


def _names(text: str, resource: Ref, hosts: list[str], names: list[str]) -> bool:
    """Whether a text names the resource: one of its endpoint hosts, or its name as a whole host label or token."""
    low = text.lower()
    if any(h in low for h in hosts):
        return True
    return any(re.search(rf"(?<![a-z0-9-]){re.escape(n.lower())}(?![a-z0-9-])", low)
               for n in [resource.name, *names] if len(n) >= 4)


def _tls_flag(where: str, words: list[tuple[str, str]]) -> bool:
    """Whether a sibling env variable of the one naming the store turns its client's TLS on (the address in
    `KAFKA_BOOTSTRAP_SERVERS`, the flag in `KAFKA_SECURITY_PROTOCOL = SSL`; `SPRING_DATA_REDIS_SSL_ENABLED = true`).
    Siblings share the first word of the name, so another store's `DB_SSL` flag is not this client's."""
    if not where.startswith("env "):
        return False
    family = where[4:].split("_")[0].upper()
    return any(TLS_CLIENT.search(f"{w[4:]} = {t}") or _FLAG.search(f"{w[4:]} = {t}")
               for w, t in words if w.startswith("env ") and w[4:].split("_")[0].upper() == family and w != where)


_OFF = re.compile(r"^\w*?(?:SSL|TLS)\w* = (?:disabled?|false|0|no|off)$|[?&]sslmode=disable\b", re.I)
"""An env variable of the client that turns its TLS off (`PGSSLMODE = disable`, `REDIS_TLS = false`, a URL's
`?sslmode=disable`): the client's own words for why it speaks plaintext."""


def _tls_off(where: str, words: list[tuple[str, str]]) -> str:
    """`env NAME = value` of the client's variable that turns TLS off: the one naming the store itself, else a
    sibling sharing its first word (`REDIS_URL`, `REDIS_TLS`), else the only such variable (`PGHOST` and
    `PGSSLMODE` share no word); "" when none or several unrelated ones."""
    if not where.startswith("env "):
        return ""
    offs = [f"{w} = {t}" for w, t in words if w.startswith("env ") and _OFF.search(f"{w[4:]} = {t}")]
    family = where[4:].split("_")[0].upper()
    same = [o for o in offs if o.startswith(where + " ") or o[4:].split("_")[0].upper() == family]
    return (same or (offs if len(offs) == 1 else [""]))[0]


_FLAG = re.compile(r"(?:^|_)(?:SSL|TLS|USE_?SSL|USE_?TLS)(?:_ENABLED)? = (?:true|1|yes|required?)$", re.I)
"""An env flag that turns a client's TLS on (`REDIS_TLS = true`, `..._SSL_ENABLED = true`)."""


def found(facts: Facts) -> list[Required]:
    """Per write that requires encryption in transit, the plaintext client that names the resource and whose
    connections have been reset since."""
    store = _store(facts)
    out: list[Required] = []
    for change in facts.change_list():
        resource, when = Ref.of(change.get("object")), parse_time(change.get("at"))
        fields = requiring(change)
        if resource is None or when is None or not fields or not facts.at - LEAD <= when <= facts.at:
            continue
        obj = (store.get("objects") or {}).get(str(resource)) or {}
        if obj.get("plaintext"):
            continue  # its current spec still serves plaintext (a preferred mode written since): not required
        for log in facts.logs:
            said, first = resets(log)
            if not said or not log.pod:
                continue
            first = first or facts.at
            if first < when - SLACK:
                continue  # resets before the write: it did not cause them
            pod = (store.get("pods") or {}).get(log.pod) or {}
            places = [(w, t) for w, t in pod.get("words") or []] + [("its error", said_by(e))
                                                                     for e in [log.top or {}, *log.more]]
            place = next(((w, t) for w, t in places
                          if _names(t, resource, obj.get("hosts") or [], obj.get("names") or [])), None)
            if place is None or TLS_CLIENT.search(place[1]) or _tls_flag(place[0], pod.get("words") or []):
                continue  # not this resource's client, or a client that already speaks TLS
            client = Ref("Deployment", log.namespace, workload_of_pod(log.pod))
            off = _tls_off(place[0], pod.get("words") or [])
            evidence = [e for e in (facts.changes_id, log.evidence_id, pod.get("evidence"), obj.get("evidence")) if e]
            out.append(Required(resource, when, "; ".join(fields), client, log.pod, said,
                                (off or f"{place[0]} = {place[1]}")[:160], first, [str(e) for e in evidence],
                                [str(u) for u in obj.get("users") or []]))
            break
    return out


def finding(r: Required, at: datetime) -> dict[str, Any]:
    """The resource's finding: what the write requires, the plaintext client, its resets, early in the message."""
    ago = minutes_text(int((at - r.written).total_seconds() // 60))
    quote = said_excerpt(r.said)
    used = f" (used by {', '.join(r.users[:2])})" if r.users else ""
    message = (f"{r.resource}{used} was written {ago} before the alert to REQUIRE encryption in transit (TLS): "
               f"{r.field}; its client {r.client.namespace}/{r.client.name} connects without TLS ({r.where}) and "
               f"since {r.first.strftime('%H:%M')} is refused: '{quote}'. Switch the client to TLS (rediss://, "
               f"sslmode=require, its TLS flag) or set the in-transit mode back to preferred until every client has "
               f"moved; the resets are the symptom, not the cause")
    return {"check": CHECK, "severity": "critical", "reason": "TransitEncryptionRequired",
            "object": {"kind": r.resource.kind, "namespace": r.resource.namespace, "name": r.resource.name},
            "message": message, "evidence": [r.said[:200]],
            "details": {"field": r.field, "client": f"{r.client.namespace}/{r.client.name}",
                        "written": r.written.isoformat().replace("+00:00", "Z")}}


def said_excerpt(said: str) -> str:
    """The reset words and a little around them: a JSON logger's prefix dropped so the reason fits the headline."""
    hit = RESET.search(said)
    start = max(0, hit.start() - 20) if hit else 0
    return ("..." if start else "") + said[start:start + 130]


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The resource whose required encryption cuts its plaintext clients; it explains them."""
    return [(r.resource, finding(r, facts.at), r.evidence,
             [Ref("Pod", r.client.namespace, r.pod), Ref("", r.client.namespace, r.client.name)])
            for r in found(facts)]
