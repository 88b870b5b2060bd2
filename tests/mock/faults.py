"""faults.py: the raw-socket engine of the mock upstream (thanos_mock.py
--mode fault and --mode trap), for the hardening tests
(tests/harness/test_hostile.py, test_upstream_faults.py,
test_client_faults.py, tests/soak).  Python 3 stdlib only,
raw sockets: it sends exactly the bytes each case needs, broken ones
included.  Not run by itself:

  thanos_mock.py --mode fault --listen 127.0.0.1:PORT [--route-prefix /thanos] [--quiet]
  thanos_mock.py --mode trap --listen 127.0.0.1:PORT

Every event goes to stderr, one line each, with a wall-clock time stamp
(seconds since the epoch) so that the tests can compare it with their own:
  fault: 1700000000.123 conn 3 open 127.0.0.1:50000
  fault: 1700000000.124 conn 3 req "GET /thanos/ok" 200
  fault: 1700000000.500 conn 3 write-failed after 1048576 bytes: BrokenPipeError
  fault: 1700000000.501 conn 3 closed by peer
The request target is logged with Python's repr escapes inside the quotes
(a CR shows as \\r), so a control character can never forge a log line.
--quiet leaves out the per-request and open/close lines (the soak).
--mode trap: every connection is logged ("trap: ... connection") and closed;
the tests run one where nothing should ever connect.

Endpoints, under the route prefix R (default /thanos); anything else is a 404
(and logged like everything else):
  R/ok                     200 "ok\\n"
  R/echo                   200 JSON: method, target, path, query, headers
                           (list of [name, value]), body_len, body_sha256
  R/fixed?v=K              200, the soak's body number K (0..3): the bytes
                           "variant K size N\\n" then a fixed pattern, N in
                           all; X-Body-Sha256
  R/big?mb=N[&chunk=B][&delay_ms=D][&chunked=1]
                           N MiB of pattern, B bytes per write (64 KiB),
                           D ms between writes; logs how far it got
  R/slow?ms=N              200 "slow\\n" after N ms
  R/hang                   reads the request, never answers (waits for the
                           peer to close, logs it)
  R/garbage                bytes that are not HTTP, then close
  R/bighead?mb=N           a header block of N MiB (1000-byte lines)
  R/longline?mb=N          one header line of N MiB
  R/reset?after=N[&how=rst|fin][&te=cl|chunked]
                           200 announcing 10 MiB (or chunked), N bytes of
                           body, then a TCP reset (rst) or a plain close (fin)
  R/hdr?case=NAME          a canned raw answer, see CASES below ({R} in
                           them is the route prefix, {CL} the body's
                           length; Content-Length is added when absent)
  R/stats                  JSON: connections, requests, busy (the targets
                           of the answers in progress on other connections:
                           a hang or a stream the adapter has not let go of)
"""

import argparse
import hashlib
import json
import socket
import struct
import sys
import threading
import time
import urllib.parse

PATTERN = bytes((i * 31) % 251 for i in range(251)) * 261  # 65511 bytes
MIB = 1024 * 1024
RESET_LENGTH = 10 * MIB
FIXED_SIZES = [0, 200, 4096, 65536 + 123, 300000]

_log_lock = threading.Lock()
QUIET = False


def log(msg, always=True):
    if QUIET and not always:
        return
    with _log_lock:
        sys.stderr.write("fault: %.3f %s\n" % (time.time(), msg))
        sys.stderr.flush()


def pattern(n):
    """n bytes of the repeating pattern."""
    out = []
    while n > 0:
        k = min(n, len(PATTERN))
        out.append(PATTERN[:k])
        n -= k
    return b"".join(out)


def fixed_body(k):
    size = FIXED_SIZES[k % len(FIXED_SIZES)]
    head = b"variant %d size %d\n" % (k, size)
    if size < len(head):
        size = len(head)
    return head + pattern(size - len(head))


FIXED = [fixed_body(k) for k in range(4)]
FIXED_SHA = [hashlib.sha256(b).hexdigest() for b in FIXED]

# Canned answers of R/hdr?case=NAME: (status line + headers, body).  Every
# body is "upstream-body NAME\n" so that the tests can tell it is ours.
CASES = {
    # nginx would serve the file named by X-Accel-Redirect, lighttpd and
    # Apache (mod_xsendfile) the ones of X-Sendfile / X-LIGHTTPD-send-file.
    "accel": ["HTTP/1.1 200 OK", "Content-Type: text/plain",
              "X-Accel-Redirect: /etc/passwd", "X-Accel-Charset: koi8-r",
              "X-Accel-Limit-Rate: 1", "X-Accel-Expires: 100000"],
    "sendfile": ["HTTP/1.1 200 OK", "Content-Type: text/plain",
                 "X-Sendfile: /etc/passwd", "X-Sendfile2: /etc/passwd 0-",
                 "X-LIGHTTPD-send-file: /etc/passwd"],
    # A Status: header would set the CGI status if passed on.
    "status": ["HTTP/1.1 418 I'm a teapot", "Content-Type: text/plain",
               "Status: 200 OK"],
    "status302": ["HTTP/1.1 200 OK", "Content-Type: text/plain",
                  "Status: 302 Found"],
    # CR, LF, NUL and obs-fold in a Location value.
    "loc-cr": ["HTTP/1.1 302 Found", "Content-Type: text/plain",
               "Location: {R}/a\rX-Injected: cr"],
    "loc-crcr": ["HTTP/1.1 302 Found", "Content-Type: text/plain",
                 "Location: {R}/a\r\rX-Injected: crcr"],
    "loc-nul": ["HTTP/1.1 302 Found", "Content-Type: text/plain",
                "Location: {R}/a\0X-Injected: nul"],
    "loc-fold": ["HTTP/1.1 302 Found", "Content-Type: text/plain",
                 "Location: {R}/a", " X-Injected: fold"],
    "loc-pct": ["HTTP/1.1 302 Found", "Content-Type: text/plain",
                "Location: {R}/a%0d%0aX-Injected:%20pct"],
    "cookie-cr": ["HTTP/1.1 200 OK", "Content-Type: text/plain",
                  "Set-Cookie: a=1\rX-Injected: cookie"],
    # No colon, a space before the colon, a NUL in a name.
    "no-colon": ["HTTP/1.1 200 OK", "Content-Type: text/plain",
                 "X-Injected yes"],
    "space-name": ["HTTP/1.1 200 OK", "Content-Type: text/plain",
                   "X-Injected : space"],
    # Framing the adapter must not pass on as it is: a Content-Length next
    # to chunked (RFC 9112: the length is ignored) and two that disagree.
    "te-cl": ["HTTP/1.1 200 OK", "Content-Type: text/plain",
              "Transfer-Encoding: chunked", "Content-Length: 5"],
    "dup-cl": ["HTTP/1.1 200 OK", "Content-Type: text/plain",
               "Content-Length: {CL}", "Content-Length: 5"],
    # A Location on a 200 (Apache: a local redirect to its own file) and on
    # a 404 (Apache: a relative one becomes a 302).
    "loc200": ["HTTP/1.1 200 OK", "Content-Type: text/plain", "Location: /canary.txt"],
    "loc404": ["HTTP/1.1 404 Not Found", "Content-Type: text/plain", "Location: canary.txt"],
    # Framing: lengths that are not one plain number.
    "cl-huge": ["HTTP/1.1 200 OK", "Content-Type: text/plain",
                "Content-Length: 99999999999999999999999"],
    "cl-list": ["HTTP/1.1 200 OK", "Content-Type: text/plain", "Content-Length: {CL}, {CL}"],
    "cl-plus": ["HTTP/1.1 200 OK", "Content-Type: text/plain", "Content-Length: +{CL}"],
    "cl-same": ["HTTP/1.1 200 OK", "Content-Type: text/plain",
                "Content-Length: {CL}", "Content-Length: {CL}"],
    # The names of a second Connection header are hop-by-hop too.
    "conn2": ["HTTP/1.1 200 OK", "Content-Type: text/plain", "Connection: keep-alive",
              "Connection: X-Secret", "X-Secret: leaked"],
    # An unrequested 101, then a second response head as its "body".
    "switch101": ["HTTP/1.1 101 Switching Protocols", "Upgrade: h2c", "Connection: Upgrade"],
    # A status line inside the block.
    "status-inside": ["HTTP/1.1 200 OK", "Content-Type: text/plain", "HTTP/1.1 204 x:y"],
    # Status lines that are not ones.
    "bad-status": ["HTTP/1.1 2OO OK", "Content-Type: text/plain"],
    "status-cr": ["HTTP/1.1 200 OK\rX-Injected: reason", "Content-Type: text/plain"],
}


class Conn:
    def __init__(self, srv, sock, addr, cid):
        self.srv = srv
        self.sock = sock
        self.addr = addr
        self.cid = cid
        self.buf = b""
        self.sent = 0

    # ---- input -----------------------------------------------------------

    def fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError()
        self.buf += data

    def read_head(self):
        """The request head as bytes (without the blank line), or None at EOF."""
        while b"\r\n\r\n" not in self.buf:
            if len(self.buf) > 1024 * 1024:
                raise ValueError("request head over 1 MiB")
            try:
                self.fill()
            except EOFError:
                if self.buf:
                    raise ValueError("EOF inside a request head")
                return None
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        return head

    def read_exact(self, n):
        while len(self.buf) < n:
            self.fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_line(self):
        while b"\r\n" not in self.buf:
            self.fill()
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def read_body(self, headers):
        h = hashlib.sha256()
        total = 0
        te = headers.get("transfer-encoding", "").lower()
        if "chunked" in te:
            while True:
                size = int(self.read_line().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.read_line() != b"":
                        pass
                    break
                while size > 0:
                    d = self.read_exact(min(size, 65536))
                    h.update(d)
                    total += len(d)
                    size -= len(d)
                self.read_line()
        else:
            left = int(headers.get("content-length", "0") or 0)
            while left > 0:
                d = self.read_exact(min(left, 65536))
                h.update(d)
                total += len(d)
                left -= len(d)
        return total, h.hexdigest()

    # ---- output ----------------------------------------------------------

    def send(self, data):
        self.sock.sendall(data)
        self.sent += len(data)

    def answer(self, status, headers, body, close=False):
        lines = ["HTTP/1.1 %s" % status]
        lines += ["%s: %s" % hv for hv in headers]
        lines.append("Content-Length: %d" % len(body))
        if close:
            lines.append("Connection: close")
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)

    def raw_head(self, lines):
        self.send(("\r\n".join(lines) + "\r\n").encode("latin-1"))

    def rst(self):
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def wait_peer_close(self, why):
        """Blocks until the peer closes; logs when."""
        try:
            while self.sock.recv(65536):
                pass
        except OSError:
            pass
        log("conn %d closed by peer (%s)" % (self.cid, why))

    # ---- dispatch --------------------------------------------------------

    def run(self):
        log("conn %d open %s:%d" % (self.cid, self.addr[0], self.addr[1]), always=False)
        try:
            while self.one():
                pass
        except (BrokenPipeError, ConnectionResetError) as e:
            log("conn %d write-failed after %d bytes: %s" % (self.cid, self.sent, type(e).__name__))
        except EOFError:
            log("conn %d closed by peer" % self.cid, always=False)
        except ValueError as e:
            log("conn %d bad request: %s" % (self.cid, e))
        except OSError as e:
            log("conn %d error: %s" % (self.cid, e))
        finally:
            try:
                self.sock.close()
            except OSError:
                pass

    def one(self):
        head = self.read_head()
        if head is None:
            log("conn %d closed by peer" % self.cid, always=False)
            return False
        lines = head.split(b"\r\n")
        reqline = lines[0].decode("latin-1")
        parts = reqline.split(" ")
        if len(parts) != 3:
            log("conn %d bad request line %r" % (self.cid, reqline))
            self.answer("400 Bad Request", [], b"bad request line\n", close=True)
            return False
        method, target, _ = parts
        hlist = []
        headers = {}
        for ln in lines[1:]:
            name, sep, value = ln.decode("latin-1").partition(":")
            value = value.strip(" \t")
            hlist.append([name, value])
            k = name.lower()
            headers[k] = headers[k] + ", " + value if k in headers else value
        body_len, body_sha = self.read_body(headers)
        self.srv.count_request()
        log("conn %d req %s" % (self.cid, json.dumps(method + " " + target)), always=False)
        self.srv.set_busy(self.cid, target)
        try:
            return self.handle(method, target, hlist, headers, body_len, body_sha)
        finally:
            self.srv.set_busy(self.cid, None)

    def handle(self, method, target, hlist, headers, body_len, body_sha):
        path, _, query = target.partition("?")
        q = urllib.parse.parse_qs(query, keep_blank_values=True)

        def qi(name, default):
            try:
                return int(q.get(name, [default])[0])
            except ValueError:
                return default

        R = self.srv.route_prefix
        if not (path == R or path.startswith(R + "/")):
            self.answer("404 Not Found", [("Content-Type", "text/plain")], b"not under the route prefix\n")
            return True
        sub = path[len(R):]
        if sub == "/ok":
            self.answer("200 OK", [("Content-Type", "text/plain")], b"ok\n")
        elif sub == "/echo":
            body = json.dumps({
                "method": method, "target": target, "path": path, "query": query,
                "headers": hlist, "body_len": body_len, "body_sha256": body_sha,
                "conn": self.cid,
            }).encode()
            self.answer("200 OK", [("Content-Type", "application/json")], body)
        elif sub == "/fixed":
            k = qi("v", 0) % len(FIXED)
            self.answer("200 OK", [("Content-Type", "application/octet-stream"),
                                   ("X-Body-Sha256", FIXED_SHA[k])], FIXED[k])
        elif sub == "/big":
            return self.big(method, qi("mb", 1), qi("chunk", 65536), qi("delay_ms", 0),
                            qi("chunked", 0))
        elif sub == "/slow":
            time.sleep(qi("ms", 1000) / 1000.0)
            self.answer("200 OK", [("Content-Type", "text/plain")], b"slow\n")
        elif sub == "/hang":
            log("conn %d hanging" % self.cid)
            self.wait_peer_close("hang")
            return False
        elif sub == "/garbage":
            self.send(b"\x00\x01garbage, not HTTP at all\r\n\xff\xfe" * 64)
            log("conn %d sent garbage" % self.cid)
            return False
        elif sub == "/bighead":
            self.bighead(qi("mb", 4))
            return False
        elif sub == "/longline":
            self.longline(qi("mb", 4))
            return False
        elif sub == "/reset":
            self.reset(qi("after", 100000), q.get("how", ["rst"])[0], q.get("te", ["cl"])[0])
            return False
        elif sub == "/hdr":
            name = q.get("case", [""])[0]
            if name not in CASES:
                self.answer("400 Bad Request", [], b"no such case\n")
                return True
            body = ("upstream-body %s\n" % name).encode()
            lines = [ln.replace("{R}", R).replace("{CL}", str(len(body))) for ln in CASES[name]]
            if name == "te-cl":
                self.raw_head(lines + [""])
                self.send(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
            elif name == "switch101":
                self.raw_head(lines + [""])
                self.send(b"HTTP/1.1 200 OK\r\nX-Smuggled: 1\r\nContent-Length: 9\r\n\r\nsmuggled\n")
            else:
                if not any(ln.lower().startswith("content-length:") for ln in lines):
                    lines.append("Content-Length: %d" % len(body))
                self.raw_head(lines + [""])
                self.send(body)
            log("conn %d sent case %s" % (self.cid, name))
        elif sub == "/stats":
            self.answer("200 OK", [("Content-Type", "application/json")],
                        json.dumps(self.srv.stats(self.cid)).encode())
        else:
            self.answer("404 Not Found", [("Content-Type", "text/plain")], b"404 page not found\n")
        return True

    # ---- the faults --------------------------------------------------------

    def big(self, method, mb, chunk, delay_ms, chunked):
        n = mb * MIB
        lines = ["HTTP/1.1 200 OK", "Content-Type: application/octet-stream"]
        lines.append("Transfer-Encoding: chunked" if chunked else "Content-Length: %d" % n)
        self.raw_head(lines + [""])
        if method == "HEAD":
            return True
        chunk = max(1, min(chunk, len(PATTERN)))
        start = self.sent
        log("conn %d big: sending %d bytes, %d per write, %d ms apart" % (self.cid, n, chunk, delay_ms))
        left = n
        try:
            while left > 0:
                k = min(chunk, left)
                data = PATTERN[:k]
                if chunked:
                    data = b"%x\r\n%s\r\n" % (k, data)
                self.send(data)
                left -= k
                if delay_ms:
                    time.sleep(delay_ms / 1000.0)
            if chunked:
                self.send(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError) as e:
            log("conn %d big: write-failed after %d body bytes: %s"
                % (self.cid, self.sent - start, type(e).__name__))
            return False
        log("conn %d big: sent all %d bytes" % (self.cid, n))
        return True

    def bighead(self, mb):
        self.send(b"HTTP/1.1 200 OK\r\n")
        line = b"X-Big-%07d: " + b"b" * 1000 + b"\r\n"
        i = 0
        try:
            while self.sent < mb * MIB:
                self.send(b"".join(line % (i + k) for k in range(64)))
                i += 64
            self.send(b"Content-Type: text/plain\r\nContent-Length: 3\r\n\r\nbig")
            log("conn %d bighead: sent all %d header bytes" % (self.cid, self.sent))
        except (BrokenPipeError, ConnectionResetError) as e:
            log("conn %d bighead: write-failed after %d bytes: %s" % (self.cid, self.sent, type(e).__name__))

    def longline(self, mb):
        self.send(b"HTTP/1.1 200 OK\r\nX-Long: ")
        block = b"L" * 65536
        try:
            while self.sent < mb * MIB:
                self.send(block)
            self.send(b"\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nlong")
            log("conn %d longline: sent all %d header bytes" % (self.cid, self.sent))
        except (BrokenPipeError, ConnectionResetError) as e:
            log("conn %d longline: write-failed after %d bytes: %s" % (self.cid, self.sent, type(e).__name__))

    def reset(self, after, how, te):
        lines = ["HTTP/1.1 200 OK", "Content-Type: application/octet-stream"]
        lines.append("Transfer-Encoding: chunked" if te == "chunked" else "Content-Length: %d" % RESET_LENGTH)
        self.raw_head(lines + [""])
        left = after
        while left > 0:
            k = min(left, len(PATTERN))
            data = PATTERN[:k]
            if te == "chunked":
                data = b"%x\r\n%s\r\n" % (k, data)
            self.send(data)
            left -= k
        time.sleep(0.1)
        log("conn %d reset after %d body bytes (%s, %s)" % (self.cid, after, how, te))
        if how == "fin":
            self.sock.shutdown(socket.SHUT_RDWR)
            self.sock.close()
        else:
            self.rst()


class Server:
    def __init__(self, opts):
        self.opts = opts
        p = "/" + opts.route_prefix.strip("/")
        self.route_prefix = "" if p == "/" else p
        self.lock = threading.Lock()
        self.connections = 0
        self.requests = 0
        self.busy = {}

    def count_request(self):
        with self.lock:
            self.requests += 1

    def set_busy(self, cid, target):
        with self.lock:
            if target is None:
                self.busy.pop(cid, None)
            else:
                self.busy[cid] = target

    def stats(self, me=None):
        with self.lock:
            return {"connections": self.connections, "requests": self.requests,
                    "busy": sorted(t for c, t in self.busy.items() if c != me)}

    def serve(self):
        host, _, port = self.opts.listen.rpartition(":")
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((host or "127.0.0.1", int(port)))
        ls.listen(256)
        log("listening on %s, route prefix '%s'%s"
            % (self.opts.listen, self.route_prefix, ", trap" if self.opts.trap else ""))
        while True:
            s, addr = ls.accept()
            with self.lock:
                self.connections += 1
                cid = self.connections
            if self.opts.trap:
                sys.stderr.write("trap: %.3f connection %d from %s:%d\n" % (time.time(), cid, addr[0], addr[1]))
                sys.stderr.flush()
                s.close()
                continue
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            c = Conn(self, s, addr, cid)
            threading.Thread(target=c.run, daemon=True).start()


def serve(listen, route_prefix, quiet=False, trap=False):
    """Runs the fault engine on HOST:PORT until the process is stopped."""
    global QUIET
    QUIET = quiet
    opts = argparse.Namespace(listen=listen, route_prefix=route_prefix, trap=trap)
    try:
        Server(opts).serve()
    except KeyboardInterrupt:
        pass
    return 0
