"""Run the hostile-request catalogue against a real `vigil serve` and a real `vigil mcp investigate
--http`, both on loopback, and record what each front door answered.

For every step it records the status, the answer's class, and how many jobs the request added to the
queue (read from the server's own `/metrics`, `vigil_jobs{state}`), then counts what the front-door
promise forbids: any 5xx, an answer of the wrong class, a job enqueued by a request that was not
accepted (or the wrong number by one that was), and accepted work lost (a valid control refused, or
a job that disappeared from the queue later in the run).

    .venv/bin/python benchmarks/frontdoors/run_hostile.py [--catalogue 1|2|3|4|5|6] [--label first_contact|after_fixes]
        [--only PREFIX]

Writes (merges its label into) benchmarks/results/frontdoors_hostile.json, or with `--catalogue 2`
(the second blind round, hostile_requests2.py) benchmarks/results/frontdoors_hostile2.json, or with
`--catalogue 3` (the third, hostile_requests3.py) benchmarks/results/frontdoors_hostile3.json, or with
`--catalogue 4` (the fourth, hostile_requests4.py) benchmarks/results/frontdoors_hostile4.json, or with
`--catalogue 5` (the fifth, hostile_requests5.py) benchmarks/results/frontdoors_hostile5.json, or with
`--catalogue 6` (the sixth, hostile_requests6.py) benchmarks/results/frontdoors_hostile6.json. Rounds 2
to 6 also seed pending approvals and watch a loopback canary URL (`ssrf_fetches`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.frontdoors import hostile_payloads as P  # noqa: E402
from benchmarks.frontdoors.api_recorder import slack_api_recorder  # noqa: E402
from benchmarks.frontdoors.hostile_canary import Canary, seed_approvals, write_policy  # noqa: E402
from benchmarks.frontdoors.hostile_client import Response, encode, exchange, jsonrpc_messages  # noqa: E402
from benchmarks.frontdoors.hostile_model import (  # noqa: E402
    ACCEPTED,
    CLOSED,
    IGNORED,
    REDIRECT,
    REFUSED,
    SERVER_ERROR,
    Case,
    Ctx,
    Keys,
    Step,
)

RESULTS = ROOT / "benchmarks" / "results" / "frontdoors_hostile.json"
RESULTS2 = ROOT / "benchmarks" / "results" / "frontdoors_hostile2.json"
RESULTS3 = ROOT / "benchmarks" / "results" / "frontdoors_hostile3.json"
RESULTS4 = ROOT / "benchmarks" / "results" / "frontdoors_hostile4.json"
RESULTS5 = ROOT / "benchmarks" / "results" / "frontdoors_hostile5.json"
RESULTS6 = ROOT / "benchmarks" / "results" / "frontdoors_hostile6.json"
RESULTS7 = ROOT / "benchmarks" / "results" / "frontdoors_hostile7.json"
RESULTS8 = ROOT / "benchmarks" / "results" / "frontdoors_hostile8.json"
RESULTS9 = ROOT / "benchmarks" / "results" / "frontdoors_hostile9.json"
RESULTS10 = ROOT / "benchmarks" / "results" / "frontdoors_hostile10.json"
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def new_keys() -> Keys:
    return Keys(am_token=secrets.token_hex(16), pd_secrets=(secrets.token_hex(12), secrets.token_hex(12)),
                slack_secret=secrets.token_hex(16), api_token=secrets.token_hex(16), mcp_token=secrets.token_hex(16))


def server_env(keys: Keys, workdir: Path, slack_api: str) -> dict[str, str]:
    """Every front door configured (a door without its secret answers 503, which would hide the rest);
    Slack's Web API is the loopback recorder; the policy names its approvers (hostile_canary.APPROVERS)."""
    config = workdir / "vigil.yaml"
    config.write_text(json.dumps({"state_dir": str(workdir / "state"),
                                  "policy": str(write_policy(workdir / "policy.yaml"))}))
    return {**os.environ, "VIGIL_SERVE__SLACK__API_URL": slack_api, "VIGIL_CONFIG": str(config),
            "VIGIL_ALERTMANAGER_TOKEN": keys.am_token,
            "VIGIL_PAGERDUTY_SIGNING_SECRET": ",".join(keys.pd_secrets),
            "VIGIL_SLACK_SIGNING_SECRET": keys.slack_secret, "VIGIL_SLACK_BOT_TOKEN": "xoxb-0-hostile-catalogue",
            "VIGIL_API_TOKEN": keys.api_token, "VIGIL_MCP_TOKEN": keys.mcp_token}


def wait_http(port: int, path: str, proc: subprocess.Popen[bytes], log: Path, limit_s: float = 60.0) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited {proc.returncode}: {log.read_text()[-3000:]}")
        try:
            reply = exchange(HOST, port, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode(),
                             timeout=2)
            if reply.status is not None:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server on {port} not up after {limit_s}s: {log.read_text()[-3000:]}")


@contextmanager
def servers(keys: Keys) -> Iterator[tuple[int, int, Path]]:
    """`vigil serve` (workers off, so every accepted job stays visible in the queue) and the
    investigate MCP server over HTTP, each on a free loopback port; both stopped on exit."""
    with tempfile.TemporaryDirectory(prefix="vigil-hostile-") as tmp, slack_api_recorder() as (slack_api, _):
        workdir = Path(tmp)
        env = server_env(keys, workdir, slack_api)
        serve_port, mcp_port = free_port(), free_port()
        serve_log, mcp_log = workdir / "serve.log", workdir / "mcp.log"
        queue = f"sqlite:///{workdir / 'jobs.db'}"
        with serve_log.open("wb") as slog, mcp_log.open("wb") as mlog:
            serve = subprocess.Popen([sys.executable, "-m", "agent.cli.serve", "serve", "--host", HOST, "--port",
                                      str(serve_port), "--workers", "0", "--queue-url", queue],
                                     env=env, cwd=ROOT, stdout=slog, stderr=subprocess.STDOUT)
            mcp = subprocess.Popen([str(Path(sys.executable).with_name("vigil")), "mcp", "investigate", "--http",
                                    "--host", HOST, "--port", str(mcp_port)],
                                   env=env, cwd=ROOT, stdout=mlog, stderr=subprocess.STDOUT)
            try:
                wait_http(serve_port, "/healthz", serve, serve_log)
                wait_http(mcp_port, "/mcp", mcp, mcp_log)
                yield serve_port, mcp_port, workdir
            finally:
                for proc in (serve, mcp):
                    proc.terminate()
                for proc in (serve, mcp):
                    try:
                        proc.wait(timeout=15)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait()


SETTLE_S = 5.0
"""How long a count waits for the server to finish the requests it received before counting anyway."""


def server_counts(serve_port: int) -> tuple[int, int | None]:
    """(jobs the queue holds in any state, HTTP requests the server is handling including this one, or
    None from a server without the gauge), from one read of the server's /metrics."""
    reply = exchange(HOST, serve_port, b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", timeout=10)
    total = 0.0
    in_flight: int | None = None
    for line in reply.body.decode("utf-8", "replace").splitlines():
        if line.startswith("vigil_jobs{"):
            total += float(line.rsplit(" ", 1)[1])
        elif line.startswith("vigil_http_requests_in_flight "):
            in_flight = int(float(line.rsplit(" ", 1)[1]))
    return int(total), in_flight


def settled_jobs(serve_port: int, settle_s: float = SETTLE_S) -> tuple[int, bool]:
    """(jobs, settled): the job count once no request but the count's own is in flight on the server.

    An answer read (or a connection closed) is not a request finished: a route can still be committing
    its job when the client has what it came for, or after the client left. Counted before that, the job
    is charged to whichever step counts next (catalogue 6 charged a half-closed Slack request's job to
    the PagerDuty request after it). Waiting for `vigil_http_requests_in_flight` to fall to 1 charges
    every job to the request that queued it; `settled` is False when `settle_s` ran out first."""
    deadline = time.monotonic() + settle_s
    while True:
        jobs, in_flight = server_counts(serve_port)
        if in_flight is None or in_flight <= 1:
            return jobs, True
        if time.monotonic() >= deadline:
            return jobs, False
        time.sleep(0.005)


def jobs_total(serve_port: int) -> int:
    """How many jobs the queue holds, in any state, once the server has finished what it received."""
    return settled_jobs(serve_port)[0]


def open_mcp_session(mcp_port: int, ctx: Ctx) -> None:
    init = Step("POST", "/mcp", frozenset({ACCEPTED}), P.dumps(P.initialize()),
                headers=(("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream")),
                auth="mcp")
    reply = exchange(HOST, mcp_port, encode(init, ctx, f"{HOST}:{mcp_port}"))
    session = reply.header("mcp-session-id")
    if reply.status != 200 or not session:
        raise RuntimeError(f"MCP initialize failed: {reply.status} {reply.body[:300]!r}")
    ctx.mcp_session = session
    for message in jsonrpc_messages(reply):
        result = message.get("result")
        if isinstance(result, dict) and isinstance(result.get("protocolVersion"), str):
            ctx.mcp_protocol = result["protocolVersion"]
    note = Step("POST", "/mcp", frozenset({IGNORED}), P.dumps(P.rpc("notifications/initialized", id_=None)),
                headers=init.headers, auth="mcp_session")
    exchange(HOST, mcp_port, encode(note, ctx, f"{HOST}:{mcp_port}"))


def classify(step: Step, door: str, reply: Response, new_jobs: int) -> str:
    if reply.status is None:
        return CLOSED
    if reply.status >= 500:
        return SERVER_ERROR
    if reply.status >= 400:
        return REFUSED
    if reply.status >= 300:
        return REDIRECT
    if door == "mcp":
        messages = jsonrpc_messages(reply)
        if any("error" in m or _tool_refused(m.get("result")) for m in messages):
            return REFUSED  # a JSON-RPC error, or a tool result that reports a refusal
        return ACCEPTED if any("result" in m for m in messages) else IGNORED
    return ACCEPTED if new_jobs > 0 else IGNORED


def _tool_refused(result: object) -> bool:
    return isinstance(result, dict) and bool(result.get("isError"))


@dataclass
class StepResult:
    case: str
    door: str
    group: str
    index: int
    status: int | None
    got: str
    expected: list[str]
    new_jobs: int
    seconds: float
    problems: list[str] = field(default_factory=list)
    detail: str = ""
    settled: bool = True
    """False when the server was still handling requests SETTLE_S after the answer (the count may be short)."""


def run_step(step: Step, case: Case, index: int, ctx: Ctx, ports: tuple[int, int],
             previous: bytes | None, canary: Canary | None = None) -> tuple[StepResult, bytes]:
    serve_port, mcp_port = ports
    port = mcp_port if case.door == "mcp" else serve_port
    ctx.now = time.time()
    data = previous if step.replay_previous and previous is not None else encode(step, ctx, f"{HOST}:{port}")
    before = jobs_total(serve_port)
    hits_before = canary.hits if canary is not None else 0
    reply = exchange(HOST, port, data, half_close=step.half_close)
    after, settled = settled_jobs(serve_port)
    new_jobs = after - before
    got = classify(step, case.door, reply, new_jobs)
    result = StepResult(case.name, case.door, case.group, index, reply.status, got, sorted(step.expect), new_jobs,
                        round(reply.seconds, 3), detail=reply.body[:200].decode("utf-8", "replace"), settled=settled)
    if got == SERVER_ERROR:
        result.problems.append("5xx")
    elif got not in step.expect:
        result.problems.append("wrong_class_outside" if case.outside else "wrong_class")
    elif step.status is not None and reply.status not in step.status:
        result.problems.append("wrong_status")
    if step.contains is not None and got not in (SERVER_ERROR,) and step.contains not in reply.body:
        result.problems.append("wrong_body")
    wanted = step.enqueue if got == ACCEPTED else 0
    if step.enqueue_any is not None:
        if new_jobs not in step.enqueue_any:
            result.problems.append("bad_enqueue")
    elif new_jobs != wanted and case.door != "mcp":
        result.problems.append("bad_enqueue")
    if canary is not None and canary.hits > hits_before:
        result.problems.append("ssrf")
    if case.is_control and ACCEPTED in step.expect and len(step.expect) == 1 and got != ACCEPTED:
        result.problems.append("lost_accepted")
    return result, data


def run_catalogue(cases: Sequence[Case], keys: Keys, serve_port: int, mcp_port: int,
                  workdir: Path | None = None) -> dict[str, Any]:
    """Every case in order against running servers; the summary and every step's result. With the
    server's `workdir`, round 2's extras are set up first: pending approvals seeded in its store and a
    loopback canary that any server-side fetch of a hostile URL would reach."""
    ctx = Ctx(keys=keys, tag=secrets.token_hex(4))
    open_mcp_session(mcp_port, ctx)
    with ExitStack() as stack:
        canary: Canary | None = None
        if workdir is not None:
            ctx.approvals = seed_approvals(workdir / "state" / "approvals.db")
            canary = stack.enter_context(Canary.running())
            ctx.canary_url = canary.url
        return _run_cases(cases, ctx, serve_port, mcp_port, canary)


def _run_cases(cases: Sequence[Case], ctx: Ctx, serve_port: int, mcp_port: int,
               canary: Canary | None) -> dict[str, Any]:
    results: list[StepResult] = []
    enqueued = 0
    started = time.monotonic()
    for case in cases:
        previous: bytes | None = None
        for index, step in enumerate(case.steps):
            result, previous = run_step(step, case, index, ctx, (serve_port, mcp_port), previous, canary)
            enqueued += max(result.new_jobs, 0)
            results.append(result)
    final_jobs = jobs_total(serve_port)
    alive = exchange(HOST, serve_port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").status
    problems = Counter(p for r in results for p in r.problems)
    lost_later = max(enqueued - final_jobs, 0)
    return {
        "cases": len(cases),
        "steps": len(results),
        "by_door": dict(Counter(c.door for c in cases)),
        "by_group": dict(Counter(c.group for c in cases)),
        "server_5xx": problems["5xx"],
        "wrong_class": problems["wrong_class"],
        "wrong_class_outside_agent_server": problems["wrong_class_outside"],
        "wrong_status": problems["wrong_status"],
        "wrong_body": problems["wrong_body"],
        "bad_enqueues": problems["bad_enqueue"],
        "lost_accepted": problems["lost_accepted"] + lost_later,
        "ssrf_fetches": problems["ssrf"],
        "unsettled_counts": sum(not r.settled for r in results),
        "jobs_enqueued": enqueued,
        "jobs_in_queue_at_end": final_jobs,
        "serve_alive_at_end": alive == 200,
        "seconds": round(time.monotonic() - started, 1),
        "failures": [r.__dict__ for r in results if r.problems],
        "classes": dict(Counter(r.got for r in results)),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", default="first_contact")
    parser.add_argument("--only", default="", help="run only cases whose name starts with this")
    parser.add_argument("--catalogue", type=int, choices=(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), default=1,
                        help="1: hostile_requests.py; 2: the second blind round, hostile_requests2.py; "
                             "3: the third, hostile_requests3.py; 4: the fourth, hostile_requests4.py; "
                             "5: the fifth, hostile_requests5.py; 6: the sixth, hostile_requests6.py; "
                             "7: the seventh, hostile_requests7.py; 8: the eighth, hostile_requests8.py; "
                             "9: the ninth, hostile_requests9.py; 10: the tenth, hostile_requests10.py")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    if args.catalogue == 10:
        from benchmarks.frontdoors.hostile_requests10 import CASES
    elif args.catalogue == 9:
        from benchmarks.frontdoors.hostile_requests9 import CASES
    elif args.catalogue == 8:
        from benchmarks.frontdoors.hostile_requests8 import CASES
    elif args.catalogue == 7:
        from benchmarks.frontdoors.hostile_requests7 import CASES
    elif args.catalogue == 6:
        from benchmarks.frontdoors.hostile_requests6 import CASES
    elif args.catalogue == 5:
        from benchmarks.frontdoors.hostile_requests5 import CASES
    elif args.catalogue == 4:
        from benchmarks.frontdoors.hostile_requests4 import CASES
    elif args.catalogue == 3:
        from benchmarks.frontdoors.hostile_requests3 import CASES
    elif args.catalogue == 2:
        from benchmarks.frontdoors.hostile_requests2 import CASES
    else:
        from benchmarks.frontdoors.hostile_requests import CASES

    cases = [c for c in CASES if c.name.startswith(args.only)]
    keys = new_keys()
    with servers(keys) as (serve_port, mcp_port, workdir):
        report = run_catalogue(cases, keys, serve_port, mcp_port, workdir if args.catalogue >= 2 else None)
    report["machine"] = {"python": platform.python_version(), "cpus": os.cpu_count()}
    report["command"] = (f"python benchmarks/frontdoors/run_hostile.py --catalogue {args.catalogue} --label "
                         + args.label)
    summary = {k: v for k, v in report.items() if k not in ("failures",)}
    print(json.dumps(summary, indent=1))
    for failure in report["failures"]:
        print(f"{failure['case']}[{failure['index']}]: {failure['status']} {failure['got']} "
              f"expected {failure['expected']} new_jobs={failure['new_jobs']} {failure['problems']} "
              f"{failure['detail'][:120]!r}")
    if not args.no_write and not args.only:
        path = {1: RESULTS, 2: RESULTS2, 3: RESULTS3, 4: RESULTS4, 5: RESULTS5, 6: RESULTS6,
                7: RESULTS7, 8: RESULTS8, 9: RESULTS9, 10: RESULTS10}[args.catalogue]
        existing = json.loads(path.read_text()) if path.exists() else {}
        existing[args.label] = report
        path.write_text(json.dumps(existing, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
