# aiohttp 3.x client failures, logged with log.exception as a service would.
import asyncio, logging
import aiohttp

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
log = logging.getLogger("inventory.sync")

async def main() -> None:
    timeout = aiohttp.ClientTimeout(total=0.7)
    async with aiohttp.ClientSession(timeout=timeout) as s:
        for url in ("http://127.0.0.1:18999/stock", "http://stock.warehouse.svc.cluster.local.invalid:8080/stock",
                    "http://127.0.0.1:18082/slow", "https://127.0.0.1:18082/stock", "http://127.0.0.1:18998/stock",
                    "http://127.0.0.1:18082/busy", "http://127.0.0.1:18082/denied"):
            try:
                async with s.get(url) as r:
                    r.raise_for_status()
            except Exception:
                log.exception("sync from %s failed", url)

asyncio.run(main())
