"""A forward proxy and a TLS front for the proxy tests (tests/proxy.rs). Standard library only.

    forward_proxy.py proxy --log FILE
        An HTTP forward proxy on a free loopback port: absolute-form requests (`POST http://host:port/`)
        are forwarded, `CONNECT host:port` is tunnelled. Names ending in `.invalid` (which resolve
        nowhere, RFC 2606) are resolved by the proxy to 127.0.0.1, so a request that reaches the
        server can only have gone through the proxy. One line per request goes to FILE:
        `METHOD TARGET`, followed by the `Proxy-Authorization` header's value when there is one.

    forward_proxy.py tls-front --cert PEM --key PEM --to PORT
        A TLS server on a free loopback port that passes the decrypted bytes to 127.0.0.1:PORT:
        an `https://` endpoint in front of the plain-HTTP STS double.

Each mode prints its port on the first line of stdout, then serves until killed.
"""

import argparse
import select
import socket
import socketserver
import ssl
import sys
import threading

LOG_LOCK = threading.Lock()


def resolve(host):
    return "127.0.0.1" if host.endswith(".invalid") else host


def pump(a, b):
    """Copies bytes both ways until either side closes."""
    sockets = [a, b]
    try:
        while True:
            readable, _, _ = select.select(sockets, [], [], 30)
            if not readable:
                return
            for s in readable:
                data = s.recv(65536)
                if not data:
                    return
                (b if s is a else a).sendall(data)
    except OSError:
        return


def read_head(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    return head.decode("latin-1"), rest


class Proxy(socketserver.BaseRequestHandler):
    log = None

    def handle(self):
        head, rest = read_head(self.request)
        if head is None:
            return
        lines = head.split("\r\n")
        method, target, version = lines[0].split(" ", 2)
        auth = [h.split(":", 1)[1].strip() for h in lines[1:] if h.lower().startswith("proxy-authorization:")]
        with LOG_LOCK, open(self.log, "a") as f:
            f.write(" ".join([method, target, *auth]) + "\n")
        if method == "CONNECT":
            host, port = target.rsplit(":", 1)
            upstream = socket.create_connection((resolve(host), int(port)), timeout=10)
            self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if rest:
                upstream.sendall(rest)
            pump(self.request, upstream)
            upstream.close()
            return
        if not target.startswith("http://"):
            self.request.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            return
        authority, _, path = target[len("http://"):].partition("/")
        host, _, port = authority.partition(":")
        upstream = socket.create_connection((resolve(host), int(port or 80)), timeout=10)
        hop_by_hop = ("proxy-connection:", "proxy-authorization:", "connection:")
        headers = [h for h in lines[1:] if not h.lower().startswith(hop_by_hop)]
        request = "\r\n".join([f"{method} /{path} {version}", *headers, "Connection: close", "", ""])
        upstream.sendall(request.encode("latin-1") + rest)
        pump(self.request, upstream)
        upstream.close()


class TlsFront(socketserver.BaseRequestHandler):
    context = None
    to = None

    def handle(self):
        try:
            tls = self.context.wrap_socket(self.request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        upstream = socket.create_connection(("127.0.0.1", self.to), timeout=10)
        pump(tls, upstream)
        upstream.close()


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("proxy")
    p.add_argument("--log", required=True)
    t = sub.add_parser("tls-front")
    t.add_argument("--cert", required=True)
    t.add_argument("--key", required=True)
    t.add_argument("--to", type=int, required=True)
    args = parser.parse_args()
    if args.mode == "proxy":
        Proxy.log = args.log
        handler = Proxy
    else:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
        TlsFront.context = context
        TlsFront.to = args.to
        handler = TlsFront
    server = Server(("127.0.0.1", 0), handler)
    print(server.server_address[1], flush=True)
    sys.stdout.close()
    server.serve_forever()


if __name__ == "__main__":
    main()
