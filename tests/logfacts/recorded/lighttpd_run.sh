# Run by record_log2.sh in its scratch folder (slow2.py on 18082 already up): lighttpd 1.4 as a reverse proxy, asked
# twice for the refused upstream and once for the slow one.
HERE=$1
mkdir -p lt && chmod 777 lt
sed "s#@OUT@#$PWD/lt#g" "$HERE/lighttpd.conf.in" > lt/lighttpd.conf
lighttpd -D -f "$PWD/lt/lighttpd.conf" > /dev/null 2>&1 & LT=$!
sleep 1.5
for p in /refused /refused /slow; do curl -s -m 8 -o /dev/null "http://127.0.0.1:18187$p"; done
sleep 0.5; kill $LT; wait $LT 2>/dev/null; sleep 0.5
cp lt/lighttpd_error.log lt/lighttpd_access.log .
