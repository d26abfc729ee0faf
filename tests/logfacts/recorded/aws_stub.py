# A stand-in for AWS endpoints over real HTTP (127.0.0.1:18083): answers S3 with the XML error documents and
# the JSON protocol (DynamoDB, STS...) with the JSON errors AWS documents, chosen by the request.
import http.server, json
class H(http.server.BaseHTTPRequestHandler):
    def _send(self, code: int, body: bytes, ctype: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype); self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items(): self.send_header(k, v)
        self.end_headers(); self.wfile.write(body)
    def do_GET(self) -> None:
        if "/private-exports" in self.path:
            self._send(403, b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message>'
                       b'<RequestId>4442587FB7D0A2F9</RequestId><HostId>x</HostId></Error>', "application/xml")
        elif "/missing-bucket" in self.path:
            self._send(404, b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message>'
                       b'<BucketName>missing-bucket</BucketName><RequestId>1</RequestId></Error>', "application/xml")
        else:
            self._send(503, b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>'
                       b'<RequestId>2</RequestId></Error>', "application/xml")
    def do_PUT(self) -> None:
        self.do_GET()
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        target = self.headers.get("X-Amz-Target", "")
        if target.endswith(".Query"):
            body = {"__type": "com.amazon.coral.availability#ThrottlingException", "message": "Rate of requests exceeds the allowed throughput."}
        elif target.endswith(".PutItem"):
            body = {"__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                    "message": "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API."}
        else:
            body = {"__type": "com.amazon.coral.service#UnrecognizedClientException", "message": "The security token included in the request is invalid."}
        self._send(400, json.dumps(body).encode(), "application/x-amz-json-1.0")
    def log_message(self, *a: object) -> None: pass
http.server.ThreadingHTTPServer(("127.0.0.1", 18083), H).serve_forever()
