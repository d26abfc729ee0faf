# grpcio client and server (generic handlers, raw bytes: no generated stubs). The server aborts with the
# status codes an on-call meets; the client logs each RpcError; one handler raises (grpc logs it).
import logging, time
from concurrent import futures
import grpc

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
log = logging.getLogger("quote.client")

def handler(request: bytes, context: grpc.ServicerContext) -> bytes:
    what = request.decode()
    if what == "slow":
        time.sleep(2)
    elif what == "quota":
        context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "quota exceeded for consumer 'checkout': 100 requests per minute")
    elif what == "auth":
        context.abort(grpc.StatusCode.UNAUTHENTICATED, "invalid bearer token: token is expired")
    elif what == "forbidden":
        context.abort(grpc.StatusCode.PERMISSION_DENIED, "caller spiffe://cluster.local/ns/shop/sa/web may not call Quote")
    elif what == "crash":
        raise RuntimeError("pricing table not loaded")
    return b"ok"

server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
    "quote.Quoter", {"Get": grpc.unary_unary_rpc_method_handler(handler)}),))
server.add_insecure_port("127.0.0.1:18093")
server.start()

def call(target: str, what: str, timeout: float = 0.7) -> None:
    with grpc.insecure_channel(target) as ch:
        stub = ch.unary_unary("/quote.Quoter/Get")
        try:
            stub(what.encode(), timeout=timeout)
        except grpc.RpcError as e:
            log.error("Quote(%s) on %s failed: %s", what, target, e)

call("127.0.0.1:18999", "x")
call("dns:///quote.pricing.svc.cluster.local.invalid:50051", "x")
for what in ("slow", "quota", "auth", "forbidden", "crash"):
    call("127.0.0.1:18093", what)
with grpc.insecure_channel("127.0.0.1:18093") as ch:
    try:
        ch.unary_unary("/quote.Quoter/Missing")(b"x", timeout=0.7)
    except grpc.RpcError as e:
        log.error("Missing failed: code=%s details=%s", e.code(), e.details())
server.stop(0)
