"""A DNS controller's scope narrowed off the incident's hosts (agent.triage.dns_scope).

Shapes: a domain filter narrowed in args (a Deployment), an exclusion added through an `EXTERNAL_DNS_*` variable
(a StatefulSet, in another namespace), a source type removed, the TXT owner id changed. Negative twins: a widened
filter, a narrowed one that still covers the host, a host the old scope never served, a rollout after the alert,
a rollout of an app that happens to take `--source`-like flags but no host fell out.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.triage import dns_scope
from agent.triage.facts import Facts
from agent.triage.subject import Subject

AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _args(old: list[str], new: list[str], container: str = "external-dns") -> str:
    return f"{container} args {old!r} -> {new!r}"


def _facts(diff: list[str], kind: str = "Deployment", ns: str = "external-dns", name: str = "external-dns",
           at: str = "2026-11-20T10:00:00Z") -> Facts:
    change: dict[str, Any] = {"at": at, "type": "rollout", "object": {"kind": kind, "namespace": ns, "name": name},
                              "summary": "rolled out", "diff": diff, "revision": 4}
    return Facts(at=AT, scan={"findings": []}, changes={"changes": [change]}, changes_id="E2")


def _found(facts: Facts, hosts: list[str]) -> list[tuple[str, str, list[str]]]:
    dns_scope.read(Subject(hosts=hosts), facts)
    return [(str(n.target), n.flag, n.hosts) for n in dns_scope.found(facts)]


BASE = ["--source=ingress", "--provider=aws", "--registry=txt", "--txt-owner-id=prod"]


def test_a_domain_filter_narrowed_off_the_host_names_the_controller() -> None:
    facts = _facts([_args([*BASE, "--domain-filter=shop.io"], [*BASE, "--domain-filter=int.shop.io"])])
    assert _found(facts, ["checkout.shop.io", "api.int.shop.io"]) == [
        ("Deployment external-dns/external-dns", "domain-filter", ["checkout.shop.io"])]
    message = dns_scope.finding(dns_scope.found(facts)[0], AT)["message"]
    assert message.startswith("external-dns (DNS controller) narrowed its --domain-filter from shop.io to int.shop.io")
    assert "DNS record" in message and "hosted zone" in message and "2 h" in message


def test_an_exclusion_set_through_the_environment_names_the_statefulset() -> None:
    line = "dns-sync env EXTERNAL_DNS_EXCLUDE_DOMAINS (unset) -> EXTERNAL_DNS_EXCLUDE_DOMAINS=legacy.corp.net"
    facts = _facts([line], kind="StatefulSet", ns="platform", name="dns-sync")
    assert _found(facts, ["portal.legacy.corp.net"]) == [
        ("StatefulSet platform/dns-sync", "exclude-domains", ["portal.legacy.corp.net"])]


def test_a_source_removed_or_the_owner_id_changed_cuts_every_host() -> None:
    dropped = _facts([_args(["--source=ingress", "--source=service"], ["--source=service"])])
    assert _found(dropped, ["www.shop.io"]) == [("Deployment external-dns/external-dns", "source", ["www.shop.io"])]
    owner = _facts([_args([*BASE], ["--source=ingress", "--provider=aws", "--registry=txt", "--txt-owner-id=eu-2"])])
    assert _found(owner, ["www.shop.io"])[0][1] == "txt-owner-id"


def test_a_widened_or_still_covering_filter_is_no_suspect() -> None:
    widened = _facts([_args(["--domain-filter=int.shop.io"], ["--domain-filter=shop.io"])])
    assert _found(widened, ["checkout.shop.io"]) == []
    still = _facts([_args(["--domain-filter=shop.io", "--domain-filter=corp.io"], ["--domain-filter=shop.io"])])
    assert _found(still, ["checkout.shop.io"]) == []


def test_a_host_the_old_scope_never_served_or_a_late_rollout_is_no_suspect() -> None:
    never = _facts([_args(["--domain-filter=corp.io"], ["--domain-filter=int.corp.io"])])
    assert _found(never, ["checkout.shop.io"]) == []
    late = _facts([_args(["--domain-filter=shop.io"], ["--domain-filter=int.shop.io"])], at="2026-11-20T12:30:00Z")
    assert _found(late, ["checkout.shop.io"]) == []
    assert _found(_facts([_args(["--domain-filter=shop.io"], ["--domain-filter=int.shop.io"])]), []) == []


def test_filters_follow_the_controllers_suffix_rule() -> None:
    assert dns_scope.serves("shop.io", {"domain-filter": ["shop.io"]})
    assert not dns_scope.serves("myshop.io", {"domain-filter": ["shop.io"]})
    assert not dns_scope.serves("shop.io", {"domain-filter": [".shop.io"]})
    assert not dns_scope.serves("a.shop.io", {"domain-filter": ["shop.io"], "exclude-domains": ["a.shop.io"]})
    assert dns_scope.serves("a.shop.io", {"regex-domain-filter": [r"\.shop\.io$"]})
    assert dns_scope.flags(["--source", "ingress", "--domain-filter=a.io,b.io"]) == {
        "source": ["ingress"], "domain-filter": ["a.io", "b.io"]}
