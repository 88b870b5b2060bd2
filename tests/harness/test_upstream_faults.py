"""test_upstream_faults.py: hostile or broken upstreams, through a real front
server (issue 5).

nginx with the files of deploy/nginx/ (only the @PLACEHOLDERS@ filled in),
mount /thanos, passes requests to thanos-fcgi --listen unix:SOCKET, whose
upstream is tests/mock/thanos_mock.py --mode fault under the route prefix
/up (so the Location rewrite /up -> /thanos is in play too).  A second nginx
uses thanos-fcgi-location-params.conf to send the same adapter to a port
that refuses.

--threads 18: deploy/nginx keeps up to 2 x 8 idle FastCGI connections and
each holds a thread (deploy/two-replicas-mtls/thanos-fcgi.conf), plus two.
--upstream.timeout.first-byte 2s for the hanging upstream.

After each fault: the same adapter process answers the next request, and the
upstream has no answer in progress left (the adapter let go of the faulty
transfer).  X-Accel-Redirect: nginx's html/etc/passwd is a canary file,
which nginx would serve if the header got through.
"""

import re
import time

import pytest

import bounds
import e2e
import fault_front as ff
import procs
from fault_front import MOUNT, get, recorded

pytestmark = pytest.mark.parametrize("mode", ["nginx"])

FIRST_BYTE = 2.0
# One request never waits longer than the bound of the slowest, the
# first-byte timeout: an adapter that stops answering fails the checks
# without stretching the run.
REQUEST = bounds.configured_bound(FIRST_BYTE)[1]
CANARY = "CANARY-root:x:0:0:served-from-disk"
RESET_LENGTH = 10 * 1024 * 1024  # what the mock's /reset announces


@pytest.fixture(scope="module")
def up(lab):
    """The fault upstream at /up, the adapter, nginx with the canary, and
    the nginx of the params location that sends it to a refusing port."""
    f = ff.FaultFront(lab, "uf", "/up", ["--threads", "18", "--web.route-prefix", "/up",
                                         "--upstream.timeout.first-byte", "%gs" % FIRST_BYTE])
    try:
        ff.canary(f.nginx, CANARY)
        f.dead = f.front("uf_dead", "thanos-fcgi-location-params.conf", UPSTREAM="http://127.0.0.1:%d" % lab.dead.port,
                         ROUTE_PREFIX="/up", ROOT_PATHS="")
        # set-up, not checks: a normal request, and the canary nginx would serve
        g = get(f.url + MOUNT + "/ok", REQUEST)
        assert (g.outcome, g.status, g.body) == ("complete", 200, b"ok\n"), "set-up: a normal request through nginx"
        g = get(f.url + "/etc/passwd", REQUEST)
        assert (g.status, g.body) == (200, (CANARY + "\n").encode()), "set-up: nginx serves the canary"
        yield f
    finally:
        f.stop()


def fetch(up, sub):
    """One request through nginx to /thanos + sub."""
    return get(up.url + MOUNT + sub, REQUEST)


def test_refused(up, mode):
    """The upstream refuses the connection: 502, text/plain, one generic
    line (the address is in the log, not the answer)."""
    with recorded("upstream refuses") as c:
        e2e.check_dead_upstream(c, "refused", up.dead.url + MOUNT + "/api/v1/query?query=up")
        up.after(c, "refused")


def test_never_answers(up, mode):
    """Accepts, never answers: the adapter's 504 after the first-byte
    timeout, the log names the upstream and the timeout."""
    with recorded("upstream never answers") as c:
        mark = up.adapter.proc.log_count(" failed: ")
        t0 = time.monotonic()
        g = fetch(up, "/hang")
        t = time.monotonic() - t0
        c.eq("never answers: 504", 504, g.status)
        c.eq("never answers: the adapter's generic answer", "thanos-fcgi: upstream timed out ", g.short())
        try:
            up.adapter.proc.wait_log(" failed: ", mark + 1)
        except procs.WaitTimeout:
            pass
        last = ([ln for ln in up.adapter.proc.log_text().splitlines() if " failed: " in ln] or [""])[-1]
        c.match("never answers: the log names the upstream and the timeout",
                re.escape("upstream %s failed: first-byte timeout" % up.up.url), last)
        b = bounds.configured_bound(FIRST_BYTE)
        c.true("never answers: 504 after the first-byte timeout (configured %g s)" % FIRST_BYTE,
               bounds.within(t, b), bounds.show(t, b))
        up.after(c, "never answers")


RESETS = ["after=0&how=rst", "after=1000&how=rst", "after=1048576&how=rst", "after=1048576&how=fin",
          "after=1000&how=rst&te=chunked", "after=1048576&how=rst&te=chunked", "after=1048576&how=fin&te=chunked"]


@pytest.mark.parametrize("v", RESETS)
def test_reset_mid_body(up, mode, v):
    """A reset or close in the middle of the body: the client sees an
    aborted answer, never a truncated one that looks whole nor one left
    waiting."""
    with recorded("reset mid-body (%s)" % v) as c:
        g = fetch(up, "/reset?" + v)
        c.eq("reset mid-body (%s): the client sees an aborted answer (curl exit 18, 52 or 56; not a truncated "
             "body that looks whole, nor a client left waiting: %d, %d bytes)" % (v, g.status, len(g.body)),
             "aborted", g.outcome)
        c.true("reset mid-body (%s): less than announced arrived (%d bytes)" % (v, len(g.body)),
               len(g.body) < RESET_LENGTH)
        up.after(c, "reset mid-body (%s)" % v)


def test_garbage(up, mode):
    """Bytes that are not HTTP: the adapter's 502 one-liner."""
    with recorded("upstream answers garbage") as c:
        g = fetch(up, "/garbage")
        c.eq("garbage: 502", 502, g.status)
        c.eq("garbage: the adapter's one line", "thanos-fcgi: upstream failed ", g.short())
        up.after(c, "garbage")


@pytest.mark.parametrize("v", ["bighead?mb=16", "longline?mb=16"])
def test_megabytes_of_headers(up, mode, v):
    """16 MiB of header lines, or one header line of 16 MiB: a 502, and the
    adapter stopped reading (the upstream could not send it all)."""
    with recorded("megabytes of headers (%s)" % v) as c:
        mark = len(up.up_lines())
        g = fetch(up, "/" + v)
        c.eq("%s: 502" % v, 502, g.status)
        c.match("%s: the adapter's one generic line" % v, r"^thanos-fcgi: (bad upstream header|upstream failed) $",
                g.short())
        up.after(c, v)
        line = up.up_line(mark, r"%s: (write-failed|sent all)" % v.split("?")[0])
        c.match("%s: the adapter stopped reading: the upstream could not send it all" % v,
                r"write-failed after [0-9]+ bytes", line)


def test_peak_rss(up, mode):
    """After the megabytes of headers: the adapter never held them."""
    with recorded("peak RSS") as c:
        up.check_peak_rss(c, "megabytes of headers", 64)


def test_accel_sendfile(up, mode):
    """X-Accel-Redirect, X-Sendfile, X-Sendfile2, X-LIGHTTPD-send-file:
    /etc/passwd from the upstream: none reaches nginx or the client, the
    upstream's own status and body do (not nginx's canary file)."""
    with recorded("X-Accel-Redirect, X-Sendfile") as c:
        a = fetch(up, "/hdr?case=accel")
        c.eq("X-Accel-Redirect: /etc/passwd: the upstream's status and body, nothing from disk",
             (200, b"upstream-body accel\n"), (a.status, a.body))
        c.eq("X-Accel-*: none reaches the client", [], a.names(r"x-accel"))
        up.after(c, "X-Accel-Redirect")
        s = fetch(up, "/hdr?case=sendfile")
        c.eq("X-Sendfile, X-Sendfile2, X-LIGHTTPD-send-file: /etc/passwd: the upstream's status and body",
             (200, b"upstream-body sendfile\n"), (s.status, s.body))
        c.eq("X-Sendfile*: none reaches the client", [], s.names(r"x-(sendfile|lighttpd)"))
        c.eq("no /etc/passwd content in either answer", [],
             re.findall(rb"root:|CANARY", a.body + s.body))
        up.after(c, "X-Sendfile")


def test_status_header(up, mode):
    """A Status: header from the upstream sets nothing: the real status
    stays, the header is not passed on, no Location appears."""
    with recorded("Status: from the upstream") as c:
        g = fetch(up, "/hdr?case=status")
        c.eq("Status: 200 OK on a 418: the real status stays", (418, b"upstream-body status\n"), (g.status, g.body))
        c.eq("Status: not passed on", "", g.header("Status"))
        g = fetch(up, "/hdr?case=status302")
        c.eq("Status: 302 Found on a 200: the real status stays", (200, b"upstream-body status302\n"),
             (g.status, g.body))
        c.eq("Status: 302 Found on a 200: no Location", "", g.header("Location"))
        up.after(c, "Status:")


BROKEN = ["loc-cr", "loc-crcr", "loc-nul", "loc-fold", "cookie-cr", "no-colon", "space-name", "bad-status",
          "status-cr"]


@pytest.mark.parametrize("case", BROKEN)
def test_broken_header(up, mode, case):
    """CR, LF or NUL in a header value, a folded line, a line without a
    colon or with a space before it, a broken status line: a 502, and
    nothing of the injected header (nor the Location) reaches the client."""
    with recorded("broken header %s" % case) as c:
        g = fetch(up, "/hdr?case=" + case)
        c.eq("%s: 502" % case, 502, g.status)
        c.eq("%s: no injected header reaches the client" % case, "", g.header("X-Injected"))
        c.eq("%s: no Location reaches the client" % case, "", g.header("Location"))
        up.after(c, case)


def test_encoded_crlf(up, mode):
    """A Location with an encoded CR LF is text: passed on, rewritten from
    the route prefix /up to the mount, and injects nothing."""
    with recorded("Location with an encoded CR LF") as c:
        g = fetch(up, "/hdr?case=loc-pct")
        c.eq("Location with an encoded CR LF: passes as text, rewritten under the mount",
             (302, "/thanos/a%0d%0aX-Injected:%20pct"), (g.status, g.header("Location")))
        c.eq("Location with an encoded CR LF: no injected header", "", g.header("X-Injected"))
        up.after(c, "loc-pct")


@pytest.mark.parametrize("case", ["te-cl", "dup-cl"])
def test_framing(up, mode, case):
    """A Content-Length beside chunked (RFC 9112 6.3: the length is
    ignored), two Content-Lengths that disagree (an error): the whole body
    or a 502, never a shorter body that looks complete; and what the
    upstream sent past the length the adapter went by never becomes the
    answer to a later request on the same upstream connection."""
    with recorded("framing %s" % case) as c:
        g = fetch(up, "/hdr?case=" + case)
        whole = (g.outcome, g.status, g.body) == ("complete", 200, ("upstream-body %s\n" % case).encode())
        c.true("%s: the whole body or a 502" % case, whole or (g.outcome, g.status) == ("complete", 502),
               "a body that is not the upstream's, presented as complete: %s, %d, %d bytes %r (want the 20-byte "
               "'upstream-body %s' or a 502)" % (g.outcome, g.status, len(g.body), g.short(), case))
        up.after(c, case)
        bad = []
        for i in range(1, 31):
            n = fetch(up, "/ok?i=%d" % i)
            if (n.status, n.body) != (200, b"ok\n"):
                bad.append("%d %r" % (n.status, n.short()))
        c.eq("%s: the next 30 requests all get their own answer%s" % (case, " (one got: %s)" % bad[-1] if bad else ""),
             30, 30 - len(bad))


def test_same_process(up, mode):
    """One adapter process took every fault."""
    with recorded("the adapter") as c:
        c.true("the adapter: the same process all along (pid %d)" % up.adapter.proc.pid, up.alive())
