# Python clients of brokers and caches with nothing listening or a full server: redis-py (refused; a Redis
# with maxmemory 1 and noeviction on 127.0.0.1:16398), pika (RabbitMQ refused), kafka-python (no broker).
import logging
import pika, redis
from kafka import KafkaProducer

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
log = logging.getLogger("worker")
for port in (16399, 16398):
    try:
        redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.5).set("session:1", "x" * 1000)
    except Exception:
        log.exception("cache write failed")
try:
    pika.BlockingConnection(pika.ConnectionParameters(host="127.0.0.1", port=15699, connection_attempts=1))
except Exception:
    log.exception("publish failed")
try:
    KafkaProducer(bootstrap_servers="127.0.0.1:19099", request_timeout_ms=800)
except Exception:
    log.exception("producer start failed")
