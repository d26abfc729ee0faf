"""Turning Kubernetes objects into compact, health-first answers a model can use.

Pure functions over JSON dicts, so they are tested without a server. Three habits hold everywhere:
unhealthy things come first; every answer fits its token budget and says what it left out and the
call that shows more; and Secret values never appear (keys and sizes only), whatever path the
object took to get here.
"""

from __future__ import annotations

import base64
import copy
import re
from collections.abc import Sequence
from typing import Any

import yaml

from mcp_servers.common.compact import collapse_repeats, estimate_tokens, fit_text, render_table
from mcp_servers.kubernetes import health as h

NOISY_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration",)
SECRET_KINDS = frozenset({"Secret"})


# ---- cleaning -----------------------------------------------------------------------------

def sanitize(obj: dict[str, Any]) -> dict[str, Any]:
    """A copy without managedFields, last-applied annotations or Secret values.

    The last-applied annotation goes for every kind: on a Secret it holds the values in clear.
    """
    out = copy.deepcopy(obj)
    meta = out.get("metadata") or {}
    meta.pop("managedFields", None)
    meta.pop("selfLink", None)
    annotations = meta.get("annotations") or {}
    for key in NOISY_ANNOTATIONS:
        annotations.pop(key, None)
    if not annotations:
        meta.pop("annotations", None)
    if out.get("kind") in SECRET_KINDS:
        for field in ("data", "stringData"):
            if isinstance(out.get(field), dict):
                out[field] = {k: _secret_size(v, field) for k, v in out[field].items()}
    return out


def _secret_size(value: Any, field: str) -> str:
    text = str(value or "")
    if field == "data":
        try:
            return f"<redacted: {len(base64.b64decode(text, validate=False))} bytes>"
        except ValueError:
            return "<redacted>"
    return f"<redacted: {len(text.encode())} bytes>"


def secret_keys(obj: dict[str, Any]) -> list[str]:
    return sorted({*(obj.get("data") or {}), *(obj.get("stringData") or {})})


# ---- helpers ------------------------------------------------------------------------------

def ident(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace")
    return f"{obj.get('kind')} {ns + '/' if ns else ''}{meta.get('name')}"


def ts(value: Any) -> str:
    t = h.parse_ts(value)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ") if t else "-"


def images(obj: dict[str, Any]) -> list[str]:
    spec = obj.get("spec") or {}
    if obj.get("kind") != "Pod":
        spec = (spec.get("template") or {}).get("spec") or {}
    return [str(c.get("image")) for c in spec.get("containers") or []]


def call(tool: str, **args: Any) -> str:
    """The exact call that gets more, printed the way a model would write it."""
    shown = ", ".join(f"{k}={v!r}" for k, v in args.items() if v not in (None, "", False))
    return f"{tool}({shown})"


# ---- list ---------------------------------------------------------------------------------

def rank_by_health(items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str | None]]:
    """Objects unhealthy first, then by namespace and name, with each one's problem (None: healthy)."""
    ranked = sorted(items, key=lambda o: (h.problem(o) is None, (o["metadata"].get("namespace") or ""),
                                          o["metadata"]["name"]))
    return ranked, [h.problem(o) for o in ranked]


def problem_counts(problems: Sequence[str | None]) -> dict[str, int]:
    """How many objects have each problem, numbers masked (`restarted 5x` and `restarted 6x` are one)."""
    counts: dict[str, int] = {}
    for p in problems:
        if p:
            word = re.sub(r"\d+", "N", p)
            counts[word] = counts.get(word, 0) + 1
    return counts


def list_answer(kind: str, items: list[dict[str, Any]], *, all_namespaces: bool, hidden: Sequence[str],
                budget: int, more_hint: str, limit: int | None = None, truncated: bool = False,
                problems_only: bool = False) -> str:
    """A health-first table for any kind, with a one-line summary on top (counted over every
    object, even when `problems_only` keeps only the unhealthy rows)."""
    ranked, problems = rank_by_health(items)
    unhealthy = [p for p in problems if p]
    counts = problem_counts(problems)
    plural = kind if kind.endswith("s") else kind + "s"
    summary = f"{len(items)} {plural}"
    if all_namespaces:
        summary += f" in {len({o['metadata'].get('namespace') for o in items})} namespaces"
    if unhealthy:
        summary += f"; {len(unhealthy)} need attention (" + ", ".join(
            f"{w}: {n}" for w, n in sorted(counts.items(), key=lambda kv: -kv[1])[:6]) + ")"
    else:
        summary += "; all healthy" if items and kind in ("Pod", "Deployment", "Node", "StatefulSet",
                                                          "DaemonSet", "ReplicaSet") else ""
    if hidden:
        summary += f"\n{len(hidden)} namespace(s) hidden by policy: {', '.join(sorted(hidden))}"
    if truncated:
        summary += "\nthe API listing was cut at its item cap; narrow with a namespace or selector"
    if problems_only:
        keep = [i for i, p in enumerate(problems) if p]
        ranked, problems = [ranked[i] for i in keep], [problems[i] for i in keep]
    columns, rows = _rows(kind, ranked, problems, all_namespaces)
    if limit is not None:
        rows = rows[:limit]
    return render_table(columns, rows, budget_tokens=budget, title=summary, more_hint=more_hint, total=len(ranked))


def _rows(kind: str, objs: list[dict[str, Any]], problems: list[str | None],
          all_ns: bool) -> tuple[list[str], list[list[Any]]]:
    ns_col = ["NAMESPACE"] if all_ns else []

    def ns(o: dict[str, Any]) -> list[Any]:
        return [o["metadata"].get("namespace", "")] if all_ns else []

    if kind == "Pod":
        return ([*ns_col, "NAME", "READY", "STATUS", "RESTARTS", "LAST RESTART", "NODE", "PROBLEM"],
                [[*ns(o), o["metadata"]["name"], h.pod_ready(o), h.pod_status(o), h.restarts(o),
                  _last_restart(o),
                  (o.get("spec") or {}).get("nodeName", "-"), p or ""] for o, p in zip(objs, problems, strict=True)])
    if kind in ("Deployment", "StatefulSet", "ReplicaSet"):
        return ([*ns_col, "NAME", "READY", "UP-TO-DATE", "AVAILABLE", "IMAGES", "PROBLEM"],
                [[*ns(o), o["metadata"]["name"],
                  f"{(o.get('status') or {}).get('readyReplicas', 0)}/{(o.get('spec') or {}).get('replicas', 1)}",
                  (o.get("status") or {}).get("updatedReplicas", "-"),
                  (o.get("status") or {}).get("availableReplicas", 0), ",".join(images(o)), p or ""]
                 for o, p in zip(objs, problems, strict=True)])
    if kind == "DaemonSet":
        return ([*ns_col, "NAME", "DESIRED", "READY", "AVAILABLE", "IMAGES", "PROBLEM"],
                [[*ns(o), o["metadata"]["name"], (o.get("status") or {}).get("desiredNumberScheduled", 0),
                  (o.get("status") or {}).get("numberReady", 0), (o.get("status") or {}).get("numberAvailable", 0),
                  ",".join(images(o)), p or ""] for o, p in zip(objs, problems, strict=True)])
    if kind == "Node":
        return (["NAME", "STATUS", "PROBLEM", "VERSION", "CREATED"],
                [[o["metadata"]["name"], "NotReady" if p and "NotReady" in p else "Ready", p or "",
                  ((o.get("status") or {}).get("nodeInfo") or {}).get("kubeletVersion", ""),
                  ts(o["metadata"].get("creationTimestamp"))] for o, p in zip(objs, problems, strict=True)])
    if kind == "Event":
        return ([*ns_col, "LAST SEEN", "TYPE", "REASON", "OBJECT", "COUNT", "MESSAGE"],
                [[*ns(o), ts(o.get("lastTimestamp") or o.get("eventTime")), o.get("type"), o.get("reason"),
                  f"{(o.get('involvedObject') or {}).get('kind')}/{(o.get('involvedObject') or {}).get('name')}",
                  o.get("count") or 1, o.get("message", "")] for o in objs])
    if kind == "Secret":
        return ([*ns_col, "NAME", "TYPE", "KEYS (values never shown)", "CREATED"],
                [[*ns(o), o["metadata"]["name"], o.get("type", "Opaque"), ",".join(secret_keys(o)),
                  ts(o["metadata"].get("creationTimestamp"))] for o in objs])
    if kind == "Service":
        return ([*ns_col, "NAME", "TYPE", "CLUSTER-IP", "PORTS", "SELECTOR"],
                [[*ns(o), o["metadata"]["name"], (o.get("spec") or {}).get("type", ""),
                  (o.get("spec") or {}).get("clusterIP", ""),
                  ",".join(f"{p.get('port')}/{p.get('protocol', 'TCP')}" for p in (o.get("spec") or {}).get("ports")
                           or []),
                  ",".join(f"{k}={v}" for k, v in ((o.get("spec") or {}).get("selector") or {}).items())]
                 for o in objs])
    if kind == "ConfigMap":
        return ([*ns_col, "NAME", "KEYS", "CREATED"],
                [[*ns(o), o["metadata"]["name"], ",".join(sorted(o.get("data") or {})),
                  ts(o["metadata"].get("creationTimestamp"))] for o in objs])
    return ([*ns_col, "NAME", "CREATED", "LABELS"],
            [[*ns(o), o["metadata"]["name"], ts(o["metadata"].get("creationTimestamp")),
              ",".join(f"{k}={v}" for k, v in (o["metadata"].get("labels") or {}).items())] for o in objs])


def _last_restart(pod: dict[str, Any]) -> str:
    last = h.last_restart(pod)
    return last.strftime("%Y-%m-%dT%H:%M:%SZ") if last else "-"


# ---- get ----------------------------------------------------------------------------------

def get_answer(obj: dict[str, Any], output: str, budget: int, more_hint: str) -> str:
    clean = sanitize(obj)
    if output == "yaml":
        text = yaml.safe_dump(clean, sort_keys=False, width=120)
        return fit_text(text, budget, more_hint)
    return fit_text(summary(clean), budget, more_hint)


def summary(obj: dict[str, Any]) -> str:
    """The few facts that matter about an object, kind by kind."""
    meta = obj.get("metadata") or {}
    lines = [ident(obj), f"created: {ts(meta.get('creationTimestamp'))}"]
    if meta.get("labels"):
        lines.append("labels: " + ", ".join(f"{k}={v}" for k, v in meta["labels"].items()))
    if meta.get("annotations"):
        lines.append("annotations: " + "; ".join(f"{k}={str(v)[:200]}" for k, v in meta["annotations"].items()))
    owners = [f"{r.get('kind')}/{r.get('name')}" for r in meta.get("ownerReferences") or []]
    if owners:
        lines.append("owned by: " + ", ".join(owners))
    problem = h.problem(obj)
    if problem:
        lines.append(f"PROBLEM: {problem}")
    kind = obj.get("kind")
    if kind == "Pod":
        lines.append(f"status: {h.pod_status(obj)}  ready {h.pod_ready(obj)}  restarts {h.restarts(obj)}  "
                     f"node {(obj.get('spec') or {}).get('nodeName', '-')}")
        lines.extend(container_lines(obj))
    elif kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"):
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        lines.append(f"replicas: desired {spec.get('replicas', '-')}, ready {status.get('readyReplicas', 0)}, "
                     f"updated {status.get('updatedReplicas', 0)}, available {status.get('availableReplicas', 0)}")
        lines.append("images: " + ", ".join(images(obj)))
        revision = (meta.get("annotations") or {}).get("deployment.kubernetes.io/revision")
        if revision:
            lines.append(f"revision: {revision}")
        lines.extend(condition_lines(status.get("conditions") or []))
    elif kind == "Node":
        lines.extend(condition_lines((obj.get("status") or {}).get("conditions") or []))
        alloc = (obj.get("status") or {}).get("allocatable") or {}
        lines.append("allocatable: " + ", ".join(f"{k}={v}" for k, v in alloc.items()))
    elif kind == "Secret":
        lines.append(f"type: {obj.get('type', 'Opaque')}")
        lines.append("keys (values are never shown): " + ", ".join(secret_keys(obj)))
    elif kind == "ConfigMap":
        for k, v in (obj.get("data") or {}).items():
            lines.append(f"data.{k}: {str(v)[:300]}")
    elif kind == "Service":
        spec = obj.get("spec") or {}
        lines.append(f"type {spec.get('type')}  clusterIP {spec.get('clusterIP')}  selector "
                     + ",".join(f"{k}={v}" for k, v in (spec.get("selector") or {}).items()))
    else:
        status = obj.get("status")
        if isinstance(status, dict):
            lines.extend(condition_lines(status.get("conditions") or []))
        if isinstance(obj.get("spec"), dict):
            spec_text = yaml.safe_dump(obj["spec"], sort_keys=False, width=120)
            lines.append("spec:\n" + "\n".join("  " + ln for ln in spec_text.splitlines()[:40]))
    return "\n".join(lines) + "\n"


def condition_bad(c: dict[str, Any]) -> bool:
    """A condition that says something is wrong: a positive one not True, or a pressure True."""
    positive = c.get("type") in ("Ready", "Available", "Progressing", "ContainersReady")
    pressure = c.get("type") in ("MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable")
    return (positive and c.get("status") != "True") or (pressure and c.get("status") == "True")


def condition_lines(conditions: list[dict[str, Any]]) -> list[str]:
    out = []
    for c in conditions:
        mark = "!" if condition_bad(c) else " "
        msg = f" ({c.get('reason')}: {c.get('message')})" if c.get("reason") or c.get("message") else ""
        out.append(f"{mark} condition {c.get('type')}={c.get('status')} since "
                   f"{ts(c.get('lastTransitionTime'))}{msg}")
    return out


def container_lines(pod: dict[str, Any]) -> list[str]:
    """Each container: image, state, last termination (reason, exit code, when), restarts, limits."""
    specs = {c.get("name"): c for c in (pod.get("spec") or {}).get("containers") or []}
    out = []
    statuses = {c.get("name"): c for c in h.container_statuses(pod)}
    for name, spec in specs.items():
        st = statuses.get(name, {})
        state = st.get("state") or {}
        if "running" in state:
            now = f"running since {ts(state['running'].get('startedAt'))}"
        elif "waiting" in state:
            w = state["waiting"]
            now = f"waiting: {w.get('reason')}" + (f" - {w.get('message')}" if w.get("message") else "")
        elif "terminated" in state:
            t = state["terminated"]
            now = f"terminated: {t.get('reason')} exit code {t.get('exitCode')}"
        else:
            now = "no status yet"
        out.append(f"container {name}: image {spec.get('image')}")
        out.append(f"  state: {now}; ready {st.get('ready', False)}; restarts {st.get('restartCount', 0)}")
        last = (st.get("lastState") or {}).get("terminated")
        if last:
            out.append(f"  last termination: reason {last.get('reason')}, exit code {last.get('exitCode')}, "
                       f"started {ts(last.get('startedAt'))}, finished {ts(last.get('finishedAt'))}")
        res = spec.get("resources") or {}
        if res:
            out.append("  resources: " + "; ".join(
                f"{part} " + ",".join(f"{k}={v}" for k, v in (res.get(part) or {}).items())
                for part in ("requests", "limits") if res.get(part)))
        env = spec.get("env") or []
        if env:
            out.append("  env: " + ", ".join(env_text(e) for e in env))
    return out


def env_text(e: dict[str, Any]) -> str:
    """An env var as `NAME=value`, or where its value comes from (never a Secret's value)."""
    if "value" in e:
        return f"{e.get('name')}={e.get('value')!r}"
    source = e.get("valueFrom") or {}
    if "secretKeyRef" in source:
        ref = source["secretKeyRef"]
        return f"{e.get('name')}=<secret {ref.get('name')}/{ref.get('key')}>"
    if "configMapKeyRef" in source:
        ref = source["configMapKeyRef"]
        return f"{e.get('name')}=<configmap {ref.get('name')}/{ref.get('key')}>"
    return f"{e.get('name')}=<{','.join(source) or 'unset'}>"


# ---- events -------------------------------------------------------------------------------

def dedupe_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events with the same type, reason, object and message merge into one with summed counts."""
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for e in events:
        inv = e.get("involvedObject") or {}
        key = (e.get("type"), e.get("reason"), inv.get("kind"), inv.get("namespace"), inv.get("name"),
               (e.get("message") or "").strip())
        last = e.get("lastTimestamp") or e.get("eventTime") or (e.get("metadata") or {}).get("creationTimestamp")
        first = e.get("firstTimestamp") or e.get("eventTime") or last
        if key not in merged:
            merged[key] = {**e, "count": int(e.get("count") or 1), "lastTimestamp": last, "firstTimestamp": first}
            continue
        m = merged[key]
        m["count"] += int(e.get("count") or 1)
        if ts(last) > ts(m["lastTimestamp"]):
            m["lastTimestamp"] = last
        if ts(first) < ts(m["firstTimestamp"]):
            m["firstTimestamp"] = first
    return list(merged.values())


def ordered_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Distinct events (see dedupe_events), warnings first, then newest first: the order every
    events answer uses, text and structured alike."""
    rows = sorted(dedupe_events(events), key=lambda e: ts(e.get("lastTimestamp")), reverse=True)
    rows.sort(key=lambda e: e.get("type") != "Warning")
    return rows


def events_answer(events: list[dict[str, Any]], *, all_namespaces: bool, hidden: Sequence[str], budget: int,
                  more_hint: str, title: str = "") -> str:
    """Warnings first, then newest first; one row per distinct event with its total count."""
    rows_src = ordered_events(events)
    warnings = sum(1 for e in rows_src if e.get("type") == "Warning")
    head = title or f"{len(rows_src)} distinct events ({warnings} warnings) from {len(events)} event records"
    if hidden:
        head += f"\n{len(hidden)} namespace(s) hidden by policy: {', '.join(sorted(hidden))}"
    ns_col = ["NAMESPACE"] if all_namespaces else []
    rows = [[*([e.get("metadata", {}).get("namespace", "")] if all_namespaces else []),
             ts(e.get("lastTimestamp")), ts(e.get("firstTimestamp")), e.get("type"), e.get("reason"),
             f"{(e.get('involvedObject') or {}).get('kind')}/{(e.get('involvedObject') or {}).get('name')}",
             e.get("count"), (e.get("message") or "").strip()] for e in rows_src]
    return render_table([*ns_col, "LAST SEEN", "FIRST SEEN", "TYPE", "REASON", "OBJECT", "COUNT", "MESSAGE"], rows,
                        budget_tokens=budget, title=head, more_hint=more_hint, max_cell=160)


# ---- logs ---------------------------------------------------------------------------------

_VARIABLE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|0x[0-9a-f]+|\d+(?:\.\d+)?")


def frequent_patterns(lines: Sequence[str], top: int = 3, min_count: int = 3) -> list[str]:
    """The most repeated line shapes (numbers and ids masked), so a loop of near-identical errors
    shows up as one counted line even when the kept window cannot hold them all."""
    counts: dict[str, int] = {}
    for line in lines:
        shape = _VARIABLE.sub("#", line)
        counts[shape] = counts.get(shape, 0) + 1
    common = sorted(((n, shape) for shape, n in counts.items() if n >= min_count), key=lambda x: -x[0])[:top]
    return [f"repeated {n}x: {shape[:240]}" for n, shape in common]


def logs_answer(text: str, *, header: str, grep: str | None, budget: int, more_hint: str) -> str:
    """The newest lines that fit, identical runs collapsed, optionally only lines containing `grep`."""
    lines = text.splitlines()
    total = len(lines)
    if grep:
        needle = grep.lower()
        lines = [ln for ln in lines if needle in ln.lower()]
    collapsed = collapse_repeats(lines)
    head = f"{header}: {total} lines" + (f", {len(lines)} containing {grep!r}" if grep else "")
    if len(collapsed) < len(lines):
        head += f", {len(lines) - len(collapsed)} repeats collapsed"
    patterns = frequent_patterns(lines)
    used = estimate_tokens("\n".join([head, *patterns])) + 60 + estimate_tokens(more_hint)
    kept: list[str] = []
    for line in reversed(collapsed):
        cost = estimate_tokens(line) + 1
        if used + cost > budget and kept:
            break
        kept.append(line if len(line) <= 2000 else line[:2000] + "…")
        used += cost
    kept.reverse()
    out = [head, *patterns]
    if len(kept) < len(collapsed):
        out.append(f"[{len(collapsed) - len(kept)} earlier lines left out; {more_hint}]")
    out.extend(kept)
    if not collapsed:
        out.append("(no lines)")
    return "\n".join(out) + "\n"
