"""A throwaway, real Prometheus on 127.0.0.1, preloaded with an incident's metrics.

Used by the tests, the benchmarks and the agent's demo: backfill OpenMetrics text into TSDB blocks
with `promtool tsdb create-blocks-from openmetrics`, start the `prometheus` binary on a free
loopback port with its data in a temporary directory (retention 100y so old incident data is not
deleted at start-up), wait for `/-/ready`, and stop it on exit.

It never outlives its owner. On Linux the child asks the kernel for SIGTERM when its parent dies
(`prctl(PR_SET_PDEATHSIG)`), so a `vigil` killed with SIGKILL takes its Prometheus with it. And each
temp dir holds `owner.json` (owner and Prometheus, each recorded by pid, start time and boot id):
the next start reaps any Prometheus whose owner is provably gone and removes its temp dir, which
also covers systems without PDEATHSIG and a Prometheus started from a thread other than the main
one (the kernel sends PDEATHSIG when the *thread* that started the child ends, so it is only asked
for from the main thread).

It never touches a system Prometheus service or its data directory.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import yaml

from agent.process_identity import ProcessId

TEMP_PREFIX = "vigil-prom-"
OWNER_FILE = "owner.json"
PR_SET_PDEATHSIG = 1


class LocalPrometheusError(RuntimeError):
    """The local Prometheus could not be prepared or started; the message says why and what to do."""


def _find_binary(name: str, explicit: str | None) -> str:
    found = shutil.which(explicit or name)
    if not found:
        raise LocalPrometheusError(
            f"the `{explicit or name}` binary is not on PATH; install it (Debian/Ubuntu: "
            f"`apt-get install -y prometheus`, which ships both prometheus and promtool) "
            f"or pass its path"
        )
    return found


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after 10 s; Prometheus flushes its head block on SIGTERM."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def _die_with_parent_hook() -> Callable[[], None] | None:
    """A `preexec_fn` asking Linux to SIGTERM the child when this thread's process dies; None where
    that is unavailable or unsafe (not Linux, or not the main thread: see the module docstring)."""
    if not sys.platform.startswith("linux") or threading.current_thread() is not threading.main_thread():
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    parent = os.getpid()

    def hook() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the request took effect
            os._exit(1)

    return hook


def _write_owner(workdir: Path, prometheus_pid: int | None) -> None:
    owner = ProcessId.of(os.getpid())
    data: dict[str, Any] = {"owner": owner.__dict__}
    if prometheus_pid is not None:
        data["prometheus"] = ProcessId.of(prometheus_pid).__dict__
    tmp = workdir / (OWNER_FILE + ".tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    tmp.replace(workdir / OWNER_FILE)


def reap_orphans(tempdir: Path | None = None, min_age_seconds: float = 3600.0) -> list[Path]:
    """Stop the Prometheus of every local instance whose owner is provably gone, remove its temp dir,
    and return the dirs removed. A temp dir without an owner file (an older Vigil) is removed once it
    is older than `min_age_seconds`, unless a live owner wrote one meanwhile."""
    removed: list[Path] = []
    for workdir in Path(tempdir or tempfile.gettempdir()).glob(TEMP_PREFIX + "*"):
        try:
            data = json.loads((workdir / OWNER_FILE).read_text(encoding="utf-8"))
            owner = ProcessId(**data["owner"])
            prometheus = ProcessId(**data["prometheus"]) if data.get("prometheus") else None
        except FileNotFoundError:
            with contextlib.suppress(OSError):
                if time.time() - workdir.stat().st_mtime > min_age_seconds:
                    shutil.rmtree(workdir, ignore_errors=True)
                    removed.append(workdir)
            continue
        except (OSError, ValueError, TypeError, KeyError):
            continue  # not ours to judge
        if not owner.gone():
            continue
        if prometheus is not None and not prometheus.gone():
            _stop_pid(prometheus)
        shutil.rmtree(workdir, ignore_errors=True)
        removed.append(workdir)
    return removed


def _stop_pid(process: ProcessId) -> None:
    """SIGTERM an orphaned Prometheus, SIGKILL it if it lingers (it is not our child: poll, not wait)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not process.gone():
            time.sleep(0.05)
        if not process.gone():
            os.kill(process.pid, signal.SIGKILL)


def free_port() -> int:
    """A port nobody listens on right now (the OS picks it; a race is retried by the caller)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def backfill(openmetrics: Path, data_dir: Path, promtool: str | None = None) -> None:
    """Write TSDB blocks for `openmetrics` into `data_dir` (promtool needs a trailing `# EOF`)."""
    tool = _find_binary("promtool", promtool)
    source = Path(openmetrics)
    if not source.is_file():
        raise LocalPrometheusError(f"metrics file {source} does not exist")
    text = source.read_text(encoding="utf-8")
    if not text.rstrip().endswith("# EOF"):
        # promtool rejects input without the OpenMetrics terminator; add it on a copy.
        patched = data_dir.parent / f"{source.name}.eof"
        patched.write_text(text.rstrip("\n") + "\n# EOF\n", encoding="utf-8")
        source = patched
    proc = subprocess.run(
        [tool, "tsdb", "create-blocks-from", "openmetrics", "--quiet", str(source), str(data_dir)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise LocalPrometheusError(f"promtool could not backfill {openmetrics}: " + " | ".join(detail))


class LocalPrometheus:
    """Context manager running a real Prometheus preloaded with OpenMetrics files.

    >>> with LocalPrometheus(["examples/incidents/checkout-oom/metrics.om"]) as prom:
    ...     prom.url  # http://127.0.0.1:PORT
    """

    def __init__(
        self,
        openmetrics: Sequence[str | Path] | str | Path | None = None,
        *,
        rule_files: Sequence[str | Path] = (),
        evaluation_interval: str = "1s",
        self_scrape: bool = True,
        extra_scrape_configs: Sequence[dict[str, Any]] = (),
        port: int | None = None,
        prometheus_binary: str | None = None,
        promtool_binary: str | None = None,
        startup_timeout: float = 30.0,
        extra_args: Sequence[str] = (),
    ) -> None:
        if isinstance(openmetrics, str | Path):
            openmetrics = [openmetrics]
        self.openmetrics = [Path(p) for p in (openmetrics or [])]
        self.rule_files = [Path(p) for p in rule_files]
        self.evaluation_interval = evaluation_interval
        self.self_scrape = self_scrape
        self.extra_scrape_configs = list(extra_scrape_configs)
        self._fixed_port = port
        self._prometheus = prometheus_binary
        self._promtool = promtool_binary
        self.startup_timeout = startup_timeout
        self.extra_args = list(extra_args)
        self.port = 0
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None

    @property
    def url(self) -> str:
        if not self.port:
            raise LocalPrometheusError("the local Prometheus is not running; use it as a context manager")
        return f"http://127.0.0.1:{self.port}"

    @property
    def workdir(self) -> Path:
        if self._tmp is None:
            raise LocalPrometheusError("the local Prometheus is not running")
        return Path(self._tmp.name)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def __enter__(self) -> LocalPrometheus:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def start(self) -> None:
        """Backfill (first start only), then run Prometheus and wait until it is ready."""
        binary = _find_binary("prometheus", self._prometheus)
        if self._tmp is None:
            reap_orphans()
            self._tmp = tempfile.TemporaryDirectory(prefix=TEMP_PREFIX)
            _write_owner(self.workdir, None)
            data = self.workdir / "data"
            data.mkdir()
            for path in self.openmetrics:
                backfill(path, data, self._promtool)
        attempts = 1 if self._fixed_port else 3
        last_error = ""
        for _ in range(attempts):
            self.port = self._fixed_port or free_port()
            self._write_config()
            log = (self.workdir / "prometheus.log").open("wb")
            try:
                self._proc = subprocess.Popen(
                    [
                        binary,
                        f"--config.file={self.workdir / 'prometheus.yml'}",
                        f"--storage.tsdb.path={self.workdir / 'data'}",
                        "--storage.tsdb.retention.time=100y",
                        f"--web.listen-address=127.0.0.1:{self.port}",
                        "--log.level=warn",
                        *self.extra_args,
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=self.workdir,
                    start_new_session=True,
                    preexec_fn=_die_with_parent_hook(),  # only prctl and getppid run in the child
                )
            finally:
                log.close()
            _write_owner(self.workdir, self._proc.pid)
            # If the owner forgets close() or the interpreter exits, do not leave a Prometheus behind
            # (it runs in its own session, so a Ctrl-C in the terminal does not reach it).
            self._finalizer = weakref.finalize(self, _terminate, self._proc)
            if self._wait_ready():
                return
            last_error = self._log_tail()
            self.stop()
        raise LocalPrometheusError(f"prometheus did not become ready on 127.0.0.1: {last_error}")

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL after 10 s). The data directory is kept."""
        proc, self._proc = self._proc, None
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        if proc is not None:
            _terminate(proc)

    def close(self) -> None:
        """Stop the process and delete the temporary data directory."""
        self.stop()
        if self._tmp is not None:
            with contextlib.suppress(OSError):
                self._tmp.cleanup()
            self._tmp = None
        self.port = 0

    def _write_config(self) -> None:
        scrape: list[dict[str, Any]] = []
        if self.self_scrape:
            scrape.append(
                {
                    "job_name": "prometheus",
                    "scrape_interval": "5s",
                    "static_configs": [{"targets": [f"127.0.0.1:{self.port}"]}],
                }
            )
        scrape.extend(self.extra_scrape_configs)
        rules = []
        for i, path in enumerate(self.rule_files):
            target = self.workdir / f"rules-{i}.yml"
            shutil.copyfile(path, target)
            rules.append(str(target))
        config = {
            "global": {"scrape_interval": "15s", "evaluation_interval": self.evaluation_interval},
            "rule_files": rules,
            "scrape_configs": scrape,
        }
        (self.workdir / "prometheus.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + self.startup_timeout
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self._proc is None or self._proc.poll() is not None:
                    return False
                try:
                    if client.get(f"http://127.0.0.1:{self.port}/-/ready").status_code == 200:
                        return True
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
        return False

    def _log_tail(self) -> str:
        try:
            lines = (self.workdir / "prometheus.log").read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return "no log"
        return " | ".join(lines[-5:]) or "no log output"
