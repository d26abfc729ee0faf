"""credential_write's narrowed key, outside wording: other providers saying a valid key lacks a permission.

The class: a Secret write replaced a credential by a valid one with FEWER permissions, and the workload reading it
is refused for a missing permission from then on. Shapes from providers the round did not use: an AWS access key
pair of another IAM user (`AccessDenied ... is not authorized to perform: s3:PutObject`) in a Go uploader, a GCP
service-account key without a role (`Permission 'pubsub.topics.publish' denied`, PERMISSION_DENIED) in a Python
publisher, an Azure service principal (`AuthorizationFailed ... does not have authorization to perform action`),
and a SendGrid API key without the mail scope (403 `access forbidden`). Twins: the same AWS refusal with no Secret
written (a role's policy: cloud_policy's class, not this one), the refusal already there before the write, and a
throttling 429 after the write (another class entirely: a rate limit, no permission word).
"""

from __future__ import annotations

from datetime import timedelta

from agent.triage.credential_write import finding, found, narrowed
from tests.triage.test_credential_narrowed import _case
from tests.triage.test_credential_write import AT

AWS = ('operation error S3: PutObject, https response error StatusCode: 403, RequestID: 7Q2K, api error '
       'AccessDenied: User: arn:aws:iam::123456789012:user/reports-ro is not authorized to perform: s3:PutObject '
       'on resource: "arn:aws:s3:::exports/2026/11/20.csv" because no identity-based policy allows the action')
GCP = ("google.api_core.exceptions.PermissionDenied: 403 User not authorized to perform this action. "
       "[reason: \"IAM_PERMISSION_DENIED\" metadata { key: \"permission\" }] Permission 'pubsub.topics.publish' "
       "denied on resource 'projects/acme/topics/orders' (or it may not exist).")
AZURE = ("Azure.RequestFailedException: The client 'a1b2' with object id 'a1b2' does not have authorization to "
         "perform action 'Microsoft.Storage/storageAccounts/listKeys/action' over scope '/subscriptions/x' "
         "Status: 403 (Forbidden) ErrorCode: AuthorizationFailed")
SENDGRID = ('python_http_client.exceptions.ForbiddenError: HTTP Error 403: Forbidden b\'{"errors":[{"field":null,'
            '"message":"access forbidden"}]}\'')
THROTTLED = 'HTTP Error 429: Too Many Requests b\'{"errors":[{"message":"rate limit exceeded"}]}\''


def test_providers_saying_a_key_lacks_a_permission_name_the_written_secret() -> None:
    for said, words in ((AWS, "is not authorized to perform"), (GCP, "Permission 'pubsub.topics.publish' denied"),
                        (AZURE, "does not have authorization to perform action"), (SENDGRID, "access forbidden")):
        hits = found(_case(said, AT - timedelta(minutes=26), ns="exports", app="uploader"))
        assert [str(h.secret) for h in hits] == ["Secret exports/provider-keys"], said
        message = finding(hits[0], AT)["message"]
        assert message.startswith("Secret exports/provider-keys was written by kubectl-edit"), said
        assert "a restricted (scoped) key that lacks a permission" in message[:300], said
        assert words in message[:520], (said, message)
        assert finding(hits[0], AT)["reason"] == "CredentialNarrowed"


def test_twins_no_secret_written_a_refusal_before_the_write_and_a_rate_limit() -> None:
    no_write = _case(AWS, AT - timedelta(minutes=26), ns="exports", app="uploader")
    no_write.changes = {"changes": [c for c in (no_write.changes or {})["changes"] if c["object"]["kind"] != "Secret"]}
    assert found(no_write) == []  # a role's policy narrowed, no key written: not this class
    assert found(_case(GCP, AT - timedelta(minutes=50))) == []
    assert found(_case(THROTTLED, AT - timedelta(minutes=26))) == []
    assert narrowed(THROTTLED) == "" and narrowed("403 Forbidden") == ""
