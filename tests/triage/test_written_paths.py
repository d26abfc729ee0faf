"""A changed config that has pods write files on no volume: the container's writable layer fills
(agent.triage.written_paths, and the storage_change finding that says so).

Shapes in other software's words: a logback `<file>` appender, a Python logging dictConfig `filename:`, an nginx
`access_log`. Twins: the same settings under a mounted volume (an emptyDir, a claim), a console-only config, a
`/dev/stdout` target.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.triage import storage_change, written_paths
from agent.triage.facts import Facts, Ref

LOGBACK = """<configuration>
  <appender name="FILE" class="ch.qos.logback.core.rolling.RollingFileAppender">
    <file>/opt/billing/log/billing.log</file>
  </appender>
  <root level="DEBUG"><appender-ref ref="FILE"/></root>
</configuration>"""
PYTHON = """version: 1
handlers:
  disk:
    class: logging.handlers.TimedRotatingFileHandler
    filename: /srv/worker/trace.log
root: {level: DEBUG, handlers: [disk]}"""
NGINX = "access_log /var/log/nginx/access.log main;\nerror_log /dev/stderr warn;\n"
CONSOLE = """<configuration><appender name="OUT" class="ch.qos.logback.core.ConsoleAppender"/></configuration>"""


def _workload(*mounts: str) -> dict[str, Any]:
    return {"kind": "Deployment", "spec": {"template": {"spec": {"containers": [{"name": "app", "volumeMounts": [
        {"name": "conf", "mountPath": "/etc/app/logback.xml", "subPath": "logback.xml"},
        *({"name": f"v{i}", "mountPath": m} for i, m in enumerate(mounts))]}]}}}}


def test_a_logback_file_appender_and_a_python_file_handler_outside_every_mount_are_named() -> None:
    assert written_paths.unmounted({"logback.xml": LOGBACK}, _workload()) == [
        ("logback.xml", "file", "/opt/billing/log/billing.log")]
    [(key, setting, path)] = written_paths.unmounted({"logging.yaml": PYTHON}, _workload("/tmp"))
    assert (key, path) == ("logging.yaml", "/srv/worker/trace.log") and "filename" in setting


def test_nginx_access_log_outside_a_mount_is_named_but_dev_stderr_is_not_a_file() -> None:
    assert [p for _, _, p in written_paths.unmounted({"nginx.conf": NGINX}, _workload())] == \
        ["/var/log/nginx/access.log"]


def test_paths_under_a_mounted_volume_or_a_console_only_config_are_not_the_writable_layer() -> None:
    assert written_paths.unmounted({"logback.xml": LOGBACK}, _workload("/opt/billing/log")) == []
    assert written_paths.unmounted({"nginx.conf": NGINX}, _workload("/var/log/nginx/")) == []
    assert written_paths.unmounted({"logback.xml": CONSOLE}, _workload()) == []


def test_the_storage_finding_leads_with_what_the_config_has_the_pods_write() -> None:
    target = Ref("ConfigMap", "billing", "billing-logging")
    found = [("logback.xml", "file", "/opt/billing/log/b.log")]
    facts = Facts(at=datetime(2026, 11, 1, tzinfo=UTC), reads={written_paths.READS: {str(target): found}})
    writes = written_paths.outside(facts, target)
    filling = storage_change.Filling({"diff": ["data key logback.xml set"]}, target,
                                     Ref("Deployment", "billing", "billing"),
                                     {"message": "Container app exceeded its local ephemeral storage limit \"1Gi\"."},
                                     40, writes)
    message = storage_change.finding(filling)["message"]
    assert message.startswith("ConfigMap billing/billing-logging has the pods write files on no volume (file "
                              "/opt/billing/log/b.log (key logback.xml))") and "ephemeral storage" in message
    plain = storage_change.finding(storage_change.Filling({}, target, Ref("Deployment", "billing", "billing"),
                                                          {"message": "x"}, 40))["message"]
    assert "no volume" not in plain
