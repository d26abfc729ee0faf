"""Source maps (revision 3): a position in compiled JavaScript back to the source file that made it.

A Node stack trace from a bundle names `dist/app.js:1:48213`; the index holds `src/cart.ts`. The
bundler's source map says which source line produced each generated column. The format is a JSON
object whose `mappings` string holds, per generated line (`;`-separated), segments (`,`-separated)
of Base64 VLQ numbers, each relative to the previous one (https://tc39.es/ecma426/). Only reading
one position is needed, so this is a small decoder rather than a dependency: the PyPI `sourcemap`
package has had no release since 2017.

Everything here reads files under the repository root only: the trace is untrusted text, and
neither a frame's path nor a `sourceMappingURL` may point the server at a file outside the index.
"""

from __future__ import annotations

import base64
import binascii
import json
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

MAX_MAP_BYTES = 64_000_000
"""A larger map is not read (big bundles' maps run to tens of MB; more than this is no source map)."""

_B64 = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}
_URL = re.compile(rb"//[#@]\s*sourceMappingURL=(\S+)\s*$")


@dataclass(frozen=True)
class Original:
    """Where a generated position came from."""

    source: str
    """The source file as the map names it, joined with its `sourceRoot` and the map's folder."""
    line: int
    """1-based."""
    column: int
    """1-based."""
    name: str
    """The original identifier when the map records one, else ""."""


def decode_vlq(segment: str) -> list[int]:
    """One mappings segment (`AAgBC`) to its signed integers; ValueError on a character outside Base64."""
    out: list[int] = []
    value = shift = 0
    for ch in segment:
        digit = _B64.get(ch)
        if digit is None:
            raise ValueError(f"not a Base64 VLQ character: {ch!r}")
        value += (digit & 31) << shift
        if digit & 32:
            shift += 5
            continue
        out.append(-(value >> 1) if value & 1 else value >> 1)
        value = shift = 0
    if shift:
        raise ValueError("a VLQ number is cut off at the end of its segment")
    return out


def lookup(source_map: dict[str, object], line: int, column: int) -> Original | None:
    """The original position of a generated 1-based line and column (the segment at or before it).

    Node prints 1-based columns; the map's are 0-based. With no column (0) the line's first segment
    counts. Sources are accumulated over every earlier line, since each field is a delta."""
    mappings = source_map.get("mappings")
    sources = source_map.get("sources")
    names = source_map.get("names") or []
    if not isinstance(mappings, str) or not isinstance(sources, list) or not isinstance(names, list) or line < 1:
        return None
    src = src_line = src_col = name = 0
    want_col = max(column - 1, 0)
    best: tuple[int, int, int, int | None] | None = None
    for index, group in enumerate(mappings.split(";")):
        gen_col = 0
        if index + 1 == line:
            best = None
        for seg in group.split(","):
            if not seg:
                continue
            fields = decode_vlq(seg)
            gen_col += fields[0]
            if len(fields) >= 4:
                src += fields[1]
                src_line += fields[2]
                src_col += fields[3]
                named: int | None = None
                if len(fields) >= 5:
                    name += fields[4]
                    named = name
                if index + 1 == line and (gen_col <= want_col or best is None):
                    best = (src, src_line, src_col, named)
        if index + 1 == line:
            break
    if best is None or not 0 <= best[0] < len(sources):
        return None
    source = sources[best[0]]
    if not isinstance(source, str):
        return None
    root = source_map.get("sourceRoot")
    if isinstance(root, str) and root:
        source = posixpath.join(root, source)
    label = names[best[3]] if best[3] is not None and 0 <= best[3] < len(names) else ""
    return Original(source, best[1] + 1, best[2] + 1, label if isinstance(label, str) else "")


def _inside(root: Path, path: Path) -> Path | None:
    try:
        resolved = path.resolve()
    except OSError:
        return None
    return resolved if resolved.is_relative_to(root) and resolved.is_file() else None


def find_generated(root: Path, trace_path: str) -> Path | None:
    """The compiled file a frame names, under root: the longest tail of the path that exists there
    (`/app/dist/main.js` in a container is `dist/main.js` in the checkout)."""
    root = root.resolve()
    parts = [p for p in trace_path.replace("\\", "/").removeprefix("file://").split("/") if p not in ("", ".")]
    for i in range(len(parts)):
        if ".." in parts[i:]:
            continue
        found = _inside(root, root.joinpath(*parts[i:]))
        if found is not None:
            return found
    return None


def load_for(root: Path, generated: Path) -> tuple[dict[str, object], Path] | None:
    """The source map of a compiled file and the folder its sources are relative to, or None.

    Looked for as the file's own `//# sourceMappingURL=` (a relative path or an inline
    `data:...;base64,` map), then as `<file>.map` next to it."""
    root = root.resolve()
    candidates: list[Path] = []
    try:
        with generated.open("rb") as fh:
            fh.seek(0, 2)
            fh.seek(max(fh.tell() - 4096, 0))
            tail = fh.read()
    except OSError:
        return None
    for raw_line in reversed(tail.splitlines()[-5:]):
        m = _URL.search(raw_line.strip())
        if not m:
            continue
        url = m.group(1).decode("utf-8", "replace")
        if url.startswith("data:"):
            header, _, payload = url.partition(",")
            try:
                text = base64.b64decode(payload).decode("utf-8") if header.endswith(";base64") else unquote(payload)
                return _parsed(text), generated.parent
            except (binascii.Error, UnicodeDecodeError, ValueError):
                return None
        if "://" not in url:
            candidates.append(generated.parent / unquote(url.split("?")[0]))
        break
    candidates.append(generated.with_name(generated.name + ".map"))
    for cand in candidates:
        path = _inside(root, cand)
        if path is None or path.stat().st_size > MAX_MAP_BYTES:
            continue
        try:
            return _parsed(path.read_text(encoding="utf-8")), path.parent
        except (OSError, UnicodeDecodeError, ValueError):
            continue
    return None


def _parsed(text: str) -> dict[str, object]:
    data = json.loads(text.removeprefix(")]}'"))  # the XSSI guard some servers prepend
    if not isinstance(data, dict) or data.get("version") != 3:
        raise ValueError("not a revision 3 source map")
    return data


def original_position(root: Path, trace_path: str, line: int, column: int) -> tuple[str, Original] | None:
    """(source path relative to root, position) for a frame in compiled code, or None when no map
    under root covers it. Bundler schemes (`webpack:///./src/x.ts`) are reduced to the path."""
    generated = find_generated(root, trace_path)
    if generated is None:
        return None
    loaded = load_for(root, generated)
    if loaded is None:
        return None
    source_map, base = loaded
    try:
        found = lookup(source_map, line, column)
    except ValueError:
        return None
    if found is None:
        return None
    source = re.sub(r"^[a-z][\w+.-]*://(/)?", "", found.source)
    full = (base / source) if not source.startswith("/") else Path(source)
    try:
        rel = posixpath.normpath(str(full.resolve().relative_to(root.resolve())))
    except ValueError:
        rel = posixpath.normpath(source.lstrip("./"))  # outside the root: let the index match its tail
    return rel, found
