"""A site named in words relates the Ingress/HTTPRoute serving its host, even when a word is also a namespace.

The findings are the scan's own shapes (ingress.missing_backend with the rule hosts, gateway.route_not_accepted
with the HTTPRoute's hostnames); the questions are typed the way people ask in chat.
"""

from __future__ import annotations

from agent.incident import from_text
from agent.triage import rank, subject_of
from agent.triage.facts import Facts, Ref
from agent.triage.site import host_labels, named_in_words
from tests.triage.test_rank import AT, finding


def background() -> list[dict[str, object]]:
    """A namespace named like a word of the question, with a problem of its own (a pod that restarted)."""
    return [finding("pod.restarting", "Deployment", "shop", "cart", "Deployment shop/cart: 1/2 pods restarted 3x "
                    "(last: Error)", owner={"kind": "Deployment", "namespace": "shop", "name": "cart"},
                    pods=["cart-7d9c5b6f8-x2k4q"])]


def ingress_case() -> Facts:
    return Facts(at=AT, scan_id="E1", scan={"findings": [*background(), finding(
        "ingress.missing_backend", "Ingress", "storefront", "storefront",
        "Ingress storefront/storefront: path / routes to Service storefront-web, which is not found",
        details={"service": "storefront-web", "port": "80", "path": "/", "hosts": ["shop.example.com"]})]})


def route_case() -> Facts:
    return Facts(at=AT, scan_id="E1", scan={"findings": [*background(), finding(
        "gateway.route_not_accepted", "HTTPRoute", "backoffice", "admin-portal",
        "HTTPRoute backoffice/admin-portal is not accepted by Gateway infra/public: NotAllowedByListeners",
        details={"gateway": "public", "gateway_namespace": "infra", "hosts": ["admin.corp.example.org"]})]})


def test_the_shop_website_is_the_ingress_serving_shop_not_the_shop_namespace() -> None:
    [top, *_] = rank(subject_of(from_text("the shop website is down")), ingress_case())
    assert top.ref == Ref("Ingress", "storefront", "storefront") and "storefront-web" in top.cause


def test_the_admin_portal_is_the_route_by_its_host_or_its_name() -> None:
    for question in ("can't log in to the admin portal", "Admin Portal returns errors since this morning"):
        [top, *_] = rank(subject_of(from_text(question)), route_case())
        assert top.ref == Ref("HTTPRoute", "backoffice", "admin-portal"), question
    unnamed = route_case()
    unnamed.findings()[1]["details"]["hosts"] = []
    [top, *_] = rank(subject_of(from_text("the portal admin page is broken")), unnamed)
    assert top.ref == Ref("HTTPRoute", "backoffice", "admin-portal")


def test_site_nouns_alone_and_other_hosts_name_nothing() -> None:
    subject = subject_of(from_text("the website is down"))
    ingress = ingress_case().findings()[1]
    assert not named_in_words(subject, [ingress], Ref("Ingress", "storefront", "storefront"))
    other = subject_of(from_text("the docs website is down"))
    assert not named_in_words(other, [ingress], Ref("Ingress", "storefront", "storefront"))
    assert host_labels("*.shop.example.com") == {"shop", "example"} and host_labels("localhost") == set()
