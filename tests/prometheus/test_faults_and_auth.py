"""Error paths and authentication of the Prometheus tools.

"Stopped" uses the real Prometheus, killed. Slow answers, proxy failures, server errors and
credential checks come from `fault_server.py` (a loopback server returning Prometheus' documented
error format), because a real Prometheus will not produce them on demand. TLS uses a certificate
made by the real `openssl` binary and Python's own TLS server.
"""

from __future__ import annotations

import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from mcp import Client
from pydantic import SecretStr

from mcp_servers.common.http_auth import HttpAuth, TLSOptions, parse_header_list, safe_url
from mcp_servers.common.server import ServerGuard
from mcp_servers.prometheus.client import PromSettings
from mcp_servers.prometheus.local import LocalPrometheus, free_port
from mcp_servers.prometheus.server import build_server
from tests.prometheus.fault_server import Behaviour, fault_server

pytestmark = pytest.mark.anyio


async def ask(settings: PromSettings, tmp_path: Path, tool: str = "prom_query", **args: Any) -> tuple[str, bool]:
    args = args or {"query": "up", "time": "1777651200"}
    async with Client(build_server(settings, ServerGuard.for_tests(tmp_path))) as c:
        result = await c.call_tool(tool, args)
    return "\n".join(getattr(i, "text", "") for i in result.content), bool(result.is_error)


async def test_stopped_prometheus(incident_file: Path, tmp_path: Path) -> None:
    with LocalPrometheus(incident_file) as prom:
        url = prom.url
        prom.stop()
        text, error = await ask(PromSettings(url=url, timeout_seconds=2), tmp_path)
    assert error
    assert f"Prometheus at {url} is not reachable (connection refused)" in text
    assert "check that it is running" in text and "Traceback" not in text


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (503, {"status": "error", "errorType": "timeout", "error": "query timed out in expression evaluation"},
         "gave up on the query (timeout: query timed out in expression evaluation); narrow the time range"),
        (422, {"status": "error", "errorType": "execution",
               "error": "found duplicate series for the match group {pod=\"a\"} on the right hand-side"},
         "PromQL execution error (execution): found duplicate series for the match group"),
        (500, "internal error: something broke", "failed with HTTP 500 (internal error: something broke)"),
        (404, "404 page not found", "answered 404 for this API path"),
        (400, {"status": "error", "errorType": "bad_data", "error": "invalid parameter \"query\": 1:5: parse error: "
               "unexpected <EOF>"}, "PromQL error (bad_data): invalid parameter \"query\": 1:5: parse error"),
    ],
)
async def test_http_errors_become_actionable_text(status: int, body: Any, expected: str, tmp_path: Path) -> None:
    with fault_server(Behaviour(status=status, body=body)) as url:
        text, error = await ask(PromSettings(url=url), tmp_path)
    assert error
    assert expected in text
    assert "Traceback" not in text and "HTTP Status Code" not in text


async def test_slow_prometheus_times_out(tmp_path: Path) -> None:
    with fault_server(Behaviour(delay=1.5)) as url:
        text, error = await ask(PromSettings(url=url, timeout_seconds=0.4), tmp_path)
    assert error and "did not answer within 0.4s" in text and "narrow the time range" in text


async def test_proxy_502_is_retried_once_then_reported(tmp_path: Path) -> None:
    behaviour = Behaviour(status=502, body="bad gateway")
    with fault_server(behaviour) as url:
        text, error = await ask(PromSettings(url=url, retries=1), tmp_path)
    assert error and "HTTP 502" in text
    assert len(behaviour.seen) == 2


async def test_bearer_token_and_headers_reach_prometheus(tmp_path: Path) -> None:
    behaviour = Behaviour(require_auth="Bearer t0ken-abc")
    with fault_server(behaviour) as url:
        text, error = await ask(PromSettings(url=url), tmp_path)
        assert error and "refused the request (HTTP 401" in text and "VIGIL_PROMETHEUS_BEARER_TOKEN" in text
        auth = HttpAuth(bearer_token=SecretStr("t0ken-abc"), headers={"X-Scope-OrgID": "tenant-1"})
        text, error = await ask(PromSettings(url=url, auth=auth), tmp_path)
        assert not error, text
    assert behaviour.seen[-1]["Authorization"] == "Bearer t0ken-abc"
    assert behaviour.seen[-1]["X-Scope-OrgID"] == "tenant-1"
    assert "t0ken-abc" not in repr(auth) and "t0ken-abc" not in auth.describe()


async def test_basic_auth_and_token_file(tmp_path: Path) -> None:
    behaviour = Behaviour(require_auth="Basic dmlnaWw6c2VjcmV0")  # vigil:secret
    with fault_server(behaviour) as url:
        basic = HttpAuth(username="vigil", password=SecretStr("secret"))
        text, error = await ask(PromSettings(url=url, auth=basic), tmp_path)
        assert not error, text
        token_file = tmp_path / "token"
        token_file.write_text("rotated-token\n")
        behaviour.require_auth = "Bearer rotated-token"
        text, error = await ask(PromSettings(url=url, auth=HttpAuth(bearer_token_file=token_file)), tmp_path)
        assert not error, text


def test_auth_settings_from_env_and_validation(tmp_path: Path) -> None:
    env = {"VIGIL_PROMETHEUS_URL": "https://prom.example:9090", "VIGIL_PROMETHEUS_BEARER_TOKEN": "abc",
           "VIGIL_PROMETHEUS_HEADERS": "X-Scope-OrgID: a; X-Other: b", "VIGIL_PROMETHEUS_INSECURE_SKIP_VERIFY": "1"}
    settings = PromSettings.from_env(env)
    assert settings.url == "https://prom.example:9090"
    assert settings.auth.request_headers() == {"X-Scope-OrgID": "a", "X-Other": "b", "Authorization": "Bearer abc"}
    assert settings.auth.tls.verify() is False
    with pytest.raises(ValueError, match="not both"):
        HttpAuth(bearer_token=SecretStr("a"), username="u")
    with pytest.raises(ValueError, match="without username"):
        HttpAuth(password=SecretStr("p"))
    with pytest.raises(ValueError, match="key_file is set without"):
        TLSOptions(key_file=tmp_path / "k.pem")
    with pytest.raises(ValueError, match="is not 'Name: value'"):
        parse_header_list("no-colon-here")

    # shaped like agent.config.HttpEndpoint, which names env variables instead of holding secrets
    endpoint = SimpleNamespace(bearer_token_env="MY_PROM_TOKEN", basic_user=None, basic_password_env=None,
                               headers={"X-A": "1"}, verify_tls=True, ca_file=None)
    auth = HttpAuth.from_endpoint(endpoint, {"MY_PROM_TOKEN": "from-env"})
    assert auth.request_headers() == {"X-A": "1", "Authorization": "Bearer from-env"}
    with pytest.raises(ValueError, match="MY_PROM_TOKEN, which is not set"):
        HttpAuth.from_endpoint(endpoint, {})


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """An HTTPS server on 127.0.0.1 with a certificate for 127.0.0.1 from a throwaway CA (real openssl)."""
    d = tmp_path_factory.mktemp("tls")
    run = lambda *a: subprocess.run(["openssl", *a], cwd=d, check=True, capture_output=True)  # noqa: E731
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=vigil-test-ca")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=127.0.0.1")
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    run("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "srv.pem",
        "-days", "2", "-extfile", "ext.cnf")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            data = b'{"status":"success","data":{"resultType":"vector","result":[]}}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(d / "srv.pem", d / "srv.key")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", d / "ca.pem"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
async def test_tls_private_ca_and_skip_verify(tls_server: tuple[str, Path], tmp_path: Path) -> None:
    url, ca = tls_server
    text, error = await ask(PromSettings(url=url, retries=0), tmp_path)
    assert error and "certificate verify failed" in text
    text, error = await ask(PromSettings(url=url, auth=HttpAuth(tls=TLSOptions(ca_file=ca))), tmp_path)
    assert not error, text
    text, error = await ask(PromSettings(url=url, auth=HttpAuth(tls=TLSOptions(insecure_skip_verify=True))),
                            tmp_path)
    assert not error, text


async def test_credentials_in_the_url_never_reach_the_answer(tmp_path: Path) -> None:
    port = free_port()
    text, error = await ask(PromSettings(url=f"http://admin:hunter2@127.0.0.1:{port}", retries=0), tmp_path)
    assert error and f"http://127.0.0.1:{port}" in text
    assert "hunter2" not in text and "admin" not in text
    assert safe_url("https://u:p@prom.example:9090/prefix") == "https://prom.example:9090/prefix"
    assert safe_url("http://prom:9090") == "http://prom:9090"


async def test_secrets_named_by_environment_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A committed vigil.yaml names the variable that holds a secret, never the secret itself."""
    behaviour = Behaviour(require_auth="Bearer from-the-env")
    auth = HttpAuth(bearer_token_env="VIGIL_TEST_PROM_TOKEN")
    with fault_server(behaviour) as url:
        with pytest.raises(ValueError, match="VIGIL_TEST_PROM_TOKEN, which is not set"):
            auth.request_headers()
        monkeypatch.setenv("VIGIL_TEST_PROM_TOKEN", "from-the-env")
        text, error = await ask(PromSettings(url=url, auth=auth), tmp_path)
        assert not error, text
    monkeypatch.setenv("VIGIL_TEST_PROM_PASSWORD", "pw")
    assert HttpAuth(username="u", password_env="VIGIL_TEST_PROM_PASSWORD").basic() == ("u", "pw")
    with pytest.raises(ValueError, match="not several"):
        HttpAuth(bearer_token_env="A", bearer_token_file=tmp_path / "t")
