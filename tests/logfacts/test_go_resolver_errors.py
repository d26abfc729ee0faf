"""Go's resolver and socket errors, as net.DNSError and net.OpError print them.

`lookup NAME on SERVER:53: <cause>` is a DNS failure whatever the cause (a read timeout, a refused
socket, a misbehaving server); `read tcp LOCAL->REMOTE` names the pod's own socket first, and the
address worth following is the remote one (or, for DNS, the name that failed, never the resolver).
"""

from __future__ import annotations

import pytest

from mcp_servers.common.logfacts import extract


@pytest.mark.parametrize(("line", "name"), [
    ('Post "https://api.bank.example.net/v2/settlements": dial tcp: lookup api.bank.example.net on 172.20.0.12:53: '
     "read udp 10.244.2.31:40037->172.20.0.12:53: i/o timeout", "api.bank.example.net"),
    ("dial tcp: lookup payments-db.shop.svc.cluster.local on 10.96.0.10:53: dial udp 10.96.0.10:53: connect: "
     "connection refused", "payments-db.shop.svc.cluster.local"),
    ("failed to connect: lookup kafka-0.kafka-headless.data on [fd00:10:96::a]:53: read udp "
     "[fd00:10:244::5]:41000->[fd00:10:96::a]:53: i/o timeout", "kafka-0.kafka-headless.data"),
])
def test_a_go_lookup_error_is_dns_and_names_the_wanted_host_not_the_resolver(line: str, name: str) -> None:
    [error] = extract([f"2026/11/17 09:46:56 settlement push failed: {line}"]).errors
    assert error.error_class == "dns_failure"
    assert error.fields["dns_name"] == name
    assert error.fields.get("upstream_host") in (None, name)


def test_the_local_end_of_a_go_socket_error_is_not_the_upstream() -> None:
    [error] = extract(["pq: read tcp 10.244.1.9:51234->10.96.44.2:5432: read: connection reset by peer"]).errors
    assert (error.fields["upstream_host"], error.fields["upstream_port"]) == ("10.96.44.2", "5432")
