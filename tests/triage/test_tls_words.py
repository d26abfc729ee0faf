"""The TLS verification wordings are declared once (agent/triage/tls_words.py) and each module reads its piece.

Each piece is checked against real library wordings (Go, OpenSSL/curl/Python, Node, Java, nginx/Envoy) and
against the refusals it must NOT take (an expiry, a name mismatch, the peer's alert where the local verifier is
meant), and each consumer is checked to read the shared table, not a copy of its own.
"""

from __future__ import annotations

import pytest

from agent.triage import access_rule, governing_settings, image_contents, tls_words, upstream_trust

LOCAL_UNTRUSTED = [
    'Get "https://api.stripe.com/v1/charges": tls: failed to verify certificate: x509: certificate signed by '
    "unknown authority",
    'x509: "billing.example.com" certificate is not trusted',
    "curl: (60) SSL certificate problem: unable to get local issuer certificate",
    "SSL certificate problem: unable to get issuer certificate",
    "Error: unable to verify the first certificate code=UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    "FetchError: request failed, reason: self-signed certificate in certificate chain",
    "code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'",
    "javax.net.ssl.SSLHandshakeException: PKIX path building failed: "
    "sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to "
    "requested target",
]
WRAPPED = [
    "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed (_ssl.c:1006)",
    "upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport "
    "failure reason: TLS_error:|268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED",
    "upstream SSL certificate verify error: (20:unable to get local issuer certificate) while SSL handshaking",
]
PEER_ALERT = [
    "http: TLS handshake error: remote error: tls: unknown certificate authority",
    "SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca",
    "javax.net.ssl.SSLHandshakeException: Received fatal alert: unknown_ca",
]
NOT_THE_ROOT = [
    "x509: certificate has expired or is not yet valid: current time 2026-12-05T10:00:00Z is after ...",
    "x509: certificate is valid for web.internal, not api.internal",
    "remote error: tls: bad certificate",
    "ERROR unknown caller id in request header",
]


@pytest.mark.parametrize("line", LOCAL_UNTRUSTED)
def test_local_untrusted_root_is_read_by_every_composition(line: str) -> None:
    assert tls_words.UNTRUSTED_ROOT.search(line)
    assert tls_words.NO_TRUSTED_ROOT.search(line)
    assert tls_words.AUTHORITY_REFUSED.search(line)
    assert tls_words.UNCHAINED.search(line)


@pytest.mark.parametrize("line", WRAPPED)
def test_a_bare_verify_failed_is_not_an_authority_refusal(line: str) -> None:
    """The wrapper may carry an expiry or a name: the issuer-change reading needs the words of the authority."""
    assert tls_words.VERIFY_FAILED.search(line)
    assert tls_words.NO_TRUSTED_ROOT.search(line)
    assert tls_words.UNCHAINED.search(line)
    assert not tls_words.PEER_UNKNOWN_CA.search(line)


def test_a_wrapped_expiry_is_still_told_apart() -> None:
    line = "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired (_ssl.c:1006)"
    assert tls_words.NO_TRUSTED_ROOT.search(line) and tls_words.EXPIRY.search(line)
    assert not tls_words.UNTRUSTED_ROOT.search(line)
    assert not tls_words.AUTHORITY_REFUSED.search(line)


@pytest.mark.parametrize("line", PEER_ALERT)
def test_the_peers_alert_is_not_this_process_bundle(line: str) -> None:
    assert tls_words.PEER_UNKNOWN_CA.search(line)
    assert tls_words.AUTHORITY_REFUSED.search(line)
    assert tls_words.UNCHAINED.search(line)
    assert not tls_words.NO_TRUSTED_ROOT.search(line)


@pytest.mark.parametrize("line", NOT_THE_ROOT)
def test_expiry_name_and_other_refusals_are_not_an_untrusted_root(line: str) -> None:
    assert not tls_words.UNCHAINED.search(line)


def test_name_and_expiry_words() -> None:
    assert tls_words.NAME_MISMATCH.search("x509: certificate is valid for a.svc, not b.svc")
    assert tls_words.NAME_MISMATCH.search("Hostname mismatch, certificate is not valid for 'api.example.com'")
    assert tls_words.EXPIRY.search("SSL certificate problem: certificate has expired")
    assert not tls_words.EXPIRY.search("x509: certificate signed by unknown authority")


def test_the_modules_read_the_shared_tables() -> None:
    """One declaration: a word added to tls_words reaches every mechanism that reads the meaning."""
    assert upstream_trust.UNCHAINED is tls_words.UNCHAINED
    assert upstream_trust.NAME_MISMATCH is tls_words.NAME_MISMATCH
    assert upstream_trust.EXPIRY is tls_words.EXPIRY
    assert governing_settings.BY_NAME["tls_trust"].error is tls_words.NO_TRUSTED_ROOT


@pytest.mark.parametrize("line", [
    "code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' request to https://ledger.payments.svc:8443/ failed",
    "SSLHandshakeException: Received fatal alert: unknown_ca",
])
def test_access_rule_reads_node_and_java_authority_refusals(line: str) -> None:
    """Node's code and Java's alert name the authority too: a Certificate reissued by another CA explains them."""
    assert access_rule.parse(line) == {"kind": "tls_authority"}


def test_access_rule_leaves_a_wrapped_verify_failure_alone() -> None:
    assert access_rule.parse("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed (_ssl.c:1006)") is None


def test_governing_settings_reads_the_local_bundle_only() -> None:
    names = [g.name for g in governing_settings.recognise("UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the "
                                                          "first certificate")]
    assert "tls_trust" in names
    alert = governing_settings.recognise("remote error: tls: unknown certificate authority")
    assert "tls_trust" not in [g.name for g in alert]


ROLLOUT = ("The change: Deployment shop/mailer rolled out revision 4: mailer image "
           "registry.example.com/shop/mailer:1.4.0 -> registry.example.com/shop/mailer:1.5.0")


@pytest.mark.parametrize("error", [
    "curl: (60) SSL certificate problem: unable to get local issuer certificate, url https://api.sendgrid.com/v3",
    "Error: unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE) at https://api.sendgrid.com/",
])
def test_image_contents_reads_the_shared_local_words(error: str) -> None:
    """curl's and Node's local words reach the missing-CA-bundle sentence through the one table."""
    assert image_contents.TRUST_ERROR is tls_words.NO_TRUSTED_ROOT
    assert "api.sendgrid.com" in image_contents.missing_ca_bundle(f"its logs say '{error}'. {ROLLOUT}")


@pytest.mark.parametrize("error", [
    "curl: (60) SSL certificate problem: certificate has expired, url https://api.sendgrid.com/v3",
    "Get \"https://api.sendgrid.com/v3\": remote error: tls: unknown certificate authority",
])
def test_image_contents_twins_expiry_and_the_peers_alert(error: str) -> None:
    """An expired certificate is the server's; the peer's unknown-CA alert is about OUR certificate: not our bundle."""
    assert image_contents.missing_ca_bundle(f"its logs say '{error}'. {ROLLOUT}") == ""
