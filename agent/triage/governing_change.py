"""Who changed the setting that governs a self-explaining error: error -> meaning -> setting -> object.

Triage used to stop at the process that prints a self-explaining error (the victim). But the error's
meaning (agent.triage.governing_settings) names the setting that decides it and the side it lives on: the
truststore the erroring JVM mounts, the keepalive of the CLIENTS that call a gRPC server, the pool_mode of
the pooler between a client and PostgreSQL, the ACME server of the issuer that signed the certificate the
subject serves. This module looks on that side for a recent write to that setting with a value that
explains the error, ranks it above the victim, and says the chain: the error, what it means, the setting,
the object, old -> new and when.

Sides are found from Kubernetes' own fields and the evidence: `self` = objects the erroring pod mounts or
references (volumes, envFrom, env values) or that live in its namespace and are named like the setting;
`peer` = a workload whose spec or diff names the subject (its Service host in an env value or flag), or a
dependency in the topology; `pooler` = a pooler's config (a ConfigMap/Secret key or an object named after
PgBouncer/pgcat/Odyssey) whose current text sets the mode; `issuer` = the Issuer/ClusterIssuer in the
issuerRef of a Certificate renewed in the subject's namespace (cluster-scoped, so read, not listed).

Reading only. Secret values are never read: a Secret relates by its key names (a `ca.crt`, a
`REQUESTS_CA_BUNDLE`), never by content.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import governing_settings as gs
from agent.triage.facts import Facts, Ref, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.related_changes import _known_names
from agent.triage.subject import Subject
from agent.triage.tightened import _path_namespaces, _path_texts, _unquote, magnitude

CHECK = "change.governing_setting"
WEIGHT = 0.93
"""A write to the setting that the victim's own error names as its cause: above the victim and above a generic
related write or a tightened bound (which only fit the error by its words), below nothing that says less."""
LEAD = timedelta(hours=24)
READS = "governing_change"
MAX_READS = 6
SLACK = timedelta(minutes=2)
"""Log and change clocks differ a little; an error first printed more than this before the write predates it."""
HISTORY_WINDOW = "24h"
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Rollout")

Call = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class Setting:
    """One setting a write touched: its key, old and new values (None: not recorded)."""

    key: str
    old: str | None
    new: str | None

    def text(self) -> str:
        if self.old is None and self.new is None:
            return f"{self.key} rewritten"
        if self.old is None:
            return f"{self.key} now {self.new}"
        return f"{self.key}: {self.old} -> {self.new}"


_ENV = re.compile(r"^\S+ env (?P<key>[A-Za-z_][\w.]*)(?:=(?P<old>'.*'|\S+)| \(unset\)) -> "
                  r"(?:(?P=key)=(?P<new>'.*'|\S+)|unset)$")
_LISTS = re.compile(r"^\S+ (?:args|command) (?P<old>\[.*\]|None) -> (?P<new>\[.*\]|None)$")
_ARROW = re.compile(r"^(?P<key>[\w.\[\]=/-]+): (?P<old>.+?) -> (?P<new>.+)$")
_SET = re.compile(r"^(?P<key>[\w.\[\]=/-]+) = (?P<new>.+?)(?: \(current\))?$")
_DATA_VALUES = re.compile(r"^data key (?P<key>\S+) (?P<old>'.*') -> (?P<new>'.*')")
_DATA_KEY = re.compile(r"^(?:binary)?[dD]ata key (?P<key>\S+) (?:set|added|removed|changed|written)\b")
_WRITTEN = re.compile(r"^(?P<key>[\w.\[\]=/-]+) written by .+? \(now (?P<new>.+)\)$")
_SUMMARY_KEYS = re.compile(r"\bwith keys?: (?P<keys>[\w.,\s/-]+)$")
_FLAG = re.compile(r"^(?P<key>--?[\w.-]+)(?:=(?P<value>.*))?$")
_LINE = re.compile(r"^\s*(?P<key>[\w.-]+)\s*[=:]\s*\"?(?P<value>[^\"#;\n]*?)\"?\s*$")
_XML_LEAF = re.compile(r"<(?P<key>[\w.-]+)>(?P<value>[^<>\n]*)</(?P=key)>")
_ODYSSEY_POOL = re.compile(r"^\s*pool\s+\"(?P<value>\w+)\"", re.M)


def _flags(tokens: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for tok in re.findall(r"'([^']*)'|\"([^\"]*)\"", tokens):
        word = tok[0] or tok[1]
        if m := _FLAG.match(word):
            out[m["key"]] = m["value"] if m["value"] is not None else ""
    return out


def settings_of(change: dict[str, Any]) -> list[Setting]:
    """Every setting one timeline change touched, by the shape of its diff lines."""
    out: list[Setting] = []
    for line in (str(d) for d in change.get("diff") or []):
        if m := _ENV.match(line):
            was = _unquote(m["old"]) if m["old"] is not None else "(unset)"
            out.append(Setting(m["key"], was, _unquote(m["new"]) if m["new"] is not None else "(unset)"))
        elif m := _LISTS.match(line):
            old, new = _flags(m["old"]), _flags(m["new"])
            out += [Setting(k, old.get(k), new.get(k)) for k in {**old, **new} if old.get(k) != new.get(k)]
        elif m := _DATA_VALUES.match(line):
            old_text, new_text = _unquote(m["old"]) or "", _unquote(m["new"]) or ""
            old_lines, new_lines = config_lines(old_text), config_lines(new_text)
            leaves = [Setting(k, old_lines.get(k), new_lines.get(k)) for k in {**old_lines, **new_lines}
                      if old_lines.get(k) != new_lines.get(k)]
            out += leaves or [Setting(m["key"], old_text, new_text)]
        elif m := _DATA_KEY.match(line):
            out.append(Setting(m["key"], None, None))
        elif m := _ARROW.match(line):
            out.append(Setting(m["key"], _unquote(m["old"]), _unquote(m["new"])))
        elif (m := _SET.match(line)) or (m := _WRITTEN.match(line)):
            out.append(Setting(m["key"], None, _unquote(m["new"])))
    if not out and (m := _SUMMARY_KEYS.search(str(change.get("summary") or ""))):  # a Secret: key names only
        out += [Setting(k.strip(), None, None) for k in m["keys"].split(",") if k.strip()]
    return out


def config_lines(text: str) -> dict[str, str]:
    """`key = value` / `key: value` lines of an ini, toml, yaml or properties text, plus Odyssey's `pool "x"`."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        if m := _LINE.match(line):
            out.setdefault(m["key"], m["value"].strip())
    for m in _XML_LEAF.finditer(text):  # ClickHouse users.xml/config.xml, Hadoop-style XML: <name>value</name>
        out.setdefault(m["key"], m["value"].strip())
    for m in _ODYSSEY_POOL.finditer(text):
        out.setdefault("pool", m["value"])
    return out


# ---- what was found -----------------------------------------------------------------------------------


@dataclass
class GoverningChange:
    """A recent write to a setting that governs an error on the subject's path."""

    target: Ref
    family: gs.Governed
    setting: Setting
    error: str
    how: str
    at: str
    minutes_before: int
    victims: list[Ref] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


def _changes(facts: Facts) -> list[tuple[dict[str, Any], str]]:
    out = [(c, facts.changes_id or "") for c in facts.change_list()]
    out += [(c, e) for h, e in facts.history for c in h.get("changes") or [] if isinstance(c, dict)]
    return out


def _recent(facts: Facts, change: dict[str, Any]) -> tuple[Ref, datetime] | None:
    target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
    if target is None or at is None or not timedelta(0) <= facts.at - at <= LEAD:
        return None
    return target, at


def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(READS, {})  # type: ignore[no-any-return]


def _errors(facts: Facts) -> list[tuple[gs.Governed, str, Ref | None]]:
    """Each governed family the path's failure texts show, with the first text and its owner."""
    out: list[tuple[gs.Governed, str, Ref | None]] = []
    for text, owner in _path_texts(facts):
        for g in gs.TABLE:
            if g.error.search(text) and not any(o[0] is g for o in out):
                out.append((g, text, owner))
    return out


def _first_seen(facts: Facts, family: gs.Governed) -> datetime | None:
    """When the path's logs first printed the family's error (None: the lines carry no timestamps)."""
    seen = [t for log in facts.logs for e in [log.top or {}, *log.more, *log.warnings]
            if family.error.search(str(e.get("example") or e.get("message") or ""))
            and (t := parse_time(e.get("first_seen"))) is not None]
    return min(seen) if seen else None


def _reached(facts: Facts) -> set[str]:
    """Namespaces the erroring pods call: their topology and log hosts, and host labels in their env and args."""
    own = {log.namespace for log in facts.logs}
    out = _path_namespaces(facts) - own
    for word in _store(facts).get("pod_words") or []:
        for m in re.finditer(r"[\w-]+\.(?P<ns>[a-z0-9][a-z0-9-]*)(?:\.svc\b|:\d)", str(word)):
            out.add(m["ns"])
    return out


_WRITE_ENDPOINT = re.compile(r"(?:^|-)(?:rw|primary|master|writer?|leader|main)(?:-|$)", re.I)


def _server_relation(side: str, family: gs.Governed, target: Ref, setting: Setting, facts: Facts) -> str:
    """How the written object relates to the server, key material or endpoint the error names, or ""."""
    names = _known_names(facts)
    pod_words = " ".join(_store(facts).get("pod_words") or [])
    engine = family.engine
    names_engine = engine is not None and bool(engine.search(target.kind) or engine.search(target.name)
                                               or engine.search(setting.key))
    if side == "server":
        if target.name in names and target.kind not in WORKLOADS:
            return "is a dependency of the subject (topology)"
        if target.namespace in _reached(facts):
            return f"configures the server in {target.namespace}, which the erroring pod calls"
        if names_engine:
            return "configures the server whose error the subject prints (its kind or name names that software)"
        return ""
    if side == "keys":
        if target.kind not in ("Secret", "ConfigMap") and not names_engine:
            return ""
        if len(target.name) >= 3 and _word(target.name).search(pod_words):
            return "holds the key material the erroring verifier mounts"
        if family.setting.search(target.name) or family.setting.search(setting.key):
            return "holds token signing keys: a rotation changes the key every new token is signed with"
        return ""
    if side == "endpoint":
        if target.kind != "Service" and target.kind not in WORKLOADS:
            return ""
        if target.kind in WORKLOADS:
            return "is the erroring process's own workload (its host setting)" if target.name in names else ""
        if len(target.name) >= 3 and _word(target.name).search(pod_words):
            return "is the Service the erroring client is configured with"
        if names_engine and (_WRITE_ENDPOINT.search(target.name) or target.namespace in _reached(facts)):
            return "is the database's write Service (its name marks the write endpoint)"
        return ""
    return ""


def _word(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w]|-[^\W\d])", re.I)


def _relation(side: str, target: Ref, change: dict[str, Any], facts: Facts) -> str:
    """How the written object sits on `side` of the subject, or "" when it does not."""
    store = _store(facts)
    pod_words = " ".join(store.get("pod_words") or [])
    names = _known_names(facts)
    if side == "self":
        if target.name in names and target.kind in WORKLOADS:
            return "is the erroring process's own workload"
        if len(target.name) >= 3 and _word(target.name).search(pod_words):
            return "is mounted or referenced by the erroring pod"
        if target.namespace in {log.namespace for log in facts.logs} and gs.TRUST_SETTINGS.search(target.name):
            return f"is a trust bundle in {target.namespace}, the erroring pod's namespace"
        return ""
    if side == "peer":
        if target.name in names:
            return "is a dependency of the subject (topology)"
        text = " ".join([str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or []),
                         *(store.get("peer_words") or {}).get(str(target), [])])
        subject = [n for n in names if len(n) >= 4 and _word(n).search(text)]
        if subject:
            return f"is a client of {subject[0]} (its spec names it)"
        return ""
    if side == "pooler":
        if target.name in names:
            return "is the connection pooler on the subject's path (topology)"
        if target.namespace in _path_namespaces(facts):
            return f"is the connection pooler in {target.namespace}, on the subject's path"
        return "is the connection pooler the error's wording points at (only transaction pooling loses it)"
    return ""


def _looser(family: gs.Governed, setting: Setting) -> bool:
    """A limit that was raised (or kept), not lowered: it cannot explain hitting the limit."""
    if not family.tighter or setting.old is None or setting.new is None:
        return False
    old, new = magnitude(setting.old, "size"), magnitude(setting.new, "size")
    return old is not None and new is not None and new >= old


def _pooler_settings(target: Ref, setting: Setting, facts: Facts) -> list[Setting]:
    """A pooler config key rewritten without values: its current pool mode, from the object read."""
    if not (gs.POOLERS.search(target.name) or gs.POOLERS.search(setting.key)):
        return [setting]
    lines = ((_store(facts).get("objects") or {}).get(str(target)) or {}).get(setting.key)
    if not isinstance(lines, dict):
        return [setting]
    if any(gs.PREPARED_KEPT.match(k) and str(v).isdigit() and int(v) > 0 for k, v in lines.items()):
        return []  # prepared statements survive transaction pooling in this pooler
    return [Setting(k, None, str(v)) for k, v in lines.items() if re.fullmatch(r"pool_mode|pool", k)] or [setting]


def _needs_value(family: gs.Governed, setting: Setting) -> bool:
    """A ConfigMap key written with no value recorded, for a family that judges the value (not any write)."""
    return setting.new is None and bool(family.setting.search(setting.key)) and not family.harmful(setting.key, None)


def _current_value(family: gs.Governed, target: Ref, setting: Setting, facts: Facts) -> Setting:
    """The key's current value, read from the ConfigMap, when the timeline says only that it was written."""
    if not _needs_value(family, setting):
        return setting
    value = ((_store(facts).get("values") or {}).get(str(target)) or {}).get(setting.key)
    return Setting(setting.key, setting.old, str(value)) if value is not None else setting


MAX_FILE = 20000
"""The longest ConfigMap value whose leaves are read for a file rewritten without values recorded."""
MAX_LEAVES = 6


def _file_needs_leaves(family: gs.Governed, target: Ref, setting: Setting) -> bool:
    """A ConfigMap key rewritten with no values recorded, named like a file rather than a setting of the family
    (`config.yaml`, `kong.yml`), on an object named after the family's software: its settings are inside."""
    return (target.kind == "ConfigMap" and setting.old is None and setting.new is None
            and not family.setting.search(setting.key) and family.engine is not None
            and bool(family.engine.search(target.name) or family.engine.search(setting.key)))


def file_leaves(text: str, family: gs.Governed) -> list[tuple[str, str]]:
    """The family's settings as a config file's text now sets them, in order and with repeats (one per rule)."""
    out: list[tuple[str, str]] = []
    for line in text.splitlines():
        m = _LINE.match(line.lstrip(" -"))
        if m and m["value"].strip() and family.setting.search(m["key"]):
            out.append((m["key"], m["value"].strip()))
    return out[:MAX_LEAVES]


def _leaves(family: gs.Governed, target: Ref, setting: Setting, facts: Facts) -> Setting:
    """A file key rewritten without values, said by the family's settings it now holds (read from the ConfigMap):
    `config.yaml.unit now unit: hour, requests_per_unit: 600`. Unchanged when none is read."""
    if not _file_needs_leaves(family, target, setting):
        return setting
    text = ((_store(facts).get("files") or {}).get(str(target)) or {}).get(setting.key)
    leaves = file_leaves(text, family) if isinstance(text, str) else []
    if not leaves:
        return setting
    return Setting(f"{setting.key}.{leaves[0][0]}", None, ", ".join(f"{k}: {v}" for k, v in leaves))


def found(facts: Facts) -> list[GoverningChange]:
    """Each recent write to a setting that governs an error the subject's path shows, on the side it lives."""
    out: list[GoverningChange] = []
    for family, error, owner in _errors(facts):
        first = _first_seen(facts, family)
        for change, evidence in sorted(_changes(facts), key=lambda c: str(c[0].get("at") or ""), reverse=True):
            recent = _recent(facts, change)
            if recent is None:
                continue
            target, at = recent
            for raw in settings_of(change):
                raw = _leaves(family, target, _current_value(family, target, raw, facts), facts)
                for setting in _pooler_settings(target, raw, facts) if "pooler" in family.sides else [raw]:
                    named = family.setting.search(setting.key) or (
                        family.name in ("tls_trust", "jwt_signature") and family.setting.search(target.name))
                    if not named or not family.harmful(setting.key, setting.new) or _looser(family, setting):
                        continue
                    if first is not None and first < at - SLACK:
                        continue  # the error was printed before the write: the write did not start it
                    how = next((h for side in family.sides if (h := _relation(side, target, change, facts)
                                                               or _server_relation(side, family, target, setting,
                                                                                   facts))), "")
                    if not how or any(g.target.same_object(target) for g in out):
                        continue
                    out.append(GoverningChange(target, family, setting, error, how, str(change.get("at")),
                                               int((facts.at - at).total_seconds() // 60),
                                               [owner] if owner is not None else [], [e for e in (evidence,) if e]))
    for issued in _store(facts).get("issuers") or []:
        value = str(issued.get("value") or "")
        if not gs.ISSUER.harmful("spec.acme.server", value):
            continue
        target = Ref(str(issued["kind"]), str(issued.get("namespace") or ""), str(issued["name"]))
        when = parse_time(issued.get("at"))
        minutes = int((facts.at - when).total_seconds() // 60) if when else 0
        if when is not None and facts.at - when > LEAD * 7:
            continue  # pointed at staging long ago: this renewal did not start it
        cert = Ref("Certificate", str(issued["cert_namespace"]), str(issued["cert"]))
        out.append(GoverningChange(target, gs.ISSUER, Setting("spec.acme.server", None, value),
                                   f"{cert} was renewed through {target}", f"issues {cert}, renewed in "
                                   f"{cert.namespace} just before the incident", str(issued.get("at") or ""),
                                   minutes, [cert], [str(e) for e in issued.get("evidence") or [] if e]))
    return out


def finding(g: GoverningChange) -> dict[str, Any]:
    """The finding: error -> meaning -> setting -> object, old -> new, when."""
    when = f"{g.minutes_before} min before the incident ({g.at})" if g.at else "before the incident"
    if g.family is gs.ISSUER:
        message = (f"{g.target} points its ACME server at a staging directory ({g.setting.text()}, written {when}); "
                   f"it {g.how}, so the served certificate chains to an untrusted staging root: {g.family.meaning}. "
                   "Point spec.acme.server back at the production directory and renew the Certificate")
    else:
        gloss = f" ({g.family.headline})" if g.family.headline else ""
        message = (f"{g.target} changed the setting that governs the subject's error {when}: {g.setting.text()}"
                   f"{gloss}; it "
                   f"{g.how}. The error '{g.error[:180]}' means {g.family.meaning}. Restore the setting "
                   "on that object rather than restarting the victim")
    return {"check": CHECK, "severity": "critical", "object": {"kind": g.target.kind, "namespace":
                                                               g.target.namespace, "name": g.target.name},
            "reason": "GoverningSettingChanged", "message": message, "evidence": [g.error[:200], g.setting.text()],
            "details": {"family": g.family.name, "setting": g.setting.key, "old": g.setting.old,
                        "new": g.setting.new, "change_at": g.at, "relation": g.how}}


# ---- reading ------------------------------------------------------------------------------------------


def _managed_at(obj: dict[str, Any], field_name: str) -> tuple[str, str]:
    """When and by whom `field_name` (managedFields' `f:name`) was last written, from the object's own fields."""
    best = ("", "")
    for entry in (obj.get("metadata") or {}).get("managedFields") or []:
        if isinstance(entry, dict) and f"f:{field_name}" in str(entry.get("fieldsV1") or ""):
            at = str(entry.get("time") or "")
            if at > best[0]:
                best = (at, str(entry.get("manager") or ""))
    return best


def _obj_words(obj: dict[str, Any]) -> list[str]:
    spec = obj.get("spec") or {}
    spec = (spec.get("template") or {}).get("spec") or spec
    words = [str((v.get("configMap") or {}).get("name") or (v.get("secret") or {}).get("secretName") or "")
             for v in spec.get("volumes") or [] if isinstance(v, dict)]
    for c in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        words += [str(x) for x in (c.get("args") or []) + (c.get("command") or [])]
        words += [str((r.get("configMapRef") or r.get("secretRef") or {}).get("name") or "")
                  for r in c.get("envFrom") or [] if isinstance(r, dict)]
        for e in c.get("env") or []:
            if isinstance(e, dict):
                words.append(str(e.get("value") or ""))
                ref = (e.get("valueFrom") or {})
                words.append(str((ref.get("configMapKeyRef") or ref.get("secretKeyRef") or {}).get("name") or ""))
    return [w for w in words if w]


async def read(subject: Subject, facts: Facts, call: Call) -> None:
    """Reading only: the erroring pod's references, a peer workload's spec, a pooler config's current text, and
    the issuer of a Certificate renewed on the path."""
    store = _store(facts)
    errors = _errors(facts)
    reads = 0
    if errors and not any(h.get("window") in (HISTORY_WINDOW, "48h") for h, _ in facts.history):
        # a client setting can lie latent for hours (a consistency level harmless until a replica restarts)
        at = facts.at.isoformat().replace("+00:00", "Z")
        got = await call("k8s_changes", {"at": at, "window": HISTORY_WINDOW}, "survey-governing-history")
        reads += 1
        if got is not None and got.ok and isinstance(got.data, dict):
            facts.history.append(({**got.data, "window": HISTORY_WINDOW}, got.evidence_id))
    if errors and facts.logs:
        owners = {o.name for _, _, o in errors if o is not None and o.kind == "Pod"}
        log = next((lg for lg in facts.logs if lg.pod in owners), None) or next(
            (lg for lg in facts.logs if lg.pod), None)  # the pod that prints the error, not a neighbour
        if log is not None:
            got = await get_yaml(call, "Pod", log.pod, log.namespace, "survey-governing-pod")
            reads += 1
            if got is not None:
                store["pod_words"] = _obj_words(got[0])[:200]
    families = {g.name for g, _, _ in errors}
    for change, _ in _changes(facts):
        recent = _recent(facts, change)
        if recent is None or reads >= MAX_READS:
            continue
        target, _ = recent
        settings = settings_of(change)
        if "grpc_too_many_pings" in families and target.kind in WORKLOADS and any(
                gs.BY_NAME["grpc_too_many_pings"].setting.search(s.key) for s in settings):
            got = await get_yaml(call, target.kind, target.name, target.namespace,
                                 f"survey-governing-peer-{target.name}")
            reads += 1
            if got is not None:
                store.setdefault("peer_words", {})[str(target)] = _obj_words(got[0])[:200]
        if "pooler_prepared_statement" in families and target.kind == "ConfigMap" and any(
                s.new is None for s in settings):
            got = await get_yaml(call, "ConfigMap", target.name, target.namespace,
                                 f"survey-governing-config-{target.name}")
            reads += 1
            if got is not None:
                data = got[0].get("data") or {}
                store.setdefault("objects", {})[str(target)] = {
                    k: config_lines(str(v)) for k, v in data.items() if isinstance(v, str)}
        if target.kind == "ConfigMap" and str(target) not in (store.get("values") or {}) and any(
                _needs_value(g, s) for g, _, _ in errors for s in settings):
            got = await get_yaml(call, "ConfigMap", target.name, target.namespace,
                                 f"survey-governing-value-{target.name}")
            reads += 1
            if got is not None:  # ConfigMaps only: a Secret's values are never read
                data = got[0].get("data") or {}
                store.setdefault("values", {})[str(target)] = {
                    k: v for k, v in data.items() if isinstance(v, str) and len(v) <= 200}
        if target.kind == "ConfigMap" and str(target) not in (store.get("files") or {}) and any(
                _file_needs_leaves(g, target, s) for g, _, _ in errors for s in settings):
            got = await get_yaml(call, "ConfigMap", target.name, target.namespace,
                                 f"survey-governing-file-{target.name}")
            reads += 1
            if got is not None:  # ConfigMaps only: a Secret's values are never read
                data = got[0].get("data") or {}
                store.setdefault("files", {})[str(target)] = {
                    k: v for k, v in data.items() if isinstance(v, str) and len(v) <= MAX_FILE}
        if target.kind == "Certificate" and target.namespace in _path_namespaces(facts):
            await _issuer(facts, call, target, store)
            reads += 2


async def _issuer(facts: Facts, call: Call, cert: Ref, store: dict[str, Any]) -> None:
    """The issuer named in a renewed Certificate's issuerRef, and when its ACME server was last written."""
    got = await get_yaml(call, "Certificate", cert.name, cert.namespace, f"survey-governing-cert-{cert.name}")
    if got is None:
        return
    ref = (got[0].get("spec") or {}).get("issuerRef") or {}
    kind, name = str(ref.get("kind") or "Issuer"), str(ref.get("name") or "")
    if not name:
        return
    namespace = "" if kind == "ClusterIssuer" else cert.namespace
    issuer = await get_yaml(call, kind, name, namespace, f"survey-governing-issuer-{name}")
    if issuer is None:
        return
    server = str(((issuer[0].get("spec") or {}).get("acme") or {}).get("server") or "")
    at, manager = _managed_at(issuer[0], "server")
    if not at:  # managedFields not served: the ACME account is re-registered when the server changes
        at = max((str(c.get("lastTransitionTime") or "") for c in (issuer[0].get("status") or {}).get("conditions")
                  or [] if isinstance(c, dict) and "ACME" in str(c.get("reason") or "")), default="")
    store.setdefault("issuers", []).append({
        "kind": kind, "namespace": namespace, "name": name, "value": server, "at": at, "manager": manager,
        "cert": cert.name, "cert_namespace": cert.namespace, "evidence": [got[1], issuer[1]]})
