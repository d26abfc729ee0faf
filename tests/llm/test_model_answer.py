"""Checks on the model's final answer (agent/model_answer.py) and compact tool specs (agent/context_fit.py)."""

from __future__ import annotations

from agent.context_fit import compact_tool, first_turn_budget
from agent.gitops.remediation import SetImage
from agent.llm import ToolDef
from agent.llm.final_answer import salvage
from agent.model_answer import grounding_problem, object_refs, parse_answer, read_answer, remediation_problem

EVIDENCE = {
    "E1": "Pod shop/checkout-7d4b9-x2k9p OOMKilled; limit 512Mi; node ip-10-0-1-20",
    "E2": "Deployment shop/checkout rolled out revision 12: memory limit 1Gi -> 512Mi",
    "E3": "logs of payments/payments-6c9d7f9b8-abcde: ValueError",
}


def test_parse_answer_names_what_is_wrong() -> None:
    assert parse_answer('```json\n{"summary": "x", "hypotheses": []}\n```')[0] == {"summary": "x", "hypotheses": []}
    assert parse_answer("the pods cannot pull their image")[1] == "the answer holds no JSON object"
    assert "does not parse" in (parse_answer('{"summary": "x", "hypotheses": [}')[1] or "")
    assert parse_answer('{"hypotheses": "checkout"}')[1] == "`hypotheses` is not a list"


def test_read_answer_validates_through_the_final_answer_model() -> None:
    text = ('Done.\n```json\n{"summary": "bad tag", "hypotheses": [{"cause": "tag 2.3.9 does not exist", '
            '"confidence": "0.8", "evidence": ["E1"]}], "next_steps": null, "remediation": {"action": "set_image", '
            '"image": "shop/catalog:2.3.8", "workload": {"name": "catalog", "namespace": "shop"}}}\n```')
    answer, problem = read_answer(text)
    assert problem is None and answer is not None
    assert answer.hypotheses[0].confidence == 0.8 and answer.next_steps == []
    assert answer.remediation is not None and isinstance(answer.remediation.root, SetImage)
    answer, problem = read_answer('{"hypotheses": [{"cause": "x", "confidence": "high"}, {"confidence": 0.2}]}')
    assert answer is None and problem is not None
    assert "`hypotheses.0.confidence`" in problem and "`hypotheses.1.cause`: Field required" in problem
    assert read_answer("no JSON here") == (None, "the answer holds no JSON object")


def test_salvage_keeps_an_answer_whose_only_fault_is_its_remediation() -> None:
    data = {"summary": "s", "hypotheses": [{"cause": "c", "confidence": 0.5, "evidence": ["E1"]}],
            "remediation": {"action": "set_image", "workload": {"name": "catalog", "namespace": "shop"}}}
    answer, why = salvage(data)
    assert answer is not None and answer.remediation is None and "needs `image`" in (why or "")
    assert salvage({**data, "hypotheses": "c"}) == (None, None), "anything else wrong: nothing is salvaged"
    assert salvage({**data, "remediation": None}) == (None, None)


def test_object_references_are_names_not_prose() -> None:
    refs = object_refs("checkout/checkout is OOMKilled on ip-10-0-1-20 after a start-up spike; see https://x.io/a-1")
    assert refs == {"checkout/checkout", "ip-10-0-1-20"}


def test_a_hypothesis_is_grounded_only_by_evidence_that_mentions_what_it_names() -> None:
    assert grounding_problem("checkout-7d4b9-x2k9p is OOMKilled at 512Mi", ["E1"], EVIDENCE) is None
    assert grounding_problem("shop/checkout limit cut to 512Mi", ["E2"], EVIDENCE) is None
    assert grounding_problem("memory limit too low", [], EVIDENCE) == "cites no evidence that exists"
    assert "payments/payments" in (grounding_problem("payments/payments is OOMKilled", ["E1"], EVIDENCE) or "")
    assert grounding_problem("checkout-7d4b9-x2k9p OOMKilled", ["E3"], EVIDENCE) is not None, "cites the wrong pod"


def test_a_model_remediation_must_change_the_findings_workload() -> None:
    rule = {"action": "set_memory_limit", "workload": {"kind": "Deployment", "name": "checkout", "namespace": "shop"}}
    same = {"action": "set_memory_limit", "memory": "1Gi",
            "workload": {"kind": "Deployment", "name": "checkout", "namespace": "shop"}}
    other = {"action": "set_memory_limit", "memory": "1Gi", "workload": "payments/payments"}
    unknown = {"action": "set_replicas", "replicas": 3, "deployment": "ledger", "namespace": "bank"}
    assert remediation_problem(same, rule, None, EVIDENCE) is None
    assert "finding's workload is shop/checkout" in (remediation_problem(other, rule, None, EVIDENCE) or "")
    assert "appears in no evidence" in (remediation_problem(unknown, None, None, EVIDENCE) or "")
    assert remediation_problem({"action": "set_env", "name": "X", "value": "1"}, rule, None, EVIDENCE) == \
        "it names no workload to change"
    top = ("Deployment shop/checkout's limit was cut", ["E2"])
    assert remediation_problem(other, None, top, EVIDENCE) is not None
    assert remediation_problem(same, None, top, EVIDENCE) is None


def test_compact_tool_specs_keep_names_types_and_required_only() -> None:
    tool = ToolDef(name="k8s_logs", description="Pod logs, newest kept. Identical lines collapsed. More prose.",
                   input_schema={"type": "object", "required": ["name"], "properties": {
                       "name": {"type": "string", "pattern": "^[a-z]+$", "maxLength": 253,
                                "description": "Pod name (a DNS-1123 subdomain). Long details."},
                       "since": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
                       "context": {"type": "string"}, "budget_tokens": {"type": "integer"}}})
    short = compact_tool(tool)
    assert short.description == "Pod logs, newest kept."
    assert short.input_schema == {"type": "object", "required": ["name"], "properties": {
        "name": {"type": "string", "description": "Pod name (a DNS-1123 subdomain)."},
        "since": {"type": "string"}}}


def test_first_turn_budget_leaves_room_for_the_answer_and_later_turns() -> None:
    assert first_turn_budget(None, 1000) is None
    assert first_turn_budget(8192, 1024) == 4096
    assert first_turn_budget(8192, 4096) == 8192 - 4096 - 256
    assert first_turn_budget(2048, 4096) == 0
