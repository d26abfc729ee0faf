"""Per-language extractors: tree-sitter queries that turn one file into `FileFacts`."""

from __future__ import annotations

from collections.abc import Callable

from mcp_servers.codegraph.model import FileFacts

EXTENSIONS: dict[str, str] = {
    ".py": "python",
    ".go": "go",
    ".java": "java",
    ".ts": "typescript",
    ".tsx": "tsx",
    ".js": "javascript",
    ".jsx": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
}


def language_of(path: str) -> str | None:
    """The language of a repository path by its extension, None when not indexed."""
    dot = path.rfind(".")
    return EXTENSIONS.get(path[dot:]) if dot >= 0 else None


def extractor(lang: str) -> Callable[[str, bytes], FileFacts]:
    """The extract function for a language (imported lazily: workers load only what they parse)."""
    if lang == "python":
        from mcp_servers.codegraph.lang.python import extract
    elif lang == "go":
        from mcp_servers.codegraph.lang.golang import extract
    elif lang == "java":
        from mcp_servers.codegraph.lang.java import extract
    else:
        from mcp_servers.codegraph.lang.typescript import extract_for

        return extract_for(lang)
    return extract
