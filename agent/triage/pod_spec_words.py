"""What a pod spec names in its own words: its args, its env values, and the ConfigMaps and Secrets it reads.

Several triage modules relate a failing workload to something else by what its spec names (an endpoint in an env
value, a ConfigMap whose text says where it connects, a Secret's name). They walk the same places: the volumes,
then each container's command and args, its env (a value, a ConfigMap key, a Secret key) and its envFrom. This
module is that one walk, in that order; each caller keeps its own choice of what to take from it (values only, or
also Secret names; mounted ConfigMaps, or only those the env reads; init containers or not). Secrets are named
only: their values are never read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["args", "value", "configmap", "secret"]


@dataclass(frozen=True)
class SpecWord:
    """One place of a pod spec and what it holds."""

    where: str
    """`volume`, `args`, `env KAFKA_USER`, `envFrom`: where a finding says the spec names it."""
    text: str
    """The args line, the env value, or the referenced ConfigMap's or Secret's name."""
    kind: Kind


def template_spec(obj: dict[str, Any]) -> dict[str, Any]:
    """A workload's pod template spec (`spec.template.spec`), {} when it has none."""
    return ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}  # type: ignore[no-any-return]


def pod_template(obj: dict[str, Any]) -> dict[str, Any]:
    """The pod template a workload creates pods from: `spec.template`, or a CronJob's
    `spec.jobTemplate.spec.template`; {} when it has none."""
    spec = obj.get("spec") or {}
    template = spec.get("template") or ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
    return template if isinstance(template, dict) else {}


def job_command_text(cronjob: dict[str, Any]) -> str:
    """A CronJob's containers' commands, args and env values (init containers too) as one text: what its runs do
    and with which settings, for a search of its words (a cleanup tool's name, the Secret it writes)."""
    return " ".join(text for _, text in words(walk(pod_template(cronjob).get("spec") or {})))


def walk(spec: dict[str, Any], init: bool = True) -> list[SpecWord]:
    """Every place of a pod spec (`pod["spec"]`, or a template's) that names something, in the spec's order: the
    volumes' ConfigMaps and Secrets, then per container (init containers first unless `init` is False) its
    command+args line, each env value or referenced ConfigMap/Secret, and its envFrom sources."""
    out: list[SpecWord] = []
    for v in spec.get("volumes") or []:
        if not isinstance(v, dict):
            continue
        if (v.get("configMap") or {}).get("name"):
            out.append(SpecWord("volume", str(v["configMap"]["name"]), "configmap"))
        if (v.get("secret") or {}).get("secretName"):
            out.append(SpecWord("volume", str(v["secret"]["secretName"]), "secret"))
    containers = [*(spec.get("initContainers") or []), *(spec.get("containers") or [])] if init \
        else list(spec.get("containers") or [])
    for c in containers:
        if isinstance(c, dict):
            out += _container(c)
    return out


def _container(c: dict[str, Any]) -> list[SpecWord]:
    out: list[SpecWord] = []
    line = " ".join(str(x) for x in [*(c.get("command") or []), *(c.get("args") or [])])
    if line:
        out.append(SpecWord("args", line, "args"))
    for e in c.get("env") or []:
        if not isinstance(e, dict):
            continue
        where = f"env {e.get('name')}"
        if e.get("value"):
            out.append(SpecWord(where, str(e["value"]), "value"))
        ref = e.get("valueFrom") or {}
        cm, sec = ref.get("configMapKeyRef") or {}, ref.get("secretKeyRef") or {}
        if cm.get("name"):
            out.append(SpecWord(where, str(cm["name"]), "configmap"))
        if sec.get("name"):
            out.append(SpecWord(where, str(sec["name"]), "secret"))
    for r in c.get("envFrom") or []:
        if isinstance(r, dict) and (r.get("configMapRef") or {}).get("name"):
            out.append(SpecWord("envFrom", str(r["configMapRef"]["name"]), "configmap"))
        elif isinstance(r, dict) and (r.get("secretRef") or {}).get("name"):
            out.append(SpecWord("envFrom", str(r["secretRef"]["name"]), "secret"))
    return out


def words(walked: list[SpecWord], secret_names: bool = False) -> list[tuple[str, str]]:
    """(where, text) of the args lines and env values, in order; with `secret_names`, the Secrets' names too."""
    kinds = {"args", "value", "secret"} if secret_names else {"args", "value"}
    return [(w.where, w.text) for w in walked if w.kind in kinds]


def configmaps(walked: list[SpecWord], mounted: bool = True) -> list[str]:
    """The names of the ConfigMaps the spec reads, each once, in order; without `mounted`, only those its env reads
    (a configMapKeyRef, an envFrom), not its volumes."""
    names = [w.text for w in walked if w.kind == "configmap" and (mounted or w.where != "volume")]
    return list(dict.fromkeys(names))
