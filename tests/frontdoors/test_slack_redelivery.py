"""Slack's redeliveries of a request already received (agent.server.slack_redelivery), through the real
slack-bolt app and queue: a numbered retry carrying its original's signature is acknowledged with a
200 that says it was already received and is not acted on; an un-numbered copy stays a 409 replay,
unless the first delivery received was the numbered retry (the original held back by a proxy)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.frontdoors.conftest import SLACK_SECRET, Service, slack_headers
from tests.frontdoors.test_slack import command_body, event_body, post_slack

pytestmark = pytest.mark.anyio
JSON = "application/json"


def mention(text: str = "<@UVIGILBOT> checkout pods crashlooping in namespace shop") -> bytes:
    return event_body({"type": "app_mention", "user": "U2", "text": text, "ts": "1700000100.000100",
                       "channel": "C9", "event_ts": "1700000100.000100"}, "EvRetry1")


def retry(headers: dict[str, str], num: str = "1", reason: str = "http_timeout") -> dict[str, str]:
    return {**headers, "x-slack-retry-num": num, "x-slack-retry-reason": reason}


async def jobs(service: Service) -> int:
    return sum((await service.door.queue.counts()).values())


def assert_duplicate(response: Any) -> None:
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["ok"] is True and "already received" in answer["ignored"]


async def test_retries_with_the_originals_signature_are_acknowledged_once_acted_on(service: Service) -> None:
    body = mention()
    signed = slack_headers(SLACK_SECRET, body)
    first = await post_slack(service, body, JSON, headers=signed)
    assert first.status_code == 200, first.text
    posts = len(service.recorder.calls("chat.postMessage"))
    for num, reason in (("1", "http_timeout"), ("2", "http_timeout"), ("3", "http_error"), ("1", "h4_unknown")):
        assert_duplicate(await post_slack(service, body, JSON, headers=retry(signed, num, reason)))
    assert await jobs(service) == 1, "one investigation for the original and its retries"
    assert len(service.recorder.calls("chat.postMessage")) == posts, "a retry never reaches the listeners"


async def test_the_original_after_its_retry_is_acknowledged_not_acted_on(service: Service) -> None:
    body = mention()
    signed = slack_headers(SLACK_SECRET, body)
    first = await post_slack(service, body, JSON, headers=retry(signed))
    assert first.status_code == 200 and "ignored" not in first.text, "a retry whose original was lost is acted on"
    assert_duplicate(await post_slack(service, body, JSON, headers=signed))
    assert_duplicate(await post_slack(service, body, JSON, headers=retry(signed, "2")))
    assert await jobs(service) == 1


async def test_an_unnumbered_copy_of_an_unnumbered_request_is_a_replay(service: Service) -> None:
    body = mention()
    signed = slack_headers(SLACK_SECRET, body)
    assert (await post_slack(service, body, JSON, headers=signed)).status_code == 200
    replay = await post_slack(service, body, JSON, headers=signed)
    assert replay.status_code == 409 and replay.json()["error"] == "replay"
    assert_duplicate(await post_slack(service, body, JSON, headers=retry(signed)))
    again = await post_slack(service, body, JSON, headers=signed)
    assert again.status_code == 409, "a retry in between does not license un-numbered copies"
    assert await jobs(service) == 1


@pytest.mark.parametrize("num", ["-1", "0", "one", "", "1000"])
async def test_a_retry_number_slack_never_sends_is_no_retry(service: Service, num: str) -> None:
    body = mention()
    signed = slack_headers(SLACK_SECRET, body)
    assert (await post_slack(service, body, JSON, headers=signed)).status_code == 200
    assert (await post_slack(service, body, JSON, headers=retry(signed, num))).status_code == 409
    assert await jobs(service) == 1


async def test_a_slash_command_is_never_slacks_retry(service: Service) -> None:
    """Slack retries Events API deliveries only; a retry number on a copied slash command is a replay,
    and the command's thread is not opened twice."""
    body = command_body("investigate checkout pods OOMKilled in namespace shop")
    signed = slack_headers(SLACK_SECRET, body)
    assert (await post_slack(service, body, headers=signed)).status_code == 200
    copied = await post_slack(service, body, headers=retry(signed))
    assert copied.status_code == 409 and copied.json()["error"] == "replay"
    assert len(service.recorder.calls("chat.postMessage")) == 1
    assert await jobs(service) == 1
