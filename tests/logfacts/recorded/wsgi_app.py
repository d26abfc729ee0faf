"""A WSGI app for gunicorn: /slow outlives the worker timeout, /boom raises, /db connects to nothing."""
import socket
import time


def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/slow":
        time.sleep(5)
    elif path == "/boom":
        raise RuntimeError("order 42 has no customer")
    elif path == "/db":
        socket.create_connection(("127.0.0.1", 18999), timeout=1)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
