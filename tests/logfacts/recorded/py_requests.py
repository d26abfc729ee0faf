# requests 2.x / urllib3 2.x failures, logged the way a service logs a failed call (log.exception).
import logging
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
log = logging.getLogger("checkout.payments")
session = requests.Session()
session.mount("http://", HTTPAdapter(max_retries=Retry(total=2, backoff_factor=0, status_forcelist=[503])))
for url in ("http://127.0.0.1:18999/charge", "http://payments.billing.svc.cluster.local.invalid:8080/charge",
            "http://127.0.0.1:18082/slow", "https://127.0.0.1:18082/charge", "http://127.0.0.1:18082/err",
            "http://127.0.0.1:18082/busy", "http://127.0.0.1:18082/limited"):
    try:
        r = session.get(url, timeout=0.7)
        r.raise_for_status()
    except Exception:
        log.exception("call to %s failed", url)
