"""Telling whether a process recorded earlier still runs, without trusting a bare pid.

A pid alone is weak evidence: a killed process's pid is reused, a container restart starts pids
from 1 again, and a SIGKILLed child stays a zombie until reaped. So a process is recorded by its
pid, its start time (clock ticks since boot, /proc/PID/stat field 22) and the kernel's boot id, and
judged gone only when one of them proves it. Used by the job queue (to take back the jobs of a dead
worker) and by the local Prometheus (to reap one whose owner died). Linux-specific where /proc is
needed; elsewhere only "no such pid" counts as proof.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path


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
        return None if not _pid_exists(pid) else ""
    except OSError:
        return ""
    fields = stat[stat.rfind(")") + 2:].split()  # the command name in parentheses may hold spaces
    if not fields or fields[0] in ("Z", "X"):
        return None
    return fields[19] if len(fields) > 19 else ""


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class ProcessId:
    """A process as recorded when it ran: enough to prove later that it is gone."""

    pid: int
    started: str = ""
    boot: str = ""

    @classmethod
    def of(cls, pid: int) -> ProcessId:
        return cls(pid, start_time(pid) or "", boot_id())

    def gone(self) -> bool:
        """True only with proof: the machine rebooted, the pid is free or a zombie, or it is another process."""
        if self.boot and boot_id() and self.boot != boot_id():
            return True
        if not _pid_exists(self.pid):
            return True
        now = start_time(self.pid)
        if now is None:
            return True
        return bool(self.started and now and now != self.started)
