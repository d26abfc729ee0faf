"""How Vigil authenticates to an HTTP backend (Prometheus, Loki, Thanos, Mimir, Grafana Cloud...).

Real deployments put these APIs behind very different fronts: a bearer token from a service
account, basic auth on an nginx proxy, a tenant header (`X-Scope-OrgID`) for Loki or Mimir, a
private CA or mutual TLS. One small settings object describes all of them, and turns itself into
keyword arguments for `httpx` (the Loki client) and a `requests.Session` (what
`prometheus-api-client` takes), so both clients authenticate the same way from the same config.

Secrets are held as `SecretStr` so they never show up in a repr, a log line or an error message.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

if TYPE_CHECKING:  # only the Prometheus client needs requests; the Loki server starts without it
    import requests


class TLSOptions(BaseModel):
    """TLS settings; the defaults verify the server against the system trust store."""

    model_config = ConfigDict(extra="forbid")

    ca_file: Path | None = None
    """A PEM bundle of the CA(s) that signed the server certificate (a private CA)."""
    cert_file: Path | None = None
    """Client certificate for mutual TLS (PEM)."""
    key_file: Path | None = None
    """Private key of the client certificate (PEM); may be omitted if inside cert_file."""
    insecure_skip_verify: bool = False
    """Skip server verification. Only for a lab; the name is deliberately alarming."""

    @model_validator(mode="after")
    def _key_needs_cert(self) -> TLSOptions:
        if self.key_file and not self.cert_file:
            raise ValueError("tls.key_file is set without tls.cert_file; set both for mutual TLS")
        return self

    def verify(self) -> bool | str:
        """The `verify` value both httpx and requests understand."""
        if self.insecure_skip_verify:
            return False
        if self.ca_file:
            return str(self.ca_file)
        return True

    def client_cert(self) -> str | tuple[str, str] | None:
        if not self.cert_file:
            return None
        if self.key_file:
            return (str(self.cert_file), str(self.key_file))
        return str(self.cert_file)


class HttpAuth(BaseModel):
    """Credentials and transport options for one backend. At most one of bearer or basic auth."""

    model_config = ConfigDict(extra="forbid")

    bearer_token: SecretStr | None = None
    bearer_token_file: Path | None = None
    """Read the token from a file at each client build (a projected service-account token rotates)."""
    bearer_token_env: str | None = None
    """Name of an environment variable holding the token: how a committed vigil.yaml names a secret
    without containing it."""
    username: str | None = None
    password: SecretStr | None = None
    password_env: str | None = None
    """Name of an environment variable holding the basic-auth password."""
    headers: dict[str, str] = Field(default_factory=dict)
    """Extra headers on every request, e.g. {"X-Scope-OrgID": "team-a"}."""
    tls: TLSOptions = Field(default_factory=TLSOptions)

    @model_validator(mode="after")
    def _one_scheme(self) -> HttpAuth:
        sources = [self.bearer_token is not None, self.bearer_token_file is not None, self.bearer_token_env is not None]
        if sum(sources) > 1:
            raise ValueError("set one of bearer_token, bearer_token_file or bearer_token_env, not several")
        if any(sources) and self.username is not None:
            raise ValueError("set either a bearer token or basic auth (username/password), not both")
        if (self.password is not None or self.password_env is not None) and self.username is None:
            raise ValueError("password is set without username; basic auth needs both")
        if self.password is not None and self.password_env is not None:
            raise ValueError("set password or password_env, not both")
        return self

    @classmethod
    def from_env(cls, prefix: str, environ: dict[str, str] | None = None) -> HttpAuth:
        """Read `<PREFIX>_BEARER_TOKEN`, `_BEARER_TOKEN_FILE`, `_USERNAME`, `_PASSWORD`,
        `_HEADERS` (`Name: value; Name2: value`), `_CA_FILE`, `_CERT_FILE`, `_KEY_FILE`,
        `_INSECURE_SKIP_VERIFY` (1/true). Environment variables keep secrets off command lines."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(f"{prefix}_{name}")
            return value if value not in (None, "") else None

        data: dict[str, Any] = {
            "bearer_token": get("BEARER_TOKEN"),
            "bearer_token_file": get("BEARER_TOKEN_FILE"),
            "username": get("USERNAME"),
            "password": get("PASSWORD"),
            "headers": parse_header_list(get("HEADERS") or ""),
            "tls": {
                "ca_file": get("CA_FILE"),
                "cert_file": get("CERT_FILE"),
                "key_file": get("KEY_FILE"),
                "insecure_skip_verify": (get("INSECURE_SKIP_VERIFY") or "").lower() in ("1", "true", "yes"),
            },
        }
        return cls.model_validate(data)

    @classmethod
    def from_endpoint(cls, endpoint: Any, environ: dict[str, str] | None = None) -> HttpAuth:
        """From a config section shaped like agent.config.HttpEndpoint, which names env variables
        for its secrets (`bearer_token_env`, `basic_password_env`) rather than holding them."""
        env = os.environ if environ is None else environ
        token_env = getattr(endpoint, "bearer_token_env", None)
        password_env = getattr(endpoint, "basic_password_env", None)
        user = getattr(endpoint, "basic_user", None)
        token = env.get(token_env) if token_env else None
        if token_env and not token:
            raise ValueError(f"bearer_token_env names {token_env}, which is not set in the environment")
        data: dict[str, Any] = {
            "bearer_token": token,
            "username": user,
            "password": env.get(password_env) if password_env else None,
            "headers": dict(getattr(endpoint, "headers", None) or {}),
            "tls": {
                "ca_file": getattr(endpoint, "ca_file", None),
                "insecure_skip_verify": not getattr(endpoint, "verify_tls", True),
            },
        }
        return cls.model_validate(data)

    def token(self) -> str | None:
        if self.bearer_token is not None:
            return self.bearer_token.get_secret_value()
        if self.bearer_token_file is not None:
            try:
                return self.bearer_token_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ValueError(f"cannot read bearer_token_file {self.bearer_token_file}: {exc.strerror}") from exc
        if self.bearer_token_env is not None:
            return _from_env(self.bearer_token_env, "bearer_token_env")
        return None

    def request_headers(self) -> dict[str, str]:
        """Headers to send: the custom ones, then Authorization for a bearer token."""
        headers = dict(self.headers)
        token = self.token()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def basic(self) -> tuple[str, str] | None:
        if self.username is None:
            return None
        if self.password_env is not None:
            return (self.username, _from_env(self.password_env, "password_env"))
        return (self.username, self.password.get_secret_value() if self.password else "")

    def httpx_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `httpx.AsyncClient(...)`."""
        kwargs: dict[str, Any] = {"headers": self.request_headers(), "verify": self.tls.verify()}
        basic = self.basic()
        if basic:
            kwargs["auth"] = basic
        cert = self.tls.client_cert()
        if cert:
            kwargs["cert"] = cert
        return kwargs

    def requests_session(self) -> requests.Session:
        """A `requests.Session` carrying the same settings, for `PrometheusConnect(session=...)`."""
        import requests

        session = requests.Session()
        session.headers.update(self.request_headers())
        session.verify = self.tls.verify()
        basic = self.basic()
        if basic:
            session.auth = basic
        cert = self.tls.client_cert()
        if cert:
            session.cert = cert
        return session

    def describe(self) -> str:
        """A secret-free one-liner for logs and `--help` output."""
        parts = []
        if self.bearer_token is not None or self.bearer_token_file is not None or self.bearer_token_env:
            parts.append("bearer token")
        if self.username is not None:
            parts.append(f"basic auth as {self.username}")
        if self.headers:
            parts.append("headers " + ", ".join(sorted(self.headers)))
        if self.tls.ca_file:
            parts.append(f"CA {self.tls.ca_file}")
        if self.tls.cert_file:
            parts.append("client certificate")
        if self.tls.insecure_skip_verify:
            parts.append("TLS verification OFF")
        return "; ".join(parts) or "no auth"


def _from_env(name: str, field_name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise ValueError(f"{field_name} names {name}, which is not set in the environment")
    return value


def parse_header_list(text: str) -> dict[str, str]:
    """`"X-Scope-OrgID: a; X-Other: b"` -> dict. Raises ValueError naming the bad entry."""
    headers: dict[str, str] = {}
    for raw in text.split(";"):
        item = raw.strip()
        if not item:
            continue
        name, sep, value = item.partition(":")
        if not sep or not name.strip():
            raise ValueError(f"header {item!r} is not 'Name: value'")
        headers[name.strip()] = value.strip()
    return headers


def safe_url(url: str) -> str:
    """`url` without any `user:password@` part, for error messages and logs."""
    parts = urlsplit(url)
    if not parts.username and not parts.password:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


class BackendSettings(BaseModel):
    """Where an HTTP backend (Prometheus, Loki) is and how to reach it: the shape both servers share.

    Each subclass names its environment prefix; settings come from the config, else the environment,
    and command-line flags go on top (`with_flags`). Credentials only ever come from the environment
    or files (HttpAuth), never from flags.
    """

    model_config = ConfigDict(extra="forbid")
    ENV_PREFIX: ClassVar[str] = ""

    url: str
    auth: HttpAuth = Field(default_factory=HttpAuth)
    timeout_seconds: float = 30.0

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Self:
        """`<PREFIX>_URL`, `_TIMEOUT`, plus the auth variables of `HttpAuth.from_env`."""
        env = os.environ if environ is None else environ
        data: dict[str, Any] = {"auth": HttpAuth.from_env(cls.ENV_PREFIX, dict(env))}
        if env.get(f"{cls.ENV_PREFIX}_URL"):
            data["url"] = env[f"{cls.ENV_PREFIX}_URL"]
        if env.get(f"{cls.ENV_PREFIX}_TIMEOUT"):
            data["timeout_seconds"] = float(env[f"{cls.ENV_PREFIX}_TIMEOUT"])
        return cls.model_validate(data)

    def with_flags(self, url: str | None, headers: list[str], timeout: float | None) -> Self:
        """The settings with command-line flags on top: a URL, `Name: value` headers, a timeout."""
        update: dict[str, object] = {}
        if url:
            update["url"] = url
        if timeout:
            update["timeout_seconds"] = timeout
        if headers:
            merged = dict(self.auth.headers)
            for item in headers:
                merged.update(parse_header_list(item))
            update["auth"] = self.auth.model_copy(update={"headers": merged})
        return self.model_copy(update=update)
