"""A broker set not to create topics on first use, and clients whose topic is therefore unknown.

Producers that write to a topic nobody created (a new daily topic, a new tenant's topic) rely on the broker
creating it on first use: Kafka's `auto.create.topics.enable` (env `KAFKA_CFG_AUTO_CREATE_TOPICS_ENABLE`,
`KAFKA_AUTO_CREATE_TOPICS_ENABLE`, a `server.properties` line), Pulsar's `allowAutoTopicCreation`. With it off
the client only ever hears that the topic does not exist, in its own words: Kafka's UNKNOWN_TOPIC_OR_PARTITION,
the Java producer's "Topic X not present in metadata", librdkafka's "Unknown topic or partition", Pulsar's
TopicNotFound. The error names the client, never the broker's setting, and the broker itself is healthy.

The survey (`read`, reading only) runs only when a client's logs carry such an error: it follows the client
workload's env to the broker Service it names (`host.namespace.svc:port`), the workloads that Service selects,
and their env, args and ConfigMaps for the auto-create setting. The broker workload is named when the setting
is off; a broker that still auto-creates is no cause (the topic error has another reason). `suspects` is pure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from agent.triage.facts import Facts, Ref
from agent.triage.kube_reads import get_yaml
from agent.triage.subject import Subject, workload_of_pod

CHECK = "broker.autocreate_off"
WEIGHT = 0.92
RECORD_KIND = "vigil.dev/AutoCreateOff"
MAX_WORKLOADS = 6

Call = Callable[..., Awaitable[Any]]

UNKNOWN_TOPIC = re.compile(r"UNKNOWN_TOPIC_OR_PARTITION|UnknownTopicOrPartition|unknown topic or partition|"
                           r"not present in metadata|TopicNotFound|topic (?:does )?not (?:found|exist)", re.I)
"""How a client says the topic it writes to or reads from does not exist (Kafka Java/Go/librdkafka, Pulsar)."""
SETTINGS = {"autocreatetopicsenable": "auto.create.topics.enable", "allowautotopiccreation": "allowAutoTopicCreation"}
"""Normal forms (lower case, letters and digits only) of the brokers' create-on-first-use settings, and how each
broker's documentation spells it."""
_HOST = re.compile(r"\b([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)(?:\.svc(?:\.[a-z.]+)?)?:\d+")
_PROPERTY = re.compile(r"^\s*([A-Za-z][\w.\-]*)\s*[=:]\s*(\S+)", re.M)


@dataclass
class AutoCreateOff:
    """A broker workload whose auto-create setting is off, and the client that cannot find its topic."""

    broker: Ref
    key: str
    value: str
    where: str
    client: str
    said: str
    evidence: list[str] = field(default_factory=list)


def normal(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.lower())


def canonical(key: str) -> str:
    """The documented name of a create-on-first-use setting however it is spelt (an env var, a properties key)."""
    return next((name for form, name in SETTINGS.items() if normal(key).endswith(form)), key)


def setting_off(pairs: list[tuple[str, str, str]]) -> tuple[str, str, str] | None:
    """(key, value, where) of the first create-on-first-use setting among `pairs` that is off."""
    for key, value, where in pairs:
        if any(normal(key).endswith(s) for s in SETTINGS) and value.strip().strip("'\"").lower() == "false":
            return key, value, where
    return None


def settings_of(workload: dict[str, Any], configmaps: dict[str, dict[str, Any]]) -> list[tuple[str, str, str]]:
    """Every (key, value, where) a workload's containers set: env values, `--key=value` args, and the lines of
    the ConfigMaps they read (envFrom or mounted properties files)."""
    spec = ((workload.get("spec") or {}).get("template") or {}).get("spec") or {}
    out = []
    for c in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]:
        for e in c.get("env") or []:
            if isinstance(e, dict) and "value" in e:
                out.append((str(e.get("name")), str(e.get("value")), f"env of container {c.get('name')}"))
        for arg in [*(c.get("args") or []), *(c.get("command") or [])]:
            for k, v in re.findall(r"--(?:override\s+|conf\s+)?([\w.\-]+)=(\S+)", str(arg)):
                out.append((k, v, f"args of container {c.get('name')}"))
    for name, cm in configmaps.items():
        for file, text in (cm.get("data") or {}).items():
            out.append((str(file), str(text), f"ConfigMap {name}"))
            out += [(k, v, f"ConfigMap {name} {file}") for k, v in _PROPERTY.findall(str(text))]
    return out


def _configmap_names(workload: dict[str, Any]) -> list[str]:
    spec = ((workload.get("spec") or {}).get("template") or {}).get("spec") or {}
    names = [str((v.get("configMap") or {}).get("name")) for v in spec.get("volumes") or [] if v.get("configMap")]
    names += [str((f.get("configMapRef") or {}).get("name")) for c in spec.get("containers") or []
              for f in c.get("envFrom") or [] if f.get("configMapRef")]
    return list(dict.fromkeys(n for n in names if n and n != "None"))


async def _workload(call: Call, namespace: str, name: str) -> tuple[dict[str, Any], str, str] | None:
    for kind in ("Deployment", "StatefulSet"):
        got = await get_yaml(call, kind, name, namespace, f"survey-autocreate-{kind.lower()}-{name}")
        if got is not None:
            return got[0], got[1], kind
    return None


async def read(subject: Subject, facts: Facts, call: Call, at: str) -> None:
    """Reading only: the client's broker Service, the workloads it selects, their auto-create setting."""
    failing = [(log, str(e.get("example") or e.get("message") or ""))
               for log in facts.logs for e in [*([log.top] if log.top else []), *log.more, *log.warnings]
               if UNKNOWN_TOPIC.search(str(e.get("example") or e.get("message") or ""))]
    if not failing:
        return
    log, said = failing[0]
    client = await _workload(call, log.namespace, workload_of_pod(log.pod))
    if client is None:
        return
    hosts = [m.group(0) for _, v, _ in settings_of(client[0], {}) for m in _HOST.finditer(v)]
    for host in list(dict.fromkeys(hosts))[:3]:
        name, namespace = host.split(":")[0].split(".")[:2]
        svc = await get_yaml(call, "Service", name, namespace, f"survey-autocreate-svc-{name}")
        selector = ((svc[0].get("spec") or {}).get("selector") or {}) if svc else {}
        if not svc or not selector:
            continue
        for kind, plural in (("StatefulSet", "statefulsets"), ("Deployment", "deployments")):
            rows = await call("k8s_list", {"kind": plural, "namespace": namespace}, f"survey-autocreate-{plural}")
            for row in (rows.data.get("rows") or [] if rows is not None and rows.ok and isinstance(rows.data, dict)
                        else [])[:MAX_WORKLOADS]:
                got = await get_yaml(call, kind, str(row.get("name")), namespace,
                                     f"survey-autocreate-broker-{row.get('name')}")
                if got is None:
                    continue
                labels = (((got[0].get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}
                if not all(labels.get(k) == v for k, v in selector.items()):
                    continue
                cms: dict[str, dict[str, Any]] = {}
                ids = [client[1], svc[1], got[1]]
                for cm in _configmap_names(got[0])[:3]:
                    read_cm = await get_yaml(call, "ConfigMap", cm, namespace, f"survey-autocreate-cm-{cm}")
                    if read_cm is not None:
                        cms[cm] = read_cm[0]
                        ids.append(read_cm[1])
                off = setting_off(settings_of(got[0], cms))
                if off is not None:
                    facts.objects.append(({"kind": RECORD_KIND, "cut": AutoCreateOff(
                        Ref(kind, namespace, str(row.get("name"))), *off, workload_of_pod(log.pod), said[:240],
                        [log.evidence_id, *ids])}, ""))
                    return


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """The broker workload whose auto-create setting is off, explaining the client's unknown-topic errors."""
    out: list[tuple[Ref, dict[str, Any], list[str], list[Ref]]] = []
    for obj, _ in facts.objects:
        cut = obj.get("cut") if obj.get("kind") == RECORD_KIND else None
        if not isinstance(cut, AutoCreateOff):
            continue
        message = (f"{cut.broker.kind} {cut.broker.namespace}/{cut.broker.name} does not create topics on first use "
                   f"({canonical(cut.key)}=false: {cut.key}={cut.value[:40]} in its {cut.where}), so the topic "
                   f"{cut.client} uses was never created and the client finds it unknown: its logs say "
                   f"'{cut.said[:160]}'; create the topic or turn auto-creation back on")
        finding = {"check": CHECK, "severity": "critical",
                   "object": {"kind": cut.broker.kind, "namespace": cut.broker.namespace, "name": cut.broker.name},
                   "reason": "TopicAutoCreateOff", "message": message,
                   "evidence": [f"{cut.key}={cut.value[:40]} ({cut.where})"],
                   "details": {"key": cut.key, "value": cut.value[:80], "where": cut.where, "client": cut.client}}
        out.append((cut.broker, finding, list(dict.fromkeys(e for e in cut.evidence if e)), []))
    return out
