"""hostile.py: what test_hostile.py and test_attack.py share: requests sent
as raw bytes to a front server (control characters, bad framing, odd
request lines: what http.client refuses to send), the fault upstream
(tests/mock/thanos_mock.py --mode fault) and what it logged, and a check
that the adapter still serves after each hostile request.

  send         one request as raw bytes; the answer as a Raw
  FaultUpstream  the mock in fault mode at route prefix /thanos; seen()
               is every "METHOD TARGET" it has logged, in order
  Serving      the adapter's liveness after a fault, as a check
  keep         what a test starts, stopped last-first whatever happens
"""

import json
import re
import socket
import threading

import bounds
import lab as labmod
import procs

ROUTE = "/thanos"
# an answer expected at once (bounds.py's "at once": configured 0 s)
AT_ONCE = bounds.configured_bound(0)[1]


class Raw:
    """An answer read to the end of the connection: raw bytes, the status
    ("000" without a status line), why the read stopped early (" timeout",
    " ConnectionResetError", "" when the server closed), the body (chunked
    framing removed) and the body bytes that were sent."""

    def __init__(self, raw, why, sent):
        self.raw = raw
        self.why = why
        self.sent = sent
        while re.match(rb"HTTP/1\.. 1[0-9][0-9] ", raw) and b"\r\n\r\n" in raw:
            raw = raw.partition(b"\r\n\r\n")[2]  # a 100 Continue before the answer
        head, _, body = raw.partition(b"\r\n\r\n")
        self.status = head[9:12].decode("latin-1") if head.startswith(b"HTTP/1.") else "000"
        self.headers = []
        for ln in head.decode("latin-1").split("\r\n")[1:]:
            k, sep, v = ln.partition(":")
            if sep:
                self.headers.append((k.strip(), v.strip()))
        if "chunked" in self.header("Transfer-Encoding").lower():
            body = dechunk(body)
        self.body = body

    def st(self):
        """The status as rawreq.py printed it: "200", "000 timeout"."""
        return self.status + self.why

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def header(self, name):
        """The last `name` header ("" when there is none)."""
        vals = self.header_all(name)
        return vals[-1] if vals else ""

    def text(self):
        return self.body.decode("latin-1")


def dechunk(data):
    out = b""
    while data:
        size, _, data = data.partition(b"\r\n")
        n = int(size.split(b";")[0] or b"0", 16)
        if n == 0:
            break
        out, data = out + data[:n], data[n + 2:]
    return out


def head_bytes(method, target, host, headers, body, chunked):
    """The request head: the request line, Host, headers (name, value) as
    given (raw bytes allowed: latin-1), for a body Transfer-Encoding:
    chunked or Content-Length, Connection: close."""
    lines = ["%s %s HTTP/1.1" % (method, target), "Host: " + host]
    lines += ["%s: %s" % h for h in headers]
    if body is not None:
        lines.append("Transfer-Encoding: chunked" if chunked else "Content-Length: %d" % len(body))
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def send(port, target, headers=(), method="GET", body=None, host=None, chunked=False, expect=False,
         timeout=procs.GUARD):
    """One request to 127.0.0.1:port, read to the end of the connection
    (at most timeout seconds).  body is sent while the answer is read (a
    server may answer before it has all of it); with expect, only once a
    100 Continue has come, not at all when the final answer comes first."""
    labmod.REQUESTS[0] += 1
    head = head_bytes(method, target, host or "127.0.0.1:%d" % port, headers, body, chunked)
    if chunked and body is not None:
        body = chunks(body)
    got, why, sent = b"", "", [0]
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except OSError as e:
        return Raw(b"", " " + type(e).__name__, 0)
    with s:
        try:
            s.sendall(head)
            if expect:
                got = read_head(s)
                if not got.startswith(b"HTTP/1.1 100 "):
                    body = None
            if body:
                threading.Thread(target=send_body, args=(s, body, sent), daemon=True).start()
            got += read_all(s)
        except socket.timeout:
            why = " timeout"
        except OSError as e:
            why = " " + type(e).__name__
    return Raw(got, why, sent[0])


def chunks(body, size=65536):
    """body in chunked framing, size bytes a chunk, as curl sends it."""
    parts = [body[i:i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


def send_body(s, body, sent):
    try:
        for i in range(0, len(body), 65536):
            s.sendall(body[i:i + 65536])
            sent[0] += len(body[i:i + 65536])
    except OSError:
        pass  # the server answered and closed first


def read_head(s):
    got = b""
    while b"\r\n\r\n" not in got:
        d = s.recv(65536)
        if not d:
            break
        got += d
    return got


def read_all(s):
    got = b""
    while True:
        d = s.recv(65536)
        if not d:
            return got
        got += d


def echo_values(body, name):
    """The values of header `name` in a fault upstream /echo answer, in
    order; None when the body is not one."""
    try:
        hs = json.loads(body)["headers"]
    except (ValueError, KeyError, TypeError):
        return None
    return [v for n, v in hs if n.lower() == name.lower()]


def echo_field(body, key):
    """A top-level field of an /echo answer ("" when there is none)."""
    try:
        return json.loads(body).get(key, "")
    except (ValueError, AttributeError):
        return ""


class FaultUpstream(labmod.Mock):
    """thanos_mock.py --mode fault, route prefix /thanos."""

    REQ = re.compile(r" conn [0-9]+ req (\".*\")$")

    def __init__(self, lab, name):
        super().__init__(lab, name, ["--mode", "fault", "--route-prefix", ROUTE])

    def seen(self):
        """Every request logged so far, "METHOD TARGET" (the engine logs it
        before it answers: an answer received is a request logged)."""
        out = []
        for ln in self.proc.log_text().splitlines():
            m = self.REQ.search(ln)
            if m:
                out.append(json.loads(m.group(1)))
        return out

    def count(self, pattern):
        """How many logged requests match pattern (a regex at the start)."""
        return sum(1 for r in self.seen() if re.match(pattern, r))


class Abort(Exception):
    """The adapter stopped serving: the rest of the test is not run."""


class Serving:
    """After a fault: the same adapter process runs and url (its "ok" page
    through the front) answers 200 "ok" at once.  Three misses in a row,
    or six in all, end the test (one failure instead of a timeout per
    request)."""

    def __init__(self, c, proc, port, path=ROUTE + "/ok"):
        self.c, self.proc, self.port, self.path = c, proc, port, path
        self.streak = self.misses = 0

    def check(self, label):
        r = send(self.port, self.path, timeout=AT_ONCE)
        alive = "alive" if self.proc.running() else "dead"
        got = (alive, r.st(), r.body.rstrip(b"\n").decode("latin-1"))
        self.c.eq("%s: then the adapter (pid %d) still runs and serves the next request" % (label, self.proc.pid),
                  ("alive", "200", "ok"), got)
        if got[:2] == ("alive", "200"):
            self.streak = 0
        else:
            self.streak += 1
            self.misses += 1
        if self.streak >= 3 or self.misses >= 6:
            self.c.true("adapter stopped serving (%d next requests unanswered, %d in a row): "
                        "rest of the test not run" % (self.misses, self.streak), False)
            raise Abort()


def keep(stack, x):
    """x, stopped when stack (a contextlib.ExitStack) closes, last-first,
    whatever happened; x.stop() may also be called before (it is
    idempotent: lab.Adapter, lab.Mock and the front.py servers are)."""
    stack.callback(x.stop)
    return x


def unix_adapter(lab, name, *flags):
    """thanos-fcgi --listen unix:PATH FLAGS (lab.Adapter in mode unix)."""
    return labmod.Adapter(lab, "unix", name, {"flags": list(flags), "settings": "flags"})


def peak_rss_kib(pid):
    """The process's peak RSS (VmHWM) in KiB, None when unknown."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for ln in f:
                if ln.startswith("VmHWM:"):
                    return int(ln.split()[1])
    except OSError:
        pass
    return None
