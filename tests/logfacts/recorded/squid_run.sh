# Run by record_log2.sh in its scratch folder (slow2.py on 18082 already up): Squid as a forward proxy, asked for a
# refused port, an unresolvable name, a denied domain, a slow upstream, a 500 and a 200.
HERE=$1
mkdir -p squid && chown proxy squid
sed "s#@OUT@#$PWD/squid#g" "$HERE/squid.conf.in" > squid/squid.conf
squid -f "$PWD/squid/squid.conf" -N > /dev/null 2>&1 & SQ=$!
sleep 3
for u in http://127.0.0.1:18999/stock http://orders.shop.svc.cluster.local.invalid/ http://www.ads.example/banner \
         http://127.0.0.1:18082/slow http://127.0.0.1:18082/err http://127.0.0.1:18082/a; do
  curl -s -m 8 -o /dev/null -x http://127.0.0.1:18186 "$u"
done
sleep 1
kill -INT $SQ; sleep 1; kill -INT $SQ 2>/dev/null; wait $SQ 2>/dev/null
cp squid/squid_access.log squid/squid_access_errcodes.log .
