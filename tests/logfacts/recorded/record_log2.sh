#!/usr/bin/env bash
# Re-record the third set (README.md): Python requests/urllib3, aiohttp, grpcio, botocore, SQLAlchemy+psycopg and
# asyncpg, redis-py/pika/kafka-python, a Celery worker; Node pg/ioredis/mongodb/@grpc/grpc-js; Apache httpd (mod_proxy) with PHP-FPM.
# Needs: `apt-get install -y apache2 php-fpm squid lighttpd postgresql redis-server nodejs npm curl`; a venv with the Python
# clients (`python3 -m venv V && V/bin/pip install requests aiohttp grpcio botocore sqlalchemy psycopg[binary] asyncpg
# redis pika kafka-python celery packaging`); a folder N with `npm install pg ioredis mongodb express @grpc/grpc-js`. As root:
# `bash record_log2.sh V N`. Ports (must be free): 18082 slow2.py, 18083 aws_stub.py, 18093 the gRPC server,
# 18094 Express, 18184 Apache, 18186 Squid, 18187 lighttpd, 19000 PHP-FPM, 15433 PostgreSQL, 16397 and 16398 Redis, 18998 closer.py; nothing may
# listen on 18999, 15499, 15699, 16399, 19099, 27099.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
VENV=$1
NODE_LIBS=$2
OUT=$(mktemp -d /tmp/logfacts-log2.XXXX)
chmod 777 "$OUT"
cd "$OUT"
python3 "$HERE/slow2.py" 2>/dev/null & SLOW=$!
python3 "$HERE/closer.py" & CLOSER=$!
python3 "$HERE/aws_stub.py" & AWS=$!
sleep 0.5

# PostgreSQL: max_connections 3, scram passwords over TCP, no SSL; role app (password right) owns database shop.
PGB=$(ls -d /usr/lib/postgresql/*/bin | tail -1)
mkdir pg && chown postgres pg
su postgres -c "$PGB/initdb -D $OUT/pg/data --auth=trust -U postgres > /dev/null"
sed -i 's/^host.*all.*all.*127.0.0.1\/32.*trust/host all all 127.0.0.1\/32 scram-sha-256/' "$OUT/pg/data/pg_hba.conf"
su postgres -c "$PGB/pg_ctl -D $OUT/pg/data -o '-p 15433 -c listen_addresses=127.0.0.1 -c max_connections=3 -c superuser_reserved_connections=0 -k $OUT/pg' -l $OUT/pg/pg.log start" > /dev/null
sleep 2
su postgres -c "psql -q -h $OUT/pg -p 15433 -c \"create role app login password 'right'\" -c 'create database shop owner app'"
redis-server --port 16398 --maxmemory 1 --maxmemory-policy noeviction --save '' --appendonly no --daemonize yes \
  --logfile "$OUT/redis2.log" --pidfile "$OUT/redis2.pid"
sleep 0.5

for s in py_requests py_aiohttp py_grpc py_botocore py_sqlalchemy py_brokers; do
  timeout 120 "$VENV/bin/python" "$HERE/$s.py" > "$s.log" 2>&1
done
NODE_LIBS="$NODE_LIBS" timeout 60 node "$HERE/n_libs.mjs" > node_libs.log 2>&1
kill "$(cat redis2.pid)"
bash "$HERE/celery_run.sh" "$VENV" "$HERE"  # writes celery_worker.log
su postgres -c "$PGB/pg_ctl -D $OUT/pg/data stop" > /dev/null

# Apache httpd 2.4 (mod_proxy_http, mod_proxy_fcgi) in front of PHP-FPM 8.2 with one child.
mkdir -p www && chmod 755 www && cp "$HERE"/php/*.php www/ && chmod 644 www/*.php
sed "s#@OUT@#$OUT#g" "$HERE/apache.conf.in" > apache.conf
sed "s#@OUT@#$OUT#g" "$HERE/php-fpm.conf.in" > php-fpm.conf
php-fpm8.2 -y "$OUT/php-fpm.conf" -R > /dev/null 2>&1 & FPM=$!
apache2 -f "$OUT/apache.conf" -k start
sleep 1
for p in /refused /slow /dns /private /fetch.php /dns.php /mem.php; do curl -s -m 8 -o /dev/null "http://127.0.0.1:18184$p"; done
curl -s -m 10 -o /dev/null http://127.0.0.1:18184/sleep.php & C=$!
sleep 0.3; curl -s -m 10 -o /dev/null http://127.0.0.1:18184/sleep.php; wait $C; sleep 1
apache2 -f "$OUT/apache.conf" -k stop
kill $FPM; wait $FPM 2>/dev/null
sleep 1
cp php-errors.log php_errors.log; cp php-fpm.log php_fpm.log
bash "$HERE/squid_run.sh" "$HERE"  # Squid 5.7 forward proxy: squid_access.log, squid_access_errcodes.log
bash "$HERE/lighttpd_run.sh" "$HERE"  # lighttpd 1.4.69 reverse proxy: lighttpd_error.log, lighttpd_access.log

kill $SLOW $CLOSER $AWS
cp py_requests.log py_aiohttp.log py_grpc.log py_botocore.log py_sqlalchemy.log py_brokers.log node_libs.log celery_worker.log \
  apache_error.log apache_access.log php_errors.log php_fpm.log squid_access.log squid_access_errcodes.log \
  lighttpd_error.log lighttpd_access.log "$HERE/"
echo "recorded into $HERE (scratch: $OUT)"
