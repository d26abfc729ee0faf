"""The HTTP approvals API of `vigil serve`: list pending approvals, approve or deny one.

    GET  /approvals                  pending requests, oldest first
    POST /approvals/{id}/approve     body {"approver": "alice", "note": "..."}
    POST /approvals/{id}/deny        the same body

For a tool a team already has (an internal portal, a chat bot other than Slack). The caller holds the
bearer token named by `serve.api_token_env` and names the person deciding; that name must be among the
policy's `approval.approvers` and, above the policy's threshold, not the requester, as for a Slack
click. The token authenticates the caller, not the name: the name is taken as the caller states it,
once it passes as an identity (agent/server/identity.py: a NUL or a zero-width character is a 422,
never a record that prints as someone else). An approved proposed fix queues the job that opens its
pull request, like the Slack button.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.requests import Request
from starlette.responses import JSONResponse

from agent.server.bodies import Refused, parse_json, read_body, validate
from agent.server.decisions import DecisionRefused, Refusal
from agent.server.decisions import decide as decide_request
from agent.server.identity import MAX_IDENTITY_CHARS, clean_identity
from agent.server.service import FrontDoor
from agent.server.settings import read_env
from agent.server.signatures import verify_http_auth

CHANNEL = "http api"
ANSWERS: dict[Refusal, tuple[int, str]] = {
    Refusal.NOT_FOUND: (404, "not_found"), Refusal.DECIDED: (409, "decided"),
    Refusal.NOT_APPROVER: (403, "forbidden"), Refusal.SELF_APPROVAL: (403, "forbidden"),
    Refusal.BAD_IDENTITY: (422, "invalid_payload")}
"""Each refused decision (agent/server/decisions.py) as this API answers it."""


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approver: str = Field(min_length=1, max_length=MAX_IDENTITY_CHARS, pattern=r"^[^\s]+$")
    note: str = Field("", max_length=2000)

    @field_validator("approver")
    @classmethod
    def _identity(cls, value: str) -> str:
        return clean_identity(value)


def _authorise(door: FrontDoor, request: Request) -> None:
    token = read_env(door.settings.api_token_env, door.environ)
    if not token:
        raise Refused(503, "not_configured", f"the approvals API is off: set {door.settings.api_token_env}")
    if not verify_http_auth(request.headers.get("authorization"), bearer=token, basic_user=None,
                            basic_password=None):
        raise Refused(401, "unauthorized", "send the approvals API's bearer token")


async def list_pending(request: Request) -> JSONResponse:
    door: FrontDoor = request.app.state.door
    try:
        _authorise(door, request)
        if request.query_params:
            raise Refused(400, "unexpected_query", "GET /approvals takes no query parameters; it lists every "
                          "pending request")
        if await read_body(request, door.settings.max_body_bytes):
            raise Refused(400, "unexpected_body", "GET /approvals takes no body; decide with POST "
                          "/approvals/{id}/approve or /deny")
    except Refused as refused:
        door.count("approvals", refused.error)
        return refused.response()
    return JSONResponse({"pending": door.approvals.pending()})


async def decide(request: Request) -> JSONResponse:
    door: FrontDoor = request.app.state.door
    request_id = str(request.path_params.get("request_id", ""))
    verb = str(request.path_params.get("verb", ""))
    try:
        _authorise(door, request)
        if verb not in ("approve", "deny"):
            raise Refused(404, "not_found", "use /approvals/{id}/approve or /approvals/{id}/deny")
        body = await read_body(request, door.settings.max_body_bytes)
        decision = validate(Decision, parse_json(body))
        approved = verb == "approve"
        try:
            decide_request(door.approvals, door.policy.approval, request_id, decision.approver, approved, CHANNEL,
                           decision.note)
        except DecisionRefused as exc:
            status, error = ANSWERS[exc.reason]
            raise Refused(status, error, exc.detail) from exc
    except Refused as refused:
        door.count("approvals", refused.error)
        return refused.response()
    job_id = await door.proposal_decided(request_id, approved)
    door.count("approvals", "approved" if approved else "denied")
    return JSONResponse({"request_id": request_id, "status": "approved" if approved else "refused",
                         "approver": decision.approver, "pull_request_job": job_id})
