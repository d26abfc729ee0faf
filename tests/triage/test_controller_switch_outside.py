"""controller_switch against wordings it was not built from (issue #12: build for the class).

Real refusals other controllers print for a switch turned off, written here from their documented/logged text:
Traefik v2's logfmt line when `allowCrossNamespace` is false (`Failed to create middleware keys: middleware ns/name
is not in the IngressRoute namespace x`, and `with crossnamespace disallowed, the namespace field needs to be
explicitly specified` naming the route only in its `ingress=`/`namespace=` fields); Contour's DAG error when
`enableExternalNameService` is off (`ns/name is an ExternalName service, these are not currently enabled`).
Negative twins: Traefik's ordinary logfmt line naming the same words and fields that refuses nothing, and a line
saying the feature IS enabled.
"""

from __future__ import annotations

from datetime import timedelta

from agent.triage import controller_switch
from tests.triage.test_controller_switch import WRITE, Hub, _facts, _iso, _run

TRAEFIK_PODS = ["edge-router-5c7d9b8f6-kq2mz"]
CROSS_DIFF = ["edge-router args now ['--entrypoints.web.address=:80', '--providers.kubernetescrd', "
              "'--providers.kubernetescrd.allowCrossNamespace=false']"]


def _logfmt(minutes: float, msg: str, route: str, namespace: str) -> str:
    t = _iso(WRITE + timedelta(minutes=minutes))
    return (f'{t} time="{t}" level=error msg="{msg}" providerName=kubernetescrd ingress={route} '
            f"namespace={namespace}")


def test_traefik_cross_namespace_refusal_naming_the_middleware_is_blamed() -> None:
    line = _logfmt(1, "Failed to create middleware keys: middleware sso/chain-auth is not in the IngressRoute "
                      "namespace photos", "gallery", "photos")
    hub = Hub({}, TRAEFIK_PODS, {TRAEFIK_PODS[0]: [line]})
    [hit] = _run(_facts("Deployment", "ingress", "edge-router", CROSS_DIFF, []), hub)
    assert hit.switch.setting == "providers.kubernetescrd.allowCrossNamespace" and hit.switch.value == "false"
    assert hit.skipped == "middleware sso/chain-auth"
    message = controller_switch.finding(hit, WRITE + timedelta(minutes=20))["message"]
    assert "'Failed to create middleware keys: middleware sso/chain-auth is not in the IngressRoute namespace" \
        in message  # the logfmt msg is quoted, not the timestamp prefix


def test_traefik_cross_namespace_refusal_naming_the_route_only_in_its_fields_is_blamed() -> None:
    line = _logfmt(2, "invalid reference to middleware sso-chain-auth@kubernetescrd: with crossnamespace "
                      "disallowed, the namespace field needs to be explicitly specified", "gallery", "photos")
    hub = Hub({}, TRAEFIK_PODS, {TRAEFIK_PODS[0]: [line]})
    [hit] = _run(_facts("Deployment", "ingress", "edge-router", CROSS_DIFF, []), hub)
    assert hit.skipped == "ingress photos/gallery"


def test_traefik_line_with_the_same_words_that_refuses_nothing_is_not_blamed() -> None:
    line = _logfmt(2, "Creating middleware namespace sso chain-auth", "gallery", "photos")
    hub = Hub({}, TRAEFIK_PODS, {TRAEFIK_PODS[0]: [line]})
    assert _run(_facts("Deployment", "ingress", "edge-router", CROSS_DIFF, []), hub) == []


CONTOUR = controller_switch.Switch(controller_switch.Ref("Deployment", "projectcontour", "contour"),
                                   "enableExternalNameService", "false",
                                   tuple(controller_switch.words_of("enableExternalNameService")))


def test_contour_externalname_refusal_is_read_as_a_refusal() -> None:
    line = ('time="2026-09-02T13:31:02Z" level=error msg="billing/legacy-invoices is an ExternalName service, these '
            'are not currently enabled. See the config.enableExternalNameService config file setting" '
            "context=contourEventHandler")
    assert controller_switch._refusal(line, CONTOUR) == "billing/legacy-invoices"


def test_a_line_saying_the_feature_is_enabled_is_no_refusal() -> None:
    line = 'level=info msg="ExternalName services enabled: billing/legacy-invoices routed to invoices.example.com"'
    assert controller_switch._refusal(line, CONTOUR) == ""
