"""test_hostile.py: hostile requests through a real front server (issue 5).

nginx with the files of deploy/nginx/ (only the @PLACEHOLDERS@ filled in)
passes requests to thanos-fcgi --listen unix:SOCKET, mount /thanos,
upstream tests/mock/thanos_mock.py --mode fault (route prefix /thanos),
which logs the target of every request it gets.  A second mock, --mode
trap, listens on another loopback port that every hostile request names as
its "host": it must never see a connection.  The adapter runs with small
limits (URI 2 KiB, headers 4 KiB, body 1 MiB), below nginx's own (8k
header buffers, 1m bodies).  nginx A is deploy/nginx as shipped; nginx B
the same with client_max_body_size 64m, so that a body over the adapter's
limit gets past nginx to the adapter.

Each hostile request is followed by a normal one: it must be answered at
once by the same adapter process.  At the end, every path the upstream saw
is under /thanos/, without a dot segment or a control character.  The
functions run in file order against one deployment (module fixture).
"""

import contextlib
import hashlib
import os
import time
import urllib.parse

import pytest

import bounds
import conftest
import front
import lab as labmod
from cases import Checks
from hostile import Abort, FaultUpstream, Serving, echo_field, echo_values, keep, peak_rss_kib, send, unix_adapter

MODE = "nginx"
KIB = 1024
MIB = 1024 * KIB


class Net:
    """The deployment: upstream, trap, adapter, nginx A and B."""

    def __init__(self, lab, started):
        self.up = keep(started, FaultUpstream(lab, "hostile_up"))
        self.trap = keep(started, labmod.Mock(lab, "hostile_trap", ["--mode", "trap"]))
        # the probe of the trap's start is its one connection so far
        self.trap0 = self.trap.proc.wait_log("^trap: ", 1)
        self.trap_addr = "127.0.0.1:%d" % self.trap.port
        # --threads 34: each of the two nginx keeps up to 2 x 8 idle
        # FastCGI connections and each holds a thread
        self.adapter = keep(started, unix_adapter(
            lab, "hostile", "--threads", "34", "--upstream", self.up.url, "--web.route-prefix", "/thanos",
            "--limits.max-uri-size", "2KiB", "--limits.max-header-size", "4KiB",
            "--limits.max-body-size", "1MiB"))
        self.a = keep(started, front.Nginx(lab, "hostileA", "/thanos", self.adapter.addr)).port
        self.b = keep(started, front.Nginx(lab, "hostileB", "/thanos", self.adapter.addr,
                                         big_body_location(lab))).port
        for port in (self.a, self.b):  # set-up, not a check
            r = send(port, "/thanos/ok")
            assert r.st() == "200", "set-up: a normal request through nginx on %d: %s" % (port, r.raw[:300])


def big_body_location(lab):
    """deploy/nginx's location file with client_max_body_size 64m at
    server level before it (the file itself is the server-level include)."""
    path = os.path.join(lab.dir, "location-64m.conf")
    with open(os.path.join(front.DEPLOY, "nginx", "thanos-fcgi-location.conf")) as src:
        text = src.read()
    with open(path, "w") as f:
        f.write("client_max_body_size 64m;\n" + text)
    return path


@pytest.fixture(scope="module")
def net(lab):
    with contextlib.ExitStack() as started:
        yield Net(lab, started)


def run(net, name, body):
    """body(c, serving) with its checks counted, ended early (a failed
    check) when the adapter stopped serving."""
    c = Checks("hostile: %s" % name)
    try:
        body(c, Serving(c, net.adapter.proc, net.a))
    except Abort:
        pass
    conftest.record(MODE, c)


def who(r):
    """"adapter" for thanos-fcgi's own one-liner, "nginx" for nginx's HTML
    error page, "upstream" otherwise."""
    if r.body.startswith(b"thanos-fcgi:"):
        return "adapter"
    return "nginx" if b"<center>nginx" in r.body else "upstream"


def refused(net, c, serving, label, target, want, injected=None):
    """The raw request for target: its status and who answered are want,
    the upstream saw no request, (injected) that header is not in the
    answer, and the adapter still serves."""
    n0 = len(net.up.seen())
    r = send(net.a, target)
    c.eq("%s %s: status and who answered" % (label, target), want, "%s %s" % (r.st(), who(r)))
    c.eq("%s %s: the upstream saw no request" % (label, target), n0, len(net.up.seen()))
    if injected:
        c.eq("%s %s: no injected header in the answer" % (label, target), [], r.header_all(injected))
    serving.check("%s %s" % (label, target))


# ---- dot segments --------------------------------------------------------------
#
# nginx decodes and normalises the path for its location match ($uri) but
# passes REQUEST_URI raw: when the normalised path leaves /thanos/ nginx
# answers itself (404: no location, or 400: above the root); when it stays
# inside, the adapter sees the raw dot segment and must answer 400.  Who
# answers is part of the assertion; that the upstream saw nothing is too.

DOTS = [
    ("/thanos/../etc/passwd", "404 nginx"),
    ("/thanos/a/../../etc/passwd", "404 nginx"),
    ("/thanos/%2e%2e/etc/passwd", "404 nginx"),
    ("/thanos/.%2e/x", "404 nginx"),
    ("/thanos/..%2f..%2fetc/passwd", "400 nginx"),
    ("/thanos/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "400 nginx"),
    ("/thanos/a/../b", "400 adapter"),
    ("/thanos/a/%2e%2e/b", "400 adapter"),
    ("/thanos/a/%2E%2e%2fb", "400 adapter"),
    ("/thanos/a/%2E%2e%2f..%2fb", "404 nginx"),
    ("/thanos/api/v1/..%2f..%2f..%2fetc/passwd", "404 nginx"),
    ("/thanos/api/v1/a/..%2fb", "400 adapter"),
    ("/thanos/./x", "400 adapter"),
    ("/thanos/a/%2e/x", "400 adapter"),
    ("/thanos/a/..", "400 adapter"),
    ("/thanos/a/%2e%2E", "400 adapter"),
    ("/thanos/..\\x", "400 adapter"),
    ("/thanos/..%5cx", "400 adapter"),
    ("/thanos/a/..%5c..%5cx", "400 adapter"),
    ("/thanos/a%zz/x", "400 nginx"),
]


@pytest.mark.parametrize("mode", [MODE])
def test_dot_segments(net, mode):
    """Each dot segment (raw, encoded, with %2f or a backslash) is refused
    by nginx or by the adapter, as DOTS says, and never reaches the
    upstream; a double-encoded one is no dot segment and passes as sent."""
    def body(c, serving):
        c.eq("trap listener: only the start's probe before the adapter starts", 1, net.trap0)
        for target, want in DOTS:
            refused(net, c, serving, "dot segment", target, want)
        n0 = len(net.up.seen())
        r = send(net.a, "/thanos/%252e%252e/x")
        c.eq("double-encoded dots: reach the upstream as sent, under /thanos",
             ["GET /thanos/%252e%252e/x"], net.up.seen()[n0:])
        c.eq("double-encoded dots: the upstream's 404 passes", "404 upstream", "%s %s" % (r.st(), who(r)))
        serving.check("double-encoded dots")
    run(net, "dot segments", body)


# ---- NUL, CR, LF -----------------------------------------------------------------

CTL_PATHS = [
    ("/thanos/a%00b", "400 nginx"),
    ("/thanos/a%0d%0aX-Injected:%20yes", "400 adapter"),
    ("/thanos/a%0aX-Injected:%20yes", "400 adapter"),
    ("/thanos/a%0db", "400 adapter"),
    ("/thanos/a%09b", "400 adapter"),
    ("/thanos/a%7fb", "400 adapter"),
    ("/thanos/a\x01b", "400 nginx"),
    ("/thanos/a\rX-Injected:%20yes", "400 nginx"),
    ("/thanos/a\x00b", "400 nginx"),
]
RAW_QUERIES = ["q=a\x00b", "q=a\x01b", "q=a\x7fb", "q=a\rX-Injected: yes"]
ENCODED_QUERIES = ["query=up%0d%0aX-Injected:%20yes", "query=a%00b", "query=sum(%0A%20rate(x%5B5m%5D))"]
# raw CR, NUL, obs-fold and other controls are refused by nginx; an
# encoded CR LF is just text and stays text
HEADER_VALUES = [
    ("a\rX-Injected: cr", "400"),
    ("a\x00X-Injected: nul", "400"),
    ("a\r\n X-Injected: fold", "400"),
    ("a%0d%0aX-Injected:%20pct", "200"),
    ("a\x01b", "400"),
    ("a\x0bb", "400"),
    ("a\x7fb", "400"),
]


@pytest.mark.parametrize("mode", [MODE])
def test_control_characters(net, mode):
    """NUL, CR, LF and other controls in the path (raw or encoded), raw in
    the query: refused, nothing upstream, no injected header.  Encoded in
    the query they are data (a PromQL expression may hold a newline) and
    reach the upstream still encoded, never as a header line."""
    def body(c, serving):
        for target, want in CTL_PATHS:
            refused(net, c, serving, "control character in the path", target, want, "X-Injected")
        for q in RAW_QUERIES:
            L = "raw control byte in the query ?%r" % q
            n0 = len(net.up.seen())
            c.eq("%s: 400" % L, "400", send(net.a, "/thanos/echo?" + q).st())
            c.eq("%s: the upstream saw no request" % L, n0, len(net.up.seen()))
            serving.check(L)
        for q in ENCODED_QUERIES:
            L = "encoded control character in the query ?%s" % q
            r = send(net.a, "/thanos/echo?" + q)
            c.eq("%s: reaches the upstream encoded" % L, "200 /thanos/echo?" + q,
                 "%s %s" % (r.st(), echo_field(r.body, "target")))
            c.eq("%s: no injected header upstream" % L, [], echo_values(r.body, "X-Injected"))
            c.eq("%s: no injected header in the answer" % L, [], r.header_all("X-Injected"))
        header_values(net, c, serving)
    run(net, "control characters", body)


def header_values(net, c, serving):
    for value, want in HEADER_VALUES:
        L = "header value X-Foo: %r" % value
        n0 = len(net.up.seen())
        r = send(net.a, "/thanos/echo", [("X-Foo", value)])
        c.eq("%s: status" % L, want, r.st())
        if want == "400":
            c.eq("%s: the upstream saw no request" % L, n0, len(net.up.seen()))
        else:
            c.eq("%s: no X-Injected header upstream" % L, [], echo_values(r.body, "X-Injected"))
        c.eq("%s: no injected header in the answer" % L, [], r.header_all("X-Injected"))
        serving.check(L)


# ---- over-long URI and headers ---------------------------------------------------

def own(r):
    """Status and the first 11 bytes of the body ("thanos-fcgi" for the
    adapter's own answer)."""
    return "%s %s" % (r.st(), r.body[:11].decode("latin-1"))


@pytest.mark.parametrize("mode", [MODE])
def test_long_uri_and_headers(net, mode):
    """A URI over the adapter's 2 KiB gets its 414, one over nginx's 8k
    nginx's; headers over the adapter's 4 KiB (one or together) its 431,
    a line over nginx's 8k nginx's 400; nothing reaches the upstream; a
    3 KiB header passes."""
    def body(c, serving):
        n0 = len(net.up.seen())
        c.eq("URI of 3 KiB (path): the adapter's 414", "414 thanos-fcgi",
             own(send(net.a, "/thanos/" + "a" * 3000)))
        c.eq("URI of 3 KiB (query): the adapter's 414", "414 thanos-fcgi",
             own(send(net.a, "/thanos/echo?q=" + "b" * 3000)))
        c.eq("URI of 20 KiB: nginx's 414", "414", send(net.a, "/thanos/echo?q=" + "c" * 20000).st())
        c.eq("over-long URIs: the upstream saw no request", n0, len(net.up.seen()))
        serving.check("over-long URIs")
        n0 = len(net.up.seen())
        c.eq("one header of 6 KiB: the adapter's 431", "431 thanos-fcgi",
             own(send(net.a, "/thanos/echo", [("X-Big", "h" * 6000)])))
        three = [("X-A", "a" * 1500), ("X-B", "b" * 1500), ("X-C", "c" * 1500)]
        c.eq("three headers of 1.5 KiB: the adapter's 431", "431 thanos-fcgi",
             own(send(net.a, "/thanos/echo", three)))
        c.eq("one header of 20 KiB: nginx's 400 (Request Header Or Cookie Too Large)", "400",
             send(net.a, "/thanos/echo", [("Cookie", "k" * 20000)]).st())
        c.eq("over-long headers: the upstream saw no request", n0, len(net.up.seen()))
        c.eq("one header of 3 KiB (under the limit) passes", "200",
             send(net.a, "/thanos/echo", [("X-Big", "h" * 3000)]).st())
        serving.check("over-long headers")
    run(net, "long URI and headers", body)


# ---- oversized body ----------------------------------------------------------------

OCTETS = [("Content-Type", "application/octet-stream")]


@pytest.mark.parametrize("mode", [MODE])
def test_oversized_body(net, mode):
    """nginx A's own 1m limit answers from Content-Length, before the body
    when the client waits for 100 Continue; through nginx B the adapter
    refuses a body over its 1 MiB from CONTENT_LENGTH, at once, chunked
    too, and without growing; exactly 1 MiB passes whole."""
    def body(c, serving):
        big = b"\0" * (20 * MIB)
        n0 = len(net.up.seen())
        r = send(net.a, "/thanos/echo", OCTETS + [("Expect", "100-continue")], "POST", big, expect=True)
        c.match("20 MiB with Content-Length through nginx A: 413 before the body is sent (status, bytes sent)",
                r"^413 [0-9]{1,6}$", "%s %d" % (r.st(), r.sent))
        c.eq("20 MiB with Content-Length through nginx A, no Expect: 413", "413",
             send(net.a, "/thanos/echo", OCTETS, "POST", big).st())
        t0 = time.monotonic()
        r = send(net.b, "/thanos/echo", OCTETS, "POST", big)
        t = time.monotonic() - t0
        c.eq("20 MiB with Content-Length through nginx B: the adapter's 413", "413 thanos-fcgi", own(r))
        at_once = bounds.configured_bound(0)
        c.true("20 MiB through nginx B: answered at once", bounds.within(t, at_once), bounds.show(t, at_once))
        c.eq("20 MiB chunked through nginx B: the adapter's 413", "413 thanos-fcgi",
             own(send(net.b, "/thanos/echo", OCTETS, "POST", big, chunked=True)))
        one = os.urandom(MIB)
        c.eq("1 MiB + 1 byte through nginx B: the adapter's 413", "413 thanos-fcgi",
             own(send(net.b, "/thanos/echo", OCTETS, "POST", one + b"x")))
        c.eq("oversized bodies: the upstream saw no request", n0, len(net.up.seen()))
        hwm = peak_rss_kib(net.adapter.proc.pid)
        c.true("oversized bodies: the adapter's peak RSS stays under 32 MiB", hwm is not None and hwm < 32 * KIB,
               "VmHWM %s kB" % hwm)
        r = send(net.b, "/thanos/echo", OCTETS, "POST", one)
        c.eq("exactly 1 MiB through nginx B: passes, whole", ("200", MIB, hashlib.sha256(one).hexdigest()),
             (r.st(), echo_field(r.body, "body_len"), echo_field(r.body, "body_sha256")))
        serving.check("oversized bodies")
    run(net, "oversized body", body)


# ---- forwarding headers a client sends ------------------------------------------------

def echo_h(r, name):
    """The values of header name the upstream got, joined by "|"
    ("<absent>" for none)."""
    v = echo_values(r.body, name)
    if v is None:
        return "<no JSON: %r>" % r.body[:100]
    return "|".join(v) if v else "<absent>"


@pytest.mark.parametrize("mode", [MODE])
def test_spoofed_forwarding(net, mode):
    """Forwarding headers, httpoxy's Proxy, settings as headers and a Host
    naming the trap: the configured upstream answers under the route
    prefix; the forwarding headers are the adapter's own (a client's
    X-Forwarded-For list kept, the client appended), Proxy and
    Proxy-Authorization are dropped."""
    def body(c, serving):
        trap = net.trap_addr
        r = send(net.a, "/thanos/echo", [
            ("X-Forwarded-Prefix", "/evil"), ("X-Forwarded-For", "192.0.2.7"),
            ("Forwarded", "for=192.0.2.66;host=evil.example;proto=https"),
            ("X-Forwarded-Host", "evil.example"), ("X-Forwarded-Proto", "https"),
            ("Proxy", "http://" + trap), ("Proxy-Authorization", "Basic ZXZpbDpldmls"),
            ("Thanos-Fcgi-Upstream", "http://" + trap), ("Thanos-Fcgi-Route-Prefix", "/evil"),
            ("X_Forwarded_Prefix", "/evil2")], host=trap)
        c.eq("spoofed headers: answered by the configured upstream", "200", r.st())
        c.eq("spoofed headers: path at the upstream is under the route prefix", "/thanos/echo",
             echo_field(r.body, "path"))
        c.eq("client X-Forwarded-Prefix replaced by the public prefix (X_Forwarded_Prefix too)", "/thanos",
             echo_h(r, "X-Forwarded-Prefix"))
        c.eq("client X-Forwarded-For appended with the client address", "192.0.2.7, 127.0.0.1",
             echo_h(r, "X-Forwarded-For"))
        c.eq("client Forwarded not passed on", "<absent>", echo_h(r, "Forwarded"))
        c.eq("client X-Forwarded-Proto replaced", "http", echo_h(r, "X-Forwarded-Proto"))
        c.eq("X-Forwarded-Host is the Host the client sent, once", trap, echo_h(r, "X-Forwarded-Host"))
        c.eq("Host towards the upstream is the upstream's own", "127.0.0.1:%d" % net.up.port, echo_h(r, "Host"))
        c.eq("httpoxy: Proxy header not passed on", "<absent>", echo_h(r, "Proxy"))
        c.eq("Proxy-Authorization not passed on", "<absent>", echo_h(r, "Proxy-Authorization"))
        serving.check("spoofed headers")
        # two of each: nginx passes both; none of the client's prefix
        # values gets through, its list is kept and the client comes last
        r = send(net.a, "/thanos/echo", [("X-Forwarded-Prefix", "/evil"), ("x-forwarded-prefix", "/evil2"),
                                         ("X-Forwarded-For", "192.0.2.7"), ("X-Forwarded-For", "192.0.2.8")])
        c.eq("two X-Forwarded-Prefix: the public prefix only", "200 /thanos",
             "%s %s" % (r.st(), echo_h(r, "X-Forwarded-Prefix")))
        c.match("two X-Forwarded-For: one header, the client's values, then 127.0.0.1",
                r"^192\.0\.2\.7(, 192\.0\.2\.8)?, 127\.0\.0\.1$", echo_h(r, "X-Forwarded-For"))
    run(net, "spoofed forwarding headers", body)


# ---- absolute-form and //host targets ------------------------------------------------

def targets(trap):
    """(target, status, what reaches the upstream) for targets naming the
    trap."""
    return [
        ("http://%s/thanos/echo" % trap, "200", ["GET /thanos/echo"]),
        ("http://evil.example/thanos/echo", "200", ["GET /thanos/echo"]),
        ("http://%s/etc/passwd" % trap, "404", []),
        ("//%s/thanos/echo" % trap, "404", []),
        ("///%s/thanos/echo" % trap, "404", []),
        ("/thanos//%s/echo" % trap, "404", ["GET /thanos/%s/echo" % trap]),
        ("/thanos/http://%s/x" % trap, "404", ["GET /thanos/http:/%s/x" % trap]),
        ("/thanos/@%s/x" % trap, "404", ["GET /thanos/@%s/x" % trap]),
        ("/thanos\\%s/x" % trap, "404", []),
        ("*", "400", []),
    ]


@pytest.mark.parametrize("mode", [MODE])
def test_odd_targets(net, mode):
    """Absolute-form, //host, @host and other targets naming the trap: the
    status and exactly what reached the upstream (nginx merges slashes);
    CONNECT, OPTIONS * and a userinfo target are refused before it."""
    def body(c, serving):
        trap = net.trap_addr
        for target, want, seen in targets(trap):
            n0 = len(net.up.seen())
            r = send(net.a, target)
            c.eq("target %s: status" % target, want, r.st())
            c.eq("target %s: what reached the upstream" % target, seen, net.up.seen()[n0:])
            serving.check("target %s" % target)
        lines = (("CONNECT", trap), ("OPTIONS", "*"), ("GET", "http://%s:80@evil/thanos/echo" % trap))
        for method, target in lines:
            L = "request line '%s %s HTTP/1.1'" % (method, target)
            n0 = len(net.up.seen())
            c.match("%s: refused" % L, "^4[0-9][0-9]$", send(net.a, target, method=method, host=trap).st())
            c.eq("%s: the upstream saw no request" % L, n0, len(net.up.seen()))
        serving.check("odd request lines")
    run(net, "odd targets", body)


# ---- what the upstream and the trap saw ----------------------------------------------

def bad_target(target):
    """Why a target the upstream saw is wrong ("" when it is fine)."""
    path = target.split("?")[0]
    why = []
    if not (path == "/thanos" or path.startswith("/thanos/")):
        why.append("outside /thanos")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7f for ch in target):
        why.append("control character")
    if any(s in (".", "..") for s in urllib.parse.unquote(path).replace("\\", "/").split("/")):
        why.append("dot segment")
    return ", ".join(why)


@pytest.mark.parametrize("mode", [MODE])
def test_what_was_seen(net, mode):
    """After all of the above (file order): every path the upstream saw is
    under /thanos/, without a dot segment or a control character; the
    trap never saw a connection; the adapter is the same process."""
    def body(c, serving):
        seen = [r.partition(" ")[2] for r in net.up.seen()]
        bad = ["%s (%s)" % (t, bad_target(t)) for t in seen if bad_target(t)]
        c.true("upstream log: requests seen", len(seen) > 0, "%d requests" % len(seen))
        c.eq("upstream log: every path", [], bad)
        c.eq("trap listener: no connection ever", net.trap0, net.trap.proc.log_count("^trap: "))
        c.eq("adapter: the same process all along", True, net.adapter.proc.running())
    run(net, "what the upstream and the trap saw", body)
