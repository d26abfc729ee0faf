// node-postgres, ioredis, the MongoDB driver and @grpc/grpc-js against nothing listening / a full PostgreSQL,
// plus an Express app whose handler fails (Express's default error handler prints the stack). Needs
// `npm install pg ioredis mongodb express @grpc/grpc-js` in NODE_PATH's folder.
import { createRequire } from "node:module";
const require = createRequire(process.env.NODE_LIBS + "/");
const pg = require("pg"), Redis = require("ioredis"), { MongoClient } = require("mongodb");
const grpc = require("@grpc/grpc-js"), express = require("express");

const log = (what, err) => console.error(`${new Date().toISOString()} ERROR ${what}:`, err);
async function main() {
  for (const cfg of [{ host: "127.0.0.1", port: 15499 }, { host: "127.0.0.1", port: 15433, user: "app", password: "wrong", database: "shop" },
                     { host: "orders-db.shop.svc.cluster.local.invalid", port: 5432 }]) {
    const c = new pg.Client({ ...cfg, connectionTimeoutMillis: 1000 });
    try { await c.connect(); } catch (e) { log("pg connect", e); }
  }
  const hogs = [];
  for (let i = 0; i < 4; i++) {
    const c = new pg.Client({ host: "127.0.0.1", port: 15433, user: "app", password: "right", database: "shop" });
    try { await c.connect(); hogs.push(c); } catch (e) { log("pg connect", e); }
  }
  const pool = new pg.Pool({ host: "127.0.0.1", port: 15433, user: "app", password: "right", database: "shop", max: 1, connectionTimeoutMillis: 300 });
  for (const h of hogs) await h.end();
  const held = await pool.connect();
  try { await pool.query("select 1"); } catch (e) { log("pg pool query", e); }
  try { await held.query("set statement_timeout = 200; select pg_sleep(1)"); } catch (e) { log("pg query", e); }
  held.release(); await pool.end();

  const redis = new Redis({ host: "127.0.0.1", port: 16399, maxRetriesPerRequest: 1, retryStrategy: (n) => (n > 1 ? null : 50) });
  try { await redis.get("cart:1"); } catch (e) { log("redis get", e); }
  redis.disconnect();

  const mongo = new MongoClient("mongodb://127.0.0.1:27099/shop", { serverSelectionTimeoutMS: 700 });
  try { await mongo.db("shop").collection("orders").findOne({}); } catch (e) { log("mongo find", e); }
  await mongo.close();

  const Client = grpc.makeGenericClientConstructor({ Get: { path: "/quote.Quoter/Get", requestStream: false, responseStream: false,
    requestSerialize: (b) => b, requestDeserialize: (b) => b, responseSerialize: (b) => b, responseDeserialize: (b) => b } }, "Quoter");
  for (const target of ["127.0.0.1:18999", "quote.pricing.svc.cluster.local.invalid:50051"]) {
    const cl = new Client(target, grpc.credentials.createInsecure());
    await new Promise((done) => cl.Get(Buffer.from("x"), { deadline: Date.now() + 700 }, (e) => { if (e) log(`quote via ${target}`, e); cl.close(); done(); }));
  }

  const app = express();
  app.get("/orders/:id", async (req, res) => { const c = new pg.Client({ host: "127.0.0.1", port: 15499 }); await c.connect(); res.send("ok"); });
  const srv = app.listen(18094, "127.0.0.1");
  await new Promise((r) => srv.once("listening", r));
  await fetch("http://127.0.0.1:18094/orders/7").catch(() => {});
  await new Promise((r) => setTimeout(r, 200));  // Express's final handler logs the error on the next turn
  srv.close();
}
main().then(() => process.exit(0));
