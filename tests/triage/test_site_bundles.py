"""A site asked about in words, end to end: the Service behind the host is resolved, not a namespace of that word.

Two bundles written by the corpus generator's own writer, replayed by the replay API server with Debian's
Prometheus, investigated blind in runbook-only mode and scored as `vigil eval` does. In both, the healthy
Ingress's host is the only thing relating the words to the broken workload, and the corpus's background
holds a namespace named like one of the words (`payments`, `shop`) with problems of its own:

- "the payments site is down": Ingress checkout/pay-edge serves payments.example.com from Service
  pay-web, whose pods exit at start (a variable their program requires is unset); ledger-sync in namespace
  payments crash-loops too;
- "can't log in to the shop admin portal": Ingress backoffice/admin-portal serves admin.shop.example.net
  from Service backoffice-ui, whose pods are OOMKilled; cart-sync in namespace shop crash-loops too.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from tests.triage.blind_eval import investigate_blind

ROOT = Path(__file__).resolve().parents[2]
for where in (ROOT / "examples", ROOT / "benchmarks" / "peercases"):
    if str(where) not in sys.path:
        sys.path.insert(0, str(where))

from corpus import logs as L  # noqa: E402
from corpus.kit import Incident, P  # noqa: E402
from scenarios import _ask, _deploy, _key, _start  # noqa: E402

pytestmark = [pytest.mark.skipif(shutil.which("prometheus") is None, reason="needs the prometheus package")]


def _ingress(inc: Incident, ns: str, name: str, host: str, service: str) -> None:
    inc.add({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": name, "namespace": ns},
             "spec": {"ingressClassName": "nginx",
                      "rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
                          "service": {"name": service, "port": {"number": 80}}}}]}}]},
             "status": {"loadBalancer": {"ingress": [{"hostname": "lb-7.elb.example.com"}]}}})


def _decoy(inc: Incident, ns: str, name: str) -> None:
    """A crash loop of its own in the namespace named like a word of the question: what a namespace match
    would relate, and the wrong answer."""
    log = lambda p, s, e: L.lines([(s, f"{name} starting"),  # noqa: E731
                                   (s, "panic: runtime error: invalid memory address or nil pointer dereference")])
    _deploy(inc, ns, name, [P("crashloop", log=log, exit_code=2, run_s=lambda n: 1.0)])


def payments_site() -> Incident:
    """pay-web exits at start: PAYMENT_GATEWAY_URL is unset; asked as "the payments site"."""
    ns, name = "checkout", "pay-web"
    inc = _start("site-payments", 690, ns, "", payments_site.__doc__ or "")
    log = lambda p, s, e: L.lines([(s, "pay-web 3.2.0 starting"),  # noqa: E731
                                   (s, "Error: Config validation error: \"PAYMENT_GATEWAY_URL\" is required")])
    _deploy(inc, ns, name, [P("crashloop", log=log, exit_code=1, run_s=lambda n: 0.4)] * 2)
    inc.service(ns, name, {"app": name})
    _ingress(inc, ns, "pay-edge", "payments.example.com", name)
    _decoy(inc, "payments", "ledger-sync")
    _ask(inc, "the payments site is down")
    return _key(inc, ("Deployment", ns, name), ["PAYMENT_GATEWAY_URL", "required"],
                "pay-web exits at start because PAYMENT_GATEWAY_URL is unset.", "site-words-crashloop")


def admin_portal() -> Incident:
    """backoffice-ui is OOMKilled at its 256Mi limit; asked as "the shop admin portal"."""
    ns, name = "backoffice", "backoffice-ui"
    inc = _start("site-admin-portal", 691, ns, "", admin_portal.__doc__ or "")
    log = lambda p, s, e: L.lines(L.ticker(s, e, 2, lambda i, t: L.logfmt(  # noqa: E731
        t, "info", "cached sessions", sessions=20000 * (i + 1))))
    _deploy(inc, ns, name, [P("crashloop", log=log, reason="OOMKilled", exit_code=137, run_s=lambda n: 8.0)] * 2,
            fields={"memory_limit": "256Mi", "memory_request": "256Mi"})
    inc.service(ns, name, {"app": name})
    _ingress(inc, ns, "admin-portal", "admin.shop.example.net", name)
    _decoy(inc, "shop", "cart-sync")
    _ask(inc, "can't log in to the shop admin portal")
    return _key(inc, ("Deployment", ns, name), ["OOMKilled", "256Mi"],
                "backoffice-ui is OOMKilled at its 256Mi memory limit.", "site-words-oom")


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return investigate_blind((payments_site, admin_portal), tmp_path_factory.mktemp("sites"))


@pytest.mark.parametrize("bundle", ["site-payments", "site-admin-portal"])
def test_the_workload_behind_the_named_host_is_blamed(results: dict[str, object], bundle: str) -> None:
    row = results[bundle]
    top = str(getattr(row, "top", "") or "")
    assert getattr(row, "verdict", None) == "right", (getattr(row, "verdict", None), top, getattr(row, "error", ""))
