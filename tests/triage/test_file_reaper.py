"""A cleanup CronJob, written shortly before, that deletes under the directory where a workload's files went missing
on the claim both mount (agent.triage.file_reaper). Shapes: a Python worker's FileNotFoundError under a spool swept
by tmpreaper, a Java exporter's NoSuchFileException under parts swept by `bash -c 'find ... -mtime ... -exec rm'`.
Twins: a sweep of another directory, of another claim, a job not written in the lead, a write after the failures."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import yaml

from agent.triage import file_reaper
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject

AT = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
FIRST = AT - timedelta(minutes=40)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _log(pod: str, namespace: str, line: str) -> LogEvidence:
    return LogEvidence(pod, namespace, "E1", {"message": line, "example": line, "first_seen": _iso(FIRST)},
                       [], set(), False)


def _facts(line: str, pod: str, namespace: str, pod_mount: tuple[str, str], job: str, template: str,
           job_mount: tuple[str, str], written: datetime | None) -> Facts:
    changes = [] if written is None else [{
        "at": _iso(written), "type": "updated", "object": {"kind": "CronJob", "namespace": namespace, "name": job},
        "summary": f"CronJob {namespace}/{job} pod template written by argocd (no revision in view): x"}]
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="E9", logs=[_log(pod, namespace, line)])
    facts.reads[file_reaper.RECORD] = {
        "pods": {f"{namespace}/{pod}": {"mounts": [list(pod_mount)], "evidence": "E2"}},
        "jobs": [{"namespace": namespace, "name": job, "template": template, "mounts": [list(job_mount)],
                  "evidence": "E3"}]}
    return facts


PY = ("FileNotFoundError: [Errno 2] No such file or directory: '/var/spool/ingest/incoming/batch-77/rows.csv'",
      "ingest-worker-5d8f9c7b6-qwxzr", "etl", ("/var/spool/ingest", "ingest-spool"), "spool-cleaner",
      "tmpreaper 10m /work/incoming")
JAVA = ("java.nio.file.NoSuchFileException: /srv/exports/tmp/job-4411/part-00003.parquet",
        "report-exporter-7c9d8b5f4-abcde", "reports", ("/srv/exports", "exports-rwx"), "export-tmp-purge",
        "/bin/bash -c find /mnt/x/tmp -type f -mtime +0 -exec rm -f {} + && echo done")


def _case(shape: tuple[str, str, str, tuple[str, str], str, str], job_mount: tuple[str, str],
          written: datetime | None, template: str | None = None) -> Facts:
    line, pod, ns, mount, job, tmpl = shape
    return _facts(line, pod, ns, mount, job, template or tmpl, job_mount, written)


def test_a_tmpreaper_sweep_of_the_spool_explains_a_python_workers_missing_file() -> None:
    [hit] = file_reaper.found(_case(PY, ("/work", "ingest-spool"), FIRST - timedelta(hours=3)))
    assert (hit.job.kind, hit.job.name, hit.victim.name) == ("CronJob", "spool-cleaner", "ingest-worker")
    assert hit.directory == "/work/incoming" and hit.by == "argocd" and "E9" in hit.evidence
    assert file_reaper.finding(hit, AT)["object"]["name"] == "spool-cleaner"


def test_a_shell_wrapped_find_exec_rm_explains_a_java_exporters_missing_part() -> None:
    [hit] = file_reaper.found(_case(JAVA, ("/mnt/x", "exports-rwx"), FIRST - timedelta(minutes=50)))
    assert hit.job.name == "export-tmp-purge" and hit.directory == "/mnt/x/tmp"
    assert "-mtime +0" in file_reaper.finding(hit, AT)["message"]


def test_a_sweep_of_another_directory_or_another_claim_is_not_named() -> None:
    written = FIRST - timedelta(hours=1)
    assert file_reaper.found(_case(PY, ("/work", "ingest-spool"), written, "tmpreaper 10m /work/logs")) == []
    assert file_reaper.found(_case(JAVA, ("/mnt/x", "reports-archive"), written)) == []


def test_a_job_not_written_in_the_lead_or_written_after_the_failures_is_not_named() -> None:
    assert file_reaper.found(_case(PY, ("/work", "ingest-spool"), None)) == []
    assert file_reaper.found(_case(PY, ("/work", "ingest-spool"), FIRST - timedelta(days=3))) == []
    assert file_reaper.found(_case(JAVA, ("/mnt/x", "exports-rwx"), FIRST + timedelta(minutes=20))) == []


def test_only_deleting_commands_sweep() -> None:
    assert file_reaper.swept_directories("/bin/sh -c find /data/a -type f -mmin +1 -print -delete | wc -l") == \
        ["/data/a"]
    assert file_reaper.swept_directories("find /data/a -type f -mmin +60 -print") == []
    assert file_reaper.swept_directories("du -sh /data/a; ls /data/a") == []
    assert file_reaper.swept_directories("nice -n 10 tmpwatch 48 /scratch/in") == ["/scratch/in"]




def _hub(job_claim: str) -> Any:
    """A fake hub answering the reads `file_reaper.read` makes: the failing pod, its namespace's CronJobs, one job."""
    pod = {"kind": "Pod", "metadata": {"name": "render-6b7c9d8f5-zzq2k", "namespace": "gfx"}, "spec": {
        "volumes": [{"name": "scratch", "persistentVolumeClaim": {"claimName": "render-scratch"}}],
        "containers": [{"name": "render", "volumeMounts": [{"name": "scratch", "mountPath": "/scratch"}]}]}}
    job = {"kind": "CronJob", "metadata": {"name": "scratch-gc", "namespace": "gfx"}, "spec": {"jobTemplate": {
        "spec": {"template": {"spec": {
            "volumes": [{"name": "s", "persistentVolumeClaim": {"claimName": job_claim}}],
            "containers": [{"name": "gc", "command": ["sh", "-c", "find /s/frames -mmin +2 -delete"],
                            "volumeMounts": [{"name": "s", "mountPath": "/s"}]}]}}}}}}

    async def call(tool: str, args: dict[str, Any], step: str) -> Any:
        if tool == "k8s_list":
            return SimpleNamespace(ok=True, evidence_id="E30", data={"rows": [{"name": "scratch-gc"}]})
        obj = pod if args["kind"] == "Pod" else job
        return SimpleNamespace(ok=True, evidence_id="E31", full_text=yaml.safe_dump(obj), data={})
    return call


def test_the_reads_find_a_go_renderers_sweep_and_refuse_another_claims() -> None:
    line = "open /scratch/frames/shot-12/0042.exr: no such file or directory"
    for claim, expected in (("render-scratch", ["scratch-gc"]), ("render-cache", [])):
        facts = Facts(at=AT, changes={"changes": [{
            "at": _iso(FIRST - timedelta(hours=2)), "type": "updated",
            "object": {"kind": "CronJob", "namespace": "gfx", "name": "scratch-gc"},
            "summary": "CronJob gfx/scratch-gc pod template written by kubectl-patch (no revision in view): x"}]},
            changes_id="E9", logs=[_log("render-6b7c9d8f5-zzq2k", "gfx", line)])
        asyncio.run(file_reaper.read(Subject(), facts, _hub(claim), _iso(AT)))
        assert [h.job.name for h in file_reaper.found(facts)] == expected
