# The second test upstream (127.0.0.1:18082... used by record_log2.sh): like slow.py, plus /busy (503),
# /limited (429 with Retry-After) and /denied (403).
import http.server, time
CODES = {"/err": 500, "/busy": 503, "/limited": 429, "/denied": 403}
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith('/slow'): time.sleep(3)
        code = CODES.get(self.path.split('?')[0], 200)
        self.send_response(code)
        if code == 429: self.send_header("Retry-After", "1")
        self.end_headers(); self.wfile.write(b'ok')
    do_POST = do_GET
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(('127.0.0.1', 18082), H).serve_forever()
