# Run by record_log2.sh in its scratch folder: a Celery worker (prefork, concurrency 1) on a Redis broker, given a
# failing task, a task whose process is SIGKILLed and a good one; then a worker whose broker refuses connections.
VENV=$1; HERE=$2
redis-server --port 16397 --save '' --appendonly no --daemonize yes --pidfile "$PWD/redis3.pid" --logfile /dev/null
sleep 0.5
cp "$HERE/celery_tasks.py" .
"$VENV/bin/celery" -A celery_tasks worker --concurrency 1 --pool prefork --loglevel INFO --without-mingle \
  --without-gossip > celery_worker.log 2>&1 & W=$!
sleep 4
"$VENV/bin/python" -c "
import celery_tasks as t
t.charge.delay(7); t.render_invoice.delay(7); t.ping.delay()
" ; sleep 5
kill -TERM $W; wait $W 2>/dev/null
kill "$(cat redis3.pid)"
CELERY_BROKER=redis://127.0.0.1:16399/0 timeout 25 "$VENV/bin/celery" -A celery_tasks worker --concurrency 1 \
  --loglevel INFO --without-mingle --without-gossip >> celery_worker.log 2>&1
