"""The Slack app, with slack-bolt in HTTP mode: a slash command, mentions, thread follow-ups, approvals.

* `/vigil investigate <question>` (or just `/vigil <question>`): Vigil opens a thread in the channel,
  shows live progress there, and posts the report (Block Kit, with a chart of the series that moved).
* `@vigil <question>` in a channel: the same, in the mention's thread.
* A reply in such a thread (a follow-up question): answered in the thread with the first
  investigation's context (its labels: namespace, workload, cluster).
* Approve / Refuse buttons: resolve the pending approval, but only for users the policy's
  `approval.approvers` allows (and never the requester for high-risk actions). Approving a proposed
  fix (agent/gitops/from_report.py) queues the job that opens its pull request; anyone else's click
  changes nothing and is told why, to them alone.

Before bolt sees a request this module refuses oversized bodies, checks Slack's v0 signature and
the timestamp's freshness on the raw bytes, validates the fields Vigil uses with typed models
(agent.server.slack_requests) and refuses replays of an already accepted signature, except that
Slack's own redeliveries of it get a 200 that says so (agent.server.slack_redelivery); bolt then gets
a canonical body rebuilt from the validated model. Every listener that enqueues does so before
acknowledging (`process_before_response`), so Slack's "ok" means the request is on disk.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from agent.incident import IncidentError, from_text
from agent.queue import ReplayError
from agent.server.blocks import APPROVE_ACTION, REFUSE_ACTION, decided_blocks, escape
from agent.server.bodies import Refused, read_body
from agent.server.decisions import DecisionRefused
from agent.server.decisions import decide as decide_request
from agent.server.service import FOLLOWUP, FrontDoor
from agent.server.signatures import slack_problem
from agent.server.slack_redelivery import already_received, is_slack_retry
from agent.server.slack_requests import BlockActions, EventCallback, SlashCommand, read_slack_request
from agent.server.slack_workspace import Workspace

HELP = ("Usage: `/vigil investigate <what is wrong>` (for example `/vigil investigate checkout pods OOMKilled in "
        "namespace shop`). Vigil answers in a thread; reply in the thread to ask a follow-up.")
_MENTION = re.compile(r"<@[A-Z0-9]+>")
log = logging.getLogger("vigil.serve")
SLACK_APP_FAILED = "slack: a listener failed (bolt answered %s); answered 503"
"""Logged when a valid Slack request could not be acted on; the fuzz test asserts it never appears."""
SLACK_NOT_TOLD = "slack: a click was handled but Slack refused the message about it (%s: %s)"


def build_slack_app(door: FrontDoor, signing_secret: str, client: AsyncWebClient) -> AsyncApp:
    app = AsyncApp(signing_secret=signing_secret, client=client, process_before_response=True,
                   raise_error_for_unhandled_request=False, request_verification_enabled=False)

    @app.command(door.settings.slack.command)
    async def on_command(ack: Any, command: dict[str, Any], client: AsyncWebClient) -> None:
        fields = SlashCommand.model_validate(command)
        text = fields.text.strip()
        verb, _, rest = text.partition(" ")
        if verb.lower() in ("", "help"):
            await ack(HELP)
            return
        question = rest.strip() if verb.lower() == "investigate" else text
        try:
            incident = from_text(question, source="slack")
        except IncidentError as exc:
            await ack(f"{exc}. {HELP}")
            return
        channel, user = fields.channel_id, fields.user_id
        root = await client.chat_postMessage(
            channel=channel, text=f":mag: <@{user}> asked Vigil to investigate: {escape(question)}")
        thread_ts = str(root["ts"])
        enqueued = await door.submit(
            incident, reply={"slack": {"channel": channel, "thread_ts": thread_ts, "user": user}},
            ref=f"slack:{channel}:{thread_ts}", dedupe_key=f"slack:{fields.trigger_id or thread_ts}")
        door.count("slack", "accepted")
        await ack(f"On it: following up in the thread (job `{enqueued.job_id}`).")

    @app.event("app_mention")
    async def on_mention(body: dict[str, Any]) -> None:
        envelope = EventCallback.model_validate(body)
        question = _MENTION.sub("", envelope.event.text).strip()
        await _thread_request(door, envelope, question, allow_new=True)

    @app.event("message")
    async def on_message(body: dict[str, Any], context: dict[str, Any]) -> None:
        envelope = EventCallback.model_validate(body)  # bot messages and edits never get here
        if envelope.event.thread_ts is None:
            return
        text = envelope.event.text
        bot_user = context.get("bot_user_id")
        if bot_user and f"<@{bot_user}>" in text:
            return  # the app_mention event carries it
        await _thread_request(door, envelope, text.strip(), allow_new=False)

    async def decide(ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient,
                     approved: bool) -> None:
        await ack()
        click = BlockActions.model_validate(body)
        user = click.user.id
        actor = f"slack:{user}"
        container = click.container
        channel = (click.channel.id if click.channel else None) or (container.channel_id if container else None) or ""
        request_id = str(action.get("value") or "")
        try:
            decide_request(door.approvals, door.policy.approval, request_id, actor, approved, "slack")
        except DecisionRefused as exc:
            await _courtesy(client.chat_postEphemeral(channel=channel, user=user, text=f"Not recorded: {exc.detail}"))
            return
        await door.proposal_decided(request_id, approved)  # an approved fix: its pull request opens in a job
        message_ts = (click.message.ts if click.message else None) or (container.message_ts if container else None)
        if channel and message_ts:
            await _courtesy(client.chat_update(channel=channel, ts=message_ts, text="Approval decided",
                                               blocks=decided_blocks(request_id, approved, user)))

    @app.action(APPROVE_ACTION)
    async def on_approve(ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        await decide(ack, body, action, client, True)

    @app.action(REFUSE_ACTION)
    async def on_refuse(ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        await decide(ack, body, action, client, False)

    return app


async def _courtesy(call: Awaitable[Any]) -> None:
    """A message about a click that is already handled (the decision recorded, or refused and nothing
    changed): Slack refusing it (a user not in the channel, an archived channel, Slack unreachable) must
    not turn the click's answer into an error, which Slack would show as a failed button."""
    try:
        await call
    except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
        log.warning(SLACK_NOT_TOLD, type(exc).__name__, exc)


async def _thread_request(door: FrontDoor, envelope: EventCallback, question: str, allow_new: bool) -> None:
    """A message in a thread Vigil answered is a follow-up; a new mention starts an investigation."""
    if not question:
        return
    event = envelope.event
    channel, user = event.channel, event.user
    thread_ts = event.thread_ts or event.ts
    parent = await door.queue.find_by_ref(f"slack:{channel}:{thread_ts}") if event.thread_ts else None
    reply = {"slack": {"channel": channel, "thread_ts": thread_ts, "user": user}}
    key = f"slack:{envelope.event_id or event.client_msg_id or event.ts}"
    try:
        incident = from_text(question, labels=_incident_labels(parent), source="slack")
    except IncidentError:
        return
    if parent is not None:
        await door.submit(incident, reply=reply, dedupe_key=key, kind=FOLLOWUP,
                          extra={"question": question, "parent": parent.id})
    elif allow_new:
        await door.submit(incident, reply=reply, ref=f"slack:{channel}:{thread_ts}", dedupe_key=key)
    else:
        return
    door.count("slack", "accepted")


def _incident_labels(parent: Any) -> dict[str, str]:
    if parent is None:
        return {}
    labels = ((parent.payload or {}).get("incident") or {}).get("labels") or {}
    return {str(k): str(v) for k, v in labels.items()}


class SlackEndpoint:
    """POST /slack/events: size, signature, typed shape and replay checks, then slack-bolt."""

    def __init__(self, door: FrontDoor, signing_secret: str, client: AsyncWebClient) -> None:
        self.door = door
        self.signing_secret = signing_secret
        self.app = build_slack_app(door, signing_secret, client)
        self.workspace = Workspace(client)

    async def handle(self, request: Request) -> Response:
        try:
            body = await read_body(request, self.door.settings.max_body_bytes)
            timestamp = request.headers.get("x-slack-request-timestamp")
            signature = request.headers.get("x-slack-signature")
            problem = slack_problem(self.signing_secret, body, timestamp, signature, time.time())
            if problem is not None:
                raise Refused(401, "bad_signature", problem)
            parsed = read_slack_request(body, request.headers.get("content-type", ""),
                                        self.door.settings.slack.command)
            if parsed.answer is not None:
                return JSONResponse(parsed.answer)
            elsewhere = await self.workspace.mismatch(parsed.origin)
            if elsewhere is not None:
                if parsed.is_event:  # acknowledged (Slack retries anything else), not acted on
                    self.door.count("slack", "wrong_workspace")
                    return JSONResponse({"ok": True, "ignored": elsewhere})
                raise Refused(403, "wrong_workspace", elsewhere)
            try:
                duplicate = await already_received(self.door.queue, str(signature),
                                                   is_slack_retry(request.headers, parsed.is_event))
            except ReplayError as exc:
                raise Refused(409, "replay", str(exc)) from exc
            if duplicate is not None:  # Slack's redelivery: a 2xx stops its retries; bolt never sees it
                self.door.count("slack", "duplicate")
                return JSONResponse({"ok": True, "ignored": duplicate})
        except Refused as refused:
            self.door.count("slack", refused.error)
            return refused.response()
        bolt_request = AsyncBoltRequest(body=parsed.body, headers={
            "content-type": parsed.content_type, "x-slack-request-timestamp": str(timestamp),
            "x-slack-signature": str(signature)})
        answer = await self.app.async_dispatch(bolt_request)
        if answer.status >= 400:
            self.door.count("slack", f"http_{answer.status}")
        if answer.status >= 500:
            # bolt answers 500 itself when a listener raised (Slack's Web API unreachable, say); the
            # request was valid, so say "try again" (Slack retries events) rather than "server error".
            log.warning(SLACK_APP_FAILED, answer.status)
            return JSONResponse({"error": "unavailable", "detail": "Vigil could not act on this Slack request now "
                                 "(the server log says why); Slack retries events, or ask again"}, status_code=503)
        return Response(answer.body, status_code=answer.status, headers=answer.first_headers_without_set_cookie())


def not_configured(_: Request) -> JSONResponse:
    return JSONResponse({"error": "not_configured", "detail": "Slack is not configured: set the signing secret and "
                         "bot token variables named in serve.slack"}, status_code=503)
