"""deleted_dependency: deleters beyond kubectl and kube-janitor (issue #12 audit).

Shape: a Terraform/OpenTofu apply run by a CronJob (an infra reconciler) destroys the live ConfigMap, in its own
words (`kubernetes_config_map_v1.api_settings: Destroying... [id=bookings/api-settings]`). Twins: Terraform's plan
(`will be destroyed`), and an apply that failed to delete (`Error: deleting`). Also Argo CD's structured prune line.
"""

from __future__ import annotations

from agent.triage import deleted_dependency
from agent.triage.facts import Ref
from tests.triage.test_deleted_dependency import AT, M, _janitor, _janitor_facts, _run

GONE = Ref("ConfigMap", "bookings", "api-settings")


def test_terraform_apply_destroying_the_live_configmap_is_named() -> None:
    cluster = _janitor(AT - 30 * M, ["kubernetes_config_map_v1.api_settings: Destroying... [id=bookings/api-settings]",
                                     "kubernetes_config_map_v1.api_settings: Destruction complete after 0s",
                                     "Apply complete! Resources: 0 added, 0 changed, 1 destroyed."])
    [d] = _run(_janitor_facts(), cluster)
    assert str(d.gone.ref) == "ConfigMap bookings/api-settings" and str(d.actor) == "CronJob ops/sandbox-reaper"


def test_terraform_plan_and_a_failed_destroy_are_not_deletions() -> None:
    assert not deleted_dependency.says_deleted(
        "  # kubernetes_config_map_v1.api_settings will be destroyed [id=bookings/api-settings]", GONE)
    assert not deleted_dependency.says_deleted(
        "Error: deleting kubernetes_config_map_v1 [id=bookings/api-settings]: forbidden", GONE)
    assert deleted_dependency.says_deleted(
        'time="2026-11-27T08:00:01Z" level=info msg="Deleting resource" kind=ConfigMap name=api-settings '
        "namespace=bookings", Ref("ConfigMap", "bookings", "api-settings"))
