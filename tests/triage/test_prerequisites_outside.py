"""prerequisites: node-prerequisite wordings of other software (issue #12 audit of agent.triage.prerequisites).

MongoDB's rlimit warning names the open-files limit; Go's runtime, Rust's std and ClickHouse's start-up check
name the thread limit; Cassandra names vm.max_map_count its own way. Twin: a connection refused names nothing.
"""

from __future__ import annotations

import pytest

from agent.triage.prerequisites import named


@pytest.mark.parametrize(("line", "prerequisite"), [
    ("** WARNING: soft rlimits for open file descriptors too low", "nofile ulimit (LimitNOFILE)"),
    ("runtime: failed to create new OS thread (have 2049 already; errno=11)", "kernel.threads-max"),
    ("thread 'main' panicked: failed to spawn thread: Os { code: 11, kind: WouldBlock }", "kernel.threads-max"),
    ("<Warning> Application: Maximum number of threads is lower than 30000. There could be problems with handling "
     "a lot of simultaneous queries.", "kernel.threads-max"),
    ("WARN  Maximum number of memory map areas per process (vm.max_map_count) 65530 is too low, recommended value: "
     "1048575", "vm.max_map_count"),
])
def test_other_softwares_wording_names_the_prerequisite(line: str, prerequisite: str) -> None:
    got = named([line])
    assert got is not None and got[0].name == prerequisite


def test_a_connection_refused_names_nothing() -> None:
    assert named(["dial tcp 10.0.0.7:5432: connect: connection refused"]) is None
