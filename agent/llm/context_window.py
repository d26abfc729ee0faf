"""How many tokens the model can see at once, and (where the server offers it) its own token count.

Vigil fits the first turn to the model's context window (agent/context_fit.py), so it must know the
window. The configured `llm.context_window` wins; otherwise an OpenAI-compatible server is asked
once, in the way each common server reports it, and the answer is cached per server and model:

- vLLM: `GET /v1/models` lists each model with `max_model_len`;
- llama.cpp's server: `GET /props` has `default_generation_settings.n_ctx` (older builds: `n_ctx`);
- Ollama: `POST /api/show` has `model_info["<arch>.context_length"]` (what the model was trained
  for) and, when the model file or request sets it, `num_ctx` in `parameters` (what the server
  actually allocates, which is what counts);
- LM Studio and others that add `context_length` / `max_context_length` to `/v1/models` entries.

llama.cpp also exposes its tokenizer (`POST /tokenize`), so the fitted first turn can be measured
with the model's own tokens instead of the four-characters estimate. A server that answers none of
these gives None: the caller then keeps its own default, never guesses a number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx

_NUM_CTX = re.compile(r"^\s*num_ctx\s+(\d+)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class ContextWindow:
    """A context window and where the number came from (shown in the report's stats)."""

    tokens: int | None
    source: str
    """`config`, `vllm /v1/models max_model_len`, `llama.cpp /props n_ctx`, `ollama /api/show num_ctx`, … or
    `unknown` when nothing answered."""
    tokenize_url: str | None = None
    """llama.cpp's `/tokenize`, when the server has one."""


_CACHE: dict[tuple[str, str], ContextWindow] = {}


def server_root(base_url: str) -> str:
    """The server's root URL: the OpenAI-compatible API root without its `/v1`."""
    root = base_url.rstrip("/")
    return root[: -len("/v1")] if root.endswith("/v1") else root


def _positive(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _from_models_list(body: Any, model: str) -> ContextWindow | None:
    entries = body.get("data") if isinstance(body, dict) else None
    if not isinstance(entries, list):
        return None
    chosen = [e for e in entries if isinstance(e, dict) and e.get("id") == model]
    chosen = chosen or ([entries[0]] if len(entries) == 1 and isinstance(entries[0], dict) else [])
    for entry in chosen:
        for key, label in (("max_model_len", "vllm /v1/models max_model_len"),
                           ("context_length", "/v1/models context_length"),
                           ("max_context_length", "/v1/models max_context_length")):
            tokens = _positive(entry.get(key))
            if tokens:
                return ContextWindow(tokens, label)
    return None


def _from_props(body: Any, root: str) -> ContextWindow | None:
    if not isinstance(body, dict):
        return None
    settings = body.get("default_generation_settings")
    tokens = _positive(settings.get("n_ctx")) if isinstance(settings, dict) else None
    tokens = tokens or _positive(body.get("n_ctx"))
    return ContextWindow(tokens, "llama.cpp /props n_ctx", f"{root}/tokenize") if tokens else None


def _from_ollama_show(body: Any) -> ContextWindow | None:
    if not isinstance(body, dict):
        return None
    parameters = body.get("parameters")
    if isinstance(parameters, str):
        match = _NUM_CTX.search(parameters)
        if match:
            return ContextWindow(int(match.group(1)), "ollama /api/show num_ctx")
    info = body.get("model_info")
    if isinstance(info, dict):
        for key, value in info.items():
            if str(key).endswith(".context_length") and _positive(value):
                return ContextWindow(int(value), "ollama /api/show context_length")
    return None


async def _get_json(client: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> Any:
    try:
        response = await client.request(method, url, **kwargs)
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    try:
        return response.json()
    except ValueError:
        return None


async def discover(base_url: str, model: str, *, timeout_s: float = 5.0,
                   client: httpx.AsyncClient | None = None) -> ContextWindow:
    """The server's context window for `model`, asked once per (server, model) and cached."""
    key = (base_url.rstrip("/"), model)
    if key in _CACHE:
        return _CACHE[key]
    root = server_root(base_url)
    own = client is None
    http = client or httpx.AsyncClient(timeout=timeout_s)
    try:
        found = (_from_models_list(await _get_json(http, "GET", f"{base_url.rstrip('/')}/models"), model)
                 or _from_props(await _get_json(http, "GET", f"{root}/props"), root)
                 or _from_ollama_show(await _get_json(http, "POST", f"{root}/api/show", json={"model": model}))
                 or ContextWindow(None, "unknown"))
    finally:
        if own:
            await http.aclose()
    _CACHE[key] = found
    return found


async def count_tokens(tokenize_url: str, text: str, *, timeout_s: float = 10.0) -> int | None:
    """`text`'s length in the model's own tokens (llama.cpp `/tokenize`), or None when it fails."""
    async with httpx.AsyncClient(timeout=timeout_s) as http:
        body = await _get_json(http, "POST", tokenize_url, json={"content": text})
    tokens = body.get("tokens") if isinstance(body, dict) else None
    return len(tokens) if isinstance(tokens, list) else None


def forget() -> None:
    """Drop the cache (tests, or a server restarted with another window)."""
    _CACHE.clear()
