"""agent.triage.time_source against other time daemons' and clients' own wording (not the round's incident).

Shapes: an ntp.conf ConfigMap of an ntpd DaemonSet, ntpd then logging `step time server <addr> offset +3600.1 sec`,
and a Java client refused by Kerberos (`Clock skew too great`); a timesyncd.conf ConfigMap (`NTP=`), nothing
stepped in the daemon's log, the clients (read here) refused by Google OAuth (`invalid_grant ... Check your iat and
exp values`), by TLS (`certificate ... is not yet valid: current time ... is before ...`), by AWS SigV4 (`Signature
expired: ... is now earlier than`), or by etcd's peer clock check. Twins: a token that simply expired and a
certificate past its notAfter (`current time ... is after`) are not clock failures; a daemon log with a clock jump
of no stated size and no client failing names nothing.
"""

from __future__ import annotations

import pytest

from agent.triage import time_source
from agent.triage.facts import Ref
from tests.triage.test_time_source import log, run, stamp, write

NTP_WRITE = write("ConfigMap", "ntp-config", 30, "data key ntp.conf set by kubectl-apply",
                  [{"kind": "DaemonSet", "namespace": "kube-system", "name": "ntpd"}])
NTP_MAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ntp-config", "namespace": "kube-system"},
           "data": {"ntp.conf": "tinker panic 0\nserver 10.20.0.5 iburst\n"}}
KERBEROS = ("javax.security.sasl.SaslException: GSS initiate failed [Caused by GSSException: No valid credentials "
            "provided (Mechanism level: Clock skew too great (37))]")
TIMESYNCD_WRITE = write("ConfigMap", "timesyncd-conf", 25, "data key timesyncd.conf set by kubectl-edit",
                        [{"kind": "DaemonSet", "namespace": "kube-system", "name": "chrony"}])
GCP = ("google.auth.exceptions.RefreshError: ('invalid_grant: Invalid JWT: Token must be a short-lived token (60 "
       "minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.', {'error': "
       "'invalid_grant'})")
TLS = ("Post \"https://api.payments.example/v1/charge\": tls: failed to verify certificate: x509: certificate has "
       "expired or is not yet valid: current time 2026-11-20T07:00:01Z is before 2026-11-20T07:30:00Z")
SIGV4 = ("botocore.exceptions.ClientError: An error occurred (InvalidSignatureException) when calling the PutRecord "
         "operation: Signature expired: 20261120T070000Z is now earlier than 20261120T074500Z (20261120T080000Z - "
         "15 min.)")
ETCD = "rafthttp: the clock difference against peer 8211f1d0f64f3269 is too high [3600.1s > 1s]"
EXPIRED_JWT = 'msg="token rejected" err="token has invalid claims: token is expired"'
EXPIRED_CERT = ("x509: certificate has expired or is not yet valid: current time 2026-11-20T08:00:01Z is after "
                "2026-11-19T08:30:00Z")


def test_an_ntpd_config_write_that_stepped_the_clock_is_named_by_ntpds_words_and_kerberos() -> None:
    facts, _ = run([NTP_WRITE], {"ntpd-q9w4r": [stamp(28, "ntpd[812]: step time server 10.20.0.5 offset "
                                                          "+3600.127894 sec")]},
                   read_logs=[log("billing-gateway-6d8f9c7b5-x2k4q", "billing", KERBEROS)],
                   objects={("ConfigMap", "kube-system", "ntp-config"): NTP_MAP})
    [(ref, finding, _, explains)] = time_source.suspects(facts)
    assert ref == Ref("ConfigMap", "kube-system", "ntp-config")
    head = finding["message"][:400]
    assert "3600 s" in head and "server 10.20.0.5" in head and "clock" in head
    assert "Clock skew too great" in finding["message"]
    assert explains == [Ref("", "billing", "billing-gateway")]


@pytest.mark.parametrize("line", [GCP, TLS, SIGV4, ETCD])
def test_a_timesyncd_write_is_named_by_its_clients_time_checks_in_their_own_words(line: str) -> None:
    facts, hub = run([TIMESYNCD_WRITE], {"billing-gateway-6d8f9c7b5-x2k4q": [stamp(50, "level=info msg=ok"),
                                                                             stamp(20, line)]})
    assert "survey-time-source-client-billing-gateway-6d8f9c7b5-x2k4q" in hub.steps
    [(ref, finding, _, _)] = time_source.suspects(facts)
    assert ref == Ref("ConfigMap", "kube-system", "timesyncd-conf")
    assert line[-60:].strip() in finding["message"]


@pytest.mark.parametrize("line", [EXPIRED_JWT, EXPIRED_CERT])
def test_an_expired_token_or_certificate_is_not_a_clock_moved_by_the_write(line: str) -> None:
    assert not time_source.skew_line(line)
    facts, _ = run([TIMESYNCD_WRITE], {"billing-gateway-6d8f9c7b5-x2k4q": [stamp(20, line)]})
    assert time_source.suspects(facts) == []


def test_a_clock_jump_of_no_stated_size_with_no_client_failing_names_nothing() -> None:
    facts, _ = run([TIMESYNCD_WRITE], {"chrony-x7k2p": [stamp(20, "chronyd[1]: Forward time jump detected!")],
                                       "billing-gateway-6d8f9c7b5-x2k4q": [stamp(10, "level=error msg=timeout")]})
    assert time_source.suspects(facts) == []
