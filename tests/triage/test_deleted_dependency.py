"""A needed object gone because another actor deleted it after a write widened its reach: a janitor CronJob's Job
deleting a live ConfigMap (kubectl's wording, the run's time from the Job name), a TTL controller Deployment
deleting a Secret (kube-janitor's wording with its own stamps), a cleanup Job deleting a Service the topology
misses; and the twins (the janitor deleting other objects only, a dry run, a deletion after the victims failed, a
write after the deletion, the same name deleted in another namespace)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage import behind, deleted_dependency
from agent.triage.facts import Facts, Ref
from agent.triage.subject import Subject
from tests.triage.doubles import Call, RecordingHub, grep, outcome

AT = datetime(2026, 11, 27, 8, 30, tzinfo=UTC)
M = timedelta(minutes=1)


class _Cluster(RecordingHub):
    """Serves pod listings and logs (grep kept case-insensitive, as the server does); the history read answers an
    empty timeline."""

    def __init__(self, pods: dict[str, list[tuple[str, datetime, list[str]]]],
                 cronjobs: list[tuple[str, str]] | None = None) -> None:
        super().__init__(first_id=11, lists={"CronJob": [{"namespace": ns, "name": n} for ns, n in cronjobs or []]} | {
            ("Pod", ns): [{"name": n, "status": "Completed", "created": _iso(t)} for n, t, _ in listed]
            for ns, listed in pods.items()}, otherwise=lambda _, eid: outcome(True, {"changes": []}, "", eid))
        self.pods = pods

    def answer(self, call: Call, eid: str) -> ToolOutcome | None:
        if call.tool == "k8s_logs":
            ns, name = call.args["namespace"], call.args["name"]
            lines = next(lines for n, _, lines in self.pods[ns] if n == name)
            return outcome(True, {}, "\n".join([f"logs of {ns}/{name}", *grep(lines, call.args)]), eid)
        return super().answer(call, eid)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _job_pod(cronjob: str, run: datetime) -> str:
    """The CronJob controller's naming: the scheduled time in minutes since the epoch."""
    return f"{cronjob}-{int(run.timestamp()) // 60}-x7k2p"


def _write(kind: str, namespace: str, name: str, at: datetime, diff: str) -> dict[str, Any]:
    return {"at": _iso(at), "type": "other", "object": {"kind": kind, "namespace": namespace, "name": name},
            "summary": f"{kind} {namespace}/{name} pod template written by kubectl-edit", "diff": [diff]}


def _config_error(namespace: str, name: str, configmap: str, since: datetime) -> dict[str, Any]:
    owner = {"kind": "Deployment", "namespace": namespace, "name": name}
    return {"check": "pod.config_error", "object": owner, "owner": owner, "reason": "CreateContainerConfigError",
            "message": f"Deployment {namespace}/{name}: 2/4 pods CreateContainerConfigError: missing ConfigMap "
                       f"{configmap}", "details": {"configmap": configmap},
            "evidence": [f'configmap "{configmap}" not found'], "since": _iso(since)}


def _run(facts: Facts, cluster: _Cluster) -> list[deleted_dependency.Deleted]:
    asyncio.run(deleted_dependency.read(Subject(namespace="bookings"), facts, cluster, _iso(AT)))
    return deleted_dependency.found(facts)


JANITOR_WRITE = _write("CronJob", "ops", "sandbox-reaper", AT - 80 * M,
                       "sandbox-reaper args now ['--namespace-selector=tier!=prod', '--kinds=configmap,secret']")


def _janitor_facts(first_failure: datetime = AT - 20 * M) -> Facts:
    facts = Facts(at=AT, scan={"findings": [_config_error("bookings", "bookings-api", "api-settings", first_failure)]},
                  changes={"changes": [JANITOR_WRITE]}, changes_id="E2")
    return facts


def _janitor(run: datetime, lines: list[str]) -> _Cluster:
    return _Cluster({"ops": [(_job_pod("sandbox-reaper", run - 60 * M), run - 60 * M, ["nothing to do"]),
                             (_job_pod("sandbox-reaper", run), run, lines)]})


def test_a_janitor_cronjob_whose_job_deleted_the_live_configmap_is_named_with_its_write() -> None:
    facts = _janitor_facts()
    cluster = _janitor(AT - 30 * M, ["namespaces matching tier!=prod: bookings sandbox-1",
                                     'configmap "api-settings" deleted', 'configmap "seed" deleted'])
    [d] = _run(facts, cluster)
    assert (str(d.actor), str(d.gone.ref), d.at) == ("CronJob ops/sandbox-reaper", "ConfigMap bookings/api-settings",
                                                     AT - 30 * M)
    message = deleted_dependency.finding(d, AT)["message"]
    assert message.startswith("CronJob ops/sandbox-reaper deleted ConfigMap bookings/api-settings, which "
                              "Deployment bookings/bookings-api needs")
    assert "50 min after CronJob ops/sandbox-reaper was written" in message
    assert "--namespace-selector=tier!=prod" in message[:400]
    [(ref, _, evidence, explains)] = [s for s in behind.suspects(facts) if s[1]["check"] == deleted_dependency.CHECK]
    assert str(ref) == "CronJob ops/sandbox-reaper" and "E2" in evidence
    assert [str(e) for e in explains] == ["ConfigMap bookings/api-settings", "Deployment bookings/bookings-api"]


def test_a_ttl_controller_deployment_that_deleted_a_secret_is_named_from_its_own_stamps() -> None:
    victim = {"kind": "Deployment", "namespace": "payments", "name": "psp-gateway"}
    failing = {"check": "pod.config_error", "object": victim, "owner": victim, "reason": "FailedMount",
               "message": "Deployment payments/psp-gateway: 1/3 pods ContainerCreating",
               "evidence": ['MountVolume.SetUp failed for volume "creds" : secret "psp-credentials" not found'],
               "since": _iso(AT - 10 * M)}
    write = _write("Deployment", "platform", "ttl-controller", AT - 3 * 60 * M, "ttl-controller args now "
                   "['--default-ttl=24h', '--include-kinds=Secret,ConfigMap']")
    facts = Facts(at=AT, scan={"findings": [failing]}, changes={"changes": [write]}, changes_id="E2")
    pod = "ttl-controller-6c9f8d7b5-q2w9z"
    cluster = _Cluster({"platform": [(pod, AT - 179 * M, [
        f"{_iso(AT - 40 * M)} INFO Deleting Secret payments/psp-credentials (ttl 24h expired)..",
        f"{_iso(AT - 40 * M)} INFO Deleted Secret payments/psp-credentials"])]})
    [d] = _run(facts, cluster)
    assert (str(d.actor), str(d.gone.ref), d.at) == ("Deployment platform/ttl-controller",
                                                     "Secret payments/psp-credentials", AT - 40 * M)


def test_a_cleanup_job_that_deleted_a_service_the_topology_misses_is_named() -> None:
    write = {"at": _iso(AT - 90 * M), "type": "created", "object": {"kind": "Job", "namespace": "ops",
                                                                   "name": "cleanup-legacy"},
             "summary": "Job ops/cleanup-legacy created", "diff": []}
    facts = Facts(at=AT, scan={"findings": []}, changes={"changes": [write]}, changes_id="E2")
    facts.topologies.append(({"subject": {"kind": "Deployment", "namespace": "shop", "name": "checkout"},
                              "dependencies": [{"detail": "no Service pricing/prices exists: prices.pricing.svc "
                                                          "does not resolve"}]}, "E3"))
    cluster = _Cluster({"ops": [("cleanup-legacy-8h2kd", AT - 88 * M, ["service/prices deleted"])]})
    [d] = _run(facts, cluster)
    assert (str(d.actor), str(d.gone.ref)) == ("Job ops/cleanup-legacy", "Service pricing/prices")
    assert [str(v) for v in d.gone.victims] == ["Deployment shop/checkout"]


def test_a_janitor_that_deleted_other_objects_only_is_not_named() -> None:
    cluster = _janitor(AT - 30 * M, ['configmap "seed" deleted', 'configmap "api-settings-old" deleted'])
    assert _run(_janitor_facts(), cluster) == []


def test_a_dry_run_or_skipped_deletion_is_not_named() -> None:
    cluster = _janitor(AT - 30 * M, ['would delete configmap "api-settings" (dry-run)',
                                     'skipping configmap "api-settings": label janitor/keep=true'])
    assert _run(_janitor_facts(), cluster) == []


def test_a_deletion_after_the_victims_had_failed_is_not_named() -> None:
    cluster = _janitor(AT - 5 * M, ['configmap "api-settings" deleted'])
    assert _run(_janitor_facts(first_failure=AT - 20 * M), cluster) == []


def test_a_deletion_before_the_actor_was_written_is_not_named() -> None:
    cluster = _janitor(AT - 100 * M, ['configmap "api-settings" deleted'])  # the write came 80 min before
    assert _run(_janitor_facts(), cluster) == []


def test_the_same_name_deleted_in_another_namespace_is_not_named() -> None:
    assert not deleted_dependency.says_deleted("Deleted ConfigMap staging/api-settings",
                                               Ref("ConfigMap", "bookings", "api-settings"))
    assert not deleted_dependency.says_deleted('secret "api-settings" deleted',
                                               Ref("ConfigMap", "bookings", "api-settings"))
    assert deleted_dependency.says_deleted("configmap/api-settings deleted",
                                           Ref("ConfigMap", "bookings", "api-settings"))


def test_nothing_is_read_when_no_needed_object_is_missing() -> None:
    facts = Facts(at=AT, scan={"findings": []}, changes={"changes": [JANITOR_WRITE]}, changes_id="E2")
    cluster = _janitor(AT - 30 * M, ['configmap "api-settings" deleted'])
    assert _run(facts, cluster) == [] and cluster.calls == []


def _unwritten(changes: list[dict[str, Any]], lines: list[str]) -> tuple[Facts, _Cluster]:
    facts = Facts(at=AT, scan={"findings": [_config_error("bookings", "bookings-api", "api-settings", AT - 20 * M)]},
                  changes={"changes": changes}, changes_id="E2")
    run = AT - 30 * M
    cluster = _Cluster({"ops": [(_job_pod("sandbox-reaper", run), run, lines)],
                        "batch": [(_job_pod("report-export", run), run, ["exported 120 rows"])]},
                       cronjobs=[("batch", "report-export"), ("ops", "sandbox-reaper")])
    return facts, cluster


def test_an_unchanged_janitor_is_named_with_the_relabel_of_the_victims_namespace() -> None:
    relabel = {"at": _iso(AT - 3 * 60 * M), "type": "other",
               "object": {"kind": "Namespace", "namespace": "", "name": "bookings"},
               "summary": "Namespace bookings labels written by kubectl-label", "diff": ["label tier removed"]}
    facts, cluster = _unwritten([relabel], ['configmap "api-settings" deleted'])
    [d] = _run(facts, cluster)
    assert (str(d.actor), str(d.gone.ref)) == ("CronJob ops/sandbox-reaper", "ConfigMap bookings/api-settings")
    assert "Namespace bookings was written (label tier removed): the namespace now falls under CronJob " \
           "ops/sandbox-reaper's selector" in deleted_dependency.finding(d, AT)["message"]


def test_an_unchanged_janitor_with_no_write_in_view_is_still_named_as_the_deleter() -> None:
    facts, cluster = _unwritten([], ['Deleted ConfigMap bookings/api-settings'])
    [d] = _run(facts, cluster)
    assert str(d.actor) == "CronJob ops/sandbox-reaper"
    assert "was not written in the last 48 h" in deleted_dependency.finding(d, AT)["message"]


def test_unchanged_cronjobs_that_deleted_other_objects_only_are_not_named() -> None:
    facts, cluster = _unwritten([], ['configmap "seed" deleted'])
    assert _run(facts, cluster) == []
