"""A DNS controller's sync flags changed, then its own sync fails (agent.triage.dns_sync_flags).

Diff lines come from the timeline's own formatter (`mcp_servers.kubernetes.reads.template_diff`). Log lines are
each controller's wording: ExternalDNS on AWS (logfmt, `InvalidChangeBatch ... but it already exists`), ExternalDNS
on Google Cloud DNS (`googleapi: Error 409: The resource ... already exists, alreadyExists`).

Shapes: `--txt-prefix` added to the container args (Route 53); `EXTERNAL_DNS_TXT_OWNER_ID` changed in env (Cloud
DNS). Twins: the same errors before the write, the controller's image bumped with no flag changed, an application
changing a flag named `--policy`, a flag change with a clean sync after.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import dns_sync_flags as dsf
from agent.triage.facts import Facts
from mcp_servers.kubernetes.reads import template_diff

AT = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
WRITE = AT - timedelta(minutes=40)
ARGS = ["--source=ingress", "--provider=aws", "--registry=txt", "--txt-owner-id=prod", "--policy=upsert-only"]
R53 = ('time={t} level=error msg="Failure in zone example.shop. [Id: /hostedzone/Z0471EXAMPLE] when submitting '
       "change batch: InvalidChangeBatch: [Tried to create resource record set [name='www.example.shop.', "
       "type='CNAME'] but it already exists]\"")
GCP = ('time="{t}" level=error msg="googleapi: Error 409: The resource \'entity.change.additions[0]\' named '
       "'shop.example.org. (A)' already exists, alreadyExists\"")


def _template(name: str, image: str = "v0.15.0", args: list[str] | None = None,
              env: dict[str, str] | None = None) -> dict[str, Any]:
    container: dict[str, Any] = {"name": name, "image": f"registry.k8s.io/external-dns/external-dns:{image}"}
    if args:
        container["args"] = args
    if env:
        container["env"] = [{"name": k, "value": v} for k, v in env.items()]
    return {"spec": {"containers": [container]}}


def _rollout(ns: str, name: str, old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    lines = template_diff(old, new)
    return {"at": WRITE.strftime("%Y-%m-%dT%H:%M:%SZ"), "type": "rollout",
            "object": {"kind": "Deployment", "namespace": ns, "name": name},
            "summary": f"Deployment {ns}/{name} rolled out revision 2: {lines[0]}", "diff": lines}


def _log(template: str, minutes_after: list[int]) -> list[str]:
    return [template.format(t=(WRITE + timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M:%SZ")) for m in minutes_after]


def _facts(change: dict[str, Any], lines: list[str]) -> Facts:
    facts = Facts(at=AT, changes={"changes": [change]}, changes_id="E2")
    obj = change["object"]
    facts.reads[dsf.READS] = {"lines": {f"{obj['kind']} {obj['namespace']}/{obj['name']}": (lines, "E43")}}
    return facts


TXT_PREFIX = _rollout("external-dns", "external-dns", _template("external-dns", args=ARGS),
                      _template("external-dns", args=[*ARGS, "--txt-prefix=cname-"]))


def test_a_txt_prefix_added_then_route53_rejects_every_batch() -> None:
    [got] = dsf.found(_facts(TXT_PREFIX, _log(R53, [1, 2, 3, 4])))
    assert got.flags == [("--txt-prefix", None, "cname-")] and got.ownership
    head = dsf.finding(got)["message"][:420]
    assert head.startswith("Deployment external-dns/external-dns: the DNS controller's sync flags changed")
    assert "txt-prefix" in head and "ownership" in head and "change batch" in head
    assert "InvalidChangeBatch" in dsf.finding(got)["message"]


def test_an_owner_id_changed_in_env_then_cloud_dns_already_exists() -> None:
    change = _rollout("dns", "external-dns-public", _template("external-dns", env={"EXTERNAL_DNS_TXT_OWNER_ID": "a"}),
                      _template("external-dns", env={"EXTERNAL_DNS_TXT_OWNER_ID": "b"}))
    [got] = dsf.found(_facts(change, _log(GCP, [2, 5])))
    assert got.flags == [("--txt-owner-id", "a", "b")] and "alreadyExists" in dsf.finding(got)["message"]


def test_negative_twins_errors_before_image_bump_other_app_clean_sync() -> None:
    assert dsf.found(_facts(TXT_PREFIX, _log(R53, [-30, 2, 3]))) == []
    bump = _rollout("external-dns", "external-dns", _template("external-dns", args=ARGS),
                    _template("external-dns", image="v0.15.1", args=ARGS))
    assert dsf.candidates(_facts(bump, [])) == [] and dsf.found(_facts(bump, _log(R53, [2]))) == []
    app = _rollout("shop", "cart", _template("cart", args=["--policy=a"]), _template("cart", args=["--policy=b"]))
    assert dsf.found(_facts(app, _log(R53, [2]))) == []
    clean = ['time={t} level=info msg="All records are already up to date"']
    assert dsf.found(_facts(TXT_PREFIX, _log(clean[0], [1, 2]))) == []
