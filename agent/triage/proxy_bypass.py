"""In-cluster calls sent to the egress proxy: the proxy env's NO_PROXY lost the cluster's own domains.

Pods that must reach the internet through an egress proxy (Squid, tinyproxy, an Envoy forward proxy) are given
`HTTP_PROXY`/`HTTPS_PROXY` and a `NO_PROXY` list of what to reach directly: `localhost`, the metadata address
and, above all, the cluster's own names (`.svc`, `.cluster.local`, the pod/service CIDRs). Every common HTTP
client honours that env (Go's net/http, Python requests/httpx, Node's axios/undici with proxy-from-env, curl, the
JVM with the proxy flags). A write of the env's SOURCE that drops `.svc`/`.cluster.local` from NO_PROXY sends
each call to a Service through the proxy, which refuses it (Squid `TCP_DENIED/403`, `ERR_ACCESS_DENIED`; a proxy
that cannot resolve or reach cluster names answers 502/503/504) while the callee is healthy. Only pods created
after the write carry the new env: the older ones keep working, so the rollout or restart that made new pods is
only when it showed.

The source may be any of: a ConfigMap the pods take with `envFrom` (or `valueFrom.configMapKeyRef`), a Secret they
take the same way (an env Secret an operator such as External Secrets or a sealed-secrets controller writes: the
Secret is never read, only the change timeline's KEY NAMES of its write, so its proxy URL and NO_PROXY stay unknown;
it counts only when that write in the LEAD set a proxy key and did not set NO_PROXY, the pod has no NO_PROXY from
elsewhere and its calls to a cluster name got the 403/407 a forward proxy answers with), a mutating
admission policy that injects the env (a Kyverno ClusterPolicy/Policy, a Gatekeeper mutator: the pod has the
env while its ReplicaSet's template has not), or the workload's own template. The survey (`read`, reading only,
and only when the incident shows a refusal or a proxy write: `refusal_symptom`) reads pods of the incident's
workloads, their proxy env, where it came from, and the evidence that calls to a cluster name not covered by
NO_PROXY went to the proxy and were refused: the caller's log (a refusal naming the
cluster host with the proxy's words: squid, proxy, ERR_ACCESS_DENIED, 403/407) or the proxy's own access log
(a denial for that host). `found` is pure.

Not named: a NO_PROXY that covers the cluster's names (the proxy is not in the path), refusals that carry no
proxy's word and are not in the proxy's log (the callee itself said 403), an env source unwritten for longer
than LEAD, pods created before the source's write.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.triage import pod_spec_words
from agent.triage.facts import Facts, Ref, minutes_text, parse_time, said_by, written_by
from agent.triage.kube_reads import get_yaml, pod_of
from agent.triage.subject import Subject, workload_of_pod

CHECK = "change.proxy_bypass"
WEIGHT = 0.95
"""The env source's write sends in-cluster calls to a proxy that refuses them: above the rollout that showed it and
above the callee it names."""
STORE = "proxy_bypass"
LEAD = timedelta(hours=48)
MAX_PODS = 6
LOG_TAIL = 400
MIN_LINES = 2
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
NO_PROXY = "NO_PROXY"
POLICY_KINDS = ("ClusterPolicy", "Policy", "Assign", "ModifySet")
"""Mutating admission objects that can carry an env value (Kyverno, Gatekeeper mutators)."""
_CLUSTER_HOST = re.compile(r"\b((?:[a-z0-9][a-z0-9-]*\.){1,3}svc(?:\.cluster\.local)?|"
                           r"(?:[a-z0-9][a-z0-9-]*\.)+cluster\.local)\b", re.I)
"""A name only cluster DNS answers: `<svc>.<ns>.svc[.cluster.local]`."""
_PROXY_WORDS = re.compile(r"squid|tinyproxy|\bproxy\b|ERR_ACCESS_DENIED|TCP_DENIED|Proxy-Authenticate|"
                          r"\b407\b|x-squid-error|via: \S+ \(", re.I)
_REFUSED = re.compile(r"\b(?:403|407|502|503|504)\b|forbidden|denied|refused", re.I)
_DENIED_IN_PROXY = re.compile(r"TCP_DENIED|ERR_ACCESS_DENIED|/40[37]\b|\b40[37]\b", re.I)
REFUSAL_CLASSES = frozenset({"permission_denied", "auth_failure", "http_5xx", "unavailable", "connection_refused",
                             "upstream_reset", "no_route"})
"""The log classifier's classes for a call the proxy answers instead of the callee (403/407, a 5xx, a refusal)."""
REFUSAL_PROBLEMS = frozenset({"http", "ingress"})
"""The incident's words (subject.problems) for failing requests: error rates, 4xx/5xx, 502/503."""
_PROXY_WRITTEN = re.compile(r"proxy", re.I)
HIDDEN = "<set by a Secret: value not read>"
"""The value a Secret-sourced proxy variable stands for: the key is known, the value is never read."""
_PROXY_ANSWER = re.compile(r"\b40[37]\b|forbidden|proxy authentication required", re.I)
"""What a forward proxy answers a request it will not carry (Squid, tinyproxy, an Envoy forward proxy): 403 or 407."""
"""A write's words that name a proxy setting (`data key NO_PROXY set`, `env HTTPS_PROXY`, a ConfigMap `proxy-env`)."""

Call = Callable[..., Awaitable[Any]]


def env_value(env: dict[str, str], key: str) -> str:
    """A proxy variable by either spelling (clients read both; upper case first)."""
    return env.get(key) or env.get(key.lower()) or ""


def covers(no_proxy: str, host: str) -> bool:
    """Whether a NO_PROXY list exempts a host, as the common clients read it: an exact name, a domain suffix
    (`.svc`, `svc`, `cluster.local`), `*`."""
    host = host.lower().rstrip(".")
    for item in (i.strip().lower() for i in no_proxy.split(",")):
        if not item:
            continue
        if item == "*":
            return True
        suffix = item.lstrip("*").lstrip(".")
        if host == suffix or host.endswith("." + suffix):
            return True
    return False


def _proxied_env(container: dict[str, Any], maps: dict[str, dict[str, str]],
                 secrets: dict[str, list[str]] | None = None) -> tuple[dict[str, str], dict[str, Ref]]:
    """A container's proxy variables and where each came from (its own env, the ConfigMap it reads, or the Secret
    whose keys it takes: those stand as HIDDEN, their values never read)."""
    env: dict[str, str] = {}
    source: dict[str, Ref] = {}
    secrets = secrets or {}
    for item in container.get("envFrom") or []:
        prefix = str((item or {}).get("prefix") or "")
        sec = str(((item or {}).get("secretRef") or {}).get("name") or "")
        for key in secrets.get(sec) or []:
            env[prefix + key] = HIDDEN
            source[prefix + key] = Ref("Secret", "", sec)
        ref = (item or {}).get("configMapRef") or {}
        data = maps.get(str(ref.get("name") or ""))
        if data is None:
            continue
        for key, value in data.items():
            env[prefix + key] = value
            source[prefix + key] = Ref("ConfigMap", "", str(ref.get("name")))
    for item in container.get("env") or []:
        name = str((item or {}).get("name") or "")
        if "value" in (item or {}):
            env[name] = str(item.get("value") or "")
            source[name] = Ref("", "", "")
        sec_ref = (((item or {}).get("valueFrom") or {}).get("secretKeyRef") or {})
        if sec_ref.get("key") in (secrets.get(str(sec_ref.get("name") or "")) or []):
            env[name] = HIDDEN
            source[name] = Ref("Secret", "", str(sec_ref.get("name")))
        key_ref = (((item or {}).get("valueFrom") or {}).get("configMapKeyRef") or {})
        data = maps.get(str(key_ref.get("name") or ""))
        if data is not None and key_ref.get("key") in data:
            env[name] = data[str(key_ref["key"])]
            source[name] = Ref("ConfigMap", "", str(key_ref.get("name")))
    return env, source


def _config_maps(pod: dict[str, Any]) -> set[str]:
    """The ConfigMaps its (non-init) containers' env reads (envFrom, configMapKeyRef): where a proxy env comes from."""
    return set(pod_spec_words.configmaps(pod_spec_words.walk(pod.get("spec") or {}, init=False), mounted=False))


def _secret_names(pod: dict[str, Any]) -> list[str]:
    """The Secrets its (non-init) containers' env reads (envFrom secretRef, secretKeyRef), not its volumes."""
    walked = pod_spec_words.walk(pod.get("spec") or {}, init=False)
    return list(dict.fromkeys(w.text for w in walked if w.kind == "secret" and w.where != "volume"))


_KEY_SET = re.compile(r"\bkey\s+['\"]?([A-Za-z_][\w.-]*)['\"]?\s+(set|added|changed|updated|removed|deleted)", re.I)
"""The timeline's words for one key of a Secret's write (`data key HTTPS_PROXY set by external-secrets`)."""


def secret_keys_written(facts: Facts, namespace: str, name: str) -> tuple[list[str], str] | None:
    """The keys the Secret's newest write in the LEAD set (from the change timeline's words: the Secret itself is
    never read), with that write's evidence id; None when the timeline holds no such write, or when the write
    touched NO_PROXY (its value unknown, nothing can be said)."""
    mine = [(c, ev) for c, ev, t in facts.writes_to({"Secret"}, within=LEAD, deletions=False)
            if t.name == name and t.namespace in ("", namespace)]
    if not mine:
        return None
    change, evidence = max(mine, key=lambda ce: str(ce[0].get("at") or ""))
    said = " ".join([str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or [])])
    keys = {m.group(1): m.group(2).lower() for m in _KEY_SET.finditer(said)}
    if any(k.upper() == NO_PROXY for k in keys):
        return None
    return [k for k, how in keys.items() if how not in ("removed", "deleted")], evidence


def _proxy_host(url: str) -> tuple[str, str]:
    """(service, namespace) of a proxy URL that is a cluster name (`http://squid.egress.svc.cluster.local:3128`)."""
    host = re.sub(r"^\w+://", "", url).split("@")[-1].split(":")[0].split("/")[0]
    parts = host.split(".")
    return (parts[0], parts[1]) if len(parts) >= 3 and parts[2] == "svc" else ("", "")


async def _pods(subject: Subject, call: Call) -> list[tuple[str, str]]:
    """(namespace, pod) of the incident's workloads: the pods the subject names, else those of named workloads."""
    namespaces = [n for n in dict.fromkeys([subject.namespace, *subject.namespace_words]) if n][:2]
    out: list[tuple[str, str]] = []
    wanted = {n.lower() for n in [*subject.names, *subject.labelled_values]}
    for ns in namespaces:
        listed = await call("k8s_list", {"kind": "Pod", "namespace": ns}, f"survey-proxy-bypass-pods-{ns}")
        if listed is None or not listed.ok or not isinstance(listed.data, dict):
            continue
        rows = [str(r.get("name")) for r in listed.data.get("rows") or [] if isinstance(r, dict) and r.get("name")]
        named = [r for r in rows if r.lower() in wanted or workload_of_pod(r).lower() in wanted]
        out += [(ns, r) for r in (named or rows)]
    return out[:MAX_PODS]


def refusal_symptom(subject: Subject, facts: Facts) -> bool:
    """Whether the incident shows what a lost NO_PROXY leaves: a write in the LEAD whose words name a proxy (the env's
    source: `data key NO_PROXY set`) or to a mutating policy that can inject it, the incident's logs refusing calls
    (the proxy's 403/407/5xx, `denied`, `refused`, its name, or a refusal's error class), or the incident's words for
    failing requests. Only then are its pods, their ConfigMaps and logs read: any other incident's report carries no
    call of this module."""
    if subject.problems & REFUSAL_PROBLEMS:
        return True
    for change, _, target in facts.writes_to(None, within=LEAD):
        said = " ".join([str(change.get("summary") or ""), *(str(d) for d in change.get("diff") or [])])
        if target.kind in POLICY_KINDS or _PROXY_WRITTEN.search(said):
            return True
    for log in facts.logs:
        lines = [said_by(e) for e in log.entries()] + log.last_lines
        if log.error_classes & REFUSAL_CLASSES or any(_REFUSED.search(ln) or _PROXY_WORDS.search(ln) for ln in lines):
            return True
    return False


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only, when the incident shows a refusal or a proxy write (`refusal_symptom`): the incident's pods that
    carry a proxy env whose NO_PROXY leaves cluster names out, where that env came from, the callers' refusals naming
    a cluster host, and the proxy's own denials."""
    if STORE in facts.reads or not refusal_symptom(subject, facts):
        return
    store: list[dict[str, Any]] = facts.reads.setdefault(STORE, [])
    proxies_read: dict[str, str] = {}
    cms_read: dict[tuple[str, str], tuple[dict[str, Any], str] | None] = {}
    for ns, name in await _pods(subject, call):
        got = await get_yaml(call, "Pod", name, ns, f"survey-proxy-bypass-pod-{name}")
        if got is None:
            continue
        pod, pod_ev = got
        maps: dict[str, dict[str, str]] = {}
        map_ev: dict[str, tuple[dict[str, Any], str]] = {}
        for cm in sorted(_config_maps(pod))[:3]:
            if (ns, cm) not in cms_read:  # replicas share their ConfigMaps: each is read once
                cms_read[(ns, cm)] = await get_yaml(call, "ConfigMap", cm, ns, f"survey-proxy-bypass-cm-{cm}")
            read_cm = cms_read[(ns, cm)]
            if read_cm is not None:
                maps[cm] = {str(k): str(v) for k, v in ((read_cm[0].get("data") or {}).items())}
                map_ev[cm] = read_cm
        secrets: dict[str, list[str]] = {}
        for sec in _secret_names(pod)[:3]:
            written_keys = secret_keys_written(facts, ns, sec)  # key names from the timeline, no Secret read
            if written_keys is not None:
                secrets[sec] = written_keys[0]
                map_ev["Secret/" + sec] = ({}, written_keys[1])
        for container in (pod.get("spec") or {}).get("containers") or []:
            env, source = _proxied_env(container, maps, secrets)
            proxy = next((env_value(env, v) for v in PROXY_VARS if env_value(env, v)), "")
            if not proxy:
                continue
            no_proxy = env_value(env, NO_PROXY)
            own = {m.group(1).lower() for m in _CLUSTER_HOST.finditer(proxy)}  # the proxy itself is reached directly
            hosts = sorted({m.group(1).lower() for v in env.values() for m in _CLUSTER_HOST.finditer(v)} - own)
            entry: dict[str, Any] = {"pod": [ns, name], "container": str(container.get("name")), "proxy": proxy,
                                     "no_proxy": no_proxy, "created": (pod.get("metadata") or {}).get(
                                         "creationTimestamp"), "evidence": [pod_ev], "lines": [], "proxy_lines": [],
                                     "hosts": hosts, "source": None, "source_meta": {}}
            logs = await call("k8s_logs", {"name": name, "namespace": ns, "container": entry["container"],
                                           "tail": LOG_TAIL}, f"survey-proxy-bypass-log-{name}")
            text = str(getattr(logs, "full_text", "") or "") if logs is not None and logs.ok else ""
            for line in text.splitlines():
                named = [h for m in _CLUSTER_HOST.finditer(line) if (h := m.group(1).lower()) not in own]
                proxied = _PROXY_WORDS.search(line.replace(proxy, "")) or (proxy == HIDDEN and _PROXY_ANSWER.search(
                    line))  # a Secret's proxy: its URL unknown, the proxy's 403/407 on a cluster name is the trace
                if named and _REFUSED.search(line) and proxied:
                    entry["lines"].append(" ".join(line.split())[:400])
                    entry["hosts"] = sorted({*entry["hosts"], *named})
            if entry["lines"] and logs is not None:
                entry["evidence"].append(logs.evidence_id)
            svc, proxy_ns = _proxy_host(proxy)
            if svc and proxy_ns and entry["hosts"]:
                key = f"{proxy_ns}/{svc}"
                if key not in proxies_read:
                    proxy_pod = await pod_of(call, Ref("Deployment", proxy_ns, svc), f"survey-proxy-bypass-proxy-{svc}")
                    proxies_read[key] = ""
                    if proxy_pod:
                        got_log = await call("k8s_logs", {"name": proxy_pod, "namespace": proxy_ns,
                                                          "tail": LOG_TAIL}, f"survey-proxy-bypass-proxylog-{svc}")
                        if got_log is not None and got_log.ok:
                            proxies_read[key] = str(getattr(got_log, "full_text", "") or "")
                            entry["evidence"].append(got_log.evidence_id)
                entry["proxy_lines"] = [" ".join(ln.split())[:300] for ln in proxies_read[key].splitlines()
                                        if _DENIED_IN_PROXY.search(ln)
                                        and any(h in ln.lower() for h in entry["hosts"])][-5:]
            src = source.get(NO_PROXY) or source.get(NO_PROXY.lower()) or next(
                (source[v] for v in PROXY_VARS if v in source), None)
            if src is not None and src.kind == "Secret":
                sec_obj, sec_ev = map_ev["Secret/" + src.name]
                entry["source"] = ["Secret", ns, src.name]
                entry["source_meta"] = sec_obj.get("metadata") or {}
                entry["evidence"].append(sec_ev)
                entry["hidden"] = True
            elif src is not None and src.kind == "ConfigMap":
                cm_obj, cm_ev = map_ev[src.name]
                entry["source"] = ["ConfigMap", ns, src.name]
                entry["source_meta"] = cm_obj.get("metadata") or {}
                entry["evidence"].append(cm_ev)
            else:
                await _env_origin(call, pod, ns, entry, no_proxy or proxy)
            store.append(entry)
            break


async def _env_origin(call: Call, pod: dict[str, Any], ns: str, entry: dict[str, Any], value: str) -> None:
    """Where a container's literal proxy env came from: its controller's template when that has it, else a mutating
    policy whose spec carries the value (injected at admission)."""
    meta = pod.get("metadata") or {}
    owner = next((r for r in meta.get("ownerReferences") or [] if isinstance(r, dict) and r.get("controller")), None)
    template_has = False
    if owner is not None:
        got = await get_yaml(call, str(owner.get("kind")), str(owner.get("name")), ns,
                             f"survey-proxy-bypass-owner-{owner.get('name')}")
        if got is not None:
            template_has = value in json.dumps((got[0].get("spec") or {}).get("template") or {})
            if template_has:
                workload = Ref("Deployment", ns, workload_of_pod(str(meta.get("name") or "")))
                entry["source"] = [workload.kind, workload.namespace, workload.name]
                return
    for kind in POLICY_KINDS:
        scope = "" if kind in ("ClusterPolicy", "Assign", "ModifySet") else ns
        listed = await call("k8s_list", {"kind": kind, "namespace": scope}, f"survey-proxy-bypass-{kind.lower()}")
        if listed is None or not listed.ok or not isinstance(listed.data, dict):
            continue
        for row in (listed.data.get("rows") or [])[:10]:
            name = str((row or {}).get("name") or "")
            got = await get_yaml(call, kind, name, scope, f"survey-proxy-bypass-policy-{name}") if name else None
            if got is not None and value in json.dumps(got[0].get("spec") or {}):
                entry["source"] = [kind, scope, name]
                entry["source_meta"] = got[0].get("metadata") or {}
                entry["evidence"].append(got[1])
                entry["injected"] = True
                return


@dataclass
class Bypass:
    """A proxy env source written before its pods' calls to cluster names went to the proxy and were refused."""

    source: Ref
    written: datetime
    by: str
    pod: Ref
    no_proxy: str
    proxy: str
    hosts: list[str]
    said: str
    injected: bool
    evidence: list[str] = field(default_factory=list)


def _written(facts: Facts, source: Ref, meta: dict[str, Any]) -> tuple[datetime, str] | None:
    """The source's last write in the LEAD: the timeline's, else its newest managedFields entry."""
    mine = [c for c, _, t in facts.writes_to({source.kind}, within=LEAD) if t.name == source.name
            and (not source.namespace or t.namespace in ("", source.namespace))]
    for change in mine:
        when = parse_time(change.get("at"))
        if when is not None:
            return when, written_by(change)
    stamps = [(parse_time(m.get("time")), str(m.get("manager") or "")) for m in meta.get("managedFields") or []
              if isinstance(m, dict)]
    recent = [(t, by) for t, by in stamps if t is not None and facts.at - LEAD <= t <= facts.at]
    return max(recent, key=lambda tb: tb[0]) if recent else None


def found(facts: Facts) -> list[Bypass]:
    """Proxy env sources written in the LEAD whose NO_PROXY leaves out a cluster host that their pods' calls then
    sent to the proxy and saw refused (the caller's log with the proxy's words, or the proxy's own denial)."""
    out: list[Bypass] = []
    for entry in facts.reads.get(STORE) or []:
        source = Ref(*entry["source"]) if entry.get("source") else None
        hosts = [h for h in entry.get("hosts") or [] if not covers(str(entry.get("no_proxy") or ""), h)]
        lines = [ln for ln in entry.get("lines") or [] if any(h in ln.lower() for h in hosts)]
        denied = [ln for ln in entry.get("proxy_lines") or [] if any(h in ln.lower() for h in hosts)]
        if source is None or not hosts or (len(lines) < MIN_LINES and not denied):
            continue
        if entry.get("hidden") and entry.get("no_proxy"):
            continue  # a NO_PROXY from elsewhere in the pod: what it covers against the Secret's proxy is unknown
        written = _written(facts, source, entry.get("source_meta") or {})
        created = parse_time(entry.get("created"))
        if written is None or (created is not None and created < written[0]):
            continue  # unwritten lately, or the pod predates the write: not what it changed
        if any(b.source == source for b in out):
            continue
        named = next((h for h in hosts if any(h in ln.lower() for ln in lines + denied)), hosts[0])
        said = (lines or denied)[-1]
        out.append(Bypass(source, written[0], written[1], Ref("Pod", *entry["pod"]), str(entry.get("no_proxy") or ""),
                          str(entry.get("proxy") or ""), [named], said, bool(entry.get("injected")),
                          list(dict.fromkeys(entry.get("evidence") or []))))
    return out[:1]


def finding(hit: Bypass, at: datetime) -> dict[str, Any]:
    """What the write means first (in-cluster calls now go through the egress proxy, refused), then the proof."""
    ago = minutes_text(int((at - hit.written).total_seconds() // 60))
    how = "injects into pods at admission" if hit.injected else (
        "gives its pods (envFrom)" if hit.source.kind == "ConfigMap" else "sets in its pod template")
    if hit.proxy == HIDDEN:
        return _hidden_finding(hit, ago, how)
    proxy_name = "squid" if "squid" in (hit.said + hit.proxy).lower() else "the egress proxy"
    message = (f"{hit.source} was written{' by ' + hit.by if hit.by else ''} {ago} before the alert: the proxy env "
               f"it {how} has NO_PROXY={hit.no_proxy!r}, without .svc/.cluster.local, so in-cluster calls to "
               f"{hit.hosts[0]} from pods created since go through the egress proxy ({proxy_name}, "
               f"{hit.proxy}), which refuses them (403/ERR_ACCESS_DENIED) while the callee is healthy; older pods "
               f"still work. Seen in {hit.pod.name}: {hit.said[:200]}. Restore .svc,.cluster.local in NO_PROXY in "
               f"{hit.source}, then restart the pods")
    return {"check": CHECK, "severity": "critical", "reason": "ProxyBypassLost",
            "object": {"kind": hit.source.kind, "namespace": hit.source.namespace, "name": hit.source.name},
            "message": message, "evidence": [hit.said[:300]],
            "details": {"no_proxy": hit.no_proxy, "host": hit.hosts[0], "pod": str(hit.pod),
                        "written": hit.written.isoformat().replace("+00:00", "Z")}}


def _hidden_finding(hit: Bypass, ago: str, how: str) -> dict[str, Any]:
    """The Secret-sourced proxy env: named by its keys (a proxy variable added, no NO_PROXY), never its values."""
    message = (f"{hit.source} was written{' by ' + hit.by if hit.by else ''} {ago} before the alert and now gives "
               f"its pods (envFrom/secretKeyRef) HTTP_PROXY/HTTPS_PROXY with no NO_PROXY key, so in-cluster calls "
               f"to {hit.hosts[0]} from pods created since go through the egress proxy, which refuses them "
               f"(403/407) while the callee is healthy; older pods still work. Seen in {hit.pod.name}: "
               f"{hit.said[:200]}. Add NO_PROXY with .svc,.cluster.local (and the pod/service CIDRs) to "
               f"{hit.source}, then restart the pods")
    return {"check": CHECK, "severity": "critical", "reason": "ProxyBypassLost",
            "object": {"kind": hit.source.kind, "namespace": hit.source.namespace, "name": hit.source.name},
            "message": message, "evidence": [hit.said[:300]],
            "details": {"no_proxy": "", "host": hit.hosts[0], "pod": str(hit.pod),
                        "written": hit.written.isoformat().replace("+00:00", "Z"), "how": how}}


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The env source whose NO_PROXY sends cluster calls to the proxy, explaining the pod that logs the refusals."""
    return [(h.source, finding(h, facts.at), h.evidence, [h.pod]) for h in found(facts)]
