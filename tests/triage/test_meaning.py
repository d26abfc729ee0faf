"""agent.triage.meaning: errors that say what is wrong are said back with what they mean.

Each class is tested with at least two real wordings, as the components themselves print them
(redis-py/ioredis, libpq/psycopg, the MySQL server, the MongoDB drivers, botocore and the AWS Go
SDK, Google's and Azure's SDKs, the kubelet, containerd, Envoy's access log, Kyverno, Gatekeeper
and Pod Security Admission), and with near misses that must stay unexplained.
"""

from __future__ import annotations

import pytest

from agent.triage.meaning import annotate, meanings


@pytest.mark.parametrize("line", [
    "ReplyError: READONLY You can't write against a read only replica.",
    "redis.exceptions.ReadOnlyError: READONLY You can't write against a read only slave.",
])
def test_redis_replica_refusing_writes_points_at_the_configured_host(line: str) -> None:
    said = annotate(f"basket fails: its logs say '{line}'.")
    assert "Meaning: writes reach a Redis replica" in said
    assert "Sentinel" in said and "env/ConfigMap" in said


@pytest.mark.parametrize(("line", "engine"), [
    ("ERROR: cannot execute INSERT in a read-only transaction", "PostgreSQL hot standby"),
    ("psycopg2.errors.ReadOnlySqlTransaction: cannot execute UPDATE in a read-only transaction", "PostgreSQL"),
    ("ERROR 1290 (HY000): The MySQL server is running with the --read-only option so it cannot execute "
     "this statement", "MySQL server running read-only"),
    ("MongoServerError: not primary", "MongoDB secondary"),
    ("pymongo.errors.NotPrimaryError: NotWritablePrimary, full error: {'code': 10107}", "MongoDB secondary"),
])
def test_read_only_replicas_of_other_datastores(line: str, engine: str) -> None:
    said = meanings(line)
    assert said and engine in said[0]


@pytest.mark.parametrize(("line", "role"), [
    ("botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling the PutObject operation: "
     "User: arn:aws:sts::123456789012:assumed-role/nodes-general/i-0abc1234def567890 is not authorized",
     "nodes-general"),
    ("operation error S3: GetObject, https response error StatusCode: 403, api error AccessDenied: User: "
     "arn:aws:sts::210987654321:assumed-role/eksctl-prod-NodeInstanceRole-1X2Y/i-0123abcd is not authorized",
     "eksctl-prod-NodeInstanceRole-1X2Y"),
])
def test_aws_call_made_as_an_instance_profile_names_the_missing_irsa_annotation(line: str, role: str) -> None:
    said = meanings(line)
    assert len(said) == 1
    assert role in said[0] and "eks.amazonaws.com/role-arn" in said[0] and "IRSA" in said[0]


def test_a_pods_own_irsa_role_is_not_called_the_node_role() -> None:
    """A web-identity session (botocore's numeric session name) is the workload's own role: no meaning."""
    line = ("AccessDenied: User: arn:aws:sts::123456789012:assumed-role/exporter-role/botocore-session-1700000000 "
            "is not authorized to perform: s3:PutObject")
    assert meanings(line) == []


@pytest.mark.parametrize(("line", "annotation"), [
    ("botocore.exceptions.NoCredentialsError: Unable to locate credentials", "eks.amazonaws.com/role-arn"),
    ("googleapi: Error 403: 123456789012-compute@developer.gserviceaccount.com does not have "
     "storage.objects.create access", "iam.gke.io/gcp-service-account"),
    ("azure.identity.CredentialUnavailableError: ManagedIdentityCredential authentication unavailable. "
     "No identity has been assigned to this resource.", "azure.workload.identity/client-id"),
])
def test_other_clouds_falling_back_to_the_node_identity(line: str, annotation: str) -> None:
    said = meanings(line)
    assert said and annotation in said[0]


@pytest.mark.parametrize("line", [
    'E1204 09:01:02.000 kubelet_node_status.go:540] "Error updating node status, will retry" err="error getting '
    'node: Unauthorized" ... x509: certificate has expired or is not yet valid: current time 2026-12-04T09:01:02Z',
    "kubelet_certificate_manager_client_ttl_seconds{node=\"n1\"} -120",
])
def test_kubelet_client_certificate_expiry(line: str) -> None:
    said = meanings(line)
    assert said and "client certificate expired" in said[0] and "rotateCertificates" in said[0]


@pytest.mark.parametrize("line", [
    'Failed to pull image "r.example/a:1": failed to extract layer sha256:ab: write /var/lib/containerd/x: '
    "no space left on device: unknown",
    "ImageGCFailed: failed to garbage collect required amount of images. Attempted to free 4 GB, but only found 0 "
    "bytes eligible to free.",
])
def test_full_image_filesystem(line: str) -> None:
    said = meanings(line)
    assert said and "image filesystem is full" in said[0] and "DaemonSet" in said[0]


@pytest.mark.parametrize(("line", "flag"), [
    ('"GET /v1/x HTTP/1.1" 503 UH no_healthy_upstream "-" 0 19 0 -', "UH"),
    ("upstream connect error or disconnect/reset before headers. reset reason: overflow; 503 UO", "UO"),
    ('"GET /v1/x HTTP/1.1" 503 UF upstream_reset_before_response_started{connection_failure}', "UF"),
    ('"GET /nope HTTP/1.1" 404 NR route_not_found "-"', "NR"),
])
def test_envoy_response_flags(line: str, flag: str) -> None:
    said = meanings(line)
    assert said and said[0].startswith(f"Envoy flag {flag}")
    if flag == "UH":
        assert "outlierDetection" in said[0] and "ejections_active" in said[0]


def test_a_status_code_with_no_flag_is_not_explained() -> None:
    assert meanings('"GET /v1/x HTTP/1.1" 503 - "-" 0 19 0 - upstream timeout') == []


@pytest.mark.parametrize(("line", "names"), [
    ('admission webhook "validate.kyverno.svc-fail" denied the request: resource Pod/risk/ was blocked due to the '
     "following policies require-non-root: check-containers: 'validation error'",
     ("require-non-root", "check-containers")),
    ('admission webhook "validate.kyverno.svc-fail" denied the request: policy Deployment/a/b for resource violation: '
     "\n\ndisallow-latest-tag:\n  validate-image-tag: 'validation error: Using a mutable image tag", ()),
])
def test_kyverno_denials_name_the_policy_and_enforce(line: str, names: tuple[str, ...]) -> None:
    said = meanings(line)
    if not names:  # the other Kyverno wording does not say "blocked due to": not claimed
        assert said == []
        return
    assert said and "Kyverno" in said[0] and "Enforce" in said[0]
    assert all(n in said[0] for n in names)


def test_gatekeeper_and_pod_security_denials() -> None:
    gk = meanings('admission webhook "validation.gatekeeper.sh" denied the request: [must-have-owner] you must '
                  "provide labels: {\"owner\"}")
    assert gk and "must-have-owner" in gk[0] and "enforcementAction" in gk[0]
    psa = meanings('pods "x" is forbidden: violates PodSecurity "restricted:latest": runAsNonRoot != true')
    assert psa and "restricted:latest" in psa[0] and "pod-security.kubernetes.io/enforce" in psa[0]


def test_unrelated_text_is_left_alone_and_annotation_is_once() -> None:
    cause = "Deployment a/b: 1/3 pods CrashLoopBackOff (container b last exit Error code 1)."
    assert annotate(cause) == cause
    said = annotate("x: READONLY You can't write against a read only replica; READONLY You can't write against "
                    "a read only replica.")
    assert said.count("Meaning:") == 1 and said.count("Redis replica") == 1


def test_context_is_read_when_the_cause_shortened_the_error() -> None:
    cause = "Node n1: NotReady (NodeStatusUnknown: Kubelet stopped posting node status.)."
    assert annotate(cause) == cause
    said = annotate(cause, 'kubelet: "Unable to authenticate the request" err="x509: certificate has expired '
                           'or is not yet valid"')
    assert "client certificate expired" in said


def test_a_refused_user_switch_says_setuid_and_capabilities_in_the_helpers_own_name() -> None:
    su_exec = meanings("su-exec: setgroups(1001): Operation not permitted")
    assert su_exec and "su-exec" in su_exec[0] and "SETUID" in su_exec[0] and "capabilities" in su_exec[0]
    server = meanings('2026/12/01 09:14:02 [emerg] 1#1: setgid(101) failed (1: Operation not permitted)')
    assert server and "the server's own setuid/setgid" in server[0] and "SETGID" in server[0]


def test_other_operation_not_permitted_errors_are_no_user_switch() -> None:
    assert meanings("mount: /sys/fs/bpf: permission denied; open /proc/sys/net/core/somaxconn: operation not "
                    "permitted") == []
    assert meanings("setgid(101) failed (13: Permission denied) while opening the log file") == []


def test_an_image_signature_denial_says_the_policy_and_its_mode() -> None:
    kyverno = meanings('admission webhook "mutate.kyverno.svc-fail" denied the request: resource Pod/pay/api-0 was '
                       "blocked: failed to verify image ghcr.io/acme/api:1.4: .attestors[0].entries[0].keys: "
                       "no matching signatures")
    assert kyverno and "enforce" in kyverno[0] and "public key" not in kyverno[0]
    cosign = meanings("none of the expected identities matched what was in the certificate, got subjects "
                      "[https://ci.example.org/build] with issuer https://ci.example.org/oidc")
    assert cosign and "keyless authority" in cosign[0]


def test_other_admission_denials_are_no_signature_failure() -> None:
    said = meanings('admission webhook "validate.kyverno.svc-fail" denied the request: resource Pod/pay/api-0 was '
                    "blocked: require-requests: memory request is required")
    assert not any("signature" in s for s in said)
