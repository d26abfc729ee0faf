"""agent.triage.restart_controller: a config-restarter controller changed, then a run of marker-only rollouts.

Shapes: Reloader's Deployment given `--auto-reload-all=true`, then four rollouts of an app whose only diff is a
`STAKATER_*_CONFIGMAP` hash env (change-cause reloader); Wave's ConfigMap written, then three rollouts of a
StatefulSet changing only `wave.pusher.com/config-hash`. Twins: the same restarts that began before the controller's
write; an app rolled out four times with new images (a deploy loop); restarts with no controller write in the LEAD;
two restarts only.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agent.triage import restart_controller as rc
from agent.triage.facts import Facts

AT = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def rollout(kind: str, ns: str, name: str, at: datetime, diff: str, cause: str) -> dict[str, Any]:
    return {"at": iso(at), "type": "rollout", "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} rolled out revision 3: {diff} (change-cause: {cause})", "diff": [diff]}


def reloader_write(at: datetime) -> dict[str, Any]:
    return rollout("Deployment", "platform", "config-reloader-main", at,
                   "reloader args ['--log-format=json'] -> ['--log-format=json', '--auto-reload-all=true']",
                   "helm upgrade")


def stakater(n: int, start: datetime) -> list[dict[str, Any]]:
    return [rollout("Deployment", "shop", "cart", start + timedelta(minutes=15 * i),
                    f"cart env STAKATER_CART_FLAGS_CONFIGMAP='a{i}f3' -> STAKATER_CART_FLAGS_CONFIGMAP='b{i}c9'",
                    "reloader") for i in range(n)]


def facts_of(changes: list[dict[str, Any]]) -> Facts:
    return Facts(at=AT, changes={"changes": sorted(changes, key=lambda c: c["at"], reverse=True)}, changes_id="C1")


def test_reloader_given_auto_reload_all_then_hash_only_rollouts() -> None:
    facts = facts_of([reloader_write(AT - timedelta(hours=2)), *stakater(4, AT - timedelta(minutes=90))])
    hits = rc.suspects(facts)
    assert len(hits) == 1
    ref, finding, _, explained = hits[0]
    assert (ref.kind, ref.name) == ("Deployment", "config-reloader-main")
    head = finding["message"][:400]
    assert "rolling restart" in head and "--auto-reload-all=true" in head and "Reloader" in head
    assert explained[0].name == "cart"


def test_wave_configmap_write_then_annotation_only_rollouts() -> None:
    wave = {"at": iso(AT - timedelta(hours=3)), "type": "config",
            "object": {"kind": "ConfigMap", "namespace": "wave-system", "name": "wave-settings"},
            "summary": "ConfigMap wave-system/wave-settings updated by helm: data key sync-period", "diff": []}
    restarts = [rollout("StatefulSet", "data", "search", AT - timedelta(minutes=20 * i),
                        f"search annotation wave.pusher.com/config-hash='{i}aa' -> '{i}bb'", "")
                for i in range(3)]
    hits = rc.found(facts_of([wave, *restarts]))
    assert len(hits) == 1 and hits[0].controller.name == "wave-settings" and hits[0].restarter == "Wave"


def test_another_victim_of_the_restarter_is_not_taken_for_it() -> None:
    other = rollout("Deployment", "shop", "search", AT - timedelta(hours=3),
                    "search env STAKATER_SEARCH_CONFIGMAP='aa1' -> STAKATER_SEARCH_CONFIGMAP='bb2'", "reloader")
    assert rc.found(facts_of([other, *stakater(4, AT - timedelta(minutes=90))])) == []
    runs = stakater(4, AT - timedelta(minutes=90))
    hits = rc.found(facts_of([reloader_write(AT - timedelta(hours=4)), other, *runs]))
    assert len(hits) == 1 and hits[0].controller.name == "config-reloader-main"


def test_restarts_before_the_controllers_write_are_not_its_doing() -> None:
    facts = facts_of([reloader_write(AT - timedelta(minutes=30)), *stakater(4, AT - timedelta(minutes=90))])
    assert rc.found(facts) == []


def test_deploy_loop_with_new_images_is_not_a_restarter() -> None:
    loops = [rollout("Deployment", "shop", "cart", AT - timedelta(minutes=10 * i),
                     f"cart image shop/cart:1.{i} -> shop/cart:1.{i + 1}", "reloader") for i in range(4)]
    assert rc.found(facts_of([reloader_write(AT - timedelta(hours=2)), *loops])) == []


def test_no_controller_write_or_too_few_restarts() -> None:
    assert rc.found(facts_of(stakater(4, AT - timedelta(minutes=90)))) == []
    assert rc.found(facts_of([reloader_write(AT - timedelta(hours=2)), *stakater(2, AT - timedelta(minutes=40))])) \
        == []
