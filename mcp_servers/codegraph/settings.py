"""Which repository the code-graph server answers about: kept apart from the server so that loading
Vigil's configuration does not import the MCP SDK."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mcp_servers.codegraph.indexer import MAX_FILE_BYTES, default_db_path


@dataclass
class CodegraphSettings:
    """Which repository the server answers about."""

    repo: Path | None = None
    """Repository root; indexed (incrementally) at start-up when `reindex` is true or no index exists."""
    db: Path | None = None
    """Index database; default `<repo>/.vigil/codegraph.db`."""
    reindex: bool = True
    max_file_bytes: int = MAX_FILE_BYTES
    """Source files larger than this are not indexed (the index report lists them); 2 MB by default."""

    def __post_init__(self) -> None:
        if not isinstance(self.max_file_bytes, int) or self.max_file_bytes < 1:
            raise ValueError(f"codegraph.max_file_bytes must be a positive number of bytes "
                             f"(e.g. 5000000), got {self.max_file_bytes!r}")

    def db_path(self) -> Path:
        if self.db is not None:
            return self.db
        if self.repo is None:
            raise ValueError("codegraph needs a repository (--repo) or an index database (--db)")
        return default_db_path(self.repo)
