# Celery tasks for record_log2.sh: one raises, one is killed by SIGKILL (as the kernel's OOM killer would), one
# succeeds. The broker and result backend are the Redis on 127.0.0.1:16397 (CELERY_BROKER overrides the broker).
import os, signal
from celery import Celery

app = Celery("shop", broker=os.environ.get("CELERY_BROKER", "redis://127.0.0.1:16397/0"),
             backend="redis://127.0.0.1:16397/1")
app.conf.broker_connection_retry_on_startup = True
app.conf.broker_connection_max_retries = 2

@app.task
def charge(order_id: int) -> None:
    raise ValueError(f"order {order_id} has no payment method")

@app.task
def render_invoice(order_id: int) -> None:
    os.kill(os.getpid(), signal.SIGKILL)

@app.task
def ping() -> str:
    return "pong"
