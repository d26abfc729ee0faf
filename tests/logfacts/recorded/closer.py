# A TCP server that accepts and closes at once without answering: "the other side closed".
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 18998)); s.listen()
while True:
    c, _ = s.accept(); c.recv(1024); c.close()
