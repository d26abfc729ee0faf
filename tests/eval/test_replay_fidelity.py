"""The replay API server as real kubectl 1.32 sees it: short names, derived Namespaces, server-side
printer columns (built-in and a CRD's additionalPrinterColumns), Secret values never served, logs
filtered by time, the real port with `--port 0`, and a clear message for a custom resource whose
CRD is missing.

The cluster is checkout-oom plus tests/eval/fixtures/fidelity.yaml (objects written by hand in the
API server's documented format), with its Namespace objects removed as `kubectl cluster-info dump`
leaves them out.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from mcp_servers.common.bundle import Bundle, BundleError
from mcp_servers.kubernetes.replay import ReplayHandle, replay_server
from mcp_servers.kubernetes.tables import json_path

ROOT = Path(__file__).resolve().parents[2]
CANARY = "VIGIL-CANARY-checkout-db-pw-7f3a91"
needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")


def fidelity_bundle(target: Path) -> Path:
    bundle = Path(shutil.copytree(ROOT / "examples" / "incidents" / "checkout-oom", target))
    (bundle / "extra" / "namespaces.yaml").unlink()
    shutil.copy(Path(__file__).parent / "fixtures" / "fidelity.yaml", bundle / "extra" / "fidelity.yaml")
    return bundle


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReplayHandle]:
    root = tmp_path_factory.mktemp("fidelity")
    with replay_server(Bundle.load(fidelity_bundle(root / "bundle")), root / "kubeconfig") as handle:
        yield handle


@pytest.fixture
def kubectl(replay: ReplayHandle, tmp_path: Path):
    env = {**os.environ, "KUBECONFIG": str(replay.kubeconfig), "KUBECACHEDIR": str(tmp_path / "cache")}

    def run(*args: str) -> str:
        result = subprocess.run(["kubectl", *args], env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, f"kubectl {' '.join(args)}: {result.stderr}"
        return result.stdout

    return run


def rows(text: str) -> list[list[str]]:
    return [line.split() for line in text.strip().splitlines()]


@needs_kubectl
@pytest.mark.slow
def test_short_names_and_builtin_printer_columns(kubectl):
    hpa = rows(kubectl("get", "hpa", "-n", "shop"))
    assert hpa[0] == ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"]
    assert hpa[1][:7] == ["checkout", "Deployment/checkout", "cpu:", "45%/70%", "2", "10", "3"]
    pc = rows(kubectl("get", "pc"))
    assert pc[0][:3] == ["NAME", "VALUE", "GLOBAL-DEFAULT"] and pc[1][:3] == ["critical-apps", "100000", "False"]
    jobs = rows(kubectl("get", "jobs", "-n", "shop"))
    assert jobs[0] == ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]
    assert jobs[1][:4] == ["nightly-report-29001", "Complete", "1/1", "3m20s"]
    cron = rows(kubectl("get", "cronjobs", "-n", "shop"))
    assert cron[0][:4] == ["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND"]
    assert cron[1][:6] == ["nightly-report", "0", "2", "*", "*", "*"] and cron[1][6:9] == ["Etc/UTC", "False", "0"]
    ing = rows(kubectl("get", "ing", "-n", "shop"))
    assert ing[0] == ["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"]
    assert ing[1][:6] == ["shop", "nginx", "shop.example.com", "203.0.113.10", "80,", "443"]


@needs_kubectl
@pytest.mark.slow
def test_custom_resource_columns_from_the_crd(kubectl):
    certs = rows(kubectl("get", "certs", "-n", "shop"))
    assert certs[0] == ["NAME", "READY", "SECRET", "AGE"]
    assert certs[1] == ["shop-example-com", "False", "shop-tls", "11d"]
    wide = rows(kubectl("get", "certificates.cert-manager.io", "-n", "shop", "-o", "wide"))
    assert wide[0] == ["NAME", "READY", "SECRET", "ISSUER", "AGE"] and wide[1][3] == "letsencrypt"


@needs_kubectl
@pytest.mark.slow
def test_namespaces_are_derived_when_the_dump_has_none(kubectl):
    names = [r[0] for r in rows(kubectl("get", "ns"))[1:]]
    assert {"shop", "payments", "kube-system", "web"} <= set(names)
    shop = json.loads(kubectl("get", "ns", "shop", "-o", "json"))
    assert shop["status"]["phase"] == "Active" and shop["metadata"]["creationTimestamp"]


@needs_kubectl
@pytest.mark.slow
def test_secret_values_are_never_served(kubectl, replay):
    as_yaml = kubectl("get", "secret", "checkout-db", "-n", "shop", "-o", "yaml")
    described = kubectl("describe", "secret", "-n", "shop", "checkout-db")
    listed = httpx.get(f"{replay.url}/api/v1/secrets").text
    for text in (as_yaml, described, listed):
        assert CANARY not in text and "VklHSUwtQ0FOQVJZ" not in text  # nor its base64
    assert "last-applied-configuration" not in listed, "that annotation holds the values in clear"
    secret = json.loads(kubectl("get", "secret", "checkout-db", "-n", "shop", "-o", "json"))
    assert secret["data"] == {"password": "", "username": ""}, "keys stay, values are empty"


@needs_kubectl
@pytest.mark.slow
def test_logs_since_and_timestamps(kubectl):
    pod = ["-n", "shop", "checkout-m74nkt6r2t-gm7x5"]
    stamped = kubectl("logs", *pod, "--since=5m", "--timestamps").strip().splitlines()
    times = [datetime.fromisoformat(line.split(" ", 1)[0].replace("Z", "+00:00")) for line in stamped]
    assert stamped and min(times) >= datetime(2026, 3, 12, 15, 15, tzinfo=UTC), "captured_at 15:20 minus 5m"
    plain = kubectl("logs", *pod, "--since=5m").strip().splitlines()
    assert len(plain) == len(stamped) and not plain[0][:4].isdigit()
    assert len(kubectl("logs", *pod).splitlines()) > len(plain)


@pytest.mark.slow
def test_port_zero_prints_the_real_port(tmp_path):
    bundle = ROOT / "examples" / "incidents" / "catalog-bad-image"
    proc = subprocess.Popen([str(Path(sys.executable).parent / "vigil"), "replay", "serve", str(bundle), "--port", "0",
                             "--kubeconfig-out", str(tmp_path / "kc")], stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        deadline = time.monotonic() + 30
        url = ""
        while time.monotonic() < deadline and proc.stderr is not None:
            line = proc.stderr.readline()
            if line.startswith("listening on "):
                url = line.split()[-1]
                break
        assert url and not url.endswith(":0")
        assert httpx.get(f"{url}/version").json()["gitVersion"] == "v1.30.4"
        assert url in (tmp_path / "kc").read_text()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_cluster_scoped_custom_resource_without_its_crd_names_the_fix(tmp_path):
    bundle = fidelity_bundle(tmp_path / "bundle")
    (bundle / "extra" / "issuer.yaml").write_text(
        "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: letsencrypt}\n")
    with pytest.raises(BundleError, match=r"add its CRD under extra/ \(kubectl get crd clusterissuers\.cert-manager"):
        Bundle.load(bundle)


@pytest.mark.parametrize(("path", "expected"), [
    (".spec.secretName", ["tls"]),
    ('.status.conditions[?(@.type=="Ready")].status', ["False"]),
    (".status.conditions[*].type", ["Ready", "Issuing"]),
    (".status.conditions[1].reason", ["Renewing"]),
    ("{.metadata.name}", ["c"]),
    (".spec.missing.deeper", []),
    (".spec[?(@.x", []),
])
def test_json_path_subset(path, expected):
    obj = {"metadata": {"name": "c"}, "spec": {"secretName": "tls"},
           "status": {"conditions": [{"type": "Ready", "status": "False"},
                                     {"type": "Issuing", "status": "True", "reason": "Renewing"}]}}
    assert json_path(obj, path) == expected
