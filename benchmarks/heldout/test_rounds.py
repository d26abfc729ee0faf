"""The checks every held-out round from round 2 on must pass, run once for each round of the registry.

No investigation runs here (a round is blind until it is measured once). For each round of
rounds.py: every bundle validates and every key is sane, culprits and red herrings exist, keys are
varied and never given away, no failure type or name repeats an earlier set, the round and the one
before it keep their own scenarios in one process, generation is deterministic, bad arguments are
refused, a result is measured once; and, where the registry asks, custom-resource culprits ship
with their CRD and several pages name only a victim. What a round alone is held to stays in its own
test_heldout.py. Each round is built once per session (benchmarks/conftest.py).

Run: .venv/bin/python -m pytest -q -p no:cacheprovider benchmarks/heldout/test_rounds.py [-k heldout7]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from benchmarks.heldout import round_checks as rc
from benchmarks.heldout.rounds import ORDER, ROUNDS, Built, HeldoutRound


def each(rounds: Iterable[HeldoutRound]) -> Any:
    """Parametrize a test over `rounds`, each test id the round's name (select one with -k heldoutN)."""
    chosen = list(rounds)
    return pytest.mark.parametrize("rnd", chosen, ids=[r.name for r in chosen])


@pytest.fixture
def built(rnd: HeldoutRound, heldout_built: Callable[[str], Built]) -> Built:
    return heldout_built(rnd.name)


def test_every_round_directory_is_registered_in_order() -> None:
    """A round left out of the registry would silently go unchecked; each entry follows the one before
    it and must differ from every round written earlier."""
    on_disk = {p.parent.name for p in rc.BENCHMARKS.glob("heldout*/scenarios.py")}
    assert on_disk == set(ORDER)
    numbered = ("heldout", *(f"heldout{n}" for n in range(2, len(ORDER) + 1)))
    assert numbered == ORDER
    for index, rnd in enumerate(ROUNDS):
        before = [name for name in ORDER[: index + 1] if name not in rnd.written_with]
        assert rnd.previous == before[-1], rnd.name
        assert set(before) <= set(rnd.earlier), rnd.name
        assert rnd.name not in rnd.earlier


@each(ROUNDS)
def test_every_bundle_is_valid_and_every_key_is_sane(built: Built) -> None:
    rc.valid(*built)


@each(ROUNDS)
def test_culprits_and_red_herrings_exist_in_their_bundles(built: Built) -> None:
    rc.culprits_and_herrings_exist(*built)


@each(ROUNDS)
def test_keys_are_varied_and_names_say_only_the_symptom(rnd: HeldoutRound, built: Built) -> None:
    rc.keys_sane_and_varied(*built, min_kinds=rnd.min_kinds, grouped_needed=rnd.grouped)


@each(ROUNDS)
def test_no_failure_type_or_name_of_an_earlier_set(rnd: HeldoutRound, built: Built) -> None:
    rc.new_to_earlier_sets(*built, rnd.earlier, corpus=rnd.corpus)


@each(ROUNDS)
def test_rounds_loaded_together_keep_their_own_scenarios(rnd: HeldoutRound) -> None:
    rc.rounds_kept_apart(rnd.generator(), rnd.previous)


@each(ROUNDS)
def test_generation_is_deterministic(rnd: HeldoutRound, built: Built, tmp_path: Path) -> None:
    rc.deterministic(rnd.generator(), built[0], tmp_path)


@each(ROUNDS)
def test_bad_arguments_are_refused(rnd: HeldoutRound, tmp_path: Path) -> None:
    rc.bad_arguments_refused(rnd.generator(), tmp_path)


@each(ROUNDS)
def test_a_result_for_the_same_scenarios_is_not_overwritten(rnd: HeldoutRound, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    rc.measured_once(rnd.generator(), rnd.bench(), tmp_path, capsys)


@each(r for r in ROUNDS if r.custom_culprits is not None)
def test_custom_resource_culprits_ship_with_their_crd(rnd: HeldoutRound, built: Built) -> None:
    assert rnd.custom_culprits is not None
    rc.custom_culprits_ship_with_their_crd(*built, minimum=rnd.custom_culprits)


@each(r for r in ROUNDS if r.victim_pages is not None)
def test_several_pages_name_only_a_victim(rnd: HeldoutRound, built: Built) -> None:
    assert rnd.victim_pages is not None
    rc.pages_naming_only_a_victim(*built, minimum=rnd.victim_pages)


@each(r for r in ROUNDS if r.changed_culprits is not None)
def test_culprits_carry_the_change_that_made_them_the_cause(rnd: HeldoutRound, built: Built) -> None:
    assert rnd.changed_culprits is not None
    rc.culprits_carry_their_change(*built, minimum=rnd.changed_culprits)


@each(r for r in ROUNDS if r.cluster_scoped_custom)
def test_cluster_scoped_culprits_have_a_cluster_scoped_crd(built: Built) -> None:
    rc.cluster_scoped_culprits_have_a_cluster_scoped_crd(*built)


@each(r for r in ROUNDS if r.host_questions is not None)
def test_questions_naming_only_a_host(rnd: HeldoutRound, built: Built) -> None:
    assert rc.questions_naming_only_a_host(*built) == rnd.host_questions
