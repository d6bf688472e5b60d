#!/usr/bin/python3
"""tls_server.py CERT KEY PORT USER PASSWORD_FILE

An HTTPS node with security on, for readiness_test.cpp (eslaunch-watch's
https:// probe): serves CERT/KEY on 127.0.0.1:PORT and answers GET and HEAD
with 200 and Elasticsearch's root document when the request carries HTTP
basic auth for USER and the first line of PASSWORD_FILE, and 401 with
`WWW-Authenticate: Basic` otherwise, as Elasticsearch 8 does. Runs until
SIGTERM. Logs one line per request or failed handshake on stderr.

Python's standard library only (Debian python3), so the fake Elasticsearch
needs no OpenSSL.
"""
import base64
import http.server
import signal
import ssl
import sys


def main():
    cert, key, port, user, password_file = sys.argv[1:6]
    with open(password_file, encoding="utf-8") as f:
        password = f.readline().rstrip("\n")
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def answer(self, with_body):
            ok = self.headers.get("Authorization") == expected
            body = b'{"name":"tls","tagline":"You Know, for Search"}\n' if ok else b'{"status":401}\n'
            self.send_response(200 if ok else 401)
            if not ok:
                self.send_header("WWW-Authenticate", 'Basic realm="security", charset="UTF-8"')
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if with_body:
                self.wfile.write(body)

        def do_GET(self):
            self.answer(True)

        def do_HEAD(self):
            self.answer(False)

        def log_message(self, fmt, *args):
            sys.stderr.write("tls_server: " + (fmt % args) + "\n")

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request, client_address):
            # A client that rejects our certificate, or only checks the port.
            sys.stderr.write(f"tls_server: {client_address[0]}: {sys.exc_info()[1]}\n")

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = Server(("127.0.0.1", int(port)), Handler)
    # The handshake happens in the request's thread, on its first read: a
    # client that connects and sends nothing never blocks the accept loop.
    server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    sys.stderr.write(f"tls_server: listening on https://127.0.0.1:{port}\n")
    sys.stderr.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
