"""test_frontend.py: the web-server side of the adapter (issue 10, cases 2,
7 and 8), against the mock Thanos (tests/mock/thanos_mock.py):
  - connections that stall (one byte, a bare BEGIN_REQUEST, params with no
    FCGI_STDIN, a body that stops, an answer nobody reads) against
    --threads N: each is closed after --client.timeout.idle and logged, and
    the service answers the next request within that bound;
  - record streams that crashed libfcgi (kept fuzz_fcgi inputs): refused,
    the process serves on;
  - --listen failures: a busy port, a missing directory, a live unix socket
    (left alone), a stale one (replaced), a path that is not a socket
    (never removed): one line and exit status 2; --listen.mode and
    --listen.group on the socket file;
  - a 502 names no upstream unless --web.error-detail (or its request
    parameter) says so;
  - CGI: a bad setting or an unknown THANOS_FCGI_ name answers 500 naming
    the variable; a body shorter than CONTENT_LENGTH answers 400.
"""

import glob
import grp
import os
import re
import signal
import socket
import stat
import struct
import time

import pytest

import bounds
import conftest
import frontend
import lab as labmod
import procs
from frontend import RP, UP, adapter, checks, first_line, logfmt_head, settle, start_fails, status_is, text

started = frontend.started  # the fixture: what a test starts is stopped

STALL_ENV = {"REQUEST_METHOD": "GET", "SCRIPT_NAME": "/thanos", "REQUEST_URI": "/thanos/-/echo",
             "PATH_INFO": "/-/echo", "QUERY_STRING": "", "HTTP_HOST": "x"}
SHAPES = ("byte", "begin", "params", "body", "unread")
LISTENING = r'level=info caller=main\.c:[0-9]+ msg="listening on'


def stall_bytes(shape):
    """What a connection of that shape sends before it stalls."""
    fc = labmod.fcgi_client
    begin = fc.record(fc.BEGIN, struct.pack(">HB5x", fc.RESPONDER, fc.KEEP_CONN))
    env = dict(STALL_ENV)
    if shape == "byte":
        return b"\x01"
    if shape == "begin":
        return begin
    if shape == "body":
        env.update(REQUEST_METHOD="POST", CONTENT_LENGTH="100")
    if shape == "unread":
        env.update(REQUEST_URI="/thanos/-/bytes?n=67108864&chunked=1", PATH_INFO="/-/bytes",
                   QUERY_STRING="n=67108864&chunked=1")
    head = begin + fc.record(fc.PARAMS, fc.encode_params(env)) + fc.record(fc.PARAMS, b"")
    return head + {"params": b"", "body": fc.record(fc.STDIN, b"x" * 10), "unread": fc.record(fc.STDIN, b"")}[shape]


def open_stalls(addr, started):
    """One connection per shape, all opened first, then each stalled."""
    host, port = addr.rsplit(":", 1)
    socks = []
    for _ in SHAPES:
        s = socket.socket()
        started.append(s)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # "unread" fills it soon
        s.connect((host, int(port)))
        socks.append(s)
    for s, shape in zip(socks, SHAPES):
        s.sendall(stall_bytes(shape))


def busy_workers(pid):
    """How many threads of the adapter pid are off epoll_wait (serving, or
    stuck in a read or write); the main thread (in sigwait) is no worker."""
    n = 0
    for t in glob.glob("/proc/%d/task/*" % pid):
        if t.endswith("/%d" % pid):
            continue
        try:
            with open(t + "/wchan") as f:
                idle = f.read().strip() == "ep_poll"
        except OSError:
            idle = True  # the thread has gone
        n += not idle
    return n


@pytest.mark.parametrize("mode", ["listen"])
def test_stalls(lab, started, mode):
    """5 stalled connections against --threads 5: the next request is
    answered once --client.timeout.idle has closed them, each one logged."""
    n, tmo = len(SHAPES), 2.0
    a = adapter(lab, started, mode, "FE_STALL", RP + ["--threads", str(n), "--client.timeout.idle",
                                                      "%dms" % (tmo * 1000)])
    c = checks("stalls", mode)
    status_is(c, "stalls: a request before any stall", a.request("GET", "/thanos", "/-/echo"), 200)
    open_stalls(a.addr, started)
    c.eq("stalls: they hold all %d threads" % n, n, settle(lambda: busy_workers(a.proc.pid), n))
    t0 = time.monotonic()
    r = a.request("GET", "/thanos", "/-/echo")
    took = time.monotonic() - t0
    status_is(c, "stalls: %d stalled connections against --threads %d: the next request is answered"
              % (n, n), r, 200)
    b = (0.0, bounds.configured_bound(tmo)[1])
    c.true("stalls: ... once --client.timeout.idle %gs closed them (at most the configured %g s)"
           % (tmo, tmo), bounds.within(took, b), bounds.show(took, b))
    c.eq("stalls: each stalled connection was closed and logged", n,
         settle(lambda: a.proc.log_count(r"client\.timeout\.idle"), n))
    status_is(c, "stalls: the service still answers afterwards", a.request("GET", "/thanos", "/-/echo"), 200)
    conftest.record(mode, c)


def send_stream(addr, path):
    """The records of a kept fuzz_fcgi input, on a connection of their own
    (its first byte is fuzz_fcgi's write size, not sent)."""
    with open(path, "rb") as f:
        data = f.read()[1:]
    host, port = addr.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=procs.GUARD) as s:
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            s.recv(65536)
        except OSError:
            pass


@pytest.mark.parametrize("mode", ["listen"])
def test_record_streams(lab, started, mode):
    """Record streams that made libfcgi abort the whole process (a pair
    length near 2^31, in PARAMS or FCGI_GET_VALUES, or after a padded
    BEGIN) or lose memory (other management records): refused before
    libfcgi reads them, logged, and the same process serves on."""
    a = adapter(lab, started, mode, "FE_REC", RP + ["--threads", "2"])
    c = checks("record streams", mode)
    for f in sorted(glob.glob(os.path.join(labmod.TOP, "tests", "fuzz", "crashes", "fuzz_fcgi", "*"))):
        send_stream(a.addr, f)
        label = "record stream %s" % os.path.basename(f)
        status_is(c, "%s: the same adapter still serves" % label, a.request("GET", "/thanos", "/-/echo"), 200)
        c.true("%s: it runs" % label, a.proc.running())
    settle(lambda: a.proc.log_count("refused"), 1)
    c.match("record streams: the refusals are logged", "FastCGI connection refused: ",
            first_line(a.proc.log_text(), "refused"))
    conftest.record(mode, c)


@pytest.mark.parametrize("mode", ["listen"])
def test_keep(lab, started, mode):
    """Kept connections hold no thread and are not timed out between
    requests."""
    a = adapter(lab, started, mode, "FE_KEEP", RP + ["--threads", "1", "--client.timeout.idle", "5s"])
    c = checks("keep", mode)
    status_is(c, "keep: an idle kept connection does not count as a stall",
              a.request("GET", "/thanos", "/-/echo"), 200)
    conftest.record(mode, c)


def listening_socket(started):
    """A port of 127.0.0.1 something listens on for the whole test."""
    s = socket.socket()
    started.append(s)
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    return s.getsockname()[1]


@pytest.mark.parametrize("mode", ["listen"])
def test_listen_fails(lab, started, mode):
    """--listen on a busy port, in a missing directory, on a file that is
    not a socket (left alone), --listen.mode on a TCP socket: exit 2 with
    one line saying what failed."""
    rp = [lab.expand(x) for x in RP]
    head = logfmt_head("error")
    busy = listening_socket(started)
    c = checks("--listen failures", mode)
    start_fails(c, lab, "busy port", r'\A%s"--listen 127\.0\.0\.1:%d: bind failed: Address already in use"\Z'
                % (head, busy), ["--listen", "127.0.0.1:%d" % busy] + rp)
    missing = os.path.join(lab.dir, "none", "s.sock")
    start_fails(c, lab, "missing socket directory", r'\A%s"--listen unix:%s: bind failed: No such file or '
                r'directory"\Z' % (head, re.escape(missing)), ["--listen", "unix:" + missing] + rp)
    plain = os.path.join(lab.dir, "plain.file")
    open(plain, "w").close()
    start_fails(c, lab, "a path that is not a socket", "not a socket", ["--listen", "unix:" + plain] + rp)
    c.true("a path that is not a socket: the file is left alone", os.path.isfile(plain))
    start_fails(c, lab, "mode on a TCP socket", "only a unix: socket",
                ["--listen", "127.0.0.1:%d" % busy, "--listen.mode", "0660"] + rp)
    conftest.record(mode, c)


class OnPath(labmod.Adapter):
    """A unix adapter started on a path as it is (the lab's own start
    removes a file there first), not waited for."""

    def __init__(self, lab, name, path):
        self.path = path
        super().__init__(lab, "unix", name, {"flags": RP})

    def start(self):
        self.addr = self.path
        argv = [self.lab.binary, "--listen", "unix:" + self.addr] + self.argv
        self.proc = procs.Proc("adapter " + self.name, argv, self.log,
                               env=dict(self.lab.clean_env, **self.proc_env))


@pytest.mark.parametrize("mode", ["unix"])
def test_unix_live_stale(lab, started, mode):
    """A live unix socket is left to its owner (the second start exits 2);
    one left behind by a killed adapter is replaced."""
    a = adapter(lab, started, mode, "FE_LIVE", RP)
    c = checks("unix sockets", mode)
    start_fails(c, lab, "a live unix socket", "a running process listens there",
                ["--listen", "unix:" + a.addr] + [lab.expand(x) for x in RP])
    status_is(c, "a live unix socket: its owner still serves on it", a.request("GET", "/thanos", "/-/echo"), 200)
    os.kill(a.proc.pid, signal.SIGKILL)
    a.proc.wait_exit()
    c.true("a killed adapter leaves its socket file behind (the stale case)",
           os.path.exists(a.addr) and stat.S_ISSOCK(os.stat(a.addr).st_mode))
    s = OnPath(lab, "FE_STALE", a.addr)
    started.append(s)
    c.eq("a stale unix socket is replaced", 1, settle(lambda: s.proc.log_count(LISTENING), 1))
    status_is(c, "a stale unix socket: the new adapter serves on it", s.request("GET", "/thanos", "/-/echo"), 200)
    conftest.record(mode, c)


def some_group():
    """www-data where it exists, else our own group."""
    try:
        return grp.getgrnam("www-data").gr_name
    except KeyError:
        return grp.getgrgid(os.getgid()).gr_name


@pytest.mark.parametrize("mode", ["unix"])
def test_unix_mode_group(lab, started, mode):
    """--listen.mode and --listen.group set the socket file's mode and
    group; an unknown group stops the start."""
    g = some_group()
    a = adapter(lab, started, mode, "FE_MODEG", RP + ["--listen.mode", "0660", "--listen.group", g])
    c = checks("unix socket mode", mode)
    st = os.stat(a.addr)
    c.eq("--listen.mode 0660 --listen.group %s: the socket's mode and group" % g, "660 %s" % g,
         "%o %s" % (stat.S_IMODE(st.st_mode), grp.getgrgid(st.st_gid).gr_name))
    status_is(c, "--listen.mode/--listen.group: serves", a.request("GET", "/thanos", "/-/echo"), 200)
    start_fails(c, lab, "an unknown group", "no such group",
                ["--listen", "unix:" + os.path.join(lab.dir, "g.sock"), "--listen.group", "no-such-group-x"]
                + [lab.expand(x) for x in RP])
    conftest.record(mode, c)


@pytest.mark.parametrize("mode", ["listen"])
def test_error_detail(lab, started, mode):
    """A 502 tells the client what failed, not where, unless
    --web.error-detail or its request parameter says so."""
    dead = ["--upstream", "http://127.0.0.1:${dead}", "--web.route-prefix", "/thanos"]
    cause = r"\Athanos-fcgi: upstream http://127\.0\.0\.1:%d failed: " % lab.dead.port
    gen = adapter(lab, started, mode, "FE_GEN", dead)
    c = checks("error detail", mode)
    c.eq("a 502 tells the client what failed, not where", "thanos-fcgi: upstream failed",
         text(gen.request("GET", "/thanos", "/graph")))
    c.match("THANOS_FCGI_ERROR_DETAIL=true (per mount): the cause too", cause,
            text(gen.request("GET", "/thanos", "/graph", {"THANOS_FCGI_ERROR_DETAIL": "true"})))
    det = adapter(lab, started, mode, "FE_DET", dead + ["--web.error-detail"])
    c.match("--web.error-detail: the cause too", cause, text(det.request("GET", "/thanos", "/graph")))
    conftest.record(mode, c)


def last_line(path):
    with open(path, "rb") as f:
        lines = f.read().decode("utf-8", "replace").splitlines()
    return lines[-1] if lines else ""


@pytest.mark.parametrize("mode", ["cgi"])
def test_cgi_setup_errors(lab, started, mode):
    """CGI: a bad setting or an unknown THANOS_FCGI_ name answers 500 naming
    the variable (and logs it); a body shorter than CONTENT_LENGTH, 400."""
    c = checks("CGI set-up errors", mode)
    bad = adapter(lab, started, mode, "FE_BADRP", env={"THANOS_FCGI_UPSTREAM": UP,
                                                        "THANOS_FCGI_ROUTE_PREFIX": "thanos"})
    r = bad.request("GET", "/thanos", "/graph")
    status_is(c, "CGI, THANOS_FCGI_ROUTE_PREFIX=thanos", r, 500)
    c.match("CGI, bad setting: the answer names the variable", r"\Athanos-fcgi: THANOS_FCGI_ROUTE_PREFIX: ", text(r))
    typo = adapter(lab, started, mode, "FE_TYPO", env={"THANOS_FCGI_UPSTREM": UP,
                                                        "THANOS_FCGI_ROUTE_PREFIX": "/thanos"})
    r = typo.request("GET", "/thanos", "/graph")
    status_is(c, "CGI, THANOS_FCGI_UPSTREM (a typo)", r, 500)
    c.eq("CGI, unknown variable: the answer names it", "thanos-fcgi: THANOS_FCGI_UPSTREM: unknown variable", text(r))
    c.match("CGI, unknown variable: the log says so too", "THANOS_FCGI_UPSTREM: unknown variable",
            last_line(lab.cgi_log))
    short = adapter(lab, started, mode, "FE_SHORT", RP)
    r = short.request("POST", "/thanos", "/-/echo", {"CONTENT_LENGTH": "10"}, body=b"abc")
    status_is(c, "CGI, a body of 3 bytes for CONTENT_LENGTH 10", r, 400)
    c.match("CGI, short body: the answer says so", "ended before CONTENT_LENGTH", text(r))
    conftest.record(mode, c)
