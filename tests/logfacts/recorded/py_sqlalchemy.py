# SQLAlchemy 2 (psycopg 3) and asyncpg against PostgreSQL on 127.0.0.1:15433 (max_connections=3, no SSL):
# the pool's own limit, the server's client limit, a statement timeout, SSL required by the client, a wrong
# password, a refused port; each logged with log.exception.
import asyncio, logging, threading, time
import asyncpg
from sqlalchemy import create_engine, text

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
log = logging.getLogger("orders.repo")
URL = "postgresql+psycopg://app:right@127.0.0.1:15433/shop"

engine = create_engine(URL, pool_size=1, max_overflow=0, pool_timeout=0.5)
held = engine.connect()  # the pool's one connection is in use
try:
    with engine.connect() as c:
        c.execute(text("select 1"))
except Exception:
    log.exception("load order failed")
held.close()
engine.dispose()

hog_engines = [create_engine(URL, pool_size=1) for _ in range(3)]
hogs = [e.connect() for e in hog_engines]  # the server's three slots
try:
    create_engine(URL).connect()
except Exception:
    log.exception("load customer failed")
for h in hogs:
    h.close()
for e in hog_engines:
    e.dispose()

slow = create_engine(URL, connect_args={"options": "-c statement_timeout=300"})
try:
    with slow.connect() as c:
        c.execute(text("select pg_sleep(2)"))
except Exception:
    log.exception("report query failed")
slow.dispose()

for url, what in ((URL + "?sslmode=require", "connect with TLS"),
                  ("postgresql+psycopg://app:wrong@127.0.0.1:15433/shop", "connect as app"),
                  ("postgresql+psycopg://app:right@127.0.0.1:15499/shop", "connect to replica")):
    try:
        create_engine(url).connect()
    except Exception:
        log.exception("%s failed", what)

async def with_asyncpg() -> None:
    conns = [await asyncpg.connect("postgresql://app:right@127.0.0.1:15433/shop") for _ in range(3)]
    for dsn in ("postgresql://app:right@127.0.0.1:15433/shop", "postgresql://app:right@127.0.0.1:15499/shop"):
        try:
            await asyncpg.connect(dsn, timeout=2)
        except Exception:
            log.exception("asyncpg connect failed")
    try:
        await conns[0].execute("set statement_timeout = 300; select pg_sleep(2)")
    except Exception:
        log.exception("asyncpg query failed")
    for c in conns:
        await c.close()

asyncio.run(with_asyncpg())
