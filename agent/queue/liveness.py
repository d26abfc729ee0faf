"""Worker names that say where a worker runs, so a restarted worker can prove an old one dead.

A running job's lease protects it from a second worker while its first one lives; when that worker
is SIGKILLed the lease still has minutes to run. A worker on the *same host* can do better than
wait: the name of the dead worker records its host, the kernel's boot id, its pid and the pid's
start time. The old worker is certainly gone when its pid is not running (or is a zombie), when the
pid now belongs to another process (a different start time: the pid was reused, as after a
container restart where pids start from 1 again), or when the machine has rebooted since (another
boot id); agent/process_identity.py holds those checks. Anything else, a worker on another host
included, keeps its lease until it expires.

This assumes a host name names one machine or pod at a time, which holds for Kubernetes pods (a
StatefulSet runs at most one pod of a name) and for ordinary hosts.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass

from agent.process_identity import ProcessId, boot_id, start_time

_SEP = "/"

RECLAIMED = "its worker died on this host (process gone or replaced); taken over before the lease ran out"
"""The `last_error` of a job taken back from a dead worker."""


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


def provably_dead(worker: str | None) -> bool:
    """True only when `worker` ran on this host and certainly no longer runs."""
    name = WorkerName.parse(worker or "")
    if name is None or name.host != _host():
        return False
    return ProcessId(name.pid, name.started, name.boot_id).gone()


def dead_among(workers: list[str | None]) -> set[str]:
    """The names among `workers` that `provably_dead` judges gone (each judged once)."""
    return {w for w in set(workers) if w and provably_dead(w)}
