"""credential_write, shared_quota and config_data_crash end to end, on bundles written here (not the held-out stories).

Incident bundles written with the corpus generator's writer, served by the replay API server and Debian's Prometheus,
investigated blind in runbook-only mode and scored against their answer keys, as `vigil eval` does:

- an invoicer whose payment-provider key Secret is referenced only through Stakater Reloader's env hash variable; the
  Secret was edited, Reloader restarted the invoicer and every charge is refused `401 Invalid API Key`; its twin: the
  same write and restart, but the provider says the key was revoked (not this write's doing);
- a ticket bot refused `429 Rate limit reached` by its LLM provider after an embedding backfill Job in another
  namespace started with a same-named copy of its API key Secret; its twin: the Job started after the refusals;
- a Go router crash-looping on a nil pointer after its rules ConfigMap (mounted) was edited; its twin: the router's
  own new image rolled out beside the edit (new code: not this mechanism's to name).
"""

from __future__ import annotations

import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.triage.blind_eval import investigate_blind

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from corpus import logs as L  # noqa: E402
from corpus.kit import REGISTRY, Incident, P, Rev, c, ts  # noqa: E402

pytestmark = [pytest.mark.skipif(shutil.which("prometheus") is None, reason="needs the prometheus package")]
M = timedelta(minutes=1)


def written_by(obj: dict[str, Any], manager: str, at: datetime, key: str) -> None:
    """managedFields as the API server keeps them after `manager` set data key `key` at `at`."""
    obj["metadata"]["managedFields"] = [{"manager": manager, "operation": "Update", "apiVersion": "v1",
                                         "time": ts(at), "fieldsType": "FieldsV1",
                                         "fieldsV1": {"f:data": {f"f:{key}": {}}}}]
    obj["metadata"].get("annotations", {}).pop("kubectl.kubernetes.io/last-applied-configuration", None)


def quiet(pod: str, s: datetime, e: datetime) -> str:
    return L.lines(L.ticker(s + timedelta(seconds=5), e, 30, lambda i, t: L.js(t, "info", "request served",
                                                                                 status=200, ms=12)))


def herring(inc: Incident, ns: str, name: str, at: datetime) -> None:
    """Another Deployment of the namespace rolled out a new image shortly before: healthy, and no cause."""
    img = f"{REGISTRY}/{ns}/{name}"
    inc.deployment(ns, name, [Rev(1, at - timedelta(days=12), "helm upgrade", [c(name, f"{img}:1.4.0")]),
                              Rev(2, at, "helm upgrade", [c(name, f"{img}:1.4.1")])], {2: [P(log=quiet), P(log=quiet)]})


def invoicer(name: str, revoked: bool) -> Incident:
    """billing/invoicer reads psp-keys only through Reloader's env hash; the Secret was edited, Reloader restarted."""
    at = datetime(2026, 6, 18, 11, 0, tzinfo=UTC)
    inc = Incident(name, title="invoices not charged", story="", at=at, seed=8101 + revoked, namespaces=("billing",))
    edit = at - 32 * M
    inc.secret("billing", "psp-keys", {"PSP_SECRET_KEY": inc.canary("token", "psp")})
    written_by(inc.find("Secret", "billing", "psp-keys"), "kubectl-edit", edit, "PSP_SECRET_KEY")
    refusal = ("This API key has been revoked by the account owner" if revoked else
               "Invalid API Key provided: sk_live_****")

    def log(pod: str, s: datetime, e: datetime) -> str:
        out = [(s + timedelta(seconds=2), L.js(s, "info", "invoicer started", version="7.2.1"))]
        for t in L.every(s + timedelta(seconds=30), e, 40):
            out.append((t, L.js(t, "error", "charge failed", status=401, error=refusal,
                                upstream="api.psp.example.com")))
        return L.lines(out)
    img = f"{REGISTRY}/billing/invoicer:7.2.1"
    reloader = {"env": [{"name": "STAKATER_PSP_KEYS_SECRET", "value": "9f2c41d7e8a3b6c5d4e1f0a9b8c7d6e5f4a3b2c1"}]}
    inc.deployment("billing", "invoicer", [
        Rev(3, at - timedelta(days=15), "helm upgrade", [c("invoicer", img)]),
        Rev(4, edit + M, "reloader.stakater.com/psp-keys", [c("invoicer", img)], container=reloader)],
        {4: [P(log=log), P(log=log)]})
    herring(inc, "billing", "ledger-api", at - 40 * M)
    inc.ask("Why has invoicer stopped charging invoices since about 10:30?")
    inc.answer_key(culprit=("Secret", "billing", "psp-keys"), keywords=["401", "refused for authentication"],
                   root_cause="psp-keys was edited with a key the provider refuses; Reloader restarted invoicer.",
                   category="secret-credential-refused", red_herrings=[("Deployment", "billing", "ledger-api")])
    return inc


def invoicer_refused() -> Incident:
    return invoicer("invoicer-key-refused", revoked=False)


def invoicer_revoked() -> Incident:
    return invoicer("invoicer-key-revoked-twin", revoked=True)


def ticket_bot(name: str, late: bool) -> Incident:
    """support/ticket-bot refused 429 by its LLM provider; ml/embed-backfill reads a copy of the same key Secret."""
    at = datetime(2026, 7, 2, 15, 0, tzinfo=UTC)
    inc = Incident(name, title="ticket bot failing", story="", at=at, seed=8201 + late,
                   namespaces=("support", "ml"))
    first = at - 40 * M
    started = first + 15 * M if late else first - 3 * M
    key = inc.canary("token", "llm")
    inc.secret("support", "llm-api", {"token": key})
    inc.secret("ml", "llm-api", {"token": key})
    env = {"env": [{"name": "LLM_API_KEY", "valueFrom": {"secretKeyRef": {"name": "llm-api", "key": "token"}}}]}

    def bot(pod: str, s: datetime, e: datetime) -> str:
        out = []
        for t in L.every(max(s, at - 3 * 60 * M), e, 20):
            out.append((t, L.js(t, "error", "summary failed", status=429,
                                error="Rate limit reached for requests per min (RPM): Limit 500, Used 500")
                        if t >= first else L.js(t, "info", "summary done", ms=840)))
        return L.lines(out)
    img = f"{REGISTRY}/support/ticket-bot:2.8.0"
    inc.deployment("support", "ticket-bot", [Rev(5, at - timedelta(days=20), "helm upgrade", [c("ticket-bot", img)],
                                                 container=env)], {5: [P(log=bot), P(log=bot)]})
    job, node = "embed-backfill", inc.node_names()[0]
    containers: list[dict[str, Any]] = [{"name": job, "image": f"{REGISTRY}/ml/embed:0.3.1", **env}]
    template = {"metadata": {"labels": {"app": job}}, "spec": {"restartPolicy": "Never", "containers": containers}}
    inc.add({"apiVersion": "batch/v1", "kind": "Job",
             "metadata": {"name": job, "namespace": "ml", "uid": f"uid-{job}", "creationTimestamp": ts(started),
                          "labels": {"app": job}},
             "spec": {"template": template}, "status": {"startTime": ts(started), "active": 1}})
    pod = f"{job}-k7q2x"
    inc.add({"apiVersion": "v1", "kind": "Pod",
             "metadata": {"name": pod, "namespace": "ml", "creationTimestamp": ts(started),
                          "labels": {"job-name": job, "app": job},
                          "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": job,
                                               "uid": f"uid-{job}", "controller": True}]},
             "spec": {"nodeName": node, "restartPolicy": "Never", "containers": containers},
             "status": {"phase": "Running", "startTime": ts(started),
                        "conditions": [{"type": "Ready", "status": "True"}],
                        "containerStatuses": [{"name": job, "ready": True, "restartCount": 0,
                                               "image": f"{REGISTRY}/ml/embed:0.3.1",
                                               "state": {"running": {"startedAt": ts(started + M)}}}]}})
    lines = [(started + M, L.pylog(started + M, "INFO", "backfill", "embedding 1800000 documents with 32 workers"))]
    lines += [(t, L.pylog(t, "WARNING", "backfill", "429 Rate limit reached, retrying with backoff"))
              for t in L.every(started + 3 * M, at + 30 * M, 60)]
    inc.log_block("ml", pod, job, L.lines(lines))
    herring(inc, "support", "help-center", at - 35 * M)
    inc.ask("ticket-bot can't summarise tickets since about 14:20, why?")
    inc.answer_key(culprit=("Job", "ml", "embed-backfill"), keywords=["quota", "429"],
                   root_cause="The embed-backfill Job uses the same LLM API key as ticket-bot and spends its quota.",
                   category="shared-external-quota", red_herrings=[("Deployment", "support", "help-center")])
    return inc


def ticket_bot_backfill() -> Incident:
    return ticket_bot("ticket-bot-quota-backfill", late=False)


def ticket_bot_late() -> Incident:
    return ticket_bot("ticket-bot-quota-late-twin", late=True)


def router(name: str, own_image: bool) -> Incident:
    """edge/router mounts ConfigMap router-rules; an edit left a route without its upstream; nil pointer at start."""
    at = datetime(2026, 8, 7, 9, 0, tzinfo=UTC)
    inc = Incident(name, title="router crash looping", story="", at=at, seed=8301 + own_image, namespaces=("edge",))
    edit = at - 22 * M
    inc.configmap("edge", "router-rules", {"rules.yaml": "routes:\n- path: /v1\n  upstream: api\n- path: /v2\n"},
                  at=edit)
    cm = inc.find("ConfigMap", "edge", "router-rules")
    cm["metadata"]["managedFields"] = [{"manager": "kubectl-edit", "operation": "Update", "apiVersion": "v1",
                                        "time": ts(edit), "fieldsType": "FieldsV1",
                                        "fieldsV1": {"f:data": {"f:rules.yaml": {}}}}]

    def log(pod: str, s: datetime, e: datetime) -> str:
        loading = 'level=info msg="loading routes" file=/etc/router/rules.yaml'
        return L.lines([(s + timedelta(milliseconds=200), loading),
                        (s + timedelta(milliseconds=400), "panic: runtime error: invalid memory address or nil "
                                                          "pointer dereference"),
                        (s + timedelta(milliseconds=401), "[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 "
                                                          "pc=0x9c1a2f]")])
    volume = {"volumes": [{"name": "rules", "configMap": {"name": "router-rules"}}]}
    mount = {"volumeMounts": [{"name": "rules", "mountPath": "/etc/router"}]}
    revs = [Rev(6, at - timedelta(days=10), "helm upgrade", [c("router", f"{REGISTRY}/edge/router:3.4.0")],
                pod_spec=volume, container=mount)]
    if own_image:
        revs.append(Rev(7, edit + 2 * M, "helm upgrade", [c("router", f"{REGISTRY}/edge/router:3.5.0")],
                        pod_spec=volume, container=mount))
    inc.deployment("edge", "router", revs, {revs[-1].number: [
        P(state="crashloop", log=log, exit_code=2, run_s=lambda n: 0.4, crash_from=edit + 3 * M)
        for _ in range(2)]})
    pod = inc.pods_of("edge", "router")[0].name
    inc.alertmanager("KubePodCrashLooping", {"namespace": "edge", "pod": pod, "container": "router"},
                     f"Pod edge/{pod} is crash looping",
                     f"Pod edge/{pod} (router) is in waiting state (reason: \"CrashLoopBackOff\").",
                     'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}[5m]) >= 1')
    culprit = ("Deployment", "edge", "router") if own_image else ("ConfigMap", "edge", "router-rules")
    inc.answer_key(culprit=culprit, keywords=["nil pointer"], root_cause="router-rules edited; the router crashes.",
                   category="config-data-crashes-reader", red_herrings=[])
    return inc


def router_rules() -> Incident:
    return router("router-rules-crash", own_image=False)


def router_own_image() -> Incident:
    return router("router-own-image-twin", own_image=True)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return investigate_blind([invoicer_refused, invoicer_revoked, ticket_bot_backfill, ticket_bot_late,
                              router_rules, router_own_image], tmp_path_factory.mktemp("written"), jobs=1)


def test_a_key_secret_named_only_by_reloaders_env_is_named_for_its_401(results: dict[str, Any]) -> None:
    row = results["invoicer-key-refused"]
    top = str(row.top or "")
    assert row.verdict == "right", (row.verdict, top, row.error)
    assert "Secret billing/psp-keys was written by kubectl-edit" in top and "refused for authentication" in top


def test_a_key_revoked_upstream_is_not_blamed_on_the_write(results: dict[str, Any]) -> None:
    top = str(results["invoicer-key-revoked-twin"].top or "")
    assert "refused for authentication since" not in top, top


def test_a_backfill_on_a_copy_of_the_key_is_named_for_the_429s(results: dict[str, Any]) -> None:
    row = results["ticket-bot-quota-backfill"]
    top = str(row.top or "")
    assert row.verdict == "right", (row.verdict, top, row.error)
    assert "Job ml/embed-backfill started" in top and "shared quota" in top and "the same llm API key" in top


def test_a_backfill_started_after_the_429s_is_not_named(results: dict[str, Any]) -> None:
    top = str(results["ticket-bot-quota-late-twin"].top or "")
    assert not top.startswith("Job ml/embed-backfill"), top


def test_a_mounted_rules_configmap_crashing_its_router_is_named(results: dict[str, Any]) -> None:
    row = results["router-rules-crash"]
    top = str(row.top or "")
    assert row.verdict == "right", (row.verdict, top, row.error)
    assert top.startswith("ConfigMap edge/router-rules was") and "crash-loops on that data" in top


def test_the_routers_own_new_image_is_not_blamed_on_the_data(results: dict[str, Any]) -> None:
    top = str(results["router-own-image-twin"].top or "")
    assert "crash-loops on that data" not in top, top
