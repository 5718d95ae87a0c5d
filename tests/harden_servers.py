#!/usr/bin/python3
"""Misbehaving runtimes for the hardening tests (tests/integration/harden_*.sh).

Usage: harden_servers.py MODE --port P --log FILE [--tls-cert PEM --tls-key PEM]
  silent  accepts TCP, reads the upgrade request, never answers (handshake never completes)
  loris   answers the upgrade correctly but one byte per second
The log gets one line per accepted connection ("connect"), flushed at once, so a test can
count connection attempts (reconnect with backoff) server-side.
"""
import argparse
import base64
import hashlib
import socket
import ssl
import threading
import time

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def read_request(c):
    """The HTTP upgrade request's headers (lower-case names), or None."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = c.recv(4096)
        if not chunk:
            return None
        data += chunk
        if len(data) > 65536:
            return None
    hdrs = {}
    for line in data.split(b"\r\n")[1:]:
        if b":" in line:
            k, v = line.split(b":", 1)
            hdrs[k.strip().lower().decode()] = v.strip().decode()
    return hdrs


def upgrade_response(hdrs):
    acc = base64.b64encode(hashlib.sha1((hdrs.get("sec-websocket-key", "") + GUID)
                                        .encode()).digest()).decode()
    resp = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n" % acc)
    if "swarmtop.v1" in hdrs.get("sec-websocket-protocol", ""):
        resp += "Sec-WebSocket-Protocol: swarmtop.v1\r\n"
    return (resp + "\r\n").encode()


def serve(c, mode):
    try:
        hdrs = read_request(c)
        if hdrs is None:
            return
        if mode == "silent":
            while c.recv(4096):
                pass
            return
        resp = upgrade_response(hdrs)
        if mode == "loris":
            for i in range(len(resp)):
                c.sendall(resp[i:i + 1])
                time.sleep(1)
            while c.recv(4096):
                pass
            return
    except (OSError, ssl.SSLError):
        pass
    finally:
        try:
            c.close()
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["silent", "loris"])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    a = ap.parse_args()
    ctx = None
    if a.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", a.port))
    s.listen(64)
    log = open(a.log, "a")
    while True:
        c, _ = s.accept()
        log.write("connect\n")
        log.flush()
        if ctx:
            try:
                c.settimeout(10)
                c = ctx.wrap_socket(c, server_side=True)
                c.settimeout(None)
            except (OSError, ssl.SSLError) as e:
                log.write("tls-refused %s\n" % (getattr(e, "reason", None) or e))
                log.flush()
                c.close()
                continue
        threading.Thread(target=serve, args=(c, a.mode), daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
