"""What a workload's own failure wording says it needs from its node: a kernel setting, an architecture, a limit.

Some software checks what the node gives it and refuses to start when it falls short, and says so in its own
words: Elasticsearch and OpenSearch's bootstrap check `max virtual memory areas vm.max_map_count [65530] is too
low, increase to at least [262144]`; a JVM that cannot reserve its heap under strict overcommit accounting
`os::commit_memory(...) failed; error='Not enough space' (errno=12)` / `There is insufficient memory for the Java
Runtime Environment`; a binary built for another CPU `exec format error`; Redis `The TCP backlog setting of 511
cannot be enforced because /proc/sys/net/core/somaxconn is set to the lower value of 128`; a file watcher's
`too many open files` from inotify or Node's `ENOSPC: System limit for number of file watchers reached`;
`unable to create native thread`; `could not map anonymous shared memory` with huge pages.

Each such wording names a node-level prerequisite: the sysctl keys that bound it (so a change that set those
keys can be tied to it), or the node's architecture. Pure: lines in, the prerequisite and the lines that say it
out. The words are the software's and the kernel's documented ones, not any scenario's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]+Z?\s+")


def _lower(old: int | None, new: int, need: int | None) -> bool:
    """A limit that harms when made smaller: below what the software asks, or lowered from what it was."""
    if need is not None:
        return new < need
    return old is not None and new < old


def _strict_overcommit(key: str, old: int | None, new: int) -> bool:
    """`vm.overcommit_memory=2` is strict accounting: no allocation past CommitLimit (swap + ratio% of RAM), free
    memory or not; a ratio lowered under it shrinks that limit."""
    if key == "vm.overcommit_memory":
        return new == 2 and old != 2
    return old is not None and new < old


def _userns_off(key: str, old: int | None, new: int) -> bool:
    """User namespaces taken away: `user.max_user_namespaces` set to 0 (or lowered), Debian's
    `kernel.unprivileged_userns_clone=0`, Ubuntu's `kernel.apparmor_restrict_unprivileged_userns=1`."""
    if key == "kernel.apparmor_restrict_unprivileged_userns":
        return new == 1 and old != 1
    if key == "kernel.unprivileged_userns_clone":
        return new == 0 and old != 0
    return new == 0 or (old is not None and new < old)


@dataclass(frozen=True)
class Prerequisite:
    """One thing a workload needs from its node, how its software says it is missing, and what provides it."""

    name: str
    kind: str
    """`sysctl` (kernel keys), `arch` (the node's CPU architecture) or `os` (what its OS image decides)."""
    says: re.Pattern[str]
    """The failure wording that names it."""
    keys: tuple[str, ...]
    """The sysctl keys that bound it (empty for `arch`)."""
    meaning: str
    """What the setting is and what the software needs of it: the finding's explanation."""
    context: re.Pattern[str] | None = None
    """Lines the same software prints beside it that are worth quoting (a bootstrap check's header)."""
    harms: Callable[[str, int | None, int, int | None], bool] | None = None
    """(key, old value or None, new value, the value the software asks for or None) -> whether setting it so breaks
    the prerequisite."""
    need: re.Pattern[str] | None = None
    """Where the wording states the value it needs (`increase to at least [262144]`)."""
    short: str = ""
    """The effect in a few words, for the headline (the full meaning comes later and may be cut)."""
    default_ok: bool = False
    """Whether the kernel's default satisfies the software (strict overcommit is never the default, file-max is
    large): then a node that sets nothing lacks nothing, and only a write of a harmful value is a cause."""
    setup: re.Pattern[str] | None = None
    """Words of a node's setup (userData, kubelet or runtime config) that provide it when it is no sysctl key
    (`LimitNOFILE=` in containerd's unit, `default-ulimits`)."""
    caps: re.Pattern[str] | None = None
    """Words of a node's setup that cap it below the kernel's own limit, with the number (the kubelet's per-pod
    PID limit under a thread limit): a template that sets one takes away what the kernel's default gave."""

    @property
    def setting(self) -> str:
        """The setting's name as a finding says it: its first sysctl key, else its own name."""
        return self.keys[0] if self.keys else self.name


CATALOGUE: tuple[Prerequisite, ...] = (
    Prerequisite(
        "user namespaces", "sysctl",
        re.compile(r"No usable sandbox|Failed to move to new namespace|CLONE_NEWUSER|max_user_namespaces|"
                   r"unprivileged_userns|user namespaces? (?:are |is )?(?:not (?:enabled|supported|permitted|"
                   r"available)|disabled)|bwrap: (?:No permissions to creat\w* new namespace|setting up uid map|"
                   r"Creating new namespace failed)|newuidmap\b.*(?:failed|not permitted)", re.I),
        ("user.max_user_namespaces", "kernel.unprivileged_userns_clone",
         "kernel.apparmor_restrict_unprivileged_userns"),
        "the kernel's user namespaces (sysctl user.max_user_namespaces, Debian's kernel.unprivileged_userns_clone, "
        "Ubuntu's kernel.apparmor_restrict_unprivileged_userns): Chromium and headless browsers (Puppeteer, "
        "Playwright) build their sandbox in a new user namespace, as do bubblewrap, rootless Podman/Buildah and "
        "Firefox; with user namespaces disabled on the node they cannot start it ('No usable sandbox')",
        None, lambda key, old, new, need: _userns_off(key, old, new),
        short="user namespaces disabled: sandboxed browsers and rootless builders cannot start", default_ok=True),
    Prerequisite(
        "vm.max_map_count", "sysctl",
        re.compile(r"vm\.max_map_count|max virtual memory areas|max_map_count", re.I),
        ("vm.max_map_count",),
        "the kernel's cap on memory-map areas per process (sysctl vm.max_map_count, default 65530); Elasticsearch "
        "and OpenSearch refuse to start below 262144 (a bootstrap check), and mmap-heavy stores fail their mmaps",
        re.compile(r"bootstrap checks? failed", re.I),
        lambda key, old, new, need: _lower(old, new, need),
        re.compile(r"at least \[?(\d+)"), "too few map areas: search engines fail their bootstrap check"),
    Prerequisite(
        "vm.overcommit_memory", "sysctl",
        re.compile(r"os::commit_memory|failed to map \d+ bytes for committing reserved memory|insufficient memory "
                   r"for the Java Runtime|errno=12\b|cannot allocate memory|runtime: cannot reserve arena|"
                   r"mmap\(.*\) failed|ENOMEM", re.I),
        ("vm.overcommit_memory", "vm.overcommit_ratio", "vm.overcommit_kbytes"),
        "the kernel's memory accounting: with vm.overcommit_memory=2 (strict) no process may reserve past "
        "CommitLimit (swap + vm.overcommit_ratio% of RAM) however much memory is free, so a JVM reserving its heap, "
        "a Go runtime its arena or a fork of a large process fails with ENOMEM while the node looks healthy",
        re.compile(r"insufficient memory for the Java Runtime|Native memory allocation", re.I),
        lambda key, old, new, need: _strict_overcommit(key, old, new),
        short="strict accounting: nothing may reserve memory past CommitLimit, free memory or not", default_ok=True),
    Prerequisite(
        "net.core.somaxconn", "sysctl",
        re.compile(r"somaxconn|TCP backlog setting of \d+ cannot be enforced", re.I),
        ("net.core.somaxconn",),
        "the kernel's cap on a listening socket's accept backlog (sysctl net.core.somaxconn): a server asking for "
        "a longer queue gets the smaller one and drops connections under bursts",
        None, lambda key, old, new, need: _lower(old, new, need),
        re.compile(r"backlog setting of (\d+)", re.I)),
    Prerequisite(
        "fs.inotify", "sysctl",
        re.compile(r"inotify|fsnotify|file watchers? (?:limit )?reached|System limit for number of file watchers",
                   re.I),
        ("fs.inotify.max_user_watches", "fs.inotify.max_user_instances"),
        "the kernel's per-user caps on file watches and watcher instances (fs.inotify.max_user_watches, "
        "fs.inotify.max_user_instances), shared by every pod of the node: past them a new watcher fails with "
        "`too many open files` (instances) or `no space left on device` (watches)",
        None, lambda key, old, new, need: _lower(old, new, need)),
    Prerequisite(
        "nofile ulimit (LimitNOFILE)", "ulimit",
        re.compile(r"max file descriptors \[\d+\] for [\w-]+ process is too low|rlimits? too low.*(?:files|nofile)|"
                   r"maximum number of open files to \d+ \(it was originally set to \d+\)|RLIMIT_NOFILE|"
                   r"rlimits? for open file descriptors too low", re.I),  # MongoDB's start-up warning
        (),
        "the open-files limit the node's container runtime gives every container (containerd/dockerd LimitNOFILE, "
        "often raised in a node's bootstrap): Elasticsearch and OpenSearch refuse to start below 65535 (a bootstrap "
        "check), databases and brokers cap their connections by it",
        re.compile(r"bootstrap checks? failed", re.I),
        need=re.compile(r"at least \[?(\d+)"),
        setup=re.compile(r"LimitNOFILE|nofile|ulimit -n|default-ulimits?|RLIMIT_NOFILE", re.I)),
    Prerequisite(
        "fs.file-max", "sysctl",
        re.compile(r"too many open files|max file descriptors \[\d+\]|EMFILE|ENFILE|file-max", re.I),
        ("fs.file-max", "fs.nr_open"),
        "the kernel's caps on open files (fs.file-max for the node, fs.nr_open per process, and the nofile ulimit "
        "the runtime gives containers): past them every open and accept fails with `too many open files`",
        None, lambda key, old, new, need: _lower(old, new, need),
        re.compile(r"at least \[?(\d+)"), default_ok=True),
    Prerequisite(
        "kernel.threads-max", "sysctl",
        re.compile(r"unable to create (?:new )?native thread|pthread_create failed|can't start new thread|"
                   r"fork: (?:retry: )?Resource temporarily unavailable|"
                   # Go's runtime, Rust's std/tokio, ClickHouse's start-up check
                   r"failed to create new OS thread|failed to spawn thread|"
                   r"Maximum number of threads is lower than \d+", re.I),
        ("kernel.threads-max", "kernel.pid_max", "vm.max_map_count"),
        "the kernel's caps on threads and PIDs (kernel.threads-max, kernel.pid_max) and the kubelet's per-pod PID "
        "limit (podPidsLimit, --pod-max-pids: a pids cgroup on every pod), which every thread a runtime starts "
        "counts against: a thread-heavy JVM, Go or Rust server fails to start threads past it",
        None, lambda key, old, new, need: _lower(old, new, need), default_ok=True,
        caps=re.compile(r"(?:podPidsLimit|pod[-_]max[-_]pids|podMaxPids|pod_pids_limit|pids_limit)"
                        r"[\s\"':=]{1,5}(\d+)", re.I)),
    Prerequisite(
        "vm.nr_hugepages", "sysctl",
        re.compile(r"huge ?pages?|hugetlb", re.I),
        ("vm.nr_hugepages",),
        "the huge pages the kernel reserves at boot (vm.nr_hugepages): software configured to use them cannot map "
        "its shared memory when fewer are reserved",
        None, lambda key, old, new, need: _lower(old, new, need)),
    Prerequisite(
        "architecture", "arch",
        re.compile(r"exec format error|cannot execute binary file|wrong ELF class|no matching manifest for "
                   r"linux/|does not (?:support|match) the (?:specified |host )?platform|"
                   r"image's platform \(linux/", re.I),
        (),
        "the node's CPU architecture (kubernetes.io/arch): a binary built for one architecture cannot run on "
        "another, the kernel refuses to execute it (`exec format error`)"),
    Prerequisite(
        "cgroup version", "os",
        re.compile(r"cgroups? ?v1|cgroups? ?v2|cgroup2|unified cgroup hierarchy|cgroup mountpoint does not exist|"
                   r"/sys/fs/cgroup/memory/memory\.[a-z_]+|/sys/fs/cgroup/cpu(?:,cpuacct)?/cpu\.[a-z_]+", re.I),
        (),
        "the node's OS image decides its cgroup version (v1 on Amazon Linux 2, Ubuntu 20.04, RHEL 8; v2 on Amazon "
        "Linux 2023, Bottlerocket, Ubuntu 22.04+, RHEL 9, COS, Flatcar): software that reads only the v1 files "
        "(`memory.limit_in_bytes`, `cpu.cfs_quota_us`) fails or misreads its limits on a v2 node"),
)
"""Node-level prerequisites, most specific wording first (max_map_count before a thread or fd limit)."""


def strip(line: str) -> str:
    """A log line without the timestamp a log read puts before it."""
    return _TIMESTAMP.sub("", line.strip())


def _from_match(line: str, says: re.Pattern[str], room: int = 110) -> str:
    """A long line from a little before its telling words (a JVM's `OpenJDK 64-Bit Server VM warning: INFO:`
    prefix says nothing), so the quote shows them."""
    match = says.search(line)
    if match is None or len(line) <= room or match.start() < 24:
        return line
    return "..." + line[match.start():]


def named(lines: list[str]) -> tuple[Prerequisite, list[str], int | None] | None:
    """The first prerequisite (catalogue order) the lines name, the lines that say it (the naming line first, then
    its software's header line, at most two) and the value the wording asks for (None when it states none)."""
    texts = [strip(ln) for ln in lines if ln.strip()]
    for prereq in CATALOGUE:
        saying = [t for t in texts if prereq.says.search(t)]
        if not saying:
            continue
        quoted = [_from_match(saying[0], prereq.says)]
        header = next((t for t in texts if prereq.context is not None and prereq.context.search(t)
                       and t not in quoted), None)
        if header is not None:
            quoted.append(header)
        need = None
        if prereq.need is not None:
            match = next((m for t in saying if (m := prereq.need.search(t))), None)
            need = int(match.group(1)) if match else None
        return prereq, quoted, need
    return None
