#!/usr/bin/env python3
"""thanos_mock.py: a mock Thanos Query for the thanos-fcgi tests.

Behaves like Thanos Query under a route prefix R as described in
shared/THANOS.md (redirects, index.html with GLOBAL_PATH_PREFIX, 404/405,
CORS preflight, the query API, gzip, root-level /metrics and /-/ready), plus
test endpoints under R/-/ that echo the request, send exact bytes, sleep,
send arbitrary headers, or reset the connection.  Python 3 stdlib only.

Usage:
  thanos_mock.py --listen 127.0.0.1:PORT | --listen unix:/path
                 [--route-prefix /thanos] [--external-prefix /pub]
                 [--prefix-header X-Forwarded-Prefix]
                 [--mode normal|hang|garbage|reset|bighead] [--record FILE]
                 [--hold-path PATH --hold-file FILE]
  thanos_mock.py --mode fault --listen 127.0.0.1:PORT [--route-prefix /thanos] [--quiet]
  thanos_mock.py --mode trap --listen 127.0.0.1:PORT

Modes: normal (below); hang (never answers), garbage (bytes that are not
HTTP), reset (a TCP RST after the request), bighead (4 MiB of headers), each
for every request; fault: the raw-socket fault engine of faults.py (its own
endpoints R/ok, R/hang, R/hdr?case=..., its own "fault: TS ..." log lines;
route prefix /thanos unless given); trap: every connection logged ("trap:
...") and closed, for a port nothing should ever connect to.

--record FILE: every request, as it arrived, one JSON line appended to FILE
before it is answered: conn, method, target, headers ([name, value] in
order), body_len, body_sha256 (what the upstream received, for tests/harness).

Endpoints (R = normalised route prefix, "" for none):
  GET /                      302 Location R/graph
  GET R                      302 Location R/graph
  GET R/, R/graph (UI pages) 200 index.html (GLOBAL_PATH_PREFIX)
  GET R/graph/               301 Location R/graph (307 for other methods)
  HEAD/POST R/graph          405 Allow: GET, OPTIONS
  R/static/js/main.abc123.js, R/static/css/main.abc123.css   200, gzip
  OPTIONS R/api/v1/...       204 with Access-Control-Allow-*
  R/api/v1/query, query_range (GET, POST form), labels,
  R/api/v1/label/NAME/values (answers name_raw, name)
  /metrics, /-/healthy, /-/ready at the root (R/-/ready is a 404)
  R/-/echo                   JSON: method, path, query, headers, header_list,
                             body_len, body_sha256, connection (its number)
  R/-/bytes?n=N[&chunked=1][&sse=1][&chunk=K&delay_ms=D][&head_ms=H]
                             N bytes, byte i = (i*31) % 251, X-Body-Sha256;
                             head_ms: the header block alone, then H ms
  R/-/slow?ms=N              sleeps N ms, then 200 "slow\\n"
  R/-/respond?status=S&h=Name:Value...[&body=TEXT]
                             status S with exactly those headers
  R/-/reset?after=N          Content-Length 10 MiB, N bytes, then TCP RST
  R/-/stats                  JSON: connections and requests seen so far
--hold-path PATH: a request for exactly PATH (any method) waits until FILE
exists, then is answered as usual ("hold: PATH waits for FILE" logged).
Every connection open and every request is logged to stderr:
  mock: conn 3 open
  mock: conn 3 "GET /thanos/graph HTTP/1.1" 200
"""

import argparse
import gzip
import hashlib
import http.server
import json
import os
import signal
import socket
import socketserver
import struct
import sys
import threading
import time
import urllib.parse
from http import HTTPStatus

BIG_RESET_LENGTH = 10 * 1024 * 1024
GZIP_MIN = 1024
MAX_KEPT_BODY = 8 * 1024 * 1024
UI_PAGES = ("graph", "alerts", "rules", "stores", "status", "flags", "targets")
ASSET_JS = "/static/js/main.abc123.js"
ASSET_CSS = "/static/css/main.abc123.css"
CORS_HEADERS = [
    ("Access-Control-Allow-Headers", "Accept, Authorization, Content-Type, Origin"),
    ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Expose-Headers", "Date"),
]

# 251 is prime and 31 is invertible mod 251: the pattern repeats every 251
# bytes, so blocks of a multiple of 251 bytes all look the same.
PATTERN = bytes((i * 31) % 251 for i in range(251))
PATTERN_BLOCK = PATTERN * 256


def pattern_bytes(n):
    """Yields the n deterministic bytes of /-/bytes in blocks."""
    while n > 0:
        k = min(n, len(PATTERN_BLOCK))
        yield PATTERN_BLOCK[:k]
        n -= k


def pattern_sha256(n):
    h = hashlib.sha256()
    for block in pattern_bytes(n):
        h.update(block)
    return h.hexdigest()


def normalize_prefix(v):
    """Thanos: "/" + trim(v, "/"), and "/" means no prefix."""
    p = "/" + v.strip("/")
    return "" if p == "/" else p


def js_escape(s):
    """Escapes a string like Go's html/template does inside a JS string."""
    out = []
    for ch in s:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "'":
            out.append("\\'")
        elif ch == "/":
            out.append("\\/")
        elif ch in "<>&+=" or ord(ch) < 0x20:
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    return "".join(out)


def html_escape(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&#34;").replace("'", "&#39;"))


def make_asset(kind):
    """A fixed static file of a few KiB (so that gzip applies)."""
    lines = []
    for i in range(80):
        if kind == "js":
            lines.append("function mock%03d(a){return a*%d+%d;}" % (i, i, i * 7))
        else:
            lines.append(".mock-%03d{margin:%dpx;padding:%dpx;color:#%06x}"
                         % (i, i, i * 2, (i * 2654435761) & 0xFFFFFF))
    return ("\n".join(lines) + "\n").encode()


ASSETS = {
    ASSET_JS: (make_asset("js"), "application/javascript"),
    ASSET_CSS: (make_asset("css"), "text/css; charset=utf-8"),
    "/favicon.ico": (bytes(range(256)) * 4, "image/x-icon"),
}

LABEL_NAMES = ["__name__", "instance", "job"] + ["mock_label_%03d" % i for i in range(60)]


def gzip_allowed(accept):
    """True when an Accept-Encoding value lets gzip through (q > 0)."""
    if not accept:
        return False
    star = None
    for part in accept.split(","):
        fields = [f.strip() for f in part.split(";")]
        coding = fields[0].lower()
        q = 1.0
        for f in fields[1:]:
            if f.lower().startswith("q="):
                try:
                    q = float(f[2:])
                except ValueError:
                    q = 0.0
        if coding in ("gzip", "x-gzip"):
            return q > 0
        if coding == "*":
            star = q > 0
    return bool(star)


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.connections = 0
        self.requests = 0

    def next_connection(self):
        with self.lock:
            self.connections += 1
            return self.connections

    def count_request(self):
        with self.lock:
            self.requests += 1


class ResetConnection(Exception):
    """Raised by a handler that wants the connection reset (RST)."""


class Handler(http.server.BaseHTTPRequestHandler):
    def setup(self):
        super().setup()
        try:  # no Nagle delay on reused TCP connections (not for unix sockets)
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
    protocol_version = "HTTP/1.1"
    server_version = "thanos-mock"
    sys_version = ""

    def version_string(self):
        return self.server_version

    # ---- connection level -------------------------------------------------

    def setup(self):
        super().setup()
        self.conn_id = self.server.stats.next_connection()
        log("conn %d open" % self.conn_id)

    def handle(self):
        mode = self.server.opts.mode
        try:
            if mode == "hang":
                self.server.stopping.wait()
                return
            if mode == "bighead":
                if self.read_request():
                    self.send_big_head()
                return
            if mode == "garbage":
                if self.read_request():
                    self.wfile.write(b"\x00\x01garbage, not HTTP at all\r\n\xff\xfe" * 8)
                return
            if mode == "reset":
                if self.read_request():
                    raise ResetConnection()
                return
            super().handle()
        except ResetConnection:
            self.reset()
        except (BrokenPipeError, ConnectionResetError):
            log("conn %d: client went away" % self.conn_id)

    def read_request(self):
        """For the special modes: reads one request, its body, and logs it."""
        self.raw_requestline = self.rfile.readline(65537)
        if not self.raw_requestline or not self.parse_request():
            return False
        self.read_body()
        self.server.stats.count_request()
        self.record()
        log('conn %d "%s" (mode %s)' % (self.conn_id, self.requestline, self.server.opts.mode))
        return True

    def send_big_head(self):
        self.wfile.write(b"HTTP/1.1 200 OK\r\n")
        line = b"X-Big-%06d: " + b"b" * 1000 + b"\r\n"
        total = 0
        i = 0
        while total < 4 * 1024 * 1024:
            chunk = b"".join(line % (i + k) for k in range(64))
            self.wfile.write(chunk)
            total += len(chunk)
            i += 64
        self.wfile.write(b"Content-Length: 3\r\nContent-Type: text/plain\r\n\r\nbig")
        self.close_connection = True

    def reset(self):
        """Closes the connection with SO_LINGER 0: the peer sees a RST."""
        log("conn %d reset" % self.conn_id)
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.rfile.close()
            self.connection.close()
        except OSError:
            pass
        self.close_connection = True

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass

    # ---- logging ----------------------------------------------------------

    def address_string(self):
        ca = self.client_address
        return ca[0] if isinstance(ca, tuple) and ca else "unix"

    def log_request(self, code="-", size="-"):
        if isinstance(code, HTTPStatus):
            code = code.value
        log('conn %d "%s" %s' % (self.conn_id, self.requestline, code))

    def log_message(self, fmt, *args):
        log("conn %d %s" % (getattr(self, "conn_id", 0), fmt % args))

    # ---- request body -----------------------------------------------------

    def read_body(self):
        """Reads the whole request body (Content-Length or chunked).

        Sets self.body_len, self.body_sha256 and self.body (the bytes, or
        None past MAX_KEPT_BODY)."""
        h = hashlib.sha256()
        kept = []
        total = 0

        def take(data):
            nonlocal total
            h.update(data)
            total += len(data)
            if total <= MAX_KEPT_BODY:
                kept.append(data)

        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            while True:
                line = self.rfile.readline(1024)
                if not line:
                    raise ConnectionResetError("EOF in chunked body")
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while True:  # trailers up to the empty line
                        t = self.rfile.readline(65537)
                        if t in (b"\r\n", b"\n", b""):
                            break
                    break
                left = size
                while left > 0:
                    data = self.rfile.read(min(left, 65536))
                    if not data:
                        raise ConnectionResetError("EOF in chunk")
                    take(data)
                    left -= len(data)
                self.rfile.readline(16)  # CRLF after the chunk
        else:
            length = int(self.headers.get("Content-Length") or 0)
            left = length
            while left > 0:
                data = self.rfile.read(min(left, 65536))
                if not data:
                    raise ConnectionResetError("EOF in body")
                take(data)
                left -= len(data)
        self.body_len = total
        self.body_sha256 = h.hexdigest()
        self.body = b"".join(kept) if total <= MAX_KEPT_BODY else None

    # ---- responses --------------------------------------------------------

    def respond(self, status, headers, body=b"", gzip_ok=False, reason=None):
        """Sends a complete response with a Content-Length."""
        if isinstance(body, str):
            body = body.encode()
        headers = list(headers)
        if gzip_ok:
            headers.append(("Vary", "Accept-Encoding"))
            if (len(body) >= GZIP_MIN
                    and gzip_allowed(self.headers.get("Accept-Encoding"))):
                body = gzip.compress(body, compresslevel=6, mtime=0)
                headers.append(("Content-Encoding", "gzip"))
        self.send_response(status, reason)
        names = {n.lower() for n, _ in headers}
        for name, value in headers:
            self.send_header(name, value)
        no_body = status in (204, 304) or 100 <= status < 200
        if "content-length" not in names and not no_body:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and not no_body:
            self.wfile.write(body)

    def send_json(self, status, obj, extra=()):
        body = json.dumps(obj, separators=(",", ":")).encode()
        headers = [("Content-Type", "application/json")] + CORS_HEADERS + list(extra)
        self.respond(status, headers, body, gzip_ok=True)

    def api_error(self, status, etype, msg):
        self.send_json(status, {"status": "error", "errorType": etype, "error": msg})

    def not_found(self):
        self.respond(404, [("Content-Type", "text/plain; charset=utf-8"),
                           ("X-Content-Type-Options", "nosniff")],
                     "404 page not found\n")

    def redirect(self, status, location):
        """Go's http.Redirect: body only for GET, Content-Type for GET/HEAD."""
        headers = [("Location", location)]
        body = b""
        if self.command in ("GET", "HEAD"):
            headers.append(("Content-Type", "text/html; charset=utf-8"))
        if self.command == "GET":
            body = '<a href="%s">%s</a>.\n\n' % (html_escape(location),
                                                 HTTPStatus(status).phrase)
        self.respond(status, headers, body)

    def method_not_allowed(self):
        self.respond(405, [("Allow", "GET, OPTIONS"),
                           ("Content-Type", "text/plain; charset=utf-8"),
                           ("X-Content-Type-Options", "nosniff")],
                     "Method Not Allowed\n")

    # ---- dispatch ---------------------------------------------------------

    def record(self):
        """Appends this request to the --record file, if any."""
        if self.server.record is None:
            return
        line = json.dumps({
            "conn": self.conn_id, "method": self.command, "target": self.path,
            "headers": [[n, v] for n, v in self.headers.items()],
            "body_len": self.body_len, "body_sha256": self.body_sha256,
        }) + "\n"
        with _log_lock:
            self.server.record.write(line)
            self.server.record.flush()

    def do_any(self):
        self.read_body()
        self.server.stats.count_request()
        self.record()
        raw = self.path
        path, _, query = raw.partition("?")
        self.raw_path = path
        self.raw_query = query
        R = self.server.route_prefix

        if self.server.opts.hold_path == path:
            self.hold()
        if path == "/metrics":
            return self.metrics()
        if path == "/-/healthy":
            return self.respond(200, [("Content-Type", "text/plain; charset=utf-8")], "OK")
        if path == "/-/ready":
            return self.respond(200, [("Content-Type", "text/plain; charset=utf-8")], "OK")
        if path == "/" or (R and path == R):
            if self.command != "GET":
                return self.method_not_allowed()
            return self.redirect(302, R + "/graph")
        if not path.startswith(R + "/"):
            return self.not_found()
        sub = path[len(R):]

        if sub == "/" or sub[1:] in UI_PAGES:
            if self.command == "OPTIONS":
                return self.respond(200, [("Allow", "GET, OPTIONS")])
            if self.command != "GET":
                return self.method_not_allowed()
            return self.index_html()
        if sub.endswith("/") and sub[1:-1] in UI_PAGES:
            loc = R + sub[:-1] + ("?" + query if query else "")
            return self.redirect(301 if self.command == "GET" else 307, loc)
        if sub in ASSETS:
            if self.command not in ("GET", "HEAD"):
                return self.method_not_allowed()
            body, ctype = ASSETS[sub]
            return self.respond(200, [("Content-Type", ctype)], body, gzip_ok=True)
        if sub.startswith("/api/v1/"):
            return self.api(sub[len("/api/v1"):])
        if sub.startswith("/-/"):
            handler = TEST_ENDPOINTS.get(sub[3:])
            if handler:
                return handler(self)
        return self.not_found()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_any
    do_OPTIONS = do_TRACE = do_PROPFIND = do_any

    def hold(self):
        """--hold-path: the answer waits until --hold-file exists."""
        opts = self.server.opts
        log("hold: %s waits for %s" % (self.raw_path, opts.hold_file))
        while not os.path.exists(opts.hold_file):
            time.sleep(0.02)
        log("hold: %s released" % self.raw_path)

    def index_html(self):
        opts = self.server.opts
        if opts.external_prefix is not None:
            prefix = normalize_prefix(opts.external_prefix)
        elif opts.prefix_header:
            # Thanos's GetWebPrefix: the header's value, "" when absent
            prefix = self.headers.get(opts.prefix_header) or ""
        else:
            prefix = self.server.route_prefix
        body = (
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"/>"
            "<link rel=\"shortcut icon\" href=\"./favicon.ico\"/>"
            "<script>const GLOBAL_PATH_PREFIX=\"%s\"</script>"
            "<title>Thanos | Highly available Prometheus setup</title>"
            "<script defer=\"defer\" src=\"./static/js/main.abc123.js\"></script>"
            "<link href=\"./static/css/main.abc123.css\" rel=\"stylesheet\">"
            "</head><body><noscript>You need to enable JavaScript to run this app."
            "</noscript><div id=\"root\"></div></body></html>\n"
        ) % js_escape(prefix)
        self.respond(200, [("Content-Type", "text/html; charset=utf-8")], body)

    def metrics(self):
        body = ("# HELP mock_up Whether the mock is up.\n# TYPE mock_up gauge\n"
                "mock_up 1\n"
                "# HELP mock_connections_total Connections accepted.\n"
                "# TYPE mock_connections_total counter\n"
                "mock_connections_total %d\n"
                # what tells a Thanos from a Prometheus (thanos-fcgi check)
                "# HELP thanos_build_info A metric with a constant '1' value labeled by "
                "version, revision, branch, and goversion from which thanos was built.\n"
                "# TYPE thanos_build_info gauge\n"
                "thanos_build_info{branch=\"mock\",goversion=\"go1.21\",revision=\"mock\","
                "version=\"0.35.0\"} 1\n" % self.server.stats.connections)
        self.respond(200, [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")], body)

    # ---- API --------------------------------------------------------------

    def form(self):
        """Go's ParseForm: URL query, plus a url-encoded POST body first."""
        params = urllib.parse.parse_qs(self.raw_query, keep_blank_values=True)
        if self.command in ("POST", "PUT", "PATCH"):
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if ctype != "application/x-www-form-urlencoded":
                return None
            body = (self.body or b"").decode("utf-8", "replace")
            bparams = urllib.parse.parse_qs(body, keep_blank_values=True)
            for k, v in params.items():
                bparams.setdefault(k, []).extend(v)
            params = bparams
        return params

    def api(self, sub):
        if self.command == "OPTIONS":
            return self.respond(204, CORS_HEADERS)
        if sub in ("/query", "/query_range", "/labels", "/series"):
            if self.command not in ("GET", "POST"):
                return self.method_not_allowed()
            params = self.form()
            if params is None:
                return self.api_error(400, "bad_data",
                                      "invalid parameter \"query\": body is not "
                                      "application/x-www-form-urlencoded")
            if sub == "/labels":
                return self.send_json(200, {"status": "success", "data": LABEL_NAMES})
            if sub == "/series":
                return self.send_json(200, {"status": "success", "data": [
                    {"__name__": "up", "job": "mock", "instance": "mock:1"}]})
            expr = params.get("query", [None])[0]
            if expr is None or expr == "":
                return self.api_error(400, "bad_data", "invalid parameter \"query\": "
                                      "1:1: parse error: no expression found in input")
            if sub == "/query":
                data = {"resultType": "vector", "result": [
                    {"metric": {"__name__": "up", "job": "mock"},
                     "value": [1700000000, "1"]}]}
            else:
                data = {"resultType": "matrix", "result": [
                    {"metric": {"__name__": "up", "job": "mock"},
                     "values": [[1700000000, "1"], [1700000015, "1"]]}]}
            return self.send_json(200, {"status": "success", "data": data, "query": expr})
        parts = sub.split("/")
        if len(parts) == 4 and parts[1] == "label" and parts[3] == "values" and parts[2]:
            if self.command != "GET":
                return self.method_not_allowed()
            raw = parts[2]
            name = urllib.parse.unquote(raw)
            return self.send_json(200, {"status": "success", "data": ["mock"],
                                        "name_raw": raw, "name": name})
        if sub in ("/stores", "/rules", "/alerts", "/targets", "/metadata") or \
                sub.startswith("/status/"):
            return self.send_json(200, {"status": "success", "data": {}})
        return self.not_found()

    # ---- test endpoints ---------------------------------------------------

    def qparams(self):
        return urllib.parse.parse_qs(self.raw_query, keep_blank_values=True)

    def qint(self, name, default):
        v = self.qparams().get(name, [None])[0]
        try:
            return int(v) if v not in (None, "") else default
        except ValueError:
            return default

    def ep_echo(self):
        headers = {}
        for name, value in self.headers.items():
            headers[name] = headers[name] + ", " + value if name in headers else value
        self.send_json(200, {
            "method": self.command,
            "path": self.raw_path,
            "query": self.raw_query,
            "headers": headers,
            "header_list": [[n, v] for n, v in self.headers.items()],
            "body_len": self.body_len,
            "body_sha256": self.body_sha256,
            "connection": self.conn_id,
        })

    def ep_bytes(self):
        n = max(0, self.qint("n", 0))
        q = self.qparams()
        chunked = q.get("chunked", ["0"])[0] not in ("", "0")
        sse = q.get("sse", ["0"])[0] not in ("", "0")
        piece = max(1, self.qint("chunk", 65536))
        delay = max(0, self.qint("delay_ms", 0)) / 1000.0
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream" if sse else "application/octet-stream")
        if sse:
            self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Body-Sha256", pattern_sha256(n))
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(n))
        self.end_headers()
        if self.command == "HEAD":
            return
        time.sleep(max(0, self.qint("head_ms", 0)) / 1000.0)
        sent = 0
        for block in pattern_bytes(n):
            for off in range(0, len(block), piece):
                data = block[off:off + piece]
                if delay and sent:
                    time.sleep(delay)
                if chunked:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                else:
                    self.wfile.write(data)
                sent += len(data)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")

    def ep_slow(self):
        time.sleep(max(0, self.qint("ms", 1000)) / 1000.0)
        self.respond(200, [("Content-Type", "text/plain; charset=utf-8")], "slow\n")

    def ep_respond(self):
        q = self.qparams()
        status = self.qint("status", 200)
        headers = []
        for h in q.get("h", []):
            name, sep, value = h.partition(":")
            if sep:
                headers.append((name.strip(), value.strip()))
        body = q.get("body", ["respond\n"])[0]
        if not any(n.lower() == "content-type" for n, _ in headers):
            headers.append(("Content-Type", "text/plain; charset=utf-8"))
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Mock Status"
        self.respond(status, headers, body, reason=reason)

    def ep_reset(self):
        after = max(0, self.qint("after", 0))
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(BIG_RESET_LENGTH))
        self.end_headers()
        for block in pattern_bytes(min(after, BIG_RESET_LENGTH)):
            self.wfile.write(block)
        time.sleep(0.05)
        raise ResetConnection()

    def ep_stats(self):
        st = self.server.stats
        self.send_json(200, {"connections": st.connections, "requests": st.requests})


TEST_ENDPOINTS = {
    "echo": Handler.ep_echo,
    "bytes": Handler.ep_bytes,
    "slow": Handler.ep_slow,
    "respond": Handler.ep_respond,
    "reset": Handler.ep_reset,
    "stats": Handler.ep_stats,
}

_log_lock = threading.Lock()


def log(msg):
    with _log_lock:
        sys.stderr.write("mock: %s\n" % msg)
        sys.stderr.flush()


class MockMixin:
    daemon_threads = True
    request_queue_size = 128

    def init_mock(self, opts):
        self.opts = opts
        self.route_prefix = normalize_prefix(opts.route_prefix)
        self.stats = Stats()
        self.stopping = threading.Event()
        self.record = open(opts.record, "a") if opts.record else None


class TCPServer(MockMixin, http.server.ThreadingHTTPServer):
    def server_bind(self):
        # skip HTTPServer's getfqdn(): it may wait on DNS
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


class TCP6Server(TCPServer):
    address_family = socket.AF_INET6


class UnixServer(MockMixin, socketserver.ThreadingUnixStreamServer):
    pass


def make_server(opts):
    listen = opts.listen
    if listen.startswith("unix:"):
        path = listen[len("unix:"):]
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        srv = UnixServer(path, Handler)
    else:
        host, sep, port = listen.rpartition(":")
        if not sep:
            host, port = "127.0.0.1", listen
        cls = TCPServer
        if host.startswith("["):
            host, cls = host.strip("[]"), TCP6Server
        srv = cls((host, int(port)), Handler)
    srv.init_mock(opts)
    return srv


def main():
    ap = argparse.ArgumentParser(description="mock Thanos Query for thanos-fcgi tests")
    ap.add_argument("--listen", required=True, help="HOST:PORT or unix:/path")
    ap.add_argument("--route-prefix", default=None, help="like --web.route-prefix")
    ap.add_argument("--external-prefix", default=None, help="like --web.external-prefix")
    ap.add_argument("--prefix-header", default="", help="like --web.prefix-header")
    ap.add_argument("--hold-path", default=None,
                    help="a request for this exact path waits until --hold-file exists")
    ap.add_argument("--hold-file", default=None, help="see --hold-path")
    ap.add_argument("--mode", default="normal",
                    choices=("normal", "hang", "garbage", "reset", "bighead", "fault", "trap"))
    ap.add_argument("--record", default=None, help="append every request as JSON to FILE")
    ap.add_argument("--quiet", action="store_true", help="fault mode: no per-request lines")
    opts = ap.parse_args()

    if opts.mode in ("fault", "trap"):
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import faults
        route = "/thanos" if opts.route_prefix is None else opts.route_prefix
        return faults.serve(opts.listen, route, quiet=opts.quiet, trap=opts.mode == "trap")
    if opts.route_prefix is None:
        opts.route_prefix = ""
    srv = make_server(opts)

    def stop(signum, frame):
        srv.stopping.set()
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log("listening on %s, route prefix '%s', mode %s"
        % (opts.listen, srv.route_prefix, opts.mode))
    try:
        srv.serve_forever(poll_interval=0.1)
    finally:
        srv.server_close()
        if opts.listen.startswith("unix:"):
            try:
                os.unlink(opts.listen[len("unix:"):])
            except OSError:
                pass
        log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
