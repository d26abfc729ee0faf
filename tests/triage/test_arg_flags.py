"""arg_flags.flags: every argument-list shape the triage classes read, in the one parser they share."""

from __future__ import annotations

from agent.triage.arg_flags import diff_flags, flags


def test_each_shape_one_parser_reads() -> None:
    tokens = ["memcached", "-m", "4096", "--conn-limit=512", "-Xmx2g", "-c", "max_connections=50",
              "-XX:MaxRAMPercentage=25.0", "--maxmemory-samples", "-1", "--daemonize"]
    assert flags(tokens) == {"-m": "4096", "--conn-limit": "512", "-Xmx": "2g", "max_connections": "50",
                             "-XX:MaxRAMPercentage": "25.0", "--maxmemory-samples": "-1", "--daemonize": ""}


def test_a_flag_followed_by_a_flag_is_bare_and_bare_is_the_callers_word() -> None:
    assert flags(["--appendonly", "--port", "6379"], bare="true") == {"--appendonly": "true", "--port": "6379"}
    assert flags(["redis-server", "--protected-mode"]) == {"--protected-mode": ""}


def test_postgres_c_settings_keep_their_own_names_and_case() -> None:
    assert flags(["postgres", "-c", "idle_session_timeout=60000", "-c", "Max_Wal_Senders=4"]) == {
        "idle_session_timeout": "60000", "Max_Wal_Senders": "4"}


def test_a_negative_number_is_a_value_never_a_flag() -> None:
    assert flags(["--timeout", "-0.5", "-1"]) == {"--timeout": "-0.5"}
    assert flags(["-1", "--x", "2"]) == {"--x": "2"}


def test_diff_flags_reads_both_sides_of_an_args_diff_line() -> None:
    line = "  thanos-query args ['query', '--query.replica-label=replica', '--debug'] -> ['query', '--debug']"
    assert diff_flags(line, "true") == ({"--query.replica-label": "replica", "--debug": "true"}, {"--debug": "true"})
    assert diff_flags("api command ['redis-server'] -> ['redis-server', '--appendonly']", "(set)") == (
        {}, {"--appendonly": "(set)"})


def test_diff_flags_of_a_line_that_is_no_args_diff_or_does_not_parse_is_none() -> None:
    assert diff_flags("api image reg/api:1 -> reg/api:2") is None
    assert diff_flags("api args ['--a=1' -> ['--a=2']") is None
    assert diff_flags("api args [1 + ] -> ['--a=2']") is None
