"""A bound was tightened: a recent write made a limit on the subject's path smaller, and the errors say it is hit.

Many incidents are one write that lowered a LIMIT somewhere the subject depends on: a JetStream Stream's
`maxBytes` cut (publishers get "maximum bytes exceeded"), a Vault database role's `maxTTL` cut (live
leases revoked, the database refuses the password), an HPA's scale-down stabilization window set to 0
(replicas flap), a chart bump that dropped memcached's `-m` flag (the server falls back to 64 MB and
evicts). The victim's own symptom is loud; the bound is one field of another object. This module:

1. reads every recent write (the survey's 6 h timeline, and a 24 h one when the symptom says a bound is
   hit) for numeric/size/duration bounds that DECREASED: spec fields of any kind (`path: old -> new`,
   `path = new`, `path written by m (now X)`), container args and command flags (a flag lowered, or
   dropped so the server's documented default applies: `DEFAULTS`), env values (a scalar or flags inside
   it, `JAVA_TOOL_OPTIONS`), config leaves (`agent.triage.value_diff`) and resource limits. Units are
   parsed (Ki/Mi/Gi, MB/GB, ms/s/m/h/d). A write whose old value is not recorded is compared with the
   field's documented default when there is one, else kept only when the errors name the field itself;
2. fits it to the symptom: error texts whose words say THIS kind of bound was hit (`FITS`: sizes ->
   "maximum bytes", "too large", evictions, OOM; credential lifetimes -> authentication failures; timeouts
   -> "deadline exceeded", cancelled statements; connection pools -> "too many connections"; scaling
   windows -> replica counts flapping up and down), or, when the path says nothing, the object's own
   series that count the bound being hit (evictions, rejections) rising after the write;
3. relates it to the subject: its own workload or a dependency (topology, log hosts), an object named in
   its errors or in its pod's annotations/env/args, an object in a dependency's namespace or a namespace
   its errors name (a client prints "nats: ..."). A fitting tightened bound outranks the victim's own
   symptom; the finding names the object, the field, old -> new (or "dropped, default X"), when, and the
   error or series it explains.

Reading only. Secret values never come here (the timeline withholds them); env values that look like
credentials are skipped by value_diff's own rule.
"""

from __future__ import annotations

import ast
import itertools
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import value_diff
from agent.triage.arg_flags import flags
from agent.triage.facts import Facts, Ref, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.related_changes import BUILTIN_KINDS, _known_names, _texts
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.tightened_bound"
WEIGHT = 0.92
"""A limit cut on the subject's path that its errors say is hit explains them: above the victim (whose case it
explains), level with field_meaning, below the modules that say who wrote the cut back (gitops_revert)."""
LEAD = timedelta(hours=24)
"""How long before the incident a tightening may have been written (a window bites at the next peak)."""
HISTORY_WINDOW = "24h"
READS = "tightened"
"""The key of this module's reads in `Facts.reads`."""
MAX_SERIES = 6

Call = Callable[..., Awaitable[Any]]

# ---- values with units --------------------------------------------------------------------------------

_SIZE = {"": 1, "b": 1, "k": 1e3, "kb": 1e3, "ki": 2 ** 10, "kib": 2 ** 10, "m": 1e6, "mb": 1e6, "mi": 2 ** 20,
         "mib": 2 ** 20, "g": 1e9, "gb": 1e9, "gi": 2 ** 30, "gib": 2 ** 30, "t": 1e12, "tb": 1e12, "ti": 2 ** 40,
         "tib": 2 ** 40}
_TIME = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
TIME_WORDS = re.compile(r"ttl|timeout|window|seconds|secs|millis|_ms\b|ms$|age|retention|interval|period|deadline|"
                        r"duration|lease|expir|idle|grace|delay", re.I)
SIZE_WORDS = re.compile(r"bytes|size|memory|mem\b|^-m$|limit-bytes|payload|body|buffer|heap|xmx|cache|storage|"
                        r"ram|disk|quota", re.I)
UNLIMITED = float("inf")


def _words(name: str) -> str:
    """`maxBytes` -> `max bytes`, `max_ttl` -> `max ttl`: a field's words as an error would say them."""
    return re.sub(r"[_\-.]+", " ", re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)).strip().lower()


def dimension(name: str) -> str:
    """What a bound measures, read from its name: `time`, `size` or `count`."""
    last = re.split(r"[.\[]", name)[-1] if "." in name else name
    if TIME_WORDS.search(last):
        return "time"
    if SIZE_WORDS.search(last):
        return "size"
    return "count"


def magnitude(value: str | None, dim: str, unit: float = 1.0) -> float | None:
    """A value as a number in its dimension's base unit (bytes, seconds), `unit` scaling a bare number (memcached
    `-m` is in megabytes); -1 and 0 on a size or count bound mean no limit in most servers' settings."""
    text = str(value if value is not None else "").strip().strip("'\"").strip()
    if not text:
        return None
    if dim == "time":
        parts = re.findall(r"(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s|m|h|d|w)", text.lower())
        if parts and re.fullmatch(r"(?:\d+(?:\.\d+)?\s*(?:ns|us|µs|ms|s|m|h|d|w)\s*)+", text.lower()):
            return sum(float(n) * _TIME[u] for n, u in parts)
        m = re.fullmatch(r"-?\d+(?:\.\d+)?", text)
        return float(text) * unit if m else None
    m = re.fullmatch(r"(-?\d+(?:\.\d+)?)\s*([a-zA-Z]{0,3})", text)
    if m is None:
        return None
    number, suffix = float(m.group(1)), m.group(2).lower()
    if dim == "size":
        if suffix not in _SIZE:
            return None
        if number <= 0 and not suffix:
            return UNLIMITED
        return number * (_SIZE[suffix] if suffix else unit)
    if suffix:
        return None
    return UNLIMITED if number < 0 else number * unit


# ---- documented defaults ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Default:
    """A server's documented default for a flag or setting: what applies when the flag is dropped."""

    program: str
    """The executable (or the setting's family) whose default this is."""
    names: tuple[str, ...]
    value: str
    dim: str
    unit: float = 1.0
    source: str = ""
    effect: str = ""
    """What the server does with less: said in the finding."""


DEFAULTS: tuple[Default, ...] = (
    Default("memcached", ("-m", "--memory-limit"), "64", "size", 2 ** 20, "memcached -h: item memory in megabytes",
            "the cache's item memory shrinks: evictions rise as items are pushed out to make room, the hit ratio "
            "falls and every miss goes to the backing database"),
    Default("memcached", ("-c", "--conn-limit"), "1024", "count", 1, "memcached -h: max simultaneous connections"),
    Default("memcached", ("-I", "--max-item-size"), "1m", "size", 1, "memcached -h: max item size"),
    Default("redis-server", ("--maxclients",), "10000", "count", 1, "redis.conf: maxclients"),
    Default("redis-server", ("--maxmemory",), "0", "size", 1, "redis.conf: maxmemory 0 = no limit",
            "redis evicts keys by its maxmemory-policy (or refuses writes with OOM under noeviction)"),
    Default("postgres", ("max_connections", "-N"), "100", "count", 1, "PostgreSQL runtime config"),
    Default("postgres", ("statement_timeout",), "0", "time", 1e-3, "PostgreSQL: 0 disables, bare value in ms"),
    Default("mysqld", ("--max-connections", "max_connections"), "151", "count", 1, "MySQL 8 server options"),
    Default("mysqld", ("--max-allowed-packet", "max_allowed_packet"), "64M", "size", 1, "MySQL 8 server options"),
    Default("mysqld", ("--wait-timeout", "wait_timeout"), "28800", "time", 1, "MySQL 8 server options"),
    Default("nginx", ("client_max_body_size",), "1m", "size", 1, "nginx ngx_http_core_module"),
    Default("nginx", ("proxy_read_timeout",), "60s", "time", 1, "nginx ngx_http_proxy_module"),
    Default("nginx", ("keepalive_timeout",), "75s", "time", 1, "nginx ngx_http_core_module"),
    Default("java", ("-XX:MaxRAMPercentage",), "25", "count", 1, "HotSpot: heap share of the container's memory",
            "the JVM heap shrinks: GC runs back to back and allocations end in OutOfMemoryError: Java heap space"),
    Default("etcd", ("--quota-backend-bytes",), "2147483648", "size", 1, "etcd: 2 GiB backend quota"),
    Default("kubernetes", ("behavior.scaleDown.stabilizationWindowSeconds",), "300", "time", 1,
            "HorizontalPodAutoscaler: scale-down looks back 300 s before lowering replicas",
            "the HPA scales down as soon as the metric dips instead of keeping the window's highest recommendation: "
            "replicas flap, each scale down kills pods with requests in flight and each scale up serves from cold "
            "pods"),
    Default("kubernetes", ("progressDeadlineSeconds",), "600", "time", 1, "Deployment spec"),
    Default("jetstream", ("maxBytes", "max_bytes"), "-1", "size", 1,
            "NATS JetStream stream: -1/0 = unlimited",
            "the stream is trimmed to the new size and, with discard new, refuses every publish once full"),
    Default("vault", ("maxTTL", "max_ttl", "defaultTTL", "default_ttl"), "768h", "time", 1,
            "Vault: a role without a TTL gets the system max lease TTL (768 h)",
            "leases older than the new maximum are revoked at their next renewal (the database user is dropped) "
            "while clients still hold those credentials: every new connection fails authentication"),
)
"""Real defaults of common servers (their own docs); a flag dropped or a field set where it was unset is compared
with these."""


def default_for(name: str, program: str = "") -> Default | None:
    """The documented default of a flag or field (matched on its last path segments; a program narrows it)."""
    def norm(text: str) -> str:
        return text.lstrip("-").replace("_", "").replace("-", "").lower()

    last = norm(name.rsplit(".", 1)[-1]) if not name.startswith("-") else norm(name)
    for d in DEFAULTS:
        if program and d.program not in (program, "kubernetes", "jetstream", "vault") and program not in d.program:
            continue
        for n in d.names:
            if name == n or ("." in n and name.endswith(n)) or ("." not in n and last == norm(n)
                                                                 and (len(last) > 2 or program == d.program)):
                return d
    return None


# ---- bounds written -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bound:
    """One bound a write made smaller: the field or flag, its old and new text, and the numbers compared."""

    name: str
    old: str | None
    new: str | None
    before: float
    after: float
    note: str = ""
    """How the old or new side was known: "dropped, default 64 MB", "default 300", "old value not recorded"."""
    effect: str = ""
    """What the software does with the smaller bound (its default's `effect`, else the bound class's)."""

    def text(self) -> str:
        """`spec.maxTTL 768h -> 1h`, `-m 4096 -> dropped (dropped, default 64 MB)`, `spec.maxBytes set to 1073741824
        (1 GiB; old value not recorded; default -1)`."""
        new = self.new if self.new is not None else "dropped"
        if self.new is not None and re.fullmatch(r"\d{7,}", self.new.strip("'\"")):
            new += f" ({_bytes(float(self.new.strip(chr(39))))})"
        if self.old is None and "not recorded" in self.note:
            return f"{self.name} set to {new} ({self.note})"
        old = self.old if self.old is not None else "?"
        return f"{self.name} {old} -> {new}" + (f" ({self.note})" if self.note else "")


def _bytes(value: float) -> str:
    for unit, size in (("TiB", 2 ** 40), ("GiB", 2 ** 30), ("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if value >= size:
            return f"{value / size:.3g} {unit}"
    return f"{value:.0f} B"


BOUND_NAME = re.compile(r"max|limit|ttl|timeout|retention|window|size|bytes|memory|pool|rate|burst|quota|capacity|"
                        r"connections|conns|clients|deadline|\bage\b|Age|percent|buffer|queue|threads|workers|"
                        r"concurrency|replicas|body|heap|xmx|^-m$|^-c$|^-I$|^-N$|backlog|somaxconn|payload", re.I)
_NOT_BOUND = re.compile(r"^min|\.min|[a-z]min[A-Z]|minimum|image|name|selector|labels|annotations|port\b|version", re.I)


def is_bound(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return bool(BOUND_NAME.search(last)) and not _NOT_BOUND.search(last)


def compare(name: str, old: str | None, new: str | None, default: Default | None = None, recorded: bool = True
            ) -> Bound | None:
    """The bound when `new` is smaller than `old` (or than the default an absent side stands for)."""
    if not is_bound(name) and default is None:
        return None
    dim = default.dim if default else dimension(name)
    unit = default.unit if default else 1.0
    note = ""
    if old is None and default is not None:
        before, note = magnitude(default.value, dim, unit), (f"default {default.value}" if recorded else
                                                             f"old value not recorded; default {default.value}")
    else:
        before = magnitude(old, dim, unit)
    if new is None and default is not None:
        after, note = magnitude(default.value, dim, unit), f"dropped, default {default.value}"
        if default.unit == 2 ** 20 and dim == "size":
            note = f"dropped, default {default.value} MB"
    else:
        after = magnitude(new, dim, unit)
    if before is None or after is None or not after < before:
        return None
    return Bound(name, old, new, before, after, note, default.effect if default else "")


def _tokens(text: str) -> list[str] | None:
    """A list as the rollout diff prints it (`['memcached', '-m', '64']`), or a flag string split on blanks."""
    text = text.strip()
    if text.startswith("["):
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return None
        return [str(v) for v in value] if isinstance(value, list) else None
    return text.strip("'\"").split() if text.strip("'\"").startswith("-") or " -" in text else None


def _program(tokens: list[str], container: str) -> str:
    first = tokens[0] if tokens and not tokens[0].startswith("-") else container
    return first.rsplit("/", 1)[-1].lower()


def flag_bounds(old: list[str], new: list[str], program: str) -> list[Bound]:
    """Flags lowered, or dropped so their documented default applies (only flags with a known default)."""
    a, b = flags(old), flags(new)
    out: list[Bound] = []
    for name in a:
        d = default_for(name, program if program != "java" else "java")
        if name in b and a[name] != b[name]:
            bound = compare(name, a[name], b[name], d)
        elif name not in b and d is not None:
            bound = compare(name, a[name], None, d)
        else:
            continue
        if bound is not None:
            out.append(bound)
    return out


_ARROW = re.compile(r"^(?P<path>[\w.\[\]=/-]+): (?P<old>.+?) -> (?P<new>.+)$")
_SET = re.compile(r"^(?P<path>[\w.\[\]=/-]+) = (?P<new>.+?)(?P<current> \(current\))?$")
_WRITTEN = re.compile(r"^(?P<path>[\w.\[\]=/-]+) written by \S+(?: \(now (?P<new>.+)\))?$")
_LISTS = re.compile(r"^(?P<c>\S+) (?:args|command) (?P<old>\[.*\]|None) -> (?P<new>\[.*\]|None)$")
_ENV = re.compile(r"^(?P<c>\S+) env (?P<key>[A-Za-z_][\w.]*)(?:=(?P<old>'.*'|\S+)| \(unset\)) -> "
                  r"(?:(?P=key)=(?P<new>'.*'|\S+)|unset)$")
_RESOURCE = re.compile(r"^(?P<c>\S+) (?P<res>memory|cpu|ephemeral-storage) limit (?P<old>\S+) -> (?P<new>\S+)$")
_DATA = re.compile(r"^data key (?P<key>\S+) (?P<old>'.*') -> (?P<new>'.*')")


def _unquote(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        out = ast.literal_eval(value) if value[:1] in "'\"" else value
    except (ValueError, SyntaxError):
        out = value
    return str(out)


def bounds_of(change: dict[str, Any]) -> list[Bound]:
    """Every bound one change of the timeline made smaller, by the shape of its diff lines."""
    out: list[Bound] = []
    for line in (str(d) for d in change.get("diff") or []):
        if m := _LISTS.match(line):
            old, new = _tokens(m["old"]) or [], _tokens(m["new"]) or []
            out += flag_bounds(old, new, _program(old or new, m["c"]))
        elif m := _ENV.match(line):
            out += _value_bounds(m["key"], _unquote(m["old"]), _unquote(m["new"]))
        elif m := _RESOURCE.match(line):
            b = _resource(m["c"], m["res"], m["old"], m["new"])
            out += [b] if b else []
        elif m := _DATA.match(line):
            out += _value_bounds(m["key"], _unquote(m["old"]), _unquote(m["new"]))
        elif m := _ARROW.match(line):
            b = compare(m["path"], _unquote(m["old"]), _unquote(m["new"]))
            out += [b] if b else []
        elif ((m := _SET.match(line)) and not m["current"]) or ((m := _WRITTEN.match(line)) and m["new"] is not None):
            leaves = _object_leaves(m["path"], str(m["new"]))
            out += [b for p, v in leaves for b in _unrecorded(p, v)] if leaves else _unrecorded(m["path"],
                                                                                                _unquote(m["new"]))
    return out


def _object_leaves(path: str, value: str) -> list[tuple[str, str]]:
    """`spec.definition = {"max-length": 20000, ...}`: a map written whole (a broker policy's definition, a plugin's
    config) as its scalar leaves, `spec.definition.max-length = 20000`; [] when the value is no complete map."""
    if not value.startswith("{"):
        return []
    try:
        data = json.loads(value)
    except ValueError:
        return []
    out: list[tuple[str, str]] = []

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, dict):
            for key, child in node.items():
                walk(f"{prefix}.{key}", child)
        elif isinstance(node, (int, float, str)) and not isinstance(node, bool):
            out.append((prefix, str(node)))

    walk(path, data)
    return out


def _resource(container: str, res: str, old: str, new: str) -> Bound | None:
    units = {"": 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30}

    def q(v: str) -> float | None:
        m = re.fullmatch(r"(\d+(?:\.\d+)?)([a-zA-Z]{0,2})", v)
        return float(m[1]) * units[m[2]] if m and m[2] in units else None

    a, b = q(old), q(new)
    if a is None or b is None or not b < a:
        return None
    return Bound(f"{container} {res} limit", old, new, a, b)


def _value_bounds(key: str, old: str | None, new: str | None) -> list[Bound]:
    """An env value or config data key: flags inside it, leaves of a structured file, or one scalar."""
    out: list[Bound] = []
    if old is not None and new is not None and (_tokens(old) or _tokens(new)):
        before, after = _tokens(old) or [], _tokens(new) or []
        if any(t.startswith("-") for t in before + after):
            java = any(t.startswith(("-XX:", "-Xm")) for t in before + after)
            return flag_bounds(before, after, "java" if java else key.lower())
    leaves = value_diff.diff(old, new, key)
    if leaves is not None:
        for leaf in leaves:
            if leaf.old == value_diff.HIDDEN or leaf.new == value_diff.HIDDEN:
                continue
            d = default_for(leaf.path.rsplit(".", 1)[-1])
            b = compare(leaf.path, leaf.old, leaf.new, d if leaf.old is None or leaf.new is None else None)
            out += [b] if b else []
        return out
    if old is not None and new is not None:
        b = compare(key, old, new)
        out += [b] if b else []
    return out


def _unrecorded(path: str, new: str | None) -> list[Bound]:
    """A field written whose old value the timeline does not know: compared with its documented default, else kept
    as `old value not recorded` (only an error naming the field itself can then fit it)."""
    if new is None or not is_bound(path):
        return []
    d = default_for(path)
    if d is not None:
        b = compare(path, None, new, d, recorded=False)
        return [b] if b else []
    dim = dimension(path)
    after = magnitude(new, dim)
    return [] if after is None else [Bound(path, None, new, UNLIMITED, after, "old value not recorded", "")]


# ---- the symptom it fits ------------------------------------------------------------------------------

FITS: tuple[tuple[re.Pattern[str], re.Pattern[str], str], ...] = (
    (re.compile(r"ttl|lease|expir", re.I),
     re.compile(r"password authentication failed|28P01|authentication failed|access denied for user|"
                r"invalid credentials|unauthori[sz]ed|\b401\b|token (?:is )?expired|lease (?:not found|expired)|"
                r"revoked|role \S+ does not exist|permission denied", re.I),
     "credentials or leases older than the new lifetime are expired or revoked while clients still use them: "
     "their next connections fail authentication"),
    (re.compile(r"timeout|deadline", re.I),
     re.compile(r"time(?:d)? ?out|deadline exceeded|canceling statement|cancell?ed|\b504\b|context deadline", re.I),
     "work that takes longer than the new bound is cut off: timeouts and cancelled calls"),
    (re.compile(r"conn|clients|pool|somaxconn|backlog", re.I),
     re.compile(r"too many (?:connections|clients)|max number of clients|connection pool|pool (?:is )?exhausted|"
                r"max_?connections|"
                r"remaining connection slots|connection refused|reset by peer|SYN", re.I),
     "callers beyond the new bound are refused or wait for a slot"),
    (re.compile(r"rate|burst|qps|rps", re.I), re.compile(r"\b429\b|rate limit|too many requests|throttl", re.I),
     "requests beyond the new rate are rejected (429) or throttled"),
    (re.compile(r"concurren|workers|threads|parallel|prefetch|processes|consumers|in_?flight|^-c$|^-P$", re.I),
     re.compile(r"backlog|consumer ?lag|\blag\b|ready messages|messages_ready|unacked|queue (?:depth|length|size)|"
                r"still growing|(?:is|keeps?) growing|falling behind|not keeping up|unprocessed|"
                r"pending (?:messages|tasks|jobs)", re.I),
     "fewer items are worked on at once, so the consumers drain the queue more slowly than it fills: the backlog "
     "(queue depth, consumer lag) grows although nothing errors"),
    (re.compile(r"bytes|size|memory|payload|body|buffer|heap|xmx|ram|^-m$|-I$|msgs|length|age|retention|storage|"
                r"quota", re.I),
     re.compile(r"maximum (?:bytes|messages|payload|size)|exceed|too large|too big|\b413\b|evict|out of memory|"
                r"OOM|heap space|no space|insufficient|discard|quota|full", re.I),
     "what no longer fits is refused, evicted or discarded once the smaller bound is reached"),
)
"""A bound's name -> the words of errors that say such a bound was hit (real messages: NATS 'nats: maximum bytes
exceeded', PostgreSQL 28P01 'password authentication failed', 'canceling statement due to statement timeout',
'too many clients already', nginx 413, JVM 'Java heap space') -> what the software does with less."""
SCALING = re.compile(r"stabilization|scaleDown|scaleUp|maxReplicas|replicas|policies", re.I)
HIT_SERIES = re.compile(r"evict|reject|discard|dropped|throttl|oom|exceed|refused|denied|overflow", re.I)
"""Series names that count a bound being hit (memcached_items_evicted, nats rejected, throttled periods)."""


def _fit_text(bound: Bound, texts: list[str]) -> str:
    """The first error text that says this bound was hit, "" when none does."""
    own = _words(bound.name.rsplit(".", 1)[-1]).replace("max ", "maximum ")
    for text in texts:
        low = text.lower()
        if len(own) >= 6 and own in low:
            return text
    if bound.note == "old value not recorded":
        return ""  # nothing else tells that it was lowered: only an error naming the field can
    last = bound.name.rsplit(".", 1)[-1]
    for name_words, error_words, _ in FITS:
        if name_words.search(last):
            hit = next((t for t in texts if error_words.search(t)), "")
            if hit:
                return _excerpt(hit, error_words)
    return ""


def _excerpt(text: str, words: re.Pattern[str], width: int = 200) -> str:
    """The part of a long error (a JSON log line, a stack trace) around the words that fit."""
    m = words.search(text)
    if m is None or len(text) <= width:
        return text
    start = max(0, m.start() - width // 2)
    return ("..." if start else "") + text[start:start + width].replace("\n", " ") + "..."


def effect(bound: Bound) -> str:
    """What the smaller bound does, in the software's terms (its default's effect) or the bound class's."""
    if bound.effect:
        return bound.effect
    last = bound.name.rsplit(".", 1)[-1]
    return next((said for names, _, said in FITS if names.search(last)), "")


def _flapping(facts: Facts, target: Ref) -> str:
    """'New size: 12' then 'New size: 4' (and back) from the HPA the bound is on: replica counts flapping."""
    sizes: list[tuple[str, int]] = []
    for change in facts.change_list():
        if change.get("type") != "scale":
            continue
        related = [Ref.of(r) for r in change.get("related") or []]
        obj = Ref.of(change.get("object"))
        if not any(r is not None and r.same_object(target) for r in related) and not (
                obj is not None and obj.name == target.name and obj.namespace == target.namespace):
            continue
        m = re.search(r"New size: (\d+)", str(change.get("summary") or ""))
        if m:
            sizes.append((str(change.get("at")), int(m[1])))
    sizes.sort()
    steps = [b[1] - a[1] for a, b in itertools.pairwise(sizes)]
    ups, downs = sum(1 for s in steps if s > 0), sum(1 for s in steps if s < 0)
    if len(sizes) >= 2 and ((ups and downs) or len({s for _, s in sizes}) >= 2):
        shown = " -> ".join(str(s) for _, s in sizes[-4:])
        return f"replicas flapping {shown} (SuccessfulRescale up and down within minutes)"
    return ""


# ---- what relates it to the subject -------------------------------------------------------------------


def _word(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w]|-[^\W\d])", re.I)


def _path_namespaces(facts: Facts) -> set[str]:
    out: set[str] = set()
    for data, _ in facts.topologies:
        for key in ("subject",):
            r = Ref.of(data.get(key))
            if r:
                out.add(r.namespace)
        for dep in data.get("dependencies") or []:
            t = Ref.of(dep.get("target")) if isinstance(dep, dict) else None
            if t:
                out.add(t.namespace)
    for log in facts.logs:
        out.add(log.namespace)
        for host in log.hosts:
            parts = host.split(":")[0].split(".")
            if len(parts) >= 2 and parts[1] not in ("svc", "com", "net", "org", "io"):
                out.add(parts[1])
    return {n for n in out if n}


def _pod_words(facts: Facts) -> str:
    """The subject pod's annotations, env and args as one text: a secret path, a stream or role it names."""
    return " ".join(str(x) for x in (facts.reads.get(READS) or {}).get("pod_words") or [])


def _named_value(change: dict[str, Any] | None, facts: Facts) -> str:
    """The alert's own label value (a queue, a topic, a consumer group) that the write's diff names, or "".

    An exporter's alert names its subject in the broker's terms (`queue="billing.render_pdf"`); the workers that
    consume it name the same value in their args, env or config (`-Q billing.render_pdf`). Only values specific
    enough to be a name count: six characters or more, or with a separator."""
    if not change:
        return ""
    text = " ".join(str(d) for d in change.get("diff") or [])
    values = sorted((facts.reads.get(READS) or {}).get("values") or [],
                    key=lambda v: (not re.search(r"[._-]", v), -len(v)))  # `billing.render_pdf` before `billing`
    return next((v for v in values if (len(v) >= 6 or re.search(r"[._-]", v)) and _word(v).search(text)), "")


def relation(target: Ref, facts: Facts, texts: list[str], change: dict[str, Any] | None = None) -> str:
    """How the written object sits on the subject's path, or "" when it does not."""
    names = _known_names(facts)
    if target.name in names:
        return "is on the subject's path (its workload or a dependency)"
    if value := _named_value(change, facts):
        return f"works on {value}, which the alert is about (the write itself names it)"
    if len(target.name) >= 4 and any(_word(target.name).search(t) for t in texts):
        return "is named in the subject's errors"
    if len(target.name) >= 4 and _word(target.name).search(_pod_words(facts)):
        return "is named in the subject's pod (annotations, env or args)"
    if target.kind.lower() in BUILTIN_KINDS:
        return ""  # a workload, ConfigMap or HPA relates by its name (above), not by sharing a namespace
    if target.namespace and target.namespace in _path_namespaces(facts):
        return f"lives in {target.namespace}, a namespace the subject or its dependencies run in"
    if target.namespace and len(target.namespace) >= 3 and any(_word(target.namespace).search(t) for t in texts):
        return f"lives in {target.namespace}, which the subject's errors name"
    return ""


# ---- what was found -----------------------------------------------------------------------------------


@dataclass
class Tightened:
    """Bounds one recent write made smaller, what relates it to the subject, and the error or series it explains."""

    target: Ref
    change: dict[str, Any]
    bounds: list[Bound]
    how: str
    said: str
    victims: list[Ref] = field(default_factory=list)
    minutes_before: int = 0
    evidence: list[str] = field(default_factory=list)




def _path_texts(facts: Facts) -> list[tuple[str, Ref | None]]:
    """Failure texts of the subject's path: its logs' errors and last lines, and findings about path objects."""
    names = _known_names(facts)
    out: list[tuple[str, Ref | None]] = []
    for text, owner in _texts(facts):
        if owner is not None and (owner.name in names or workload_of_pod(owner.name) in names
                                  or any(owner.kind == "Pod" and owner.name == log.pod for log in facts.logs)):
            out.append((text, owner))
    for log in facts.logs:
        out += [(t, Ref("Pod", log.namespace, log.pod)) for t in log.last_lines]
    said = str((facts.reads.get(READS) or {}).get("backlog_said") or "")
    if said:
        out.append((said, None))  # a backlog errors nowhere: the alert's own words are the symptom
    return out


def found(facts: Facts) -> list[Tightened]:
    """Each recent write that made a bound smaller on the subject's path and that the symptom fits."""
    texts = _path_texts(facts)
    plain = [t for t, _ in texts]
    series = (facts.reads.get(READS) or {}).get("series") or []
    out: list[Tightened] = []
    for change, evidence, target in facts.writes_to(None, within=LEAD):
        at = parse_time(change.get("at"))
        if at is None:
            continue
        how = relation(target, facts, plain, change)
        fitting: list[tuple[Bound, str, str]] = []
        for bound in bounds_of(change):
            said = _flapping(facts, target) if SCALING.search(bound.name) else ""
            said = said or (_fit_text(bound, plain) if how else "")
            seen = ""
            if not said:
                hit = next((s for s in series if s.get("object") == str(target)), None)
                if hit is None:
                    continue
                said, seen = hit["text"], str(hit.get("evidence") or "")
            fitting.append((bound, said, seen))
        if not fitting:
            continue
        said, seen = fitting[0][1], fitting[0][2]
        if not how and not seen:
            continue
        victims = list({str(o): o for t, o in texts if o is not None and said and said.strip(".") in t}.values())[:3]
        victims = victims or [o for t, o in texts if o is not None and o.kind == "Pod"][:1]
        out.append(Tightened(target, change, [b for b, _, _ in fitting], how or (
            "shows the bound being hit in its own series during the incident"), said, victims,
            int((facts.at - at).total_seconds() // 60), [e for e in (evidence, seen) if e]))
    return out


def candidates(facts: Facts) -> list[tuple[dict[str, Any], Ref, Bound]]:
    """Every tightened bound in the recent writes, fitting or not (what `read` looks further into)."""
    out = []
    for change, _, target in facts.writes_to(None, within=LEAD):
        out += [(change, target, b) for b in bounds_of(change)]
    return out


def finding(t: Tightened) -> dict[str, Any]:
    """The finding: the object, the fields old -> new (or dropped, default X), when, what that does, and the error
    or series it explains; the write's other fields are listed (a `discard: new` beside a `maxBytes` cut)."""
    victims = ", ".join(str(v) for v in t.victims[:2])
    bounds = "; ".join(b.text() for b in t.bounds[:3])
    names = {b.name for b in t.bounds}
    also = [str(d) for d in t.change.get("diff") or [] if not any(str(d).startswith(n) for n in names)][:3]
    does = effect(t.bounds[0])
    message = (f"{t.target} made a bound smaller {t.minutes_before} min before the incident: {bounds}; it "
               f"{t.how}. " + (f"With less, {does}. " if does else "")
               + f"The symptom says so: '{t.said[:200]}'" + (f" ({victims})" if victims else "")
               + (f". Same write: {'; '.join(also)}" if also and t.change.get("type") != "rollout" else "")
               + ". Restore the old value (or size it for the load) rather than restarting the victims")
    first = t.bounds[0]
    return {"check": CHECK, "severity": "critical", "object": t.change.get("object"), "reason": "BoundTightened",
            "message": message, "evidence": [t.said[:200], bounds],
            "details": {"field": first.name, "old": first.old, "new": first.new, "note": first.note,
                        "change_at": t.change.get("at"), "relation": t.how}}


# ---- reading ------------------------------------------------------------------------------------------


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _wants_history(facts: Facts) -> bool:
    """The symptom says a bound is hit (any fitting error words) or replicas flap: older writes are worth reading."""
    texts = [t for t, _ in _path_texts(facts)]
    if any(words.search(t) for _, words, _ in FITS for t in texts):
        return True
    scaled = [c for c in facts.change_list() if c.get("type") == "scale"]
    return len(scaled) >= 2


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: the 24 h change timeline when the symptom says a bound is hit, one subject pod (what its
    annotations/env/args name), and the bound-hit series of a tightened object nothing else relates."""
    store = facts.reads.setdefault(READS, {})
    store["values"], store["backlog_said"] = list(subject.labelled_values), subject.backlog_said
    if _wants_history(facts) and not any(h.get("window") == HISTORY_WINDOW for h, _ in facts.history):
        got = await call("k8s_changes", {"at": at, "window": HISTORY_WINDOW}, "survey-tightened-history")
        if got is not None and got.ok and isinstance(got.data, dict):
            facts.history.append(({**got.data, "window": HISTORY_WINDOW}, got.evidence_id))
    pending = candidates(facts)
    if not pending:
        return
    pods = [log for log in facts.logs if log.pod and subject.mentions(workload_of_pod(log.pod))] or \
        [log for log in facts.logs if log.pod]
    if pods:
        obj = await get_yaml(call, "Pod", pods[0].pod, pods[0].namespace, "survey-tightened-pod")
        if obj is not None:
            spec = obj[0].get("spec") or {}
            words = [str(v) for v in ((obj[0].get("metadata") or {}).get("annotations") or {}).values()]
            words += [str((v.get("configMap") or {}).get("name") or (v.get("secret") or {}).get("secretName") or "")
                      for v in spec.get("volumes") or [] if isinstance(v, dict)]
            for c in spec.get("containers") or []:
                words += [str(x) for x in (c.get("args") or []) + (c.get("command") or [])]
                words += [str((r.get("configMapRef") or r.get("secretRef") or {}).get("name") or "")
                          for r in c.get("envFrom") or [] if isinstance(r, dict)]
                words += [str(e.get("value")) for e in c.get("env") or [] if isinstance(e, dict) and e.get("value")]
            store["pod_words"] = words[:200]
    texts = [t for t, _ in _path_texts(facts)]
    done: set[str] = set()
    for change, target, bound in pending:
        if str(target) in done or (relation(target, facts, texts, change) and _fit_text(bound, texts)):
            continue
        done.add(str(target))
        when = parse_time(change.get("at"))
        if when is None or len(done) > 2:
            continue
        counts = [b for c, t, b in pending if t.same_object(target) and b.note == "old value not recorded"
                  and dimension(b.name) == "count" and b.after not in (UNLIMITED, 0)]
        await _hit_series(facts, call, target, when, store, counts)


PINNED = re.compile(r"messages|depth|length|size|items|entries|backlog|queue|pending|connections|conns|clients|"
                    r"count|total_msgs|_msgs\b", re.I)
"""Gauges that a count bound caps (a queue's depth, a stream's messages, a pool's connections): held exactly at the
written number, they show the bound being hit even when nothing names it."""


async def _pinned_at(call: Call, target: Ref, names: list[str], bounds: list[Bound], start: datetime, end: datetime,
                     store: dict[str, Any]) -> bool:
    """A gauge of the object's namespace that rose to and stayed at a written count bound's exact value after the
    write: the bound (its old value unknown) is what the series hit. Kept as the object's hit series."""
    gauges = [n for n in names if PINNED.search(n) and not n.endswith(("_total", "_count", "_sum", "_bucket"))]
    for name in gauges[:MAX_SERIES]:
        got = await call("prom_query_range", {"query": f'max({name}{{namespace="{target.namespace}"}})',
                                              "start": _iso(start), "end": _iso(end), "step": "60s",
                                              "baseline": "none", "top_k": 1},
                         f"survey-tightened-pinned-{name}")
        if got is None or not got.ok or not isinstance(got.data, dict):
            continue
        for s in got.data.get("series") or []:
            if not isinstance(s, dict):
                continue
            values = [s.get("first"), s.get("last"), s.get("max")]
            if not all(isinstance(v, (int, float)) for v in values):
                continue
            first, last, top = (float(v or 0) for v in values)
            for bound in bounds:
                near = max(1.0, bound.after * 0.005)
                if abs(top - bound.after) <= near and abs(last - bound.after) <= near and first < bound.after - near:
                    store.setdefault("series", []).append({
                        "object": str(target), "evidence": got.evidence_id,
                        "text": f"{name} rose from {first:g} to {top:g} and stays there: exactly the written "
                                f"{bound.name.rsplit('.', 1)[-1]} ({bound.after:g})"})
                    return True
    return False


async def _hit_series(facts: Facts, call: Call, target: Ref, when: datetime, store: dict[str, Any],
                      counts: list[Bound]) -> None:
    """The series of the object's namespace that count a bound being hit, and whether they rose after the write;
    else, for count bounds whose old value is unknown, a gauge held at the written number (`_pinned_at`)."""
    start, end = max(when - timedelta(minutes=30), facts.at - timedelta(hours=6)), facts.at
    page = await call("prom_series", {"match": f'{{namespace="{target.namespace}"}}', "start": _iso(start),
                                      "end": _iso(end), "limit": 500}, f"survey-tightened-series-{target.name}")
    if page is None or not page.ok or not isinstance(page.data, dict):
        return
    every = list(dict.fromkeys(str(s.get("__name__")) for s in page.data.get("series") or [] if isinstance(s, dict)))
    if counts and await _pinned_at(call, target, every, counts, start, end, store):
        return
    names = [n for n in every if HIT_SERIES.search(n)]
    for name in names[:MAX_SERIES]:
        counter = name.endswith(("_total", "_count")) or "evict" in name
        expr = f'{name}{{namespace="{target.namespace}"}}'
        query = f"sum(rate({expr}[5m]))" if counter else f"sum({expr})"
        got = await call("prom_query_range", {"query": query, "start": _iso(start), "end": _iso(end), "step": "60s",
                                              "baseline": "none", "top_k": 3},
                         f"survey-tightened-range-{name}")
        if got is None or not got.ok or not isinstance(got.data, dict):
            continue
        for s in got.data.get("series") or []:
            change = s.get("change") if isinstance(s, dict) else None
            moved = parse_time((change or {}).get("at"))
            before, after = (change or {}).get("before"), (change or {}).get("after")
            if moved is None or moved < when or not isinstance(before, (int, float)) \
                    or not isinstance(after, (int, float)) or after < max(before, 1e-9) * 2:
                continue
            how = "rate " if counter else ""
            store.setdefault("series", []).append({
                "object": str(target), "evidence": got.evidence_id,
                "text": f"{name} {how}{before:.3g} -> {after:.3g} at {str((change or {}).get('at'))[11:16]}"})
            return
