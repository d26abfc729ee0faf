"""The registry of held-out rounds 2 onwards: their order and what each round's checks expect of it.

One entry per round replaces a test file per round that repeated the same checks: the shared
checks (round_checks.py) run for every entry from one parametrized module (test_rounds.py), and
the numbers that differ between rounds (how many culprit kinds, which earlier sets it must not
repeat, how many custom-resource culprits it ships) are data here, not copies of a test. A new
round is one entry; test_rounds.py refuses a round directory that has no entry.

Round 1 (benchmarks/heldout) is in the order, as every later round's earliest predecessor, but
has no entry: it predates the shared checks and keeps its own test_heldout.py.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

Built = tuple[list[Path], Path]
"""A round's bundle directories and the directory of their answer keys (kept outside the bundles)."""

FIRST = "heldout"
"""Round 1: the set every later round must differ from."""


def through(last: int) -> tuple[str, ...]:
    """Rounds 1 to `last` by name (round 1 is `heldout`): the usual `earlier` of a round written after them."""
    return (FIRST, *(f"heldout{n}" for n in range(2, last + 1)))


@dataclass(frozen=True)
class HeldoutRound:
    """One round under benchmarks/<name>/ and what the shared checks hold it to."""

    name: str
    """heldout2, heldout3: the directory under benchmarks/ and the round's `Round.name`."""
    previous: str
    """The round written just before: built in the same process, each must keep its own scenarios."""
    earlier: tuple[str, ...]
    """Sets under benchmarks/ whose failure types (categories) and bundle names this round must not repeat."""
    corpus: bool = True
    """Whether the corpus's scenarios are among those sets too (round 2 shares one category with it)."""
    min_kinds: int = 6
    """The fewest distinct culprit kinds the round's twelve incidents span."""
    grouped: bool = True
    """Whether at least one Alertmanager notification groups several alerts (round 2 predates them)."""
    custom_culprits: int | None = None
    """The fewest culprits of a custom-resource kind, each shipped with its CRD; None: not checked."""
    victim_pages: int | None = None
    """The fewest incidents whose alerts and question never name the culprit; None: not checked."""
    changed_culprits: int | None = None
    """The fewest culprits that carry the change that made them the cause; None: not checked."""
    cluster_scoped_custom: bool = False
    """Whether a cluster-scoped custom-resource culprit ships with a Cluster-scoped CRD."""
    host_questions: int | None = None
    """How many chat questions name only a host (a node); None: not checked."""
    written_with: tuple[str, ...] = ()
    """Rounds written at the same time, blind to this one: neither is `previous` nor among `earlier`."""

    def generator(self) -> ModuleType:
        """The round's generate.py (its ROUND and generate())."""
        return importlib.import_module(f"benchmarks.{self.name}.generate")

    def bench(self) -> ModuleType:
        """The round's bench_heldout.py (its main(), which measures once)."""
        return importlib.import_module(f"benchmarks.{self.name}.bench_heldout")


ROUNDS: tuple[HeldoutRound, ...] = (
    HeldoutRound("heldout2", previous="heldout", earlier=("heldout",), corpus=False, min_kinds=5, grouped=False),
    HeldoutRound("heldout3", previous="heldout2", earlier=("heldout", "heldout2")),
    HeldoutRound("heldout4", previous="heldout3", earlier=("heldout", "heldout2", "heldout3"), custom_culprits=2),
    HeldoutRound("heldout5", previous="heldout4", earlier=(*through(4), "peercases"),
                 custom_culprits=3),
    HeldoutRound("heldout6", previous="heldout5",
                 earlier=(*through(5), "peercases"),
                 custom_culprits=1, victim_pages=4),
    HeldoutRound("heldout7", previous="heldout6",
                 earlier=(*through(6), "peercases"),
                 custom_culprits=4, victim_pages=4, changed_culprits=12, cluster_scoped_custom=True, host_questions=1),
    HeldoutRound("heldout8", previous="heldout7",
                 earlier=(*through(7), "peercases"),
                 custom_culprits=3, victim_pages=4, changed_culprits=10, cluster_scoped_custom=True, host_questions=1),
    HeldoutRound("heldout9", previous="heldout8",
                 earlier=(*through(8), "peercases"),
                 custom_culprits=1, victim_pages=8, changed_culprits=12, cluster_scoped_custom=True, host_questions=1),
    HeldoutRound("heldout10", previous="heldout8",
                 earlier=(*through(8), "peercases"),
                 custom_culprits=4, victim_pages=9, changed_culprits=12, cluster_scoped_custom=True, host_questions=1,
                 written_with=("heldout9",)),
    HeldoutRound("heldout11", previous="heldout8",
                 earlier=(*through(8), "peercases"),
                 custom_culprits=2, victim_pages=6, changed_culprits=12, host_questions=1,
                 written_with=("heldout9", "heldout10")),
    HeldoutRound("heldout12", previous="heldout11",
                 earlier=(*through(11), "peercases"),
                 min_kinds=6, custom_culprits=2, victim_pages=10, changed_culprits=12, cluster_scoped_custom=True,
                 host_questions=1, written_with=("heldout13",)),
    HeldoutRound("heldout13", previous="heldout11",
                 earlier=(*through(11), "peercases"),
                 min_kinds=10, victim_pages=10, changed_culprits=12, host_questions=1,
                 written_with=("heldout12",)),
    HeldoutRound("heldout14", previous="heldout13",
                 earlier=(*through(13), "peercases"),
                 min_kinds=10, custom_culprits=4, victim_pages=10, changed_culprits=12, cluster_scoped_custom=True,
                 host_questions=1, written_with=("heldout15",)),
    HeldoutRound("heldout15", previous="heldout13",
                 earlier=(*through(13), "peercases"),
                 min_kinds=10, victim_pages=10, changed_culprits=12, host_questions=1,
                 written_with=("heldout14",)),
    HeldoutRound("heldout16", previous="heldout15",
                 earlier=(*through(15), "peercases"),
                 min_kinds=10, victim_pages=10, changed_culprits=12, host_questions=1,
                 written_with=("heldout17",)),
    HeldoutRound("heldout17", previous="heldout15",
                 earlier=(*through(15), "peercases"),
                 min_kinds=10, custom_culprits=1, victim_pages=10, changed_culprits=12, host_questions=1,
                 written_with=("heldout16",)),
    HeldoutRound("heldout18", previous="heldout17",
                 earlier=(*through(17), "peercases"),
                 min_kinds=10, custom_culprits=4, victim_pages=10, changed_culprits=12, cluster_scoped_custom=True,
                 host_questions=1, written_with=("heldout19",)),
    HeldoutRound("heldout19", previous="heldout17",
                 earlier=(*through(17), "peercases"),
                 min_kinds=10, custom_culprits=2, victim_pages=7, changed_culprits=12, cluster_scoped_custom=True,
                 host_questions=1, written_with=("heldout18",)),
    HeldoutRound("heldout20", previous="heldout19",
                 earlier=(*through(19), "peercases"),
                 min_kinds=10, custom_culprits=3, victim_pages=8, changed_culprits=11, cluster_scoped_custom=True,
                 host_questions=1),
    HeldoutRound("heldout21", previous="heldout20",
                 earlier=(*through(20), "peercases"),
                 min_kinds=10, custom_culprits=3, victim_pages=8, changed_culprits=11, cluster_scoped_custom=True,
                 host_questions=1, written_with=("heldout22", "heldout23")),
    HeldoutRound("heldout22", previous="heldout20",
                 earlier=(*through(20), "peercases"),
                 min_kinds=10, custom_culprits=2, victim_pages=8, changed_culprits=11, cluster_scoped_custom=False,
                 host_questions=1, written_with=("heldout21", "heldout23")),
    HeldoutRound("heldout23", previous="heldout20",
                 earlier=(*through(20), "peercases"),
                 min_kinds=10, custom_culprits=3, victim_pages=8, changed_culprits=11, cluster_scoped_custom=True,
                 host_questions=1, written_with=("heldout21", "heldout22")),
    HeldoutRound("heldout24", previous="heldout23",
                 earlier=(*through(23), "peercases"),
                 min_kinds=10, custom_culprits=3, victim_pages=8, changed_culprits=11, cluster_scoped_custom=False,
                 host_questions=1, written_with=("heldout25", "heldout26")),
    HeldoutRound("heldout25", previous="heldout23",
                 earlier=(*through(23), "peercases"),
                 min_kinds=10, custom_culprits=3, victim_pages=8, changed_culprits=11, cluster_scoped_custom=True,
                 host_questions=1, written_with=("heldout24", "heldout26")),
    HeldoutRound("heldout26", previous="heldout23",
                 earlier=(*through(23), "peercases"),
                 min_kinds=10, custom_culprits=3, victim_pages=8, changed_culprits=11, cluster_scoped_custom=True,
                 host_questions=1, written_with=("heldout24", "heldout25")),
    HeldoutRound("heldout27", previous="heldout26",
                 earlier=(*through(26), "peercases"),
                 min_kinds=10, custom_culprits=3, victim_pages=8, changed_culprits=11, cluster_scoped_custom=True,
                 host_questions=1, written_with=("heldout28", "heldout29")),
    HeldoutRound("heldout28", previous="heldout26",
                 earlier=(*through(26), "peercases"),
                 min_kinds=10, custom_culprits=3, victim_pages=8, changed_culprits=11, cluster_scoped_custom=True,
                 host_questions=1, written_with=("heldout27", "heldout29")),
    HeldoutRound("heldout29", previous="heldout26",
                 earlier=(*through(26), "peercases"),
                 min_kinds=10, custom_culprits=3, victim_pages=8, changed_culprits=11, cluster_scoped_custom=True,
                 host_questions=1, written_with=("heldout27", "heldout28")),
    HeldoutRound("heldout30", previous="heldout29",
                 earlier=(*through(29), "peercases"),
                 min_kinds=10, custom_culprits=3, victim_pages=8, changed_culprits=11, cluster_scoped_custom=True,
                 host_questions=1, written_with=("heldout31", "heldout32")),
    HeldoutRound("heldout31", previous="heldout29",
                 earlier=(*through(29), "peercases"),
                 min_kinds=10, custom_culprits=3, victim_pages=8, changed_culprits=11, cluster_scoped_custom=True,
                 host_questions=1, written_with=("heldout30", "heldout32")),
    HeldoutRound("heldout32", previous="heldout29",
                 earlier=(*through(29), "peercases"),
                 min_kinds=10, custom_culprits=3, victim_pages=8, changed_culprits=11, cluster_scoped_custom=True,
                 host_questions=1, written_with=("heldout30", "heldout31")),
    HeldoutRound("heldout33", previous="heldout32",
                 earlier=(*through(32), "peercases"),
                 min_kinds=10, custom_culprits=3, victim_pages=8, changed_culprits=11, cluster_scoped_custom=True,
                 host_questions=1, written_with=("heldout34", "heldout35")),
    HeldoutRound("heldout34", previous="heldout32",
                 earlier=(*through(32), "peercases"),
                 min_kinds=10, custom_culprits=3, victim_pages=8, changed_culprits=11, cluster_scoped_custom=True,
                 host_questions=1, written_with=("heldout33", "heldout35")),
    HeldoutRound("heldout35", previous="heldout32",
                 earlier=(*through(32), "peercases"),
                 min_kinds=10, custom_culprits=3, victim_pages=8, changed_culprits=11, cluster_scoped_custom=True,
                 host_questions=1, written_with=("heldout33", "heldout34")),
    HeldoutRound("heldout36", previous="heldout35",
                 earlier=(*through(35), "peercases"),
                 min_kinds=10, custom_culprits=3, victim_pages=8, changed_culprits=11, cluster_scoped_custom=True,
                 host_questions=1, written_with=("heldout37", "heldout38")),
    HeldoutRound("heldout37", previous="heldout35",
                 earlier=(*through(35), "peercases"),
                 min_kinds=10, custom_culprits=3, victim_pages=8, changed_culprits=11, cluster_scoped_custom=True,
                 host_questions=1, written_with=("heldout36", "heldout38")),
    HeldoutRound("heldout38", previous="heldout35",
                 earlier=(*through(35), "peercases"),
                 min_kinds=10, custom_culprits=3, victim_pages=8, changed_culprits=11, cluster_scoped_custom=True,
                 host_questions=1, written_with=("heldout36", "heldout37")),
    HeldoutRound("heldout39", previous="heldout38",
                 earlier=(*through(38), "peercases"),
                 min_kinds=10, custom_culprits=3, victim_pages=8, changed_culprits=11, cluster_scoped_custom=True,
                 host_questions=1, written_with=("heldout40", "heldout41")),
    HeldoutRound("heldout40", previous="heldout38",
                 earlier=(*through(38), "peercases"),
                 min_kinds=10, custom_culprits=3, victim_pages=8, changed_culprits=11, cluster_scoped_custom=True,
                 host_questions=1, written_with=("heldout39", "heldout41")),
    HeldoutRound("heldout41", previous="heldout38",
                 earlier=(*through(38), "peercases"),
                 min_kinds=10, custom_culprits=3, victim_pages=8, changed_culprits=11, cluster_scoped_custom=True,
                 host_questions=1, written_with=("heldout39", "heldout40")),
    HeldoutRound("heldout42", previous="heldout41",
                 earlier=(*through(41), "peercases"),
                 min_kinds=10, custom_culprits=3, victim_pages=8, changed_culprits=11, cluster_scoped_custom=True,
                 host_questions=1, written_with=("heldout43", "heldout44")),
    HeldoutRound("heldout43", previous="heldout41",
                 earlier=(*through(41), "peercases"),
                 min_kinds=10, custom_culprits=3, victim_pages=8, changed_culprits=11, cluster_scoped_custom=True,
                 host_questions=1, written_with=("heldout42", "heldout44")),
    HeldoutRound("heldout44", previous="heldout41",
                 earlier=(*through(41), "peercases"),
                 min_kinds=10, custom_culprits=3, victim_pages=8, changed_culprits=11, cluster_scoped_custom=True,
                 host_questions=1, written_with=("heldout42", "heldout43")),
    HeldoutRound("heldout45", previous="heldout44",
                 earlier=(*through(44), "peercases"),
                 min_kinds=10, custom_culprits=3, victim_pages=8, changed_culprits=11, cluster_scoped_custom=True,
                 host_questions=1, written_with=("heldout46", "heldout47")),
    HeldoutRound("heldout46", previous="heldout44",
                 earlier=(*through(44), "peercases"),
                 min_kinds=10, custom_culprits=3, victim_pages=8, changed_culprits=11, cluster_scoped_custom=True,
                 host_questions=1, written_with=("heldout45", "heldout47")),
    HeldoutRound("heldout47", previous="heldout44",
                 earlier=(*through(44), "peercases"),
                 min_kinds=10, custom_culprits=3, victim_pages=8, changed_culprits=11, cluster_scoped_custom=True,
                 host_questions=1, written_with=("heldout45", "heldout46")),
    HeldoutRound("heldout48", previous="heldout47",
                 earlier=(*through(47), "peercases"),
                 min_kinds=10, custom_culprits=3, victim_pages=8, changed_culprits=11, cluster_scoped_custom=True,
                 host_questions=1),
    HeldoutRound("heldout49", previous="heldout48",
                 earlier=(*through(48), "peercases"),
                 min_kinds=10, custom_culprits=3, victim_pages=8, changed_culprits=11, cluster_scoped_custom=True,
                 host_questions=1),
    HeldoutRound("heldout50", previous="heldout49",
                 earlier=(*through(49), "peercases"),
                 min_kinds=10, custom_culprits=3, victim_pages=8, changed_culprits=11, cluster_scoped_custom=True,
                 host_questions=1, written_with=("heldout51",)),
    HeldoutRound("heldout51", previous="heldout49",
                 earlier=(*through(49), "peercases"),
                 min_kinds=10, custom_culprits=3, victim_pages=8, changed_culprits=11, cluster_scoped_custom=True,
                 host_questions=1, written_with=("heldout50",)),
    HeldoutRound("heldout52", previous="heldout51",
                 earlier=(*through(51), "peercases"),
                 min_kinds=10, custom_culprits=3, victim_pages=8, changed_culprits=11, cluster_scoped_custom=True,
                 host_questions=1),
)
"""Rounds 2 onwards in the order they were written."""

ORDER: tuple[str, ...] = (FIRST, *(r.name for r in ROUNDS))
"""Every round's name, oldest first."""


def by_name(name: str) -> HeldoutRound:
    """The entry of round `name`; KeyError names the known rounds when there is none."""
    for entry in ROUNDS:
        if entry.name == name:
            return entry
    raise KeyError(f"no held-out round {name!r}; known: {', '.join(r.name for r in ROUNDS)}")
