"""A new image whose ENTRYPOINT changed turns a pod's `args` into arguments of another program: the role is gone.

Kubernetes runs a container's `command` in place of the image's ENTRYPOINT and its `args` in place of CMD; a pod
spec that sets only `args` (`["worker"]`, `["consumer", "--queue=x"]`, `["celery", "-A", "app", "worker"]`) relies
on the image's ENTRYPOINT to be the dispatcher that reads them (`docker-entrypoint.sh`, a CLI with subcommands).
When a new image revision changes the ENTRYPOINT (to `node dist/server.js`, `uvicorn app:app`, `java -jar
app.jar`), the args are passed to that program instead, which ignores them and does its own thing: the pods run,
are Ready, and start the WEB SERVER ("Server listening at http://0.0.0.0:3000", "Uvicorn running on", "Tomcat
started on port") while the worker role never starts. Nothing fails; a queue's consumers drop to zero and its
backlog grows, or scheduled work stops.

Suspect: a workload rolled out within hours whose diff changes the image but neither `command` nor `args`, whose
current template keeps `command` unset and `args` naming a non-server role, and whose pods' logs since then show
a server starting and no line of that role (the role word, a consumer/subscriber starting). A worker that also
serves metrics logs its role too, and is left alone. Read: the workload's template and one pod's logs, bounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, parse_time
from agent.triage.kube_reads import Call, get_yaml
from agent.triage.subject import workload_of_pod

CHECK = "change.entrypoint_role"
WEIGHT = 0.93
"""The role the pods no longer run explains the backlog (or the stopped work) behind it, above a queue's symptom."""

WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")
WITHIN = timedelta(hours=6)
READS = "entrypoint_role"
MAX_WORKLOADS = 3

IMAGE = re.compile(r"^(?P<container>\S+) image (?P<old>\S+) -> (?P<new>\S+)$")
SPEC_LINE = re.compile(r"^(?P<container>\S+) (?:command|args) ")

ROLE = re.compile(
    r"^(?:worker|workers|consumer|consume|queue|jobs?|scheduler|schedule|beat|cron|celery|sidekiq|rq|dramatiq|"
    r"listener|processor|process-queue|subscriber|subscribe|dispatcher|poller|runner|agent|indexer|"
    r"sync|ingest(?:er)?|relay|outbox)(?:[:-]\w+)?$", re.I)
"""Words that name a background role as a subcommand (args[0] or any arg): not a server."""

SERVER_STARTED = re.compile(
    r"\b(?:Server|HTTP server|server|app|application) (?:is )?listening (?:at|on)\b|\bListening on (?:port|https?://|"
    r"[\d\[:.])|Uvicorn running on|Running on https?://|Tomcat started on port|Netty started on port|Jetty "
    r"started|Now listening on:|Started \w+Application in [\d.]+ seconds|HTTP server started|Serving HTTP on|"
    r"Booting worker with pid|Puma starting|Listening at: https?://", re.I)
"""Web servers' start-up words (Fastify/Express, Uvicorn, Flask, Spring Boot, ASP.NET, Gunicorn, Puma)."""

ROLE_STARTED = re.compile(
    r"\b(?:consumer|consuming|subscrib|worker (?:started|ready|running)|waiting for (?:messages|jobs|tasks)|"
    r"polling|processing (?:job|message|task)|registered (?:consumer|tasks?)|celery@|sidekiq|job\w* (?:started|"
    r"processed)|queue)\w*", re.I)
"""A background role's own start-up or work lines: the role runs, whatever else the pod serves."""


@dataclass
class RoleLost:
    """A workload whose pods start a server after an image change, though its args name a background role."""

    workload: Ref
    container: str
    old_image: str
    new_image: str
    args: list[str]
    said: str
    minutes: int
    evidence: list[str] = field(default_factory=list)


def role_args(args: list[str]) -> bool:
    """Whether container args name a background role as a subcommand."""
    return any(ROLE.match(str(a).strip()) for a in args[:3])


def image_only(diff: list[str]) -> list[tuple[str, str, str]]:
    """(container, old image, new image) of a rollout that changed images but no container's command or args."""
    if any(SPEC_LINE.match(str(d)) for d in diff):
        return []
    return [(m["container"], m["old"], m["new"]) for d in diff if (m := IMAGE.match(str(d)))]


def _store(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(READS, {})


def _recent(facts: Facts) -> list[tuple[dict[str, Any], Ref, list[tuple[str, str, str]]]]:
    out = []
    for change in facts.change_list():
        target, at = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is None or at is None or target.kind not in WORKLOADS or not facts.at - WITHIN <= at <= facts.at:
            continue
        images = image_only([str(d) for d in change.get("diff") or []])
        if images:
            out.append((change, target, images))
    return out


MESSAGE = re.compile(r'"(?:msg|message)"\s*:\s*"(?P<msg>(?:[^"\\]|\\.)*)"')
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]+Z?\s+")


def message_of(line: str) -> str:
    """A log line's own message: a JSON line's msg/message field, else the line without its timestamp."""
    found = MESSAGE.search(line)
    return found.group("msg") if found else TIMESTAMP.sub("", line).strip()


def server_not_role(lines: list[str]) -> str:
    """The log's server start-up line when no line shows a background role running; "" otherwise."""
    if any(ROLE_STARTED.search(line) for line in lines):
        return ""
    return next((line for line in lines if SERVER_STARTED.search(line)), "")


def found(facts: Facts) -> list[RoleLost]:
    """Image-only rollouts whose args name a role the new image's pods no longer run (they start a server)."""
    store = _store(facts)
    out: list[RoleLost] = []
    for change, target, images in _recent(facts):
        read = store.get(f"{target.namespace}/{target.name}")
        if not read:
            continue
        at = parse_time(change.get("at"))
        for container, old, new in images:
            spec = read["containers"].get(container)
            if spec is None or spec.get("command") or not role_args(spec.get("args") or []):
                continue
            said = server_not_role(read.get("lines") or [])
            if not said:
                continue
            minutes = int((facts.at - at).total_seconds() // 60) if at else 0
            out.append(RoleLost(target, container, old, new, [str(a) for a in spec["args"]], said[:200], minutes,
                                [e for e in (facts.changes_id, read.get("spec_id"), read.get("logs_id")) if e]))
            break
    return out


def finding(r: RoleLost) -> dict[str, Any]:
    """The workload as the suspect: what its args meant, what the new ENTRYPOINT does with them, and the log."""
    args = "[" + ", ".join(f'"{a}"' for a in r.args) + "]"
    message = (f"{r.workload} no longer runs its {r.args[0]} role: the new image {r.new_image} changed its "
               f"ENTRYPOINT, and the pod spec sets no command, so its args {args} are passed to the new entrypoint, "
               f"which starts the web server instead ('{r.said}'): nothing consumes its queue (no consumers, the "
               f"backlog grows). Rolled out {r.minutes} min before the alert (image {r.old_image} -> {r.new_image}). "
               f"Set command to the {r.args[0]} entrypoint or roll back")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": r.workload.kind, "namespace": r.workload.namespace, "name": r.workload.name},
            "reason": "EntrypointChangedRoleLost", "message": message, "evidence": [r.said],
            "details": {"container": r.container, "args": r.args, "image": r.new_image,
                        "minutes_before": r.minutes}}


def _containers(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    spec = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    return {str(c.get("name")): {"command": c.get("command"), "args": c.get("args")}
            for c in spec.get("containers") or [] if isinstance(c, dict)}


async def read(facts: Facts, call: Call) -> None:
    """Reading only, bounded: the template of image-only rollouts' workloads and, where args name a role with no
    command, one pod's logs (its server and role lines kept)."""
    store = _store(facts)
    for _, target, images in _recent(facts)[:MAX_WORKLOADS]:
        key = f"{target.namespace}/{target.name}"
        if key in store:
            continue
        got = await get_yaml(call, target.kind, target.name, target.namespace, f"survey-entrypoint-{target.name}")
        if got is None:
            continue
        containers = _containers(got[0])
        store[key] = {"containers": containers, "spec_id": got[1], "lines": [], "logs_id": ""}
        if not any((c := containers.get(name)) and not c.get("command") and role_args(c.get("args") or [])
                   for name, _, _ in images):
            continue
        listed = await call("k8s_list", {"kind": "Pod", "namespace": target.namespace},
                            f"survey-entrypoint-pods-{target.name}")
        rows = (listed.data or {}).get("rows") or [] if listed is not None and listed.ok else []
        pod = next((str(r.get("name")) for r in rows if isinstance(r, dict)
                    and workload_of_pod(str(r.get("name") or "")) == target.name), "")
        if not pod:
            continue
        logs = await call("k8s_logs", {"name": pod, "namespace": target.namespace, "tail": 300},
                          f"survey-entrypoint-logs-{pod}")
        if logs is None or not logs.ok:
            continue
        lines = [message_of(ln) for ln in str(logs.full_text or "").splitlines() if not ln.startswith("====")]
        store[key]["lines"] = [ln[:300] for ln in lines if SERVER_STARTED.search(ln) or ROLE_STARTED.search(ln)][:20]
        store[key]["logs_id"] = logs.evidence_id
