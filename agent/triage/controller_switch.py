"""A controller-wide switch, written shortly before the incident, that turned off a feature an object relies on.

A controller serves many objects from one set of global settings: ingress-nginx's controller ConfigMap
(`allow-snippet-annotations`, `annotations-risk-level`, `enable-annotation-validation`...), Traefik's provider
flags (`--providers.kubernetescrd.allowCrossNamespace`, `allowExternalNameServices`), Contour's, cert-manager's
or external-dns's flags and feature gates. Turning one off is written once, in the controller's namespace, yet
it breaks an object in another team's namespace that used the feature: the controller no longer builds that
object (a skipped Ingress leaves its host to the default backend's 404, a route whose Service is refused answers
nothing) and says so in its own log, in its own words: ingress-nginx's `skipping ingress docs/portal:
nginx.ingress.kubernetes.io/configuration-snippet annotation cannot be used. Snippet directives are disabled by
the Ingress administrator`, Traefik's `externalName services not allowed: default/legacy`.

The survey reads (`read`) each recent write to a controller's settings: a ConfigMap's data keys that a workload
uses, or a workload's args/env (the flags themselves). It splits the written setting's name into its words
(`allow-snippet-annotations` -> `snippet`; `allowExternalNameServices` -> `external`), greps the controller's
pods for each, and keeps the lines. `found` is pure over what was kept: the write is the cause when, from the
write on and never before, the controller prints a line that both refuses (skipping / ignoring / rejected /
not allowed / cannot be used / disabled) and names an object (`namespace/name`), and that line carries a word
of the written setting. The finding names the switch, its value, the object skipped and the controller's line.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, minutes_text, parse_time
from agent.triage.kube_reads import get_yaml
from agent.triage.proxy_config import line_time
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.controller_switch"
WEIGHT = 0.93
"""The controller's own word that it skipped an object for the feature a write just turned off: stronger than the
object's symptom (404s, a failing probe) and than unrelated rollouts near the object."""
STORE = "controller_switch"
LEAD = timedelta(hours=24)
SLACK = timedelta(minutes=1)
MAX_WRITES = 3
MAX_GREPS = 6
WORKLOADS = frozenset({"Deployment", "DaemonSet", "StatefulSet"})

Call = Callable[..., Awaitable[Any]]

REFUSES = re.compile(
    r"\b(?:skipping|skipped|skip|ignoring|ignored|rejecting|rejected|refusing|refused|not allowed|"
    r"cannot be used|can not be used|is disabled|are disabled|disabled by|not permitted|forbidden|disallowed|"
    r"not (?:currently )?enabled|is not in the \w+ namespace)\b", re.I)
"""A controller's wording for an object it will not build: ingress-nginx's `skipping ingress ...: ... cannot be
used`, Traefik's `... not allowed: ns/name`, Contour's and external-dns's `ignoring`/`skipping`; Traefik's
cross-namespace refusals (`middleware ns/name is not in the IngressRoute namespace x`, `with crossnamespace
disallowed, the namespace field needs to be explicitly specified`); Contour's `ns/name is an ExternalName service,
these are not currently enabled`."""
_OBJECT = re.compile(r"(?<![\w./-])([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)/([a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?)"
                     r"(?![\w/-])")
"""`namespace/name`: a namespace has no dot, which keeps annotation keys (`nginx.ingress.kubernetes.io/x`) out."""
_KIND_BEFORE = re.compile(r"\b(ingress(?:route)?|httpproxy|httproute|service|middleware|certificate|gateway|"
                          r"endpoint|route|tlsoption)s?\s*[\"']?$", re.I)
_DATA_KEY = re.compile(r"\bdata key (\S+)")
_FLAG = re.compile(r"--?([A-Za-z][\w.-]*)(?:[= ]([^\s,;'\"]*))?")
_ENV = re.compile(r"\b([A-Z][A-Z0-9_]{3,})=['\"]?([^\s,;'\"]*)")
_ENV_NOW = re.compile(r"\benv ([A-Za-z_][\w]*) now '([^']*)'")
"""The timeline's wording of a written variable: `traefik env TRAEFIK_X now 'false'`."""
GENERIC = frozenset({
    "allow", "allowed", "enable", "enabled", "disable", "disabled", "true", "false", "annotations", "annotation",
    "providers", "provider", "kubernetes", "kubernetescrd", "kubernetesingress", "ingress", "controller", "config",
    "configuration", "feature", "gates", "gate", "level", "mode", "default", "global", "name", "names", "services",
    "service", "with", "from", "data", "key", "keys", "value", "spec", "template", "containers", "args", "env",
    "set", "use", "only", "experimental"})
"""Words of a setting's name that say nothing about WHICH feature it switches."""


def words_of(setting: str) -> list[str]:
    """The feature words of a setting's name: split on `-_.`, camelCase and digits, lower-cased, generic words out
    (`allow-snippet-annotations` -> ['snippet']; `allowExternalNameServices` -> ['external'];
    `TRAEFIK_PROVIDERS_KUBERNETESCRD_ALLOWEXTERNALNAMESERVICES` -> ['externalnameservices'])."""
    parts = re.split(r"[-_./=\s]+|(?<=[a-z0-9])(?=[A-Z])", setting)
    if re.fullmatch(r"[A-Z][A-Z0-9_]+", setting) and len(parts) > 1:
        parts = parts[1:]  # an environment variable's first segment is the software's prefix (TRAEFIK_, CONTOUR_)
    words = [re.sub(r"^(?:allow|enable|disable)d?(?=[a-z]{4})", "", p.lower()) for p in parts]
    out = [w for w in words if len(w) >= 4 and w not in GENERIC and not w.isdigit()]
    return list(dict.fromkeys(out))


def _stem(word: str) -> str:
    """A word's first letters (up to 7): `snippets` and `snippet`, `external` and `externalName` meet."""
    return word[:7]


@dataclass(frozen=True)
class Switch:
    """One written setting of a controller: where it is, its name and current value, and its feature words."""

    target: Ref
    setting: str
    value: str
    words: tuple[str, ...]


SWITCHED = re.compile(r"^(?:true|false|on|off|yes|no|enabled?|disabled?|0|1)$", re.I)
SWITCH_NAME = re.compile(r"allow|enable|disable|feature[-_.]?gates?|risk[-_.]?level|strict|validation", re.I)


def _switch_like(name: str, value: str) -> bool:
    """A flag or variable that turns a feature on or off: a boolean value, or a name that says allow/enable/
    disable/feature gates (a workload's args list every flag, not only the one written)."""
    return bool(SWITCHED.match(value.strip("'\"")) or SWITCH_NAME.search(name))


def _switches(change: dict[str, Any], target: Ref) -> list[Switch]:
    """The settings a write set: a ConfigMap's written data keys (value read later; switch-like keys first), a
    workload's written switch-like flags (`--a.b.allowX=false`) and environment variables."""
    texts = [str(d) for d in [*(change.get("diff") or []), change.get("summary") or ""]]
    out: list[Switch] = []
    if target.kind == "ConfigMap":
        for key in dict.fromkeys(m.group(1) for t in texts for m in _DATA_KEY.finditer(t)):
            if words_of(key):
                out.append(Switch(target, key, "", tuple(words_of(key))))
        return sorted(out, key=lambda s: not SWITCH_NAME.search(s.setting))
    for t in [part for text in texts for part in reversed(text.split(" -> "))]:  # the new value before the old
        pairs = [(m.group(1), m.group(2) or "") for m in [*_FLAG.finditer(t), *_ENV.finditer(t)]]
        pairs += [(m.group(1), m.group(2)) for m in _ENV_NOW.finditer(t)]
        for name, value in pairs:
            if "." not in name and "_" not in name and "-" not in name and not re.search(r"[a-z][A-Z]", name):
                continue  # a bare word after a dash is prose, not a flag
            if _switch_like(name, value) and words_of(name) and not any(s.setting == name for s in out):
                out.append(Switch(target, name, value, tuple(words_of(name))))
    return out


def candidates(facts: Facts) -> list[tuple[dict[str, Any], Ref, list[Ref], list[Switch]]]:
    """Recent writes to a controller's settings: (change, written object, its controller workloads, switches)."""
    out: list[tuple[dict[str, Any], Ref, list[Ref], list[Switch]]] = []
    for change, _ in facts.every_change():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or not facts.at - LEAD <= at <= facts.at + SLACK:
            continue
        if target.kind == "ConfigMap":
            users = [r for r in (Ref.of(x) for x in change.get("related") or []) if r and r.kind in WORKLOADS]
            m = re.search(r"\(used by ([A-Za-z]+) ([\w.-]+)/([\w.-]+)", str(change.get("summary") or ""))
            if m and not users:
                users = [Ref(m.group(1), m.group(2), m.group(3))]
        elif target.kind in WORKLOADS:
            users = [target]
        else:
            continue
        switches = _switches(change, target)
        if users and switches and not any(t.same_object(target) for _, t, _, _ in out):
            out.append((change, target, users, switches))
    return sorted(out, key=lambda c: str(c[0].get("at")), reverse=True)[:MAX_WRITES]


async def _pods(call: Call, user: Ref, step: str) -> list[str]:
    """Up to two listed pods of the controller workload (a rollout the write caused leaves old and new ones)."""
    outcome = await call("k8s_list", {"kind": "Pod", "namespace": user.namespace}, step)
    if outcome is None or not outcome.ok or not isinstance(outcome.data, dict):
        return []
    rows = [r for r in outcome.data.get("rows") or [] if isinstance(r, dict)]
    names = [str(r.get("name")) for r in rows if workload_of_pod(str(r.get("name") or "")) == user.name]
    return list(reversed(names))[:2] if len(names) > 2 else names


async def read(_subject: Subject, facts: Facts, call: Call, _at: str) -> None:
    """Reading only: each recent controller-setting write's ConfigMap values and its controller's log lines that
    carry one of the written settings' feature words (facts.reads[STORE])."""
    if STORE in facts.reads:
        return
    store: list[dict[str, Any]] = facts.reads.setdefault(STORE, [])
    greps = 0
    for change, target, users, switches in candidates(facts):
        evidence: list[str] = []
        if target.kind == "ConfigMap":
            got = await get_yaml(call, "ConfigMap", target.name, target.namespace, f"survey-switch-cm-{target.name}")
            if got is None:
                continue
            data = got[0].get("data") or {}
            switches = [Switch(s.target, s.setting, str(data.get(s.setting, "")).strip(), s.words) for s in switches
                        if s.setting in data and "\n" not in str(data.get(s.setting, ""))
                        and _switch_like(s.setting, str(data.get(s.setting, "")).strip())]
            # a limit or a file is no on/off switch: limits are limit_hit's and proxy_config's to judge
            evidence.append(got[1])
        words = list(dict.fromkeys(w for s in switches for w in s.words))[:2]
        for user in users[:1]:
            for pod in await _pods(call, user, f"survey-switch-pods-{user.name}"):
                for word in words:
                    if greps >= MAX_GREPS:
                        break
                    greps += 1
                    logs = await call("k8s_logs", {"name": pod, "namespace": user.namespace, "grep": _stem(word),
                                                   "tail": 10000, "budget_tokens": 2000},
                                      f"survey-switch-logs-{pod}-{greps}")
                    if logs is None or not logs.ok:
                        continue
                    store.append({"change": change, "target": target, "switches": switches, "user": user,
                                  "pod": pod, "word": word, "text": str(logs.full_text or ""),
                                  "evidence": [e for e in (*evidence, logs.evidence_id) if e]})


@dataclass
class Skipped:
    """A controller-setting write after which the controller refuses an object for the feature it switched."""

    target: Ref
    switch: Switch
    written: datetime
    manager: str
    controller: Ref
    pod: str
    skipped: str
    """`namespace/name` of the object the controller refuses, with its kind when the line gives it."""
    lines: list[str]
    evidence: list[str] = field(default_factory=list)


_FIELD_KIND = re.compile(r"[\"']?\b(ingress(?:route)?|httpproxy|httproute|service|certificate|gateway)[\"']?\s*[=:]\s*"
                         r"[\"']?([a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?)[\"']?", re.I)
_FIELD_NS = re.compile(r"[\"']?\bnamespace[\"']?\s*[=:]\s*[\"']?([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)[\"']?(?![\w-])")
"""A structured line's object fields: Traefik's logfmt `ingress=route namespace=ns` (or its JSON `"ingress":...`)."""


def object_in(line: str) -> str:
    """The object a controller's refusal names: `ingress docs/portal`, else the first `namespace/name`, else a
    structured line's kind and namespace fields (`... ingress=authelia-route namespace=auth` -> `ingress
    auth/authelia-route`: Traefik names the route it refuses only there)."""
    found = list(_OBJECT.finditer(line))
    for m in found:
        kind = _KIND_BEFORE.search(line[:m.start()])
        if kind:
            return f"{kind.group(1).lower()} {m.group(0)}"
    if found:
        return found[0].group(0)
    kind_field, ns_field = _FIELD_KIND.search(line), _FIELD_NS.search(line)
    if kind_field and ns_field:
        return f"{kind_field.group(1).lower()} {ns_field.group(1)}/{kind_field.group(2)}"
    return ""


def _refusal(line: str, switch: Switch) -> str:
    """The object the line refuses for this switch's feature ('' when the line is no such refusal)."""
    lowered = line.lower()
    if not REFUSES.search(line) or not any(_stem(w) in lowered for w in switch.words):
        return ""
    return object_in(line)


def _manager(change: dict[str, Any]) -> str:
    m = re.search(r"\b(?:set|updated|written) by ([\w.@-]+)", str(change.get("summary") or ""))
    return m.group(1).rstrip(":,") if m else ""


def found(facts: Facts) -> list[Skipped]:
    """Each write one of whose switches the controller names when refusing an object from the write on, never
    before (a refusal older than the write is the controller's chronic state, not this write's doing)."""
    out: list[Skipped] = []
    for entry in facts.reads.get(STORE) or []:
        change, target = entry["change"], entry["target"]
        written = parse_time(change.get("at"))
        if written is None or any(s.target.same_object(target) for s in out):
            continue
        lines = [ln.strip() for ln in str(entry.get("text") or "").splitlines()[1:] if ln.strip()]
        for switch in entry["switches"]:
            if entry["word"] not in switch.words:
                continue
            hits = [(line_time(ln), ln, _refusal(ln, switch)) for ln in lines]
            hits = [(t, ln, obj) for t, ln, obj in hits if obj]
            if not hits or any(t is not None and t < written - SLACK for t, _, _ in hits):
                continue
            out.append(Skipped(target, switch, written, _manager(change), entry["user"], entry["pod"], hits[0][2],
                               [ln for _, ln, _ in hits], list(entry.get("evidence") or [])))
            break
    return out


def _quote(line: str) -> str:
    """The controller's own sentence, at most 220 characters: from its refusal verb on (`skipping ingress ...`),
    else a JSON line's `error`/`msg` fields, else the text after klog's `file.go:123]` header."""
    first = re.search(r"\b(?:skipping|ignoring|rejecting|refusing)\b", line, re.I)
    if first:
        return line[first.start():][:220]
    fields = re.findall(r'"(?:error|err|msg|message)"\s*:\s*"((?:[^"\\]|\\.)*)"', line) or re.findall(
        r'\b(?:error|err|msg)="((?:[^"\\]|\\.)*)"', line)  # JSON fields, else logfmt's (Traefik v2's text lines)
    if fields:
        return ": ".join(fields)[:220]
    header = re.search(r"\.go:\d+\]\s*", line)
    return line[header.end():][:220] if header else line[:220]


def finding(s: Skipped, at: datetime) -> dict[str, Any]:
    """The switch, its value and when; what the controller says of the object since; what that means."""
    value = f"{s.switch.value!r}" if s.switch.value else "(value not recorded)"
    by = f" by {s.manager}" if s.manager else ""
    ago = minutes_text(int((at - s.written).total_seconds() // 60))
    kind_name = s.skipped if " " in s.skipped else f"object {s.skipped}"
    message = (f"{s.target} changed a controller-wide switch: {s.switch.setting} set to {value}{by} {ago} before "
               f"the incident, and since then {s.controller} (the controller that reads it) refuses {kind_name}, "
               f"which relies on that feature: '{_quote(s.lines[0])}' ({len(s.lines)} line"
               f"{'s' if len(s.lines) != 1 else ''} from {s.pod}, none before the write). The controller no longer "
               f"builds {kind_name}, so its traffic falls to the controller's default (404 from the default "
               f"backend, no route): the object did not change; set {s.switch.setting} back in {s.target} or "
               f"drop the feature from {kind_name}")
    return {"check": CHECK, "severity": "critical", "object": {"kind": s.target.kind, "namespace": s.target.namespace,
                                                              "name": s.target.name},
            "reason": "ControllerSwitchSkips", "message": message, "evidence": [s.lines[0][:240]],
            "details": {"setting": s.switch.setting, "value": s.switch.value, "skipped": s.skipped}}


def victims(s: Skipped) -> list[Ref]:
    """The refused object (when the line names its kind) and the controller: the cases this write explains."""
    kinds = {"ingress": "Ingress", "ingressroute": "IngressRoute", "httpproxy": "HTTPProxy", "httproute": "HTTPRoute",
             "service": "Service", "certificate": "Certificate", "gateway": "Gateway", "middleware": "Middleware"}
    out = [s.controller]
    if " " in s.skipped:
        kind, ref = s.skipped.split(" ", 1)
        namespace, name = ref.split("/", 1)
        if kind in kinds:
            out.append(Ref(kinds[kind], namespace, name))
    return out


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The written switch; it explains the controller and the object the controller refuses (behind.py's hook)."""
    return [(s.target, finding(s, facts.at), s.evidence, victims(s)) for s in found(facts)]
