"""A new image's contents said back: a missing CA bundle (public TLS calls fail) and a new non-root user (volume)."""

from __future__ import annotations

from agent.triage import image_contents, meaning

ROLLOUT = ("The change: Deployment pay/dispatcher rolled out revision 7: dispatcher image "
           "registry.example.com/pay/dispatcher:2.7.4 -> registry.example.com/pay/dispatcher:2.8.0")
ENV_ONLY = "The change: Deployment pay/dispatcher rolled out revision 7: env LOG_LEVEL info -> debug"


def test_go_x509_to_a_public_api_after_an_image_change_is_the_missing_ca_bundle() -> None:
    text = ("its logs say 'Post \"https://api.stripe.com/v1/charges\": tls: failed to verify certificate: x509: "
            f"certificate signed by unknown authority'. {ROLLOUT}")
    said = meaning.meanings(text)
    assert said and said[0].startswith("the new image lacks the CA certificates bundle")
    assert "api.stripe.com" in said[0] and "scratch" in said[0]


def test_python_certificate_verify_failed_shape_is_recognised() -> None:
    text = ("requests.exceptions.SSLError: HTTPSConnectionPool(host='hooks.slack.com', port=443): Max retries "
            "exceeded (Caused by SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate "
            f"verify failed: unable to get local issuer certificate'))). {ROLLOUT}")
    assert "hooks.slack.com" in image_contents.missing_ca_bundle(text)


def test_internal_host_is_the_private_ca_twin_not_the_image() -> None:
    text = ("Post \"https://ledger.payments.svc.cluster.local:8443/v1\": x509: certificate signed by unknown "
            f"authority. {ROLLOUT}")
    assert image_contents.missing_ca_bundle(text) == ""
    private_ip = f"Get \"https://10.2.3.4/health\": x509: certificate signed by unknown authority. {ROLLOUT}"
    assert image_contents.missing_ca_bundle(private_ip) == ""


def test_no_image_change_or_a_server_side_certificate_error_says_nothing() -> None:
    errors = "Post \"https://api.stripe.com/v1\": x509: certificate signed by unknown authority."
    assert image_contents.missing_ca_bundle(f"{errors} {ENV_ONLY}") == ""
    expired = "Post \"https://api.stripe.com/v1\": x509: certificate has expired or is not yet valid."
    assert image_contents.missing_ca_bundle(f"{expired} {ROLLOUT}") == ""


def test_go_permission_denied_on_a_volume_after_an_image_change_is_the_non_root_user() -> None:
    text = ("its previous container's logs say 'open /var/lib/store/wal/0001.wal: permission denied', and "
            f"'{{\"msg\":\"starting\",\"uid\":65532}}'. {ROLLOUT}")
    said = image_contents.non_root_volume(text)
    assert "non-root UID 65532" in said and "fsGroup" in said and "/var/lib/store/wal/0001.wal" in said


def test_python_and_node_shapes_without_a_uid_say_a_non_root_user() -> None:
    python = f"PermissionError: [Errno 13] Permission denied: '/data/index.db'. {ROLLOUT}"
    node = f"Error: EACCES: permission denied, open '/srv/uploads/tmp-1'. {ROLLOUT}"
    for text in (python, node):
        assert "a non-root user" in image_contents.non_root_volume(text)


def test_permission_denied_twins_say_nothing() -> None:
    # no image change: an env-only rollout does not change the user
    assert image_contents.non_root_volume(f"open /data/x.db: permission denied. {ENV_ONLY}") == ""
    # a database's own permission error is not a file
    assert image_contents.non_root_volume(f"ERROR: permission denied for table orders. {ROLLOUT}") == ""
    # a system path is not a volume-ownership question
    assert image_contents.non_root_volume(f"open /proc/sys/net/core/somaxconn: permission denied. {ROLLOUT}") == ""
    # the change already speaks of fsGroup: field_meaning's question, not a guess here
    assert image_contents.non_root_volume(
        f"open /data/x.db: permission denied. {ROLLOUT} (securityContext.fsGroup 1000 -> 2000)") == ""
