"""Worker names that say where a worker runs, so a restarted worker can prove an old one dead.

A running job's lease protects it from a second worker while its first one lives; when that worker
is SIGKILLed the lease still has minutes to run. A worker on the *same host* can do better than
wait: the name of the dead worker records its host, the kernel's boot id, its pid and the pid's
start time. The old worker is certainly gone when its pid is not running (or is a zombie), when the
pid now belongs to another process (a different start time: the pid was reused, as after a
container restart where pids start from 1 again), or when the machine has rebooted since (another
boot id). Anything else, a worker on another host included, keeps its lease until it expires.

This assumes a host name names one machine or pod at a time, which holds for Kubernetes pods (a
StatefulSet runs at most one pod of a name) and for ordinary hosts.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_SEP = "/"


@dataclass(frozen=True)
class WorkerName:
    host: str
    boot_id: str
    pid: int
    started: str
    """The process's start time in clock ticks since boot (/proc/PID/stat field 22); "" where unknown."""
    nonce: str

    def __str__(self) -> str:
        return _SEP.join([self.host, self.boot_id, str(self.pid), self.started, self.nonce])

    @classmethod
    def parse(cls, text: str) -> WorkerName | None:
        """The parts of a name made by `this_process`; None for any other name (it is never judged dead)."""
        parts = text.split(_SEP)
        if len(parts) != 5 or not parts[2].isdigit():
            return None
        return cls(parts[0], parts[1], int(parts[2]), parts[3], parts[4])


def this_process() -> WorkerName:
    """A fresh, unique worker name for this process."""
    pid = os.getpid()
    return WorkerName(_host(), boot_id(), pid, start_time(pid) or "", uuid.uuid4().hex[:8])


def _host() -> str:
    return socket.gethostname().replace(_SEP, "_")


@cache
def boot_id() -> str:
    """The kernel's id of this boot (Linux); "" where there is none."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def start_time(pid: int) -> str | None:
    """When `pid` started, in clock ticks since boot; None when no such process is running (or it is a
    zombie: killed, not yet reaped) and "" when /proc cannot tell."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        return ""
    fields = stat[stat.rfind(")") + 2:].split()  # the command name in parentheses may hold spaces
    if not fields or fields[0] in ("Z", "X"):
        return None
    return fields[19] if len(fields) > 19 else ""


def _pid_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def provably_dead(worker: str | None) -> bool:
    """True only when `worker` ran on this host and certainly no longer runs."""
    name = WorkerName.parse(worker or "")
    if name is None or name.host != _host():
        return False
    if name.boot_id and boot_id() and name.boot_id != boot_id():
        return True  # the machine rebooted since
    if not _pid_running(name.pid):
        return True
    started = start_time(name.pid)
    if started is None:
        return True  # a zombie
    return bool(name.started and started and started != name.started)  # the pid was reused


def dead_among(workers: list[str | None]) -> set[str]:
    """The names among `workers` that `provably_dead` judges gone (each judged once)."""
    return {w for w in set(workers) if w and provably_dead(w)}


RECLAIMED = "its worker died on this host (process gone or replaced); taken over before the lease ran out"
"""The `last_error` of a job taken back from a dead worker."""
