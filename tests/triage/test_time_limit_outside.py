"""time_limit's queue lease, outside wording: other brokers' leases, written in other places.

The class: a broker's per-message lease (visibility timeout, ack deadline, lock duration, poll interval) set below
the time a consumer takes on one message, so the broker takes the message back mid-work and refuses its ack.
Shapes from software the round did not use: a Config Connector `PubSubSubscription` whose `ackDeadlineSeconds`
drops from 600 to 20 under a Java subscriber (`Some acknowledgement ids in the request were invalid. This could be
because the acknowledgement ids have expired`), an Azure Service Operator Service Bus queue whose `lockDuration`
drops to `PT30S` (ISO 8601) under a .NET processor (`The lock supplied is invalid ... (MessageLockLost)`) that logs
its handling time in milliseconds, and a Spring Kafka consumer whose rollout sets
`SPRING_KAFKA_CONSUMER_PROPERTIES_MAX_POLL_INTERVAL_MS` from 300000 to 30000 (milliseconds by Kafka's `.ms`) before
`CommitFailedException`, and RabbitMQ's `consumer_timeout` (milliseconds, as documented) cut in the broker's
rabbitmq.conf ConfigMap before a Celery worker's channel is closed (`PRECONDITION_FAILED - delivery acknowledgement on
channel 1 timed out`). Twins: the same lock write while every message is handled in 4 s, a
MessageLockLost with no lease written (no limit to name), and a Service Bus `defaultMessageTimeToLive` written
(a message lifetime, no work limit).
"""

from __future__ import annotations

from agent.triage import time_limit
from tests.triage.test_time_limit import _configmap, _rollout, _template
from tests.triage.test_time_limit_queue import _facts, _stamp, _write

PUBSUB = ("com.google.api.gax.rpc.InvalidArgumentException: io.grpc.StatusRuntimeException: INVALID_ARGUMENT: Some "
          "acknowledgement ids in the request were invalid. This could be because the acknowledgement ids have "
          "expired or the acknowledgement ids were malformed.")
LOCK = ("Azure.Messaging.ServiceBus.ServiceBusException: The lock supplied is invalid. Either the lock expired, or "
        "the message has already been removed from the queue. (MessageLockLost)")


def _processor(ms: int, lost: bool = True) -> list[str]:
    out = []
    for m in (30, 25, 20, 15):
        out.append(f"{_stamp(m)} info: Orders.Processor[0] handled message 7c1e{m} in {ms} ms")
        if lost:
            out.append(f"{_stamp(m - 1)} fail: Orders.Processor[0] complete failed: {LOCK}")
    return out


def test_a_pubsub_subscriptions_ack_deadline_and_a_java_subscribers_expired_ack_ids() -> None:
    change = _write("PubSubSubscription", "geo", "tiles-render", "spec.ackDeadlineSeconds: 600 -> 20", minutes=45)
    lines = [f"{_stamp(m)} WARN c.g.c.p.v1.StreamingSubscriberConnection - failed to send acks: {PUBSUB}"
             for m in (40, 30, 20)]
    [cut] = time_limit.found(_facts([change], "Deployment geo/tile-renderer", "tile-renderer-1", lines))
    assert str(cut.limit.target) == "PubSubSubscription geo/tiles-render"
    message = time_limit.finding(cut)["message"]
    assert message.startswith("PubSubSubscription geo/tiles-render cut a time limit below the work it governs")
    assert "lease expired" in message and "acknowledgement ids" in message


def test_a_service_bus_lock_duration_in_iso_8601_below_the_handling_time() -> None:
    change = _write("NamespacesQueue", "orders", "fulfilment", "spec.lockDuration: PT5M -> PT30S")
    [cut] = time_limit.found(_facts([change], "Deployment orders/fulfilment-worker", "fulfilment-worker-1",
                                    _processor(48200)))
    assert str(cut.limit.target) == "NamespacesQueue orders/fulfilment"
    assert (cut.limit.after, cut.limit.before) == (30, 300)
    message = time_limit.finding(cut)["message"]
    assert "spec.lockDuration PT5M -> PT30S" in message[:200] and "lock supplied is invalid" in message[:400]


def test_twins_work_under_the_lock_no_lease_written_and_a_message_lifetime() -> None:
    change = _write("NamespacesQueue", "orders", "fulfilment", "spec.lockDuration: PT5M -> PT30S")
    assert time_limit.found(_facts([change], "Deployment orders/fulfilment-worker", "fulfilment-worker-1",
                                   _processor(4000, lost=False))) == []
    assert time_limit.found(_facts([], "Deployment orders/fulfilment-worker", "fulfilment-worker-1",
                                   _processor(48200))) == []
    ttl = _write("NamespacesQueue", "orders", "fulfilment", "spec.defaultMessageTimeToLive: P14D -> PT30S")
    assert time_limit.found(_facts([ttl], "Deployment orders/fulfilment-worker", "fulfilment-worker-1",
                                   _processor(48200))) == []


KAFKA = ("org.apache.kafka.clients.consumer.CommitFailedException: Offset commit cannot be completed since the "
         "consumer is not part of an active group for auto partition assignment; it is likely that the consumer was "
         "kicked out of the group.")


def test_a_kafka_consumers_poll_interval_cut_in_its_rollout_env_before_commit_failures() -> None:
    key = "SPRING_KAFKA_CONSUMER_PROPERTIES_MAX_POLL_INTERVAL_MS"
    change = _rollout("ledger", "posting-consumer", _template("posting-consumer", env={key: "300000"}),
                      _template("posting-consumer", env={key: "30000"}), minutes=40)
    change["at"] = _stamp(40)
    lines = [f"{_stamp(m)} ERROR o.s.k.l.KafkaMessageListenerContainer - Consumer exception: {KAFKA}"
             for m in (35, 25, 15)]
    [cut] = time_limit.found(_facts([change], "Deployment ledger/posting-consumer", "posting-consumer-1", lines))
    assert str(cut.limit.target) == "Deployment ledger/posting-consumer"
    assert (cut.limit.after, cut.limit.before) == (30, 300)
    assert "CommitFailedException" in time_limit.finding(cut)["message"]


RABBIT = ("amqp.exceptions.PreconditionFailed: (0, 0): (406) PRECONDITION_FAILED - delivery acknowledgement on "
          "channel 1 timed out. Timeout value used: 60000 ms. This timeout value can be configured, see consumers "
          "doc guide to learn more")


def test_rabbitmq_consumer_timeout_in_milliseconds_cut_in_the_brokers_config_file() -> None:
    old = "listeners.tcp.default = 5672\nconsumer_timeout = 1800000\n"
    new = "listeners.tcp.default = 5672\nconsumer_timeout = 60000\n"
    _, changes = _configmap("tasks", "rabbitmq-config", {"rabbitmq.conf": new}, "rabbitmq.conf", 40,
                            applied={"rabbitmq.conf": old})
    lines = [f"{_stamp(m)} [ERROR/MainProcess] consumer: Cannot connect to amqp://rabbitmq:5672//: {RABBIT}"
             for m in (35, 25, 15)]
    for change in changes:  # the timeline's own rendering, moved onto this module's clock
        change["at"] = _stamp(40)
    [cut] = time_limit.found(_facts(changes, "Deployment tasks/report-worker", "report-worker-1", lines))
    assert str(cut.limit.target) == "ConfigMap tasks/rabbitmq-config"
    assert (cut.limit.after, cut.limit.before) == (60, 1800)
    assert "(30 min -> 60 s)" in time_limit.finding(cut)["message"][:200]
    assert "delivery acknowledgement on channel" in time_limit.finding(cut)["message"][:420]


def test_dotted_java_properties_and_documented_millisecond_settings_are_read() -> None:
    assert time_limit.is_time_limit("max.poll.interval.ms") and time_limit.is_time_limit("request.timeout.ms")
    assert not time_limit.is_time_limit("connections.max.idle.ms")  # an idle limit bounds no work
    assert not time_limit.is_time_limit("heartbeat.interval.ms")
    assert time_limit.seconds("60000", "consumer_timeout") == 60
    assert time_limit.seconds("PT30S", "spec.lockDuration") == 30


def test_twin_a_properties_file_set_whole_keeps_its_poll_interval_and_names_no_cut() -> None:
    """A consumer's properties file written whole with no old value recorded (another class: its batch size was
    raised) holds `max.poll.interval.ms=300000` as it always did: CommitFailedException alone makes no cut of it."""
    text = "spring.kafka.consumer.max-poll-records=5000\nspring.kafka.consumer.properties.max.poll.interval.ms=300000\n"
    obj, changes = _configmap("ledger", "consumer-config", {"application.properties": text},
                              "application.properties", 40)
    for change in changes:
        change["at"] = _stamp(40)
    lines = [f"{_stamp(m)} ERROR o.s.k.l.KafkaMessageListenerContainer - Consumer exception: {KAFKA}"
             for m in (35, 25, 15)]
    facts = _facts(changes, "Deployment ledger/posting-consumer", "posting-consumer-1", lines)
    facts.objects = [(obj, "E7")]
    limits = time_limit.candidates(facts)
    assert [lim.key for lim in limits] == ["spring.kafka.consumer.properties.max.poll.interval.ms"]  # read, yet
    assert time_limit.found(facts) == []  # not known to be lowered: no cut
