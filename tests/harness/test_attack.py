"""test_attack.py: the holes of issue 10, through every front, each with the
files of deploy/ as they are (only @PLACEHOLDERS@ filled in, front.py):
  nginx (deploy/nginx) -> thanos-fcgi --listen unix:SOCKET,
  lighttpd bin-path (deploy/lighttpd/50-thanos-fcgi.conf),
  Apache mod_fcgid (deploy/apache-fcgid/thanos-fcgi.conf),
  Apache mod_cgid (deploy/apache-cgi/thanos-cgi.conf),
all at /thanos against tests/mock/thanos_mock.py --mode fault (route prefix
/thanos, one for the file), which logs the method and target of every
request it gets.

Each front gets the same cases (front_cases):
  - a body on GET, OPTIONS, DELETE reaches the upstream with that method,
    never as PUT; a body on HEAD is answered 400;
  - an upstream 200 (or 404) with a Location: the client gets the
    upstream's own body, never the front's file /canary.txt;
  - an unrequested 101, a status line inside the block, Content-Length
    99999999999999999999999, "N, N", "+N" and two of them: 502;
  - the names listed by a second Connection header, on the answer and on
    the request, do not pass;
  - request header values with \\x01, \\x0b, \\x0c, \\x7f: 400, nothing sent;
  - a 502 tells the client "upstream failed", not the upstream's address.
"""

import contextlib
import os
import re

import pytest

import conftest
import e2e
import front
import procs
from cases import Checks
from hostile import ROUTE, FaultUpstream, echo_values, keep, send, unix_adapter

CANARY = "canary file of the front server, never to be served as the upstream's answer"
# e2e.fetch's timeout is multiplied by SLOWDOWN: this is the guard
GUARD = procs.GUARD / procs.SLOWDOWN
TEXT = [("Content-Type", "text/plain")]


def fetch(url, method="GET", headers=(), body=None):
    return e2e.fetch(url, method, headers, body, timeout=GUARD)


class Front:
    """One front at base (http://127.0.0.1:PORT/thanos), labelled L.
    get_body "front-400": the front refuses a body on GET itself
    (lighttpd); req_conn "passed": it passes no HTTP_CONNECTION, so the
    adapter cannot know what a Connection header named (mod_fcgid)."""

    def __init__(self, L, port, get_body=None, req_conn=None):
        self.L, self.port = L, port
        self.base = "http://127.0.0.1:%d%s" % (port, ROUTE)
        self.get_body, self.req_conn = get_body, req_conn


def body_reaches(c, up, f, m, want, body, headers=TEXT, chunked=False):
    """A request with a body: the upstream's echo sees it as method m with
    its whole length (want: status, method, length); a front that refuses
    a body on GET answers its own 400 and sends nothing upstream."""
    before = up.count("%s /thanos/echo" % m)
    if chunked:
        r = send(f.port, ROUTE + "/echo", headers, m, body, chunked=True)
        status, data, how = int(r.status), r.body, "chunked"
    else:
        a = fetch(f.base + "/echo", m, headers, body)
        status, data, how = a.status, a.body, "Content-Length"
    if m == "GET" and f.get_body == "front-400":
        c.eq("%s: %s with a body (%s): the front's own 400, nothing upstream" % (f.L, m, how),
             (400, "front", before),
             (status, "adapter" if data.startswith(b"thanos-fcgi:") else "front", up.count("%s /thanos/echo" % m)))
    else:
        c.eq("%s: %s with a body (%s) reaches the upstream as %s, body whole" % (f.L, m, how, m), want,
             (status, e2e.echo_body(e2e.Answer(status, [], data))[1:3]))


def method_cases(c, up, f):
    """Bodies on methods that usually carry none."""
    puts = up.count("PUT ")
    for m in ("GET", "OPTIONS", "DELETE"):
        body_reaches(c, up, f, m, (200, (m, 3)), b"abc")
    body_reaches(c, up, f, "GET", (200, ("GET", 4)), b"abcd", [], chunked=True)
    c.eq("%s: HEAD with a body is refused" % f.L, 400, fetch(f.base + "/echo", "HEAD", TEXT, b"abc").status)
    c.eq("%s: no PUT ever reached the upstream" % f.L, puts, up.count("PUT "))


BAD_HEADS = ("switch101", "status-inside", "cl-huge", "cl-list", "cl-plus", "cl-same")


def answer_cases(c, f):
    """Upstream answers the front must not act on."""
    for case, status in (("loc200", 200), ("loc404", 404)):
        a = fetch(f.base + "/hdr?case=" + case)
        c.eq("%s: %s: the client gets the upstream's status and body, not the front's file" % (f.L, case),
             (status, b"upstream-body " + case.encode()), (a.status, a.body.rstrip(b"\n")))
        c.eq("%s: %s: no Location reaches the client" % (f.L, case), "", a.header("Location"))
    for case in BAD_HEADS:
        a = fetch(f.base + "/hdr?case=" + case)
        c.match("%s: %s: 502 from the adapter" % (f.L, case), "^502 thanos-fcgi: bad upstream header",
                "%d %s" % (a.status, a.short()))
    a = fetch(f.base + "/hdr?case=conn2")
    c.eq("%s: conn2: what a second Connection header names stays hop-by-hop" % f.L, (200, ""),
         (a.status, a.header("X-Secret")))


def request_cases(c, up, f):
    """Request headers the upstream must not get."""
    a = fetch(f.base + "/echo", headers=[("Connection", "keep-alive"), ("Connection", "X-Secret"),
                                         ("X-Secret", "1")])
    c.eq("%s: a request's second Connection header: what it names stays hop-by-hop" % f.L,
         (200, "yes" if f.req_conn == "passed" else "no"),
         (a.status, "yes" if echo_values(a.body, "X-Secret") else "no"))
    for ch in ("\x01", "\x0b", "\x0c", "\x7f"):
        before = up.count("GET /thanos/echo")
        a = fetch(f.base + "/echo", headers=[("X-Ctl", "a%sb" % ch)])
        c.eq("%s: a request header value with %r: 400, nothing reaches the upstream" % (f.L, ch),
             (400, before), (a.status, up.count("GET /thanos/echo")))


def front_cases(c, up, f):
    """Every case, through one front."""
    a = fetch(f.base + "/ok")
    c.eq("%s: set-up: a normal request" % f.L, (200, b"ok"), (a.status, a.body.rstrip(b"\n")))
    method_cases(c, up, f)
    answer_cases(c, f)
    request_cases(c, up, f)


def dead_cases(c, L, url, port, log_text):
    """A 502 for a dead upstream (at port) names it only in the log
    (log_text() its text, written on the server's own time)."""
    a = fetch(url)
    c.eq("%s: dead upstream: 502 with a generic line" % L, (502, b"thanos-fcgi: upstream failed"),
         (a.status, a.body.rstrip(b"\n")))
    names = re.compile(r"127\.0\.0\.1:%d\b" % port)  # not a pid that holds the digits

    def lines():
        return [ln for ln in log_text().splitlines() if names.search(ln)]
    try:
        last = procs.wait_for("a log line naming 127.0.0.1:%d" % port, lines)[-1]
    except procs.WaitTimeout as e:
        last = str(e)
    c.match("%s: dead upstream: the log names the upstream and libcurl's cause" % L,
            r"upstream (http://)?127\.0\.0\.1:%d failed: " % port, last)


def canary(c, L, htdocs, port):
    """The front's own file /canary.txt, which it would serve."""
    path = os.path.join(htdocs, "canary.txt")
    with open(path, "w") as f:
        f.write(CANARY + "\n")
    os.chmod(path, 0o644)
    a = fetch("http://127.0.0.1:%d/canary.txt" % port)
    c.eq("%s: set-up: the front would serve the canary" % L, (200, CANARY.encode()),
         (a.status, a.body.rstrip(b"\n")))


def nginx(lab, up, started, c):
    """deploy/nginx in front of thanos-fcgi --listen unix:; then the same
    socket served by an adapter whose upstream is dead."""
    flags = ["--threads", "8", "--web.route-prefix", ROUTE]
    a = keep(started, unix_adapter(lab, "attack", "--upstream", up.url, *flags))
    n = keep(started, front.Nginx(lab, "attack", ROUTE, a.addr))
    front_cases(c, up, Front("nginx", n.port))
    a.stop()
    a = keep(started, unix_adapter(lab, "attack", "--upstream", "http://127.0.0.1:%d" % lab.dead.port, *flags))
    dead_cases(c, "nginx", "http://127.0.0.1:%d%s/ok" % (n.port, ROUTE), lab.dead.port, a.proc.log_text)


def lighttpd(lab, up, started, c):
    """deploy/lighttpd bin-path: lighttpd spawns the adapter."""
    f = keep(started, front.Lighttpd(lab, "attack", ROUTE, [], "50-thanos-fcgi.conf", UPSTREAM=up.url,
                                   ROUTE_PREFIX=ROUTE, ROOT_PATHS=""))
    canary(c, "lighttpd", os.path.join(os.path.dirname(f.log), "htdocs"), f.port)
    front_cases(c, up, Front("lighttpd", f.port, get_body="front-400"))


def apache(lab, up, started, c, mode):
    """deploy/apache-fcgid or deploy/apache-cgi; then the same with a dead
    upstream."""
    L = mode.replace("_", " ")
    f = keep(started, front.Apache(lab, mode, "attack", [], UPSTREAM=up.url, ROUTE_PREFIX=ROUTE, ROOT_PATHS=""))
    canary(c, L, os.path.join(f.dir, "htdocs"), f.port)
    front_cases(c, up, Front(L, f.port, req_conn="passed" if mode == "apache_fcgid" else None))
    e2e.check_apache_log(c, L, f)
    f.stop()
    dead = "http://127.0.0.1:%d" % lab.dead.port
    f = keep(started, front.Apache(lab, mode, "attack_dead", [], UPSTREAM=dead, ROUTE_PREFIX=ROUTE, ROOT_PATHS=""))
    dead_cases(c, L, "http://127.0.0.1:%d%s/ok" % (f.port, ROUTE), lab.dead.port, f.log_text)


FRONTS = {"nginx": nginx, "lighttpd": lighttpd,
          "apache_fcgid": lambda *a: apache(*a, "apache_fcgid"),
          "apache_cgi": lambda *a: apache(*a, "apache_cgi")}


@pytest.fixture(scope="module")
def up(lab):
    u = FaultUpstream(lab, "attack_up")
    yield u
    u.stop()


@pytest.fixture
def started():
    with contextlib.ExitStack() as s:
        yield s


@pytest.mark.parametrize("mode", list(FRONTS))
def test_attack(lab, up, started, mode):
    """Every case of front_cases through the front `mode`, and its dead
    upstream's 502 (nginx, Apache)."""
    c = Checks("attack behind %s" % mode)
    FRONTS[mode](lab, up, started, c)
    conftest.record(mode, c)
