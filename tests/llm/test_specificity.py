"""Which model hypotheses are specific enough to lead a report (agent/model_answer.specificity_problem).

The unspecific ones are what a real 0.5B model answered (tests/llm/recordings/qwen05b): a runbook
step's title, the alert's own words, a log template with its placeholder.
"""

from __future__ import annotations

import pytest

from agent.model_answer import specificity_problem

EVIDENCE = {
    "E1": "scan: Deployment shop/checkout: 3/3 pods CrashLoopBackOff (container checkout)",
    "E2": "logs of shop/checkout-7d9f8c6b5-x2k4q: ValueError: could not convert string to float: '30s' "
          "(FX_RATE_SOURCE_TIMEOUT) while reading /etc/checkout/rates.yaml",
}
TITLE = "KubePodCrashLooping: Pod is crash looping"


@pytest.mark.parametrize("cause", [
    "Error ratio by status code",
    "Missing required environment variable: ${name}",
    "Pod is crash looping",
    "The service is unhealthy and returns errors",
])
def test_unspecific_answers_are_held_back(cause: str) -> None:
    assert specificity_problem(cause, [TITLE], EVIDENCE) is not None


@pytest.mark.parametrize("cause", [
    "Deployment shop/checkout crashes: FX_RATE_SOURCE_TIMEOUT='30s' is not a float",
    "FX_RATE_SOURCE_TIMEOUT='30s' is not a float",
    "checkout reads /etc/checkout/rates.yaml, whose timeout is not a number",
    "checkout-7d9f8c6b5-x2k4q exits on a config parse error",
])
def test_answers_naming_what_the_evidence_shows_may_lead(cause: str) -> None:
    assert specificity_problem(cause, [TITLE], EVIDENCE) is None


def test_the_alerting_object_and_a_state_word_restate_the_symptom() -> None:
    alert = ["KubeDeploymentReplicasMismatch: Deployment has not matched the expected number of replicas.",
             "KubeDeploymentReplicasMismatch web web/KubeDeploymentReplicasMismatch frontend web/frontend"]
    evidence = {"E1": "scan: Deployment web/frontend: ReplicaSet frontend-7f cannot create pods (quota exceeded)"}
    assert specificity_problem("Deployment web/frontend is not progressing", alert, evidence) is not None
    assert specificity_problem("web/frontend cannot create pods: ResourceQuota compute is exceeded", alert,
                               evidence) is None
