#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A dataset mirror for the tests: serves a directory over HTTP on
127.0.0.1 with an ephemeral port, which it prints on its first stdout
line.  GET and HEAD, byte ranges (206, 416), and injected faults so that
tests can exercise retries, resumption and verification of dss-fetch.
Paths given to the fault flags are URL paths, with or without the
leading slash (e.g. /example.org/data/a.txt).  The server exits by
itself after --timeout seconds (300 by default).

  --fail-first N      answer the first N requests with 503, Retry-After
  --retry-after S     the Retry-After value for --fail-first (default 0)
  --status PATH=CODE  always answer PATH with CODE (repeatable)
  --truncate PATH     the first GET of PATH announces the full length but
                      the connection closes after half the body (repeatable)
  --truncate-all      every GET of a --truncate path is cut, not just the first
  --corrupt PATH      flip bits in every body served for PATH (repeatable)
  --stall PATH        the first GET of PATH sends half the body, then stalls
                      until the client gives up (repeatable)
  --endless PATH      answer GET PATH with an endless body of spaces: no
                      Content-Length, until the client hangs up (at most
                      256 MiB or --timeout)
  --trickle PATH      answer GET PATH with spaces, 2 KiB a second, under
                      the Content-Length --announce gives, until the client
                      hangs up (at most --timeout)
  --announce N        the Content-Length of --trickle (default 1 TiB)
  --delay S           wait S seconds before sending each body
  --no-range          ignore Range headers: always 200 with the whole file
  --redirect PREFIX   answer /PREFIX/REST with 302 to /REST
  --log FILE          append "METHOD PATH range=R status=S" per request
  --tls-cert PEM      serve HTTPS with this certificate chain (and
  --tls-key PEM       this private key) instead of HTTP
"""
import argparse
import http.server
import os
import sys
import threading
import time
import urllib.parse


def norm(p):
    return "/" + p.lstrip("/")


def parse_args():
    ap = argparse.ArgumentParser(description="test dataset mirror")
    ap.add_argument("root")
    ap.add_argument("--fail-first", type=int, default=0)
    ap.add_argument("--retry-after", default="0")
    ap.add_argument("--status", action="append", default=[])
    ap.add_argument("--truncate", action="append", default=[])
    ap.add_argument("--truncate-all", action="store_true")
    ap.add_argument("--corrupt", action="append", default=[])
    ap.add_argument("--stall", action="append", default=[])
    ap.add_argument("--endless", action="append", default=[])
    ap.add_argument("--trickle", action="append", default=[])
    ap.add_argument("--announce", type=int, default=1 << 40)
    ap.add_argument("--delay", type=float, default=0)
    ap.add_argument("--no-range", action="store_true")
    ap.add_argument("--redirect", default=None)
    ap.add_argument("--tls-cert", default=None)
    ap.add_argument("--tls-key", default=None)
    ap.add_argument("--log", default=None)
    ap.add_argument("--timeout", type=float, default=300)
    a = ap.parse_args()
    a.status_map = {}
    for s in a.status:
        path, _, code = s.rpartition("=")
        a.status_map[norm(path)] = int(code)
    a.truncate = set(norm(p) for p in a.truncate)
    a.corrupt = set(norm(p) for p in a.corrupt)
    a.stall = set(norm(p) for p in a.stall)
    a.endless = set(norm(p) for p in a.endless)
    a.trickle = set(norm(p) for p in a.trickle)
    return a


ARGS = None
LOCK = threading.Lock()
STATE = {"requests": 0, "truncated": set(), "stalled": set()}


def log(line):
    if ARGS.log:
        with LOCK, open(ARGS.log, "a") as f:
            f.write(line + "\n")


def corrupt(data, start):
    """Flips every bit of each byte whose file offset is 1000*k + 500."""
    b = bytearray(data)
    for i in range(len(b)):
        if (start + i) % 1000 == 500:
            b[i] ^= 0xFF
    return bytes(b)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "dss-test-mirror/1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def serve(self):
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        rng = self.headers.get("Range")
        with LOCK:
            STATE["requests"] += 1
            n = STATE["requests"]
        status = [None]

        def done(code):
            status[0] = code
            log("%s %s range=%s status=%s" % (self.command, path, rng or "-", code))

        if n <= ARGS.fail_first:
            done(503)
            return self.reply(503, b"busy\n", [("Retry-After", ARGS.retry_after)])
        if path in ARGS.status_map:
            code = ARGS.status_map[path]
            done(code)
            return self.reply(code, b"injected status\n")
        if ARGS.redirect and path.startswith(norm(ARGS.redirect) + "/"):
            target = path[len(norm(ARGS.redirect)):]
            done(302)
            return self.reply(302, b"", [("Location", target)])
        if self.command == "GET" and (path in ARGS.endless or path in ARGS.trickle):
            done(200)
            return self.spaces(path in ARGS.trickle)
        root = os.path.realpath(ARGS.root)
        full = os.path.realpath(os.path.join(root, path.lstrip("/")))
        if not full.startswith(root + os.sep) or not os.path.isfile(full):
            done(404)
            return self.reply(404, b"not found\n")
        with open(full, "rb") as f:
            data = f.read()
        size = len(data)
        start, end, code = 0, size, 200
        headers = [("Content-Type", "application/octet-stream"),
                   ("Accept-Ranges", "none" if ARGS.no_range else "bytes")]
        if rng and not ARGS.no_range:
            spec = rng.strip()
            ok = spec.startswith("bytes=") and "," not in spec
            if ok:
                a, _, b = spec[6:].partition("-")
                try:
                    if a == "":
                        start, end = max(0, size - int(b)), size
                    else:
                        start = int(a)
                        end = min(size, int(b) + 1) if b else size
                except ValueError:
                    ok = False
            if ok and start >= size:
                done(416)
                return self.reply(416, b"", [("Content-Range", "bytes */%d" % size)])
            if ok:
                code = 206
                headers.append(("Content-Range", "bytes %d-%d/%d" % (start, end - 1, size)))
        body = data[start:end]
        if path in ARGS.corrupt:
            body = corrupt(body, start)
        cut = False
        if path in ARGS.truncate and self.command == "GET":
            with LOCK:
                if ARGS.truncate_all or path not in STATE["truncated"]:
                    STATE["truncated"].add(path)
                    cut = True
        stall = False
        if path in ARGS.stall and self.command == "GET":
            with LOCK:
                if path not in STATE["stalled"]:
                    STATE["stalled"].add(path)
                    stall = True
        done(code)
        if ARGS.delay > 0:
            time.sleep(ARGS.delay)
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        if cut:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD":
            return
        if cut or stall:
            self.wfile.write(body[:len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            if stall:
                # wait for the client to hang up (reads return b"" then)
                self.connection.settimeout(60)
                try:
                    while self.connection.recv(1024):
                        pass
                except OSError:
                    pass
            return
        self.wfile.write(body)

    def spaces(self, trickle):
        """An endless or trickling body of spaces, until the client hangs up."""
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if trickle:
            self.send_header("Content-Length", str(ARGS.announce))
        else:
            self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        chunk = b" " * (2048 if trickle else 65536)
        sent, start = 0, time.monotonic()
        try:
            while sent < (ARGS.announce if trickle else 256 << 20) and \
                    time.monotonic() - start < ARGS.timeout:
                self.wfile.write(chunk)
                self.wfile.flush()
                sent += len(chunk)
                if trickle:
                    time.sleep(1)
        except OSError:
            pass

    do_GET = serve
    do_HEAD = serve


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        e = sys.exc_info()[1]
        if isinstance(e, (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def main():
    global ARGS
    ARGS = parse_args()
    srv = Server(("127.0.0.1", 0), Handler)
    if ARGS.tls_cert:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(ARGS.tls_cert, ARGS.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print(srv.server_address[1], flush=True)
    t = threading.Timer(ARGS.timeout, lambda: os._exit(0))
    t.daemon = True
    t.start()
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
