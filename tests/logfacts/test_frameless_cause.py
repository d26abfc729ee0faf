"""A Java cause chain printed without stack frames (`%throwable{short}`, JBoss/Quarkus log handlers): the innermost
`Caused by:` classifies the record and is its example, as it is when frames follow.

Shapes: a JNDI LDAP bind refusal under an application wrapper (OpenLDAP's `Invalid Credentials`), a JDBC login refusal
under a pool wrapper (MySQL's `Access denied for user`). Twins: a frameless cause that is a reset, not a refusal; a
message that only mentions `Caused by:` on its own line and has no continuation.
"""

from __future__ import annotations

from mcp_servers.common.logfacts.extract import extract


def first_error(lines: list[str]) -> tuple[str | None, str]:
    err = extract(lines).errors[0]
    return err.error_class, err.example or ""


def test_ldap_bind_refusal_under_a_wrapper_is_an_auth_failure() -> None:
    cls, example = first_error([
        "2026-07-02 10:00:00,120 ERROR [com.acme.directory.Sync] (pool-3-thread-1) Directory sync failed: "
        "com.acme.directory.SyncException: cannot list groups",
        "Caused by: javax.naming.AuthenticationException: [LDAP: error code 49 - Invalid Credentials]"])
    assert cls == "auth_failure"
    assert example.startswith("Caused by: javax.naming.AuthenticationException")


def test_jdbc_login_refusal_under_a_pool_wrapper_is_an_auth_failure() -> None:
    cls, example = first_error([
        "2026-07-02T10:00:00.120Z ERROR 1 --- [main] o.h.engine.jdbc.spi.SqlExceptionHelper : "
        "org.hibernate.exception.GenericJDBCException: unable to obtain isolated JDBC connection",
        "Caused by: java.sql.SQLException: Access denied for user 'stock'@'10.4.0.9' (using password: YES)"])
    assert cls == "auth_failure" and "Access denied" in example


def test_a_frameless_reset_cause_is_not_a_refusal() -> None:
    cls, _ = first_error([
        "2026-07-02 10:00:00,120 ERROR [com.acme.feed.Pusher] (pool-1-thread-2) push failed: "
        "com.acme.feed.PushException: batch 42",
        "Caused by: java.io.IOException: Connection reset by peer"])
    assert cls != "auth_failure"


def test_a_single_line_naming_caused_by_is_left_as_it_was() -> None:
    cls, example = first_error([
        "2026-07-02 10:00:00,120 ERROR [com.acme.feed.Pusher] push failed; Caused by: timeout talking to broker"])
    assert cls != "auth_failure" and example.startswith("2026-07-02")
