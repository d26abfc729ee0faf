#!/usr/bin/env bash
# Re-record go_client.log, go_server.log, gunicorn.log, uvicorn.log, mariadb_client.log and mariadb.log (see
# README.md). Needs, besides record.sh's: `apt-get install -y golang-go mariadb-server mariadb-client` and a venv
# with gunicorn and uvicorn: `python3 -m venv V && V/bin/pip install gunicorn uvicorn`; run as root:
# `bash record_more.sh V`. Ports (must be free): 18081 slow.py, 18091 gunicorn, 18092 uvicorn, 18097 the Go
# server, 18998 closer.py, 13306 mariadbd; 18999 and 13399 must have nothing listening.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
VENV=$1
OUT=$(mktemp -d /tmp/logfacts-more.XXXX)
chmod 777 "$OUT"
cd "$OUT"
python3 "$HERE/slow.py" & SLOW=$!
python3 "$HERE/closer.py" & CLOSER=$!
sleep 0.5

# Go 1.19 net/http: a client's failures logged with log.Printf, then a nil-map panic (`go run` adds "exit status 2");
# a server with a httputil.ReverseProxy to a refused upstream and a handler that panics (recovered by net/http).
export GOCACHE="$OUT/gocache" GOPATH="$OUT/gopath"
cp "$HERE/go_client.go" "$HERE/go_server.go" .
go run go_client.go > go_client.log 2>&1
go run go_server.go > go_server.log 2>&1

# gunicorn (sync worker, --timeout 2) and uvicorn serving wsgi_app.py / asgi_app.py, each asked for every path.
cp "$HERE/wsgi_app.py" "$HERE/asgi_app.py" .
"$VENV/bin/gunicorn" --bind 127.0.0.1:18091 --workers 1 --timeout 2 wsgi_app:app > gunicorn.log 2>&1 & G=$!
sleep 1.5
for p in /boom /db /slow /a; do curl -s -m 8 -o /dev/null "http://127.0.0.1:18091$p"; done
sleep 0.5; kill $G; wait $G 2>/dev/null
"$VENV/bin/uvicorn" --host 127.0.0.1 --port 18092 asgi_app:app > uvicorn.log 2>&1 & U=$!
sleep 1.5
for p in /boom /db /a; do curl -s -m 5 -o /dev/null "http://127.0.0.1:18092$p"; done
sleep 0.3; kill $U; wait $U 2>/dev/null

# MariaDB 10.11: a fresh datadir, users app (shop.* only) and dba (all), max_connections 10.
mkdir data && chown mysql data
sed "s#@OUT@#$OUT#g" "$HERE/mariadb.cnf.in" > my.cnf && chmod 644 my.cnf
mariadb-install-db --defaults-file="$OUT/my.cnf" --user=mysql --auth-root-authentication-method=normal > /dev/null 2>&1
mariadbd --defaults-file="$OUT/my.cnf" --user=mysql > /dev/null 2>&1 & DB=$!
sleep 3
mariadb -S "$OUT/my.sock" -uroot -e "create user app@'%' identified by 'right'; create database shop;
  grant all on shop.* to app@'%'; create user dba@'%' identified by 'right'; grant all on *.* to dba@'%'"
bash "$HERE/mariadb_client.sh" > mariadb_client.log 2>&1
kill $DB; wait $DB 2>/dev/null

kill $SLOW $CLOSER
cp go_client.log go_server.log gunicorn.log uvicorn.log mariadb_client.log mariadb.log "$HERE/"
echo "recorded into $HERE (scratch: $OUT)"
