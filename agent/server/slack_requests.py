"""The Slack requests Vigil acts on, as typed models, read before slack-bolt sees anything.

Slack sends three shapes to one URL: form fields for a slash command, a JSON envelope for events,
and a form field `payload` holding JSON for button clicks. Vigil validates the fields it uses with
strict types (a Slack id is upper-case letters and digits, a message timestamp is `seconds.micros`),
refuses anything else with a 4xx naming the field, and hands slack-bolt a canonical body rebuilt from
the validated model, never the raw one. slack-bolt reads dozens of optional fields while it builds
its context; feeding it only what was validated is what keeps a signed but odd request (an `event`
that is a list, a channel that is `NaN`) from reaching it as a 500 or from being queued as "None".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs, urlencode, urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from agent.server.blocks import APPROVE_ACTION, REFUSE_ACTION
from agent.server.bodies import Refused, parse_json, validate

SlackId = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9_]{0,39}$")]
"""A team, user, bot, app or channel id (`T0123`, `U0ABC`, `C9`, `D42`)."""
SlackTs = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,12}\.[0-9]{1,9}$")]
"""A message timestamp, which is also a message's id within its channel."""
Token = Annotated[str, StringConstraints(max_length=256, pattern=r"^[\x21-\x7e]*$")]
"""An opaque printable-ASCII value (trigger id, event id, action id)."""
Text = Annotated[str, StringConstraints(max_length=40_000)]

RESPONSE_URL_HOSTS = frozenset({"hooks.slack.com", "hooks.slack-gov.com"})
"""Where Slack's `response_url`s live (commercial and GovSlack)."""


def _slack_response_url(value: str) -> str:
    """A `response_url` is a capability URL Slack hands out on its own host. Vigil does not post to it
    today, but a signed request naming another host (loopback, a metadata service, a look-alike name,
    `hooks.slack.com@evil`) is forged or broken either way, and refusing it here means no later code
    can be led to fetch it: only `https://hooks.slack.com/...` (or GovSlack's) passes."""
    if len(value) > 2000 or not value.isascii() or any(c in value for c in "\\@ \t\r\n"):
        raise ValueError("not a Slack response URL (https://hooks.slack.com/...)")
    parts = urlsplit(value)
    if parts.scheme != "https" or parts.netloc.lower().removesuffix(":443") not in RESPONSE_URL_HOSTS:
        raise ValueError("not a Slack response URL (https://hooks.slack.com/...)")
    return value


ResponseUrl = Annotated[str, AfterValidator(_slack_response_url)]

HANDLED_EVENTS = frozenset({"app_mention", "message"})
HANDLED_INTERACTIONS = frozenset({"block_actions"})
HANDLED_ACTIONS = frozenset({APPROVE_ACTION, REFUSE_ACTION})
"""The buttons Vigil posts; a click on anything else is not one of ours (refused here, with a reason,
rather than left to slack-bolt's bare "unhandled request")."""


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class SlashCommand(_Strict):
    """A slash command's form fields (only those Vigil reads)."""

    command: Annotated[str, StringConstraints(pattern=r"^/[^\s/]{1,64}$")]
    text: Text = ""
    user_id: SlackId
    channel_id: SlackId
    team_id: SlackId | None = None
    api_app_id: SlackId | None = None
    enterprise_id: SlackId | None = None
    trigger_id: Token | None = None
    response_url: ResponseUrl | None = Field(default=None, exclude=True)
    """Checked, then left out of what slack-bolt gets: Vigil answers in threads with its bot token."""


class MessageEvent(_Strict):
    """An `app_mention`, or a plain `message` posted by a person (no subtype, no bot)."""

    type: Literal["app_mention", "message"]
    channel: SlackId
    user: SlackId
    text: Text = ""
    ts: SlackTs
    thread_ts: SlackTs | None = None
    client_msg_id: Token | None = None


class Authorization(_Strict):
    team_id: SlackId | None = None
    user_id: SlackId | None = None
    enterprise_id: SlackId | None = None
    is_bot: bool = False
    is_enterprise_install: bool = False


class EventCallback(_Strict):
    """The Events API envelope around one event."""

    type: Literal["event_callback"]
    event_id: Token | None = None
    event_time: int | None = None
    team_id: SlackId | None = None
    api_app_id: SlackId | None = None
    enterprise_id: SlackId | None = None
    authorizations: list[Authorization] = Field(default_factory=list, max_length=20)
    event: MessageEvent


class IdOnly(_Strict):
    id: SlackId


class Container(_Strict):
    type: Token | None = None
    channel_id: SlackId | None = None
    message_ts: SlackTs | None = None


class Message(_Strict):
    ts: SlackTs


class ButtonClick(_Strict):
    action_id: Token
    value: Annotated[str, StringConstraints(max_length=2000)] = ""
    block_id: Token | None = None
    type: Token | None = None
    action_ts: Token | None = None


class BlockActions(_Strict):
    """An interactivity payload for a button click."""

    type: Literal["block_actions"]
    user: IdOnly
    team: IdOnly | None = None
    api_app_id: SlackId | None = None
    trigger_id: Token | None = None
    channel: IdOnly | None = None
    container: Container | None = None
    message: Message | None = None
    actions: list[ButtonClick] = Field(min_length=1, max_length=25)
    enterprise: IdOnly | None = None
    response_url: ResponseUrl | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _in_a_channel(self) -> BlockActions:
        """Vigil's buttons are in channel messages, and the answer to a click goes to that channel."""
        if not ((self.channel and self.channel.id) or (self.container and self.container.channel_id)):
            raise ValueError("the click names no channel (channel.id or container.channel_id)")
        return self


@dataclass(frozen=True)
class Origin:
    """Who a signed request says it is for: its workspace, Enterprise Grid organisation and app."""

    team_id: str | None
    enterprise_id: str | None
    app_id: str | None


@dataclass(frozen=True)
class SlackRequest:
    """A validated request: either an answer to give at once, or a canonical body for slack-bolt."""

    answer: dict[str, Any] | None = None
    """Answered directly (the URL challenge, an SSL check, an event Vigil ignores by design)."""
    body: str = ""
    content_type: str = ""
    origin: Origin | None = None
    """The workspace, organisation and app the request says it is for (checked against Vigil's own)."""
    is_event: bool = False


def read_slack_request(raw: bytes, content_type: str, command: str) -> SlackRequest:
    """Validate a signed Slack request; raise `Refused` naming the field when it is not one Vigil handles."""
    if content_type.split(";")[0].strip().lower() == "application/json":
        return _read_event(parse_json(raw))
    try:
        fields = parse_qs(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(raw),
                          max_num_fields=100)
    except (UnicodeDecodeError, ValueError) as exc:
        raise Refused(400, "malformed_form", f"the body is not UTF-8 form fields: {exc}") from exc
    if len(fields.get("ssl_check", [])) == 1 and "command" not in fields:
        return SlackRequest(answer={"ok": True})
    if "payload" in fields:
        return _read_interaction(parse_json(_single(fields, "payload").encode(), field="payload"))
    if "command" in fields:
        return _read_command(fields, command)
    raise Refused(422, "invalid_payload", "neither a slash command (`command`), an interactivity `payload` nor a "
                  "JSON event")


def _single(fields: dict[str, list[str]], name: str) -> str:
    values = fields[name]
    if len(values) != 1:
        raise Refused(422, "invalid_payload", f"{name}: sent {len(values)} times; Slack sends it once")
    return values[0]


def _read_command(fields: dict[str, list[str]], command: str) -> SlackRequest:
    data = {name: _single(fields, name) for name in fields}
    parsed = validate(SlashCommand, data, "")
    if parsed.command != command:
        raise Refused(404, "unhandled", f"command: Vigil answers {command}, not {parsed.command[:70]}")
    return SlackRequest(body=urlencode(parsed.model_dump(exclude_none=True)),
                        content_type="application/x-www-form-urlencoded",
                        origin=Origin(parsed.team_id, parsed.enterprise_id, parsed.api_app_id))


def _read_event(envelope: Any) -> SlackRequest:
    if not isinstance(envelope, dict) or not isinstance(envelope.get("type"), str):
        raise Refused(422, "invalid_payload", "a Slack event body is a JSON object with a string `type`")
    kind = envelope["type"]
    if kind == "url_verification":
        challenge = envelope.get("challenge")
        if not isinstance(challenge, str) or not 0 < len(challenge) <= 256:
            raise Refused(422, "invalid_payload", "challenge: expected the string Slack sends to verify the URL")
        return SlackRequest(answer={"challenge": challenge})
    if kind != "event_callback":
        # Signed, from Slack, but nothing to do (e.g. `app_rate_limited`): a 2xx, because Slack retries
        # every non-2xx answer and turns off an app's event subscriptions when most deliveries fail.
        return SlackRequest(answer={"ok": True, "ignored": f"type {kind[:40]!r} is not a request Vigil acts on"})
    event = envelope.get("event")
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        raise Refused(422, "invalid_payload", "event: expected an object with a string `type`")
    if event["type"] not in HANDLED_EVENTS:  # an extra subscription in the app's manifest: acknowledged, ignored
        return SlackRequest(answer={"ok": True, "ignored": f"event.type {event['type'][:40]!r} is not an event "
                                    "Vigil acts on"})
    if event["type"] == "message" and (event.get("subtype") is not None or event.get("bot_id") is not None):
        return SlackRequest(answer={"ok": True, "ignored": "edits, joins and bot messages are not questions"})
    parsed = validate(EventCallback, envelope, "")
    return SlackRequest(body=json.dumps(parsed.model_dump(exclude_none=True)), content_type="application/json",
                        origin=Origin(parsed.team_id, parsed.enterprise_id, parsed.api_app_id), is_event=True)


def _read_interaction(payload: Any) -> SlackRequest:
    if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
        raise Refused(422, "invalid_payload", "payload: an interactivity payload is a JSON object with a string "
                      "`type`")
    if payload["type"] not in HANDLED_INTERACTIONS:
        raise Refused(404, "unhandled", f"payload.type: {payload['type'][:40]!r} is not an interaction Vigil "
                      "handles")
    parsed = validate(BlockActions, payload, "payload.")
    for action in parsed.actions:
        if action.action_id not in HANDLED_ACTIONS:
            raise Refused(404, "unhandled", f"payload.actions: {action.action_id[:40]!r} is not a button Vigil "
                          f"posts ({', '.join(sorted(HANDLED_ACTIONS))})")
    return SlackRequest(body=urlencode({"payload": json.dumps(parsed.model_dump(exclude_none=True))}),
                        content_type="application/x-www-form-urlencoded",
                        origin=Origin(parsed.team.id if parsed.team else None,
                                      parsed.enterprise.id if parsed.enterprise else None, parsed.api_app_id))
