"""Free-text incidents: obvious labels read from a typed question, nothing guessed."""

from __future__ import annotations

import pytest

from agent.incident import IncidentError, extract_labels, from_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pods in namespace payments crashlooping", {"namespace": "payments"}),
        ("checkout pods OOMKilled in namespace shop", {"namespace": "shop", "deployment": "checkout"}),
        ("the checkout deployment in the shop namespace is slow", {"namespace": "shop", "deployment": "checkout"}),
        ("why is deploy/checkout stuck in ns shop?", {"namespace": "shop", "deployment": "checkout"}),
        ("pod checkout-7d9f8b6c5d-x2x4z keeps restarting", {"pod": "checkout-7d9f8b6c5d-x2x4z"}),
        ("node ip-10-0-1-5.ec2.internal is NotReady", {"node": "ip-10-0-1-5.ec2.internal"}),
        ('latency high namespace=web service="frontend"', {"namespace": "web", "service": "frontend"}),
        ("503s from the frontend service in cluster prod-eu", {"service": "frontend", "cluster": "prod-eu"}),
        ("everything is slow", {}),
        # Verbs after a kind word are not names; names before it are.
        ("clients outside the cluster reach app.example.com", {}),
        ("why did the get-data job fail?", {"job": "get-data"}),
    ],
)
def test_extract_labels(text: str, expected: dict[str, str]) -> None:
    assert extract_labels(text) == expected


def test_only_the_name_shaped_part_is_taken() -> None:
    # Quotes, spaces and semicolons never make it into a label value.
    assert extract_labels('namespace "prod; rm -rf /"') == {"namespace": "prod"}
    assert extract_labels("namespace ;;;") == {}


def test_from_text_builds_an_incident() -> None:
    incident = from_text("pods in namespace payments crashlooping", labels={"cluster": "prod-eu-west-1"})
    assert incident.source == "cli"
    assert incident.labels == {"namespace": "payments", "cluster": "prod-eu-west-1"}
    assert incident.question == "pods in namespace payments crashlooping"
    assert incident.raw == {
        "question": "pods in namespace payments crashlooping", "labels": {"cluster": "prod-eu-west-1"}
    }
    same = from_text("Pods in namespace payments crashlooping ", labels={"cluster": "prod-eu-west-1"})
    assert same.fingerprint == incident.fingerprint


def test_explicit_labels_win() -> None:
    incident = from_text("pods in namespace payments crashlooping", labels={"namespace": "payments-eu"})
    assert incident.labels["namespace"] == "payments-eu"


def test_empty_question_names_the_field() -> None:
    with pytest.raises(IncidentError) as caught:
        from_text("   ")
    assert caught.value.field == "question"
