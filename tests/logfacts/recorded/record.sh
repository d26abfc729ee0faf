#!/usr/bin/env bash
# Re-record every *.log of this folder from the real software (see README.md). Run as root on Debian 12
# with nginx, haproxy, postgresql-15, redis-server, nodejs, openjdk-17-jdk-headless, curl and a Python
# with httpx installed: `bash record.sh [PYTHON]`. Ports used (must be free): 18180 nginx, 18081 slow.py, 18090 haproxy,
# 18998 closer.py, 18999 nothing (refused), 15432 PostgreSQL, 16379 Redis.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
PY=${1:-python3}
OUT=$(mktemp -d /tmp/logfacts-rec.XXXX)
chmod 777 "$OUT"
cd "$OUT"
"$PY" "$HERE/slow.py" & SLOW=$!
"$PY" "$HERE/closer.py" & CLOSER=$!
sleep 0.5

# nginx 1.22: refused upstream, read timeout, 500, and an upstream named by a variable whose resolver
# (127.0.0.1:1) refuses: "send() failed ... while resolving" then "... could not be resolved (110: ...)".
sed "s#@OUT@#$OUT#g" "$HERE/nginx.conf.in" > nginx.conf
nginx -c "$OUT/nginx.conf" -p "$OUT"
sleep 0.3
for p in /refused /refused /slow /err /dns; do curl -s -o /dev/null "http://127.0.0.1:18180$p"; done
nginx -c "$OUT/nginx.conf" -p "$OUT" -s quit; sleep 0.5

# HAProxy 2.6, option httplog: server-side timeout (sH--), a 500, a 200, and s1's failing health check.
haproxy -f "$HERE/hap.cfg" > haproxy.log 2>&1 & HAP=$!
sleep 1
for p in /slow /err /a /slow; do curl -s -o /dev/null "http://127.0.0.1:18090$p"; done
kill $HAP; wait $HAP 2>/dev/null

# Node 20: fetch (undici) refused, unresolvable, aborted on timeout; net.connect refused; JSON.parse throw.
node "$HERE/n.mjs" > node.log 2>&1
sed "s#@OUT@#$OUT#g" "$HERE/n_undici.mjs" > n_undici.mjs
node n_undici.mjs > node_undici.log 2>&1
timeout 10 node "$HERE/n_multi.mjs" > node_multi.log 2>&1

# OpenJDK 17: java.net.http.HttpClient refused / unresolvable / timed out, a Socket refused, heap OOM.
java -Xmx64m "$HERE/J.java" > java.log 2>&1

# Python 3.11 + httpx 0.29: refused, unresolvable, read timeout, 500 (raise_for_status), bad JSON.
"$PY" "$HERE/p.py" > py.log 2>&1

# PostgreSQL 15: too many clients, unknown role, unknown database, wrong password, hba reject, no hba entry,
# duplicate key, missing relation. The server's log is pg.log; psql's own output psql_client.log.
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | tail -1)
su postgres -c "$PGBIN/initdb -D $OUT/pgdata --auth=trust -U postgres" > /dev/null
cp "$HERE/pg_hba.conf" "$OUT/pgdata/pg_hba.conf"
chown postgres "$OUT/pgdata/pg_hba.conf"
su postgres -c "$PGBIN/pg_ctl -D $OUT/pgdata -l $OUT/pg.log -o '-p 15432 -k $OUT -c listen_addresses=127.0.0.1 \
  -c max_connections=2 -c superuser_reserved_connections=0' -w start" > /dev/null
psql -h 127.0.0.1 -p 15432 -U postgres -c "create role pwuser login password 'right'" > /dev/null
psql -h 127.0.0.1 -p 15432 -U postgres -c "select pg_sleep(4)" > /dev/null 2>&1 & HOLD1=$!
psql -h 127.0.0.1 -p 15432 -U postgres -c "select pg_sleep(4)" > /dev/null 2>&1 & HOLD2=$!
sleep 1
{
  psql -h 127.0.0.1 -p 15432 -U postgres -c "select 1"
  wait $HOLD1 $HOLD2
  psql -h 127.0.0.1 -p 15432 -U nosuch postgres -c "select 1"
  psql -h 127.0.0.1 -p 15432 -U postgres nosuchdb -c "select 1"
  PGPASSWORD=wrong psql -h 127.0.0.1 -p 15432 -U pwuser postgres -c "select 1"
  psql -h 127.0.0.1 -p 15432 -U blocked postgres -c "select 1"
  psql -h 127.0.0.1 -p 15432 -U postgres other -c "select 1"
  psql -h 127.0.0.1 -p 15432 -U postgres -c "create table t(id int primary key); insert into t values (1); insert into t values (1);"
  psql -h 127.0.0.1 -p 15432 -U postgres -c "select * from missing_table"
} > psql_client.log 2>&1
su postgres -c "$PGBIN/pg_ctl -D $OUT/pgdata -m fast -w stop" > /dev/null

# Redis 7: maxmemory 1 byte with noeviction refuses a write: "-OOM command not allowed ..." (raw RESP reply).
redis-server --port 16379 --maxmemory 1 --maxmemory-policy noeviction --save '' --appendonly no \
  --logfile "$OUT/redis.log" --daemonize yes --pidfile "$OUT/redis.pid"
sleep 0.5
"$PY" -c "import socket; s=socket.create_connection(('127.0.0.1',16379)); s.sendall(b'SET k v\r\n'); print(s.recv(200).decode().strip())" > redis_client.log
redis-cli -p 16379 shutdown nosave > /dev/null 2>&1 || kill "$(cat "$OUT/redis.pid")"

kill $SLOW $CLOSER
cp ./*.log "$HERE/"
echo "recorded into $HERE (scratch: $OUT)"
