"""Slack's redeliveries of a request Vigil already received: acknowledged, never acted on twice.

The Events API retries a delivery it counts as failed (no 2xx within three seconds, a connection
error, a non-2xx answer) up to three times, and numbers every retry: `X-Slack-Retry-Num` (1, 2, 3)
with `X-Slack-Retry-Reason` (http_timeout, http_error, ...). Slack keeps retrying any answer that is
not a 2xx and turns an app's event subscriptions off when most of its deliveries fail, so a retry of
a request already received must get a 200 saying so, not a 409. A retry can carry the signature of
its original (the same timestamp and body), so it meets the signature Vigil remembered; it must
still not reach slack-bolt, which would act on it a second time.

A byte-identical copy without `X-Slack-Retry-Num` is not something Slack sends: every redelivery
Slack makes is numbered, and the signing docs name the five-minute timestamp window as the defence
against captured requests sent again. Such a copy of an un-numbered request already received is a
replay (409), unless the delivery Vigil received first was a numbered retry: then this copy is the
original that a proxy held back until after its retry, and it is Slack's, acknowledged like a retry.

Two nonces per signature decide this, each recorded atomically by the queue (so two concurrent
copies act at most once): `slack:<sha256>` for any delivery (the existing replay key, kept so a
request received before an upgrade is still known) and `slack-original:<sha256>` for un-numbered ones.
The retry headers are not signed; adding one to a captured request turns its 409 into a 200 and
changes nothing else, since a duplicate is never dispatched.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

from agent.queue import AsyncQueue, ReplayError

RETRY_NUM_HEADER = "x-slack-retry-num"
_RETRY_NUM = re.compile(r"[1-9][0-9]{0,2}")
"""Slack numbers retries from 1 (and stops at 3); "-1", "0" or text are not Slack's retries."""
ANY_KEY = "slack:"
ORIGINAL_KEY = "slack-original:"


def is_slack_retry(headers: Mapping[str, str], is_event: bool) -> bool:
    """True for an Events API delivery Slack numbered as a retry. Slash commands and button clicks
    are never retried by Slack, so a retry number on one of them is not Slack's and does not count."""
    return is_event and _RETRY_NUM.fullmatch(headers.get(RETRY_NUM_HEADER, "").strip()) is not None


async def already_received(queue: AsyncQueue, signature: str, retried: bool) -> str | None:
    """Record this delivery's signature. None: the first delivery, to act on. A sentence: a
    redelivery of a request already received, to acknowledge (200) and not act on. Raises
    ReplayError for an un-numbered copy of an un-numbered request already received (409)."""
    digest = hashlib.sha256(signature.encode()).hexdigest()
    if not retried:
        await queue.remember(ORIGINAL_KEY + digest)
    try:
        await queue.remember(ANY_KEY + digest)
    except ReplayError:
        return ("this request was already received once (a redelivery of the same signed request); "
                "acknowledged, not acted on again")
    return None
