"""An ASGI app for uvicorn: /boom raises inside the app, /db connects to nothing."""
import socket


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    if scope["path"] == "/boom":
        raise KeyError("customer_id")
    if scope["path"] == "/db":
        socket.create_connection(("127.0.0.1", 18999), timeout=1)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})
