"""arg_flags.flags: every argument-list shape the triage classes read, in the one parser they share."""

from __future__ import annotations

from agent.triage.arg_flags import flags


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
