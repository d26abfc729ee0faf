"""agent.triage.node_disk_run: a named node's disk saturated by a data run begun on it, named by its schedule's edit.

Shapes: a Longhorn-style RecurringJob edited by helm to force full backups, its Backup run created naming the node
(`spec.nodeID`); a Stash-style BackupConfiguration edited by Argo CD, its BackupSession naming a database pod that
runs on the node (not the node itself). Twins: the disk already saturated before the run, a disk that stays idle,
a run on another node, a run whose schedule nobody edited.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import node_disk_run as nd
from agent.triage.facts import Facts
from agent.triage.subject import Subject
from tests.triage.doubles import RecordingHub, outcome

AT = datetime(2026, 10, 9, 3, 40, tzinfo=UTC)
NODE = "worker-b7.dc2.example.net"
RUN_AT = AT - timedelta(minutes=50)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def created(kind: str, ns: str, name: str, diff: list[str], at: datetime = RUN_AT) -> dict[str, Any]:
    return {"at": iso(at), "type": "created", "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} created: {'; '.join(diff)}", "diff": diff}


def edited(kind: str, ns: str, name: str, diff: list[str], by: str, hours: int = 9) -> dict[str, Any]:
    return {"at": iso(AT - timedelta(hours=hours)), "type": "other",
            "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} written by {by} (generation 5): {'; '.join(diff)}", "diff": diff}


LONGHORN = [edited("RecurringJob", "storage", "nightly-full", ["spec.task = 'backup-force-create'",
                                                              "spec.concurrency = 4"], "helm"),
            created("Backup", "storage", "nightly-full-c-3f9a1e", [f"spec.nodeID = '{NODE}'",
                                                                  "spec.volume = 'pvc-8d1c'"])]
STASH = [edited("BackupConfiguration", "billing", "ledger-files", ["spec.target.paths = ['/var/lib/ledger']"],
                "argocd-controller", hours=20),
         created("BackupSession", "billing", "ledger-files-1760000000",
                 ["spec.invoker.name = 'ledger-files'", "status.targets[0].ref.name = 'ledger-store-0'"])]


def facts_for(changes: list[dict[str, Any]], busy_before: float, busy_now: float,
              pods: list[str] | None = None) -> Facts:
    def prom(call: Any, eid: str) -> Any:
        value = busy_now if call.args["time"] == iso(AT) else busy_before
        return outcome(True, {"samples": [{"labels": {}, "value": value}]}, "", eid)

    nodes = outcome(True, {"nodes": [{"name": NODE, "cpu_allocatable": 8}, {"name": "worker-a1.dc2.example.net",
                                                                             "cpu_allocatable": 8}]}, "", "N1")
    rows = [{"name": p} for p in (pods if pods is not None else ["ledger-store-0", "web-5d8f7c6b9d-abcde"])]
    hub = RecordingHub(lists={"Pod": rows}, answers={"prom_query": prom, "k8s_nodes": nodes})
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="C1")
    subject = Subject(namespace="")
    subject.nodes.append(NODE)
    asyncio.run(nd.read(subject, facts, hub, iso(AT)))
    return facts


def test_recurring_job_forced_full_backups_on_the_named_node() -> None:
    hits = nd.suspects(facts_for(LONGHORN, 0.08, 0.97))
    assert len(hits) == 1
    ref, finding, _, _ = hits[0]
    assert (ref.kind, ref.name) == ("RecurringJob", "nightly-full")
    head = finding["message"][:500]
    assert "backup-force-create" in head and "helm" in head and NODE in head and "97%" in head


def test_backup_session_reading_a_pod_on_the_node() -> None:
    hits = nd.suspects(facts_for(STASH, 0.2, 0.9))
    assert len(hits) == 1 and hits[0][0].name == "ledger-files"
    assert "ledger-store-0" in hits[0][1]["message"]


def test_disk_already_saturated_before_the_run() -> None:
    assert nd.suspects(facts_for(LONGHORN, 0.92, 0.97)) == []


def test_disk_not_saturated_now() -> None:
    assert nd.suspects(facts_for(LONGHORN, 0.08, 0.35)) == []


def test_run_on_another_node() -> None:
    other = [LONGHORN[0], created("Backup", "storage", "nightly-full-c-3f9a1e",
                                  ["spec.nodeID = 'worker-a1.dc2.example.net'"])]
    assert nd.suspects(facts_for(other, 0.08, 0.97)) == []
    # the Stash session's pod runs elsewhere
    assert nd.suspects(facts_for(STASH, 0.2, 0.9, pods=["web-5d8f7c6b9d-abcde"])) == []


def test_run_whose_schedule_nobody_edited() -> None:
    unedited = [edited("RecurringJob", "storage", "weekly-prune", ["spec.task = 'filesystem-trim'"], "helm"),
                LONGHORN[1]]
    assert nd.suspects(facts_for(unedited, 0.08, 0.97)) == []


def test_an_edited_object_whose_name_only_occurs_inside_the_runs() -> None:
    inside = [edited("ConfigMap", "storage", "full-c", ["data.retention = '30d'"], "helm"), LONGHORN[1]]
    assert nd.suspects(facts_for(inside, 0.08, 0.97)) == []


# Issue #12: runs that name their schedule in labels or owners rather than carry its name as a prefix, and disk
# series labelled by other setups' node labels.
VOLSYNC = [edited("ReplicationSource", "db", "pg-data", ["spec.restic.copyMethod 'Snapshot' -> 'Direct'"],
                  "flux-kustomize", hours=6),
           created("Job", "db", "volsync-src-pg-data", [f"spec.template.spec.nodeName = '{NODE}'",
                                                        "metadata.ownerReferences[0] = 'ReplicationSource/pg-data'",
                                                        "metadata.labels.app.kubernetes.io/created-by = 'volsync'"])]
LONGHORN_LABEL = [edited("RecurringJob", "storage", "nightly-full", ["spec.task 'snapshot' -> 'backup'"], "helm"),
                  created("Backup", "storage", "backup-5c1e0a7d9b2f4e61",
                          ["metadata.labels.recurring-job.longhorn.io/nightly-full = 'enabled'",
                           f"status.ownerID = '{NODE}'"])]


def test_runs_naming_their_schedule_in_owners_or_labels_name_its_edit() -> None:
    [(ref, _, _, _)] = nd.suspects(facts_for(VOLSYNC, 0.1, 0.95))
    assert (ref.kind, ref.name) == ("ReplicationSource", "pg-data")
    [(ref, _, _, _)] = nd.suspects(facts_for(LONGHORN_LABEL, 0.1, 0.95))
    assert (ref.kind, ref.name) == ("RecurringJob", "nightly-full")


def test_a_run_naming_an_edited_volume_or_a_shorter_name_inside_its_schedules_is_not_named() -> None:
    resized = [edited("PersistentVolumeClaim", "db", "pg-data", ["spec.resources.requests.storage '50Gi' -> '80Gi'"],
                      "kubectl", hours=6), VOLSYNC[1]]
    assert nd.suspects(facts_for(resized, 0.1, 0.95)) == []
    shorter = [edited("RecurringJob", "storage", "nightly", ["spec.task 'snapshot' -> 'backup'"], "helm"),
               LONGHORN_LABEL[1]]
    assert nd.suspects(facts_for(shorter, 0.1, 0.95)) == []


def _labelled(label: str, node: str) -> Facts:
    def prom(call: Any, eid: str) -> Any:
        if f'{label}="{node}"' not in call.args["query"]:
            return outcome(True, {"samples": []}, "", eid)
        value = 0.96 if call.args["time"] == iso(AT) else 0.05
        return outcome(True, {"samples": [{"labels": {label: node}, "value": value}]}, "", eid)

    nodes = outcome(True, {"nodes": [{"name": NODE, "cpu_allocatable": 8}]}, "", "N1")
    hub = RecordingHub(lists={"Pod": [{"name": "ledger-store-0"}]}, answers={"prom_query": prom, "k8s_nodes": nodes})
    facts = Facts(at=AT, changes={"changes": LONGHORN}, changes_id="C1")
    subject = Subject(namespace="")
    subject.nodes.append(NODE)
    asyncio.run(nd.read(subject, facts, hub, iso(AT)))
    return facts


def test_disk_series_under_other_node_labels_are_read() -> None:
    [(ref, finding, _, _)] = nd.suspects(_labelled("kubernetes_node", NODE))
    assert ref.name == "nightly-full" and "96%" in finding["message"]
    [(ref, _, _, _)] = nd.suspects(_labelled("host", NODE))  # an agent's `host` (Telegraf's diskio_io_time / 1000)
    assert ref.name == "nightly-full"


def test_a_series_for_another_node_leaves_the_disk_unknown() -> None:
    assert nd.suspects(_labelled("kubernetes_node", "worker-a1.dc2.example.net")) == []
    assert nd.suspects(_labelled("job", NODE)) == []
