"""A registry cleanup CronJob named for pulls now refused `not found` of an image the same workload still runs
(agent.triage.registry_cleanup).

Findings in the scan's own shape (pod.image_pull with its `error`), pods and CronJobs in Kubernetes' shape.
Two shapes: a regctl pruner deleting tags on a Quay-style host whose run log names the image, and an ACR purge
of untagged manifests whose log says nothing of it. Twins: an image no sibling runs (a tag never pushed), a
cleanup that ran before the running pods pulled or after the refusal, one aimed at another registry host, and
commands that delete something other than images.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.triage import registry_cleanup as rc
from agent.triage.facts import Facts

AT = datetime(2026, 9, 14, 10, 0, tzinfo=UTC)
QUAY = "quay.corp.example.net/team/orders:2.4.1"
ACR = "shopacr.azurecr.io/web/storefront@sha256:9f2c41aa07be53d61c0e8e1b1d5a9c4a3f77e0d6b2c8a1e4f5d6c7b8a9e0f1d2"


def _pod(name: str, image: str, created: str, refused: bool) -> dict[str, Any]:
    state = ({"waiting": {"reason": "ErrImagePull"}} if refused else {"running": {"startedAt": created}})
    return {"kind": "Pod", "metadata": {"name": name, "namespace": "apps", "creationTimestamp": created},
            "spec": {"containers": [{"name": "app", "image": image}]},
            "status": {"containerStatuses": [{"name": "app", "state": state}]}}


def _cronjob(name: str, command: list[str], last_run: str) -> dict[str, Any]:
    return {"kind": "CronJob", "metadata": {"name": name, "namespace": "platform"},
            "spec": {"schedule": "30 2 * * *", "jobTemplate": {"spec": {"template": {"spec": {
                "containers": [{"name": "c", "image": "tools:1", "command": command}]}}}}},
            "status": {"lastScheduleTime": last_run}}


def _facts(workload: str, image: str, error: str, pods: list[dict[str, Any]],
           cronjobs: list[tuple[dict[str, Any], str]]) -> Facts:
    facts = Facts(at=AT)
    facts.scan = {"findings": [{"check": "pod.image_pull", "severity": "critical",
                                "object": {"kind": "Deployment", "namespace": "apps", "name": workload},
                                "message": f"ErrImagePull: cannot pull image {image} ({error})",
                                "details": {"image": image, "container": "app", "error": error}}]}
    facts.reads[rc.STORE] = {"pods": [(p, f"P{i}") for i, p in enumerate(pods)],
                             "cronjobs": [(c, f"C{i}", log) for i, (c, log) in enumerate(cronjobs)]}
    return facts


REGCTL = ["/bin/sh", "-c", "for t in $(regctl tag ls quay.corp.example.net/team/orders | grep -v latest); do "
          "regctl tag rm quay.corp.example.net/team/orders:$t; done"]
PURGE = ["az", "acr", "purge", "--registry", "shopacr", "--filter", "web/.*:.*", "--ago", "14d", "--untagged"]


def _orders(image: str = QUAY, running_created: str = "2026-09-01T08:00:00Z", last_run: str = "2026-09-14T02:30:00Z",
            command: list[str] | None = None) -> Facts:
    pods = [_pod("orders-7c9d8f6b5-x7b2m", image, running_created, False),
            _pod("orders-7c9d8f6b5-zzq4k", QUAY, "2026-09-14T09:40:00Z", True)]
    log = "2026-09-14T02:30:05Z removing tag quay.corp.example.net/team/orders:2.4.1\n2026-09-14T02:30:09Z done"
    return _facts("orders", QUAY, "manifest unknown: manifest unknown", pods,
                  [(_cronjob("tag-pruner", command or REGCTL, last_run), log)])


def test_a_regctl_pruner_whose_run_names_the_image_is_named() -> None:
    [found] = rc.found(_orders())
    message = rc.finding(found, AT)["message"]
    assert str(found.cronjob) == "CronJob platform/tag-pruner" and found.named
    assert "removing tag quay.corp.example.net/team/orders:2.4.1" in message and "regctl tag rm" in message
    assert "last ran 7 h 30 min before the alert" in message


def test_an_acr_purge_of_untagged_manifests_is_named_without_its_log_naming_the_image() -> None:
    pods = [_pod("storefront-6d8c9b7f4-k2l8p", ACR, "2026-09-10T12:00:00Z", False),
            _pod("storefront-6d8c9b7f4-w9x7z", ACR, "2026-09-14T09:00:00Z", True)]
    facts = _facts("storefront", ACR, "NotFound", pods,
                   [(_cronjob("acr-purge", PURGE, "2026-09-13T03:00:00Z"), "Number of deleted manifests: 212")])
    [found] = rc.found(facts)
    assert not found.named and "acr purge" in found.command and "212" in rc.finding(found, AT)["message"]


def test_an_image_no_sibling_runs_blames_no_cleanup() -> None:
    # the running pod runs another tag: the refused one may never have been pushed
    assert rc.found(_orders(image="quay.corp.example.net/team/orders:2.4.0")) == []


def test_a_cleanup_before_the_running_pods_pulled_after_the_refusal_or_on_another_host_is_not_named() -> None:
    assert rc.found(_orders(running_created="2026-09-14T05:00:00Z")) == []  # pulled fine after the run
    assert rc.found(_orders(last_run="2026-09-14T09:50:00Z")) == []  # ran after the refusal began
    other = ["regctl", "tag", "rm", "ghcr.io/another/thing:old"]
    assert rc.found(_orders(command=other)) == []  # cleans another registry


def test_only_registry_deletions_count_as_cleanup_commands() -> None:
    for words in ("registry garbage-collect --delete-untagged /etc/config.yml", "crane delete r.example/a@sha256:1",
                  "aws ecr batch-delete-image --repository-name api --image-ids imageTag=old",
                  "skopeo delete docker://r.example/a:b"):
        assert rc.CLEANUP.search(words), words
    for words in ("find /var/log -mtime +7 -delete", "pg_dump shop | gzip > /backup/shop.gz", "velero backup create"):
        assert not rc.CLEANUP.search(words), words


def test_a_refusal_that_is_not_a_missing_manifest_reads_nothing() -> None:
    facts = _orders()
    facts.scan["findings"][0]["details"]["error"] = "i/o timeout"  # type: ignore[index]
    assert rc.refused_as_missing(facts) == [] and rc.found(facts) == []


# Deleters in other tools' words (issue #12): the registry's own HTTP API, ORAS, GCR's gcloud, ACR's repository and
# manifest commands, JFrog's CLI.
OTHER_DELETERS = [
    ["/bin/sh", "-c", "for d in $(cat stale.txt); do curl -sf -X DELETE "
     "https://quay.corp.example.net/v2/team/orders/manifests/$d; done"],
    ["oras", "manifest", "delete", "--force", "quay.corp.example.net/team/orders:2.4.1"],
]
NOT_DELETERS = [
    ["/bin/sh", "-c", "curl -sf -X DELETE https://quay.corp.example.net/api/v1/sessions/expired"],
    ["oras", "manifest", "fetch", "quay.corp.example.net/team/orders:2.4.1"],
]
"""The same tools and the same host, doing something other than deleting a manifest."""


def test_cleanups_in_other_tools_words_are_named() -> None:
    for command in OTHER_DELETERS:
        assert rc.CLEANUP.search(" ".join(command)), command  # read() keeps only such CronJobs
        [found] = rc.found(_orders(command=command))
        assert str(found.cronjob) == "CronJob platform/tag-pruner", command
    for words in ("gcloud container images delete gcr.io/shop/api@sha256:1 --force-delete-tags --quiet",
                  "az acr repository delete --name shopacr --image web/storefront:old --yes",
                  "az acr manifest delete --registry shopacr --name web/storefront@sha256:1 --yes",
                  "jf rt del 'docker-local/orders/2.*'"):
        assert rc.CLEANUP.search(words), words


def test_the_same_tools_doing_something_else_are_not_cleanups() -> None:
    for command in NOT_DELETERS:
        assert not rc.CLEANUP.search(" ".join(command)), command
        assert rc.found(_orders(command=command)) == [], command
    for words in ("gcloud container clusters delete old-pool --quiet", "az acr repository show-tags --name shopacr",
                  "docker image prune -af", "jf rt upload build/*.zip generic-local/"):
        assert not rc.CLEANUP.search(words), words
