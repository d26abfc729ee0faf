import logging, httpx, sys, json
logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
log = logging.getLogger("orders.client")
for u in ("http://127.0.0.1:18999/x", "http://ledger.finance.svc.cluster.local.invalid:8080/x", "http://127.0.0.1:18081/slow", "http://127.0.0.1:18081/err"):
    try:
        r = httpx.get(u, timeout=0.7); r.raise_for_status()
    except Exception:
        log.exception("call to %s failed", u)
try:
    json.loads('{"a": ')
except Exception:
    log.exception("bad payload")
