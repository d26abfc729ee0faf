"""agent.triage.locale_format: a producer's locale write makes it print decimal commas its consumer cannot parse.

Shapes: a Go consumer (`strconv.ParseFloat: parsing "12,75": invalid syntax`) behind a Deployment whose env gained
`LC_ALL=fr_FR.UTF-8`, beside an unrelated image bump; a Java consumer (`NumberFormatException: For input string:
"3,14"`) behind a CronJob whose args gained `--locale=pt-BR`; a PostgreSQL COPY (`invalid input syntax for type
numeric: "1.234,50"`) behind a StatefulSet whose JVM options now carry `-Duser.language=it`. Twins: the locale set
to an English one; refusals already printed (by the kubelet's stamps) before the write; a refused `1,000` (an
English thousands separator, not a decimal comma: nothing is read); the consumer's own workload written.

Logs are served as the API server and the MCP server serve them: kubelet-stamped lines, `since_time` applied, the
stamps stripped, the answer rendered by the server's `logs_answer` (its header counts the lines with the grep).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.toolhub import ToolOutcome
from agent.triage import locale_format as lf
from agent.triage.facts import Facts, LogEvidence
from agent.triage.subject import Subject
from mcp_servers.kubernetes.render import logs_answer
from tests.triage.doubles import Call, RecordingHub, outcome

AT = datetime(2026, 3, 14, 15, 0, tzinfo=UTC)


class Kubelet(RecordingHub):
    """k8s_logs over kubelet-stamped lines: `since_time` and `grep` applied, stamps stripped."""

    def __init__(self, stamped: dict[str, list[tuple[datetime, str]]]) -> None:
        super().__init__()
        self.stamped = stamped

    def answer(self, call: Call, eid: str) -> ToolOutcome | None:
        if call.tool != "k8s_logs":
            return super().answer(call, eid)
        lines = self.stamped.get(str(call.args.get("name")), [])
        if call.args.get("since_time"):
            cutoff = datetime.fromisoformat(str(call.args["since_time"]).replace("Z", "+00:00"))
            lines = [(t, text) for t, text in lines if t >= cutoff]
        text = logs_answer("\n".join(t for _, t in lines), header=f"logs of ns/{call.args['name']} container c",
                           grep=call.args.get("grep"), budget=3000, more_hint="narrow")
        return outcome(True, {}, text, eid)


def write(kind: str, ns: str, name: str, diff: str, minutes: int) -> dict[str, Any]:
    at = (AT - timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")
    return {"at": at, "type": "rollout", "object": {"kind": kind, "namespace": ns, "name": name},
            "summary": f"{kind} {ns}/{name} written by flux: {diff}", "diff": [diff]}


def stamped(line: str, first_minutes_ago: int, count: int = 6) -> list[tuple[datetime, str]]:
    start = AT - timedelta(minutes=first_minutes_ago)
    return [(start + timedelta(minutes=3 * i), line) for i in range(count)]


def run(ns: str, pod: str, line: str, first_minutes_ago: int, changes: list[dict[str, Any]]) -> tuple[Facts, Kubelet]:
    hub = Kubelet({pod: stamped(line, first_minutes_ago)})
    top = {"template": line, "example": line, "severity": "error"}
    facts = Facts(at=AT, changes={"changes": changes}, changes_id="C1",
                  logs=[LogEvidence(pod=pod, namespace=ns, evidence_id="L1", top=top, hosts=[], error_classes=set(),
                                    previous=False)])
    asyncio.run(lf.read(Subject(namespace=ns), facts, hub, AT.isoformat()))
    return facts, hub


GO_LINE = 'level=error msg="row rejected" file=prices.tsv err="strconv.ParseFloat: parsing \\"12,75\\": invalid syntax"'
JAVA_LINE = 'java.lang.NumberFormatException: For input string: "3,14"'
PG_LINE = 'ERROR:  invalid input syntax for type numeric: "1.234,50"'
IMAGE_BUMP = write("Deployment", "pricing", "price-api", "api image r.example/api:2.3 -> r.example/api:2.4", 50)


def exporter(value: str) -> dict[str, Any]:
    return write("Deployment", "feeds", "price-exporter", f"exporter env LC_ALL (unset) -> LC_ALL='{value}'", 70)


def test_go_consumer_names_the_deployment_whose_env_set_a_french_locale() -> None:
    facts, _ = run("pricing", "price-loader-7d9f8b6c5d-x2kfp", GO_LINE, 60, [exporter("fr_FR.UTF-8"), IMAGE_BUMP])
    [hit] = lf.found(facts)
    assert (hit.producer.kind, hit.producer.name, hit.language, hit.value) == ("Deployment", "price-exporter", "fr",
                                                                              "12,75")
    message = lf.finding(hit, AT)["message"]
    assert "LC_ALL" in message and "decimal comma" in message


def test_twin_an_english_locale_is_not_named() -> None:
    facts, hub = run("pricing", "price-loader-7d9f8b6c5d-x2kfp", GO_LINE, 60, [exporter("en_GB.UTF-8"), IMAGE_BUMP])
    assert lf.found(facts) == [] and hub.calls == []


def test_java_consumer_names_the_cronjob_whose_args_gained_a_locale_flag() -> None:
    flag = write("CronJob", "books", "fx-snapshot", "snap args ['--out', '/x'] -> ['--out', '/x', '--locale', 'pt-BR']",
                 120)
    facts, _ = run("ledger", "rates-sync-5f6d8c9b7-qq7wz", JAVA_LINE, 100, [flag])
    [hit] = lf.found(facts)
    assert (hit.producer.kind, hit.producer.name, hit.language) == ("CronJob", "fx-snapshot", "pt")


def test_twin_refusals_printed_before_the_write_are_not_its_doing() -> None:
    flag = write("CronJob", "books", "fx-snapshot", "snap args ['--out', '/x'] -> ['--out', '/x', '--locale', 'pt-BR']",
                 120)
    facts, _ = run("ledger", "rates-sync-5f6d8c9b7-qq7wz", JAVA_LINE, 180, [flag])
    assert lf.found(facts) == []


def test_postgres_copy_names_the_statefulset_whose_jvm_now_speaks_italian() -> None:
    jvm = write("StatefulSet", "etl", "report-builder",
                "builder env JAVA_TOOL_OPTIONS now '-Xmx2g -Duser.language=it -Duser.country=IT'", 30)
    facts, _ = run("warehouse", "pg-loader-0", PG_LINE, 20, [jvm])
    [hit] = lf.found(facts)
    assert (hit.producer.name, hit.value) == ("report-builder", "1.234,50")


def test_twin_an_english_thousands_separator_reads_nothing() -> None:
    jvm = write("StatefulSet", "etl", "report-builder",
                "builder env JAVA_TOOL_OPTIONS now '-Xmx2g -Duser.language=it -Duser.country=IT'", 30)
    facts, hub = run("warehouse", "pg-loader-0", 'ERROR:  invalid input syntax for type numeric: "1,000"', 20, [jvm])
    assert lf.found(facts) == [] and hub.calls == []


def test_twin_the_consumers_own_workload_is_not_its_producer() -> None:
    own = write("Deployment", "pricing", "price-loader", "loader env LANG='C.UTF-8' -> LANG='de_DE.UTF-8'", 70)
    facts, _ = run("pricing", "price-loader-7d9f8b6c5d-x2kfp", GO_LINE, 60, [own])
    assert lf.found(facts) == []


def test_locale_already_set_before_the_write_is_not_a_new_locale() -> None:
    same = {"diff": ["app env LANG='de_DE.UTF-8' -> LANG='de_DE.utf8'"]}
    assert lf.locale_set(same) == ("", "")
    assert lf.locale_set({"diff": ["app env LANG='en_US.UTF-8' -> LANG='nl_NL.UTF-8'"]})[0] == "nl"


def test_registered_with_its_weight() -> None:
    from agent.triage import behind

    assert lf in behind.MODULES and behind.WEIGHTS[lf.CHECK] == lf.WEIGHT


# ---- audit (issue #12): dates a non-English locale writes, refused by parsers expecting ISO/English --------------


PY_DATE = "ValueError: time data '06.12.2026' does not match format '%Y-%m-%d'"
JAVA_DATE = "java.time.format.DateTimeParseException: Text '6 déc. 2026' could not be parsed at index 2"


def test_python_consumer_refusing_a_dotted_day_first_date_names_the_german_locale_write() -> None:
    lang = write("Deployment", "shipping", "manifest-writer", "writer env LANG='C.UTF-8' -> LANG='de_DE.UTF-8'", 80)
    facts, _ = run("shipping", "manifest-reader-6c7d8f9b5-p2q3r", PY_DATE, 60, [lang])
    [hit] = lf.found(facts)
    assert (hit.producer.name, hit.language, hit.value) == ("manifest-writer", "de", "06.12.2026")
    assert "dates" in lf.finding(hit, AT)["message"]


def test_java_consumer_refusing_a_french_month_names_the_jvm_format_locale_write() -> None:
    jvm = write("CronJob", "billing", "invoice-export",
                "export env JAVA_TOOL_OPTIONS '-Xmx1g' -> '-Xmx1g -Duser.language.format=fr'", 90)
    facts, _ = run("billing", "dunning-5b6c7d8f9-w4e5r", JAVA_DATE, 70, [jvm])
    [hit] = lf.found(facts)
    assert (hit.producer.name, hit.language, hit.value) == ("invoice-export", "fr", "6 déc. 2026")


def test_a_date_locale_alone_lc_time_is_read() -> None:
    lc = write("Deployment", "shipping", "manifest-writer", "writer env LC_TIME (unset) -> LC_TIME='nl_NL.UTF-8'", 80)
    line = "ValueError: time data '6 mei 2026' does not match format '%d %b %Y'"
    facts, _ = run("shipping", "manifest-reader-6c7d8f9b5-p2q3r", line, 60, [lc])
    [hit] = lf.found(facts)
    assert hit.language == "nl"


def test_twin_an_iso_date_refused_reads_nothing() -> None:
    lang = write("Deployment", "shipping", "manifest-writer", "writer env LANG='C.UTF-8' -> LANG='de_DE.UTF-8'", 80)
    line = "ValueError: time data '2026-12-06' does not match format '%d.%m.%Y'"
    facts, hub = run("shipping", "manifest-reader-6c7d8f9b5-p2q3r", line, 60, [lang])
    assert lf.found(facts) == [] and hub.calls == []


def test_twin_an_english_locale_write_does_not_explain_a_refused_local_date() -> None:
    jvm = write("CronJob", "billing", "invoice-export",
                "export env JAVA_TOOL_OPTIONS '-Xmx1g' -> '-Xmx1g -Duser.language.format=en'", 90)
    facts, hub = run("billing", "dunning-5b6c7d8f9-w4e5r", JAVA_DATE, 70, [jvm])
    assert lf.found(facts) == [] and hub.calls == []


def test_twin_a_date_only_locale_does_not_explain_a_refused_number() -> None:
    lc = write("Deployment", "feeds", "price-exporter", "exporter env LC_TIME (unset) -> LC_TIME='fr_FR.UTF-8'", 70)
    facts, hub = run("pricing", "price-loader-7d9f8b6c5d-x2kfp", GO_LINE, 60, [lc])
    assert lf.found(facts) == [] and hub.calls == []
