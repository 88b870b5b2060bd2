"""test_timeouts.py: --upstream.timeout.connect, first-byte, idle and total
(issue 4), with the adapter's settings as flags (listen) and as request
parameters (params: one cached route per mount), the same assertions in
both; the environment in CGI mode.

A timeout before the answer started is a 504 naming the upstream; after it
started, the answer is aborted (README).  The defaults must not cut a
legitimate slow query.  The upstreams are the mocks "main" and "hang"
(tests/mock/thanos_mock.py --mode hang: accepts, never answers) of
tests/cases/mounts.toml; the connect timeout needs a peer that does not
complete the TCP handshake, on loopback only: net_helpers.py blackhole
(a full accept queue: the kernel drops further SYNs).

Each duration is checked against the configured timeout by bounds.py, and
an answer a timeout cuts takes long enough (the `other` of bounds.check)
to lie outside that bound.
"""

import re
import subprocess

import pytest

import bounds
import cases as casemod
import conftest
import lab as labmod
import procs

MODES = ("listen", "params")
RP = ["--web.route-prefix", "/thanos"]
FAILED = 'msg="request failed"'
# the mock logs each connection it accepts, before it reads the request
# (the hang mock reads none)
OPENED = r"^mock: conn [0-9]+ open$"
BAD = ("--upstream.timeout.connect=abc", "--upstream.timeout.total=-1s", "--upstream.timeout.idle=5")


@pytest.fixture
def start(lab, adapters):
    """start(mode, name, UPSTREAM, FLAG, VALUE...): an adapter on the mock
    UPSTREAM ("main", "hang", or a URL) under the route prefix /thanos."""
    def one(mode, name, up, *flags):
        url = lab.mock(up).url if up in ("main", "hang") else up
        return adapters(mode, "timeouts_" + name, "--upstream", url, *flags, *RP)
    return one


def checks(name, mode):
    return casemod.Checks("timeouts: %s [%s]" % (name, mode))


def get(a, sub):
    return a.request("GET", "/thanos", sub)


def text(r):
    return r.body.decode("latin-1")


def names(lab, up):
    """The regex of a mock's address as the log writes it."""
    return re.escape("127.0.0.1:%d" % lab.mock(up).port)


def last_fail(a, before):
    """The adapter's last failed-request line, once it has logged more than
    before of them (the line may follow the answer); "" if none came."""
    if a.mode != "cgi":
        try:
            a.proc.wait_log(FAILED, before + 1)
        except procs.WaitTimeout:
            return ""
    return a.last_fail()


def fails(a):
    """How many failed-request lines the adapter has logged so far."""
    return a.proc.log_count(FAILED) if a.mode != "cgi" else 0


@pytest.mark.parametrize("mode", MODES)
def test_first_byte(lab, start, mode):
    """first-byte 1s: an answer that takes 6 s is a 504 after 1 s naming
    the upstream, method and path; one after 0.3 s passes."""
    a = start(mode, "FB", "main", "--upstream.timeout.first-byte", "1s")
    c = checks("first byte", mode)
    n = fails(a)
    r = get(a, "/-/slow?ms=6000")
    c.eq("first-byte 1s, answer after 6 s: 504", 504, r.status)
    bounds.check(c, "first-byte 1s: 504 after the timeout", 1.0, r.end, other=6.0)
    line = last_fail(a, n)
    c.match("first-byte 504: the log names the upstream", names(lab, "main"), line)
    c.match("first-byte 504: body says timeout", r"[Tt]ime(out|d out)", text(r))
    c.match("first-byte 504: one log line with method and path",
            r'msg="request failed" method=GET path="/thanos/-/slow\?ms=6000" err=".*[Tt]ime', line)
    r = get(a, "/-/slow?ms=300")
    c.eq("first-byte 1s, answer after 0.3 s: 200", 200, r.status)
    c.eq("first-byte 1s, answer after 0.3 s: body", "slow", text(r).strip())
    conftest.record(mode, c)


@pytest.mark.parametrize("mode", MODES)
def test_hanging_upstream(lab, start, mode):
    """An upstream that accepts and never answers: a 504 after the
    first-byte timeout, for a GET and for a POST with a body."""
    a = start(mode, "HANG", "hang", "--upstream.timeout.first-byte", "1s")
    c = checks("hanging upstream", mode)
    n = fails(a)
    r = get(a, "/graph")
    c.eq("first-byte 1s, upstream accepts and never answers: 504", 504, r.status)
    bounds.check(c, "hanging upstream: 504 after the timeout", 1.0, r.end)
    c.match("hanging upstream: the log names it", names(lab, "hang"), last_fail(a, n))
    r = a.request("POST", "/thanos", "/api/v1/query", {"CONTENT_TYPE": "application/x-www-form-urlencoded"},
                  body=b"query=up")
    c.eq("hanging upstream, POST with a body: 504", 504, r.status)
    bounds.check(c, "hanging upstream, POST: after the timeout", 1.0, r.end)
    conftest.record(mode, c)


@pytest.mark.parametrize("mode", MODES)
def test_late_body(lab, start, mode):
    """A long poll: the upstream sends its headers, then nothing for 1.5 s.
    The adapter holds small answers back to send them in one write, but
    never headers that wait for a body (first-byte 1s: the headers are the
    first byte)."""
    a = start(mode, "LATE", "main", "--upstream.timeout.first-byte", "1s")
    c = checks("late body", mode)
    r = get(a, "/-/bytes?n=100&head_ms=1500")
    c.match("headers, then 1.5 s until the body: Status: 200 first", r"^Status: 200( |$)", r.first_line)
    bounds.check_before(c, "headers of a late body leave ahead of it", 1.5, r.head)
    bounds.check(c, "the late body follows after the mock's 1.5 s", 1.5, r.first)
    c.eq("the late body is whole", 100, len(r.body))
    conftest.record(mode, c)


@pytest.mark.parametrize("mode", MODES)
def test_connect(lab, start, blackhole, mode):
    """connect 1s, a SYN never answered: a 504 after 1 s naming the
    upstream."""
    a = start(mode, "CONN", blackhole.url, "--upstream.timeout.connect", "1s")
    c = checks("connect", mode)
    n = fails(a)
    r = get(a, "/graph")
    c.eq("connect 1s, SYN never answered: 504", 504, r.status)
    bounds.check(c, "connect timeout: 504 after the timeout", 1.0, r.end)
    c.match("connect timeout: the log names the upstream", re.escape("127.0.0.1:%d" % blackhole.port),
            last_fail(a, n))
    conftest.record(mode, c)


@pytest.mark.parametrize("mode", MODES)
def test_total(lab, start, mode):
    """total 1500ms: a 504 before the answer starts; a stream that had
    started is cut (200, short body, logged as a timeout); a 0.5 s answer
    passes."""
    a = start(mode, "TOTAL", "main", "--upstream.timeout.total", "1500ms")
    c = checks("total", mode)
    r = get(a, "/-/slow?ms=6000")
    c.eq("total 1500ms before the answer starts: 504", 504, r.status)
    bounds.check(c, "total 1500ms: 504 after the timeout", 1.5, r.end, other=6.0)
    # 20 kB in 1 kB pieces every 200 ms: about 4 s, cut at 1.5 s
    n = fails(a)
    r = get(a, "/-/bytes?n=20000&chunk=1000&delay_ms=200&chunked=1")
    c.eq("total 1500ms, streaming 4 s: the answer had started (200)", 200, r.status)
    bounds.check(c, "total 1500ms, streaming: cut after the timeout", 1.5, r.end, other=4.0)
    c.true("total 1500ms, streaming: body cut short (bytes of 20000)", 1 <= len(r.body) <= 15000,
           "%d in [1, 15000]" % len(r.body))
    c.match("total 1500ms, streaming: logged as a timeout",
            r'msg="request failed" method=GET path="/thanos/-/bytes.* err=".*([Tt]ime|[Tt]imeout)', last_fail(a, n))
    r = get(a, "/-/slow?ms=500")
    c.eq("total 1500ms, answer in 0.5 s: 200", 200, r.status)
    conftest.record(mode, c)


@pytest.mark.parametrize("mode", MODES)
def test_idle(lab, start, mode):
    """idle 1s: a 5 s silence in the middle of the answer cuts it; a stream
    that keeps flowing is not cut; idle does not apply before the first
    byte (first-byte does)."""
    a = start(mode, "IDLE", "main", "--upstream.timeout.idle", "1s")
    c = checks("idle", mode)
    # 1 kB, then 5 s of silence: cut 1 s into the silence
    n = fails(a)
    r = get(a, "/-/bytes?n=3000&chunk=1000&delay_ms=5000&chunked=1")
    c.eq("idle 1s, 5 s gap: the answer had started (200)", 200, r.status)
    bounds.check(c, "idle 1s, 5 s gap: cut after the timeout", 1.0, r.end, other=5.0)
    c.true("idle 1s: body cut short (bytes of 3000)", 1 <= len(r.body) <= 2999, "%d in [1, 2999]" % len(r.body))
    c.match("idle 1s: logged as an idle timeout", r'msg="request failed" method=GET path="/thanos/-/bytes.* err=".*idle',
            last_fail(a, n))
    # a piece every 300 ms, 3 s in all
    r = get(a, "/-/bytes?n=10000&chunk=1000&delay_ms=300&chunked=1")
    c.match("idle 1s, a piece every 0.3 s for 3 s: Status: 200 first", r"^Status: 200( |$)", r.first_line)
    c.eq("idle 1s, flowing stream: whole", 10000, len(r.body))
    c.eq("idle 1s, flowing stream: sha256", r.header("X-Body-Sha256"), labmod.sha256(r.body))
    r = get(a, "/-/slow?ms=2000")
    c.eq("idle 1s, 2 s until the first byte: 200", 200, r.status)
    conftest.record(mode, c)


@pytest.mark.parametrize("mode", MODES)
def test_defaults(lab, start, mode):
    """The default timeouts wait for a legitimate 3 s answer."""
    a = start(mode, "DEF", "main")
    c = checks("defaults", mode)
    r = get(a, "/-/slow?ms=3000")
    c.eq("default timeouts, a legitimate 3 s answer: 200", 200, r.status)
    c.eq("default timeouts, 3 s answer: body", "slow", text(r).strip())
    bounds.check(c, "default timeouts, 3 s answer: waited for it", 3.0, r.end)
    conftest.record(mode, c)


def test_help_defaults(lab):
    """The defaults as --help gives them."""
    c = checks("--help", "flags")
    out = subprocess.run([lab.binary, "--help"], env=lab.clean_env, capture_output=True, text=True,
                         timeout=procs.GUARD).stdout.replace("\n", " ")
    m = re.search(r"upstream\.timeout\.connect.*timeout\.total=DURATION.{0,200}", out)
    c.match("defaults per --help: connect 5s, first byte 5m, idle 5m, total 30m",
            r"connect.*default 5s.*first-byte.*default 5m.*idle.*default 5m.*total.*default 30m",
            m.group(0) if m else "")
    conftest.record("flags", c)


@pytest.mark.parametrize("mode", MODES)
def test_not_retried(lab, start, mode):
    """A first-byte timeout after the request was sent is not retried on
    the next replica (the query is not run twice), and is not a down mark.
    Which replica comes first is the round robin's: the hanging mock's
    connections tell (it reads no request)."""
    hang, main = lab.mock("hang"), lab.mock("main")
    a = start(mode, "TWO", "hang", "--upstream", main.url, "--upstream.timeout.first-byte", "1s")
    c = checks("not retried", mode)
    hit = False
    for i in range(1, 5):
        h0, m0 = hang.proc.log_count(OPENED), len(main.requests())
        r = get(a, "/-/echo?try=%d" % i)
        if hang.proc.log_count(OPENED) > h0:
            hit = True
            c.eq("hang + live replica, request sent to the hanging one: 504", 504, r.status)
            c.eq("hang + live replica: the query is not run twice", m0, len(main.requests()))
            bounds.check(c, "hang + live replica: 504 after the timeout", 1.0, r.end)
            break
        c.eq("hang + live replica, live one first (try %d): 200" % i, 200, r.status)
    c.true("hang + live replica: a request reached the hanging one", hit)
    c.eq("a first-byte timeout is not a down mark", 0, a.proc.log_count("marked down"))
    conftest.record(mode, c)


@pytest.mark.parametrize("mode", ["cgi"])
def test_cgi(lab, start, mode):
    """The environment, CGI mode: THANOS_FCGI_UPSTREAM_TIMEOUT_FIRST_BYTE=1s
    and a hanging upstream."""
    a = start("cgi", "CGIFB", "hang", "--upstream.timeout.first-byte", "1s")
    c = checks("CGI", "cgi")
    r = get(a, "/graph")
    c.match("CGI, THANOS_FCGI_UPSTREAM_TIMEOUT_FIRST_BYTE=1s, hanging upstream: Status: 504 first",
            r"^Status: 504( |$)", r.first_line)
    bounds.check(c, "CGI, hanging upstream: 504 after the timeout", 1.0, r.end)
    c.match("CGI, hanging upstream: the log names it", names(lab, "hang"), a.last_fail())
    c.match("CGI, hanging upstream: body says timeout", r"[Tt]ime(out|d out)", text(r))
    conftest.record("cgi", c)


@pytest.mark.parametrize("mode", ["cgi"] + list(MODES))
def test_bad_values(lab, start, mode):
    """Bad values are refused: as flags (listen) the process exits 2 at
    start with a line naming the option; as the environment (CGI) or a
    request parameter (params), the request is refused naming its
    THANOS_FCGI_* variable (CGI: exit 2)."""
    c = checks("bad values", mode)
    for v in BAD:
        flag, value = v.split("=", 1)
        env = lab.flags[flag].env
        if mode == "listen":
            p = subprocess.run([lab.binary, v, "--listen", "127.0.0.1:%d" % procs.free_port()], env=lab.clean_env,
                               stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=procs.GUARD)
            c.eq("%s: exit 2" % v, 2, p.returncode)
            c.match("%s: one line naming the option" % v, re.escape(flag), p.stdout + p.stderr)
            continue
        a = start(mode, "BAD", "main", flag, value)
        r = get(a, "/graph")
        if mode == "cgi":
            c.eq("%s=%s: exit 2" % (env, value), 2, r.rc)
        else:
            c.eq("%s=%s as a request parameter: 500" % (env, value), 500, r.status)
        c.match("%s=%s: the answer names it" % (env, value), re.escape(env), text(r))
        a.stop()
    conftest.record(mode, c)
