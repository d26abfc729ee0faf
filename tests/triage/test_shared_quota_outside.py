"""shared_quota: providers' quota wordings beyond Google's, gRPC's, a bare 429 and OpenAI's (issue #12 audit).

Shape: an Azure OpenAI deployment shared by a chat service and a newly rolled-out batch summariser reading the same
Secret; the chat service logs Azure's `Rate limit is exceeded` with code `TooManyRequests` and no 429 in its words.
Wordings: Anthropic `rate_limit_error`, Google APIs `RATE_LIMIT_EXCEEDED`, Shopify's call budget, S3 `SlowDown`,
DynamoDB's throughput. Twin: a newcomer on another key, refused with the same wording.
"""

from __future__ import annotations

from datetime import timedelta

from agent.triage.facts import Facts, LogEvidence
from agent.triage.shared_quota import found, refusal
from tests.triage.test_shared_quota import AT, cred, facts_for, iso

AZURE = ("azure.core.exceptions.HttpResponseError: (TooManyRequests) Rate limit is exceeded. Try again in 6 seconds. "
         "Code: TooManyRequests")


def _azure(their_secret: str, their_env: str = "AZURE_OPENAI_API_KEY") -> Facts:
    change = {"at": iso(AT - timedelta(minutes=25)), "type": "rollout",
              "object": {"kind": "Deployment", "namespace": "ai", "name": "batch-summariser"},
              "summary": "Deployment ai/batch-summariser rolled out revision 1"}
    return facts_for("support", "chat-assist", AZURE, None, AT - timedelta(minutes=20),
                     ("Deployment", "ai", "batch-summariser"), change,
                     [cred("support", "aoai-key", "key", "AZURE_OPENAI_API_KEY")],
                     [cred("ai", their_secret, "key", their_env)])


def test_azure_rate_limit_shared_by_a_new_batch_summariser_and_another_key_twin() -> None:
    (n,) = found(_azure("aoai-key"))
    assert n.workload.name == "batch-summariser" and n.status == "TooManyRequests"
    assert found(_azure("aoai-batch-key", "AOAI_BATCH_KEY")) == []


def test_other_providers_wordings_are_quota_refusals() -> None:
    for said in ('anthropic.RateLimitError: {"type":"error","error":{"type":"rate_limit_error"}}',
                 "googleapiclient.errors.HttpError: reason RATE_LIMIT_EXCEEDED",
                 "ShopifyAPI::ApiError Exceeded 2 calls per second for api client",
                 "botocore.exceptions.ClientError: An error occurred (SlowDown): Please reduce your request rate.",
                 "ProvisionedThroughputExceededException: The level of configured provisioned throughput was exceeded"):
        log = LogEvidence(pod="p-7d9c8b6f5d-x2k4q", namespace="n", evidence_id="L",
                          top={"message": said, "first_seen": iso(AT)}, hosts=[], error_classes=set(), previous=False)
        assert refusal(log) is not None, said
