"""test_threads.py: --threads N, kept FastCGI connections, SIGTERM and
SIGHUP (issue 4), on adapters of their own against the mock "main".

One process serves N requests at once (one libcurl handle and connection
cache per thread); one thread stays the default.  SIGTERM lets running
requests finish, bounded by --shutdown.grace, then exits 0; SIGHUP changes
nothing.  Every wait is on an event (a port, an answer, a connection the
mock accepted, a process exit); every duration is checked with bounds.py.
"""

import concurrent.futures
import os
import signal
import subprocess
import time

import pytest

import bounds
import cases as casemod
import conftest
import lab as labmod
import procs

fcgi_client = labmod.fcgi_client
# the mock logs each connection it accepts, before it reads the request
OPENED = r"^mock: conn [0-9]+ open$"
AT_ONCE = bounds.configured_bound(0)


class Rig:
    """The adapters and the kept connections of one test, all closed at its
    end, pass or fail."""

    def __init__(self, lab):
        self.lab = lab
        self.up = lab.mock("main")
        self.adapters = []
        self.socks = []

    def adapter(self, mode, name, *flags, env=None):
        """Starts thanos-fcgi in mode against the mock (route prefix
        /thanos), with flags and its process environment env."""
        spec = {"flags": ["--upstream", self.up.url, "--web.route-prefix", "/thanos"] + list(flags),
                "env": env or {}}
        return labmod.Kept(self.adapters, self.lab, mode, name, spec)

    def keep(self, a, n):
        """n GET /-/echo one after the other on one connection with
        FCGI_KEEP_CONN, as nginx's keepalive pool (always id 1), the
        connection left open and idle; returns each answer's status (None
        for one that did not come)."""
        s = fcgi_client.connect(a.addr, timeout=procs.GUARD)
        self.socks.append(s)
        got = []
        for _ in range(n):
            fcgi_client.send_request(s, dict(a.params, **a.cgi_vars("GET", "/thanos", "/-/echo")),
                                     keep_conn=True)
            try:
                raw = b"".join(c for t, c in fcgi_client.read_records(s) if t == fcgi_client.STDOUT)
            except fcgi_client.ProtocolError:
                raw = b""
            got.append(labmod.Response(raw, None, None, None, False).status)
        return got

    def close(self):
        for s in self.socks:
            s.close()
        for a in self.adapters:
            a.stop()


@pytest.fixture
def rig(lab):
    r = Rig(lab)
    yield r
    r.close()


def checks(name, mode="listen"):
    return casemod.Checks("%s [%s]" % (name, mode))


def logged(a, pattern):
    """Whether the adapter's log has a line matching pattern (waits for it:
    the process writes its log on its own time)."""
    try:
        return bool(a.proc.wait_log(pattern))
    except procs.WaitTimeout:
        return False


def answered(r):
    return r.status == 200 and r.body.strip() == b"slow"


def parallel(a, n, ms):
    """n GET /-/slow?ms=ms at once; (seconds until all were answered, how
    many were 200 with the body "slow")."""
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(n) as pool:
        got = list(pool.map(lambda _: a.request("GET", "/thanos", "/-/slow?ms=%d" % ms), range(n)))
    return time.monotonic() - t0, sum(answered(r) for r in got)


def served(a):
    """How many of 3 new connections are answered 200 at once (a thread
    held by a kept connection would leave them waiting)."""
    got = [a.request("GET", "/thanos", "/-/echo") for _ in range(3)]
    return sum(r.status == 200 and bounds.within(r.end, AT_ONCE) for r in got)


def under_way(pool, a, up, sub):
    """GET sub to a in pool, back once the mock has accepted its upstream
    connection (the event: the request is under way)."""
    opened = up.proc.log_count(OPENED)
    f = pool.submit(a.request, "GET", "/thanos", sub)
    up.proc.wait_log(OPENED, opened + 1)
    return f


def ends(a, sig=signal.SIGTERM, guard=procs.GUARD):
    """Sends sig to the adapter; (seconds until it ended, its exit status
    or None when it had not ended within guard)."""
    t0 = time.monotonic()
    os.kill(a.proc.pid, sig)
    rc = exit_status(a, guard)
    return time.monotonic() - t0, rc


def exit_status(a, guard=procs.GUARD):
    """The adapter's exit status once it has ended, None when it had not
    within guard."""
    try:
        return a.proc.wait_exit(guard)
    except procs.WaitTimeout:
        return None


@pytest.mark.parametrize("mode", ["listen"])
def test_threads_four(rig, mode):
    """--threads 4: logged at start; four slow requests in about the time of
    one, twice; each thread keeps its upstream connection."""
    a = rig.adapter(mode, "T4", "--threads", "4")
    seen = len(rig.up.requests())
    c = checks("--threads 4")
    c.true("--threads 4: logged at start", logged(a, r"4 thread\(s\)"))
    s, ok = parallel(a, 4, 2000)
    c.eq("--threads 4: 4 of 4 slow requests answered", 4, ok)
    bounds.check(c, "--threads 4: 4 x 2 s requests in parallel", 2, s, other=8)
    s, ok = parallel(a, 4, 1000)
    c.eq("--threads 4, second round: 4 of 4", 4, ok)
    bounds.check(c, "--threads 4, second round: 4 x 1 s in parallel", 1, s, other=4)
    got = rig.up.requests()[seen:]
    c.eq("--threads 4: 8 requests reached the mock", 8, len(got))
    n = len({g["conn"] for g in got})
    c.true("--threads 4: each thread kept its connection (connections for 8 requests)",
           1 <= n <= 4, "%d connections" % n)
    conftest.record(mode, c)


@pytest.mark.parametrize("mode", ["listen"])
def test_threads_one_and_default(rig, mode):
    """--threads 1 and the default (one thread, logged): one request at a
    time."""
    c = checks("--threads 1, default")
    a = rig.adapter(mode, "T1", "--threads", "1")
    s, ok = parallel(a, 3, 1500)
    c.eq("--threads 1: 3 of 3 answered", 3, ok)
    bounds.check(c, "--threads 1: 3 x 1.5 s one after the other", 4.5, s)
    a = rig.adapter(mode, "TDEF")
    c.true("default: one thread", logged(a, r" 1 thread\(s\)"))
    s, ok = parallel(a, 2, 1000)
    c.eq("default: 2 of 2 answered", 2, ok)
    bounds.check(c, "default: 2 x 1 s one after the other", 2, s)
    conftest.record(mode, c)


@pytest.mark.parametrize("mode", ["spawn"])
def test_threads_env_spawn(rig, mode):
    """THANOS_FCGI_THREADS=3 in the environment, FastCGI on fd 0 under
    spawn-fcgi: three requests at once."""
    a = rig.adapter(mode, "SP", env={"THANOS_FCGI_THREADS": "3"})
    c = checks("THANOS_FCGI_THREADS", mode)
    s, ok = parallel(a, 3, 1500)
    c.eq("spawn-fcgi, THANOS_FCGI_THREADS=3: 3 of 3 answered", 3, ok)
    bounds.check(c, "spawn-fcgi, THANOS_FCGI_THREADS=3: in parallel", 1.5, s, other=4.5)
    conftest.record(mode, c)


@pytest.mark.parametrize("mode", ["listen"])
def test_kept_connections(rig, mode):
    """FCGI_KEEP_CONN (nginx fastcgi_keep_conn on): every request on a kept
    connection is answered, and an idle kept connection holds no thread:
    new connections are served beside it, on 4 threads and on 1."""
    c = checks("kept connections")
    a = rig.adapter(mode, "KEEP", "--threads", "4")
    c.eq("--threads 4, FCGI_KEEP_CONN: 3 requests answered on one connection", [200] * 3, rig.keep(a, 3))
    rig.keep(a, 1)  # a second idle kept connection (set-up)
    c.eq("--threads 4, idle kept connections open: new connections still served (3 of 3)", 3, served(a))
    a = rig.adapter(mode, "KEEP1", "--threads", "1")
    got = rig.keep(a, 2)
    ok = served(a)
    c.eq("--threads 1, kept connection: 2 requests answered on it", [200] * 2, got)
    c.eq("--threads 1, an idle kept connection open: new connections served (3 of 3)", 3, ok)
    conftest.record(mode, c)


@pytest.mark.parametrize("mode", ["listen"])
@pytest.mark.parametrize("n", [1, 2])
def test_sigterm_kept(rig, mode, n):
    """SIGTERM with an idle kept connection open: the process still ends at
    once, status 0."""
    c = checks("--threads %d SIGTERM, kept connection" % n)
    a = rig.adapter(mode, "KTERM%d" % n, "--threads", str(n))
    c.eq("--threads %d, kept connection: answered" % n, [200], rig.keep(a, 1))
    s, rc = ends(a, guard=AT_ONCE[1])
    bounds.check(c, "--threads %d, SIGTERM with an idle kept connection: ends at once" % n, 0, s)
    c.eq("--threads %d, SIGTERM with an idle kept connection: exit status 0" % n, 0, rc)
    conftest.record(mode, c)


STARTS = 20


def first_accept(proc, port):
    """Connects to port as soon as it accepts (no pause between tries: the
    moment matters), within the guard."""
    end = time.monotonic() + procs.GUARD
    while not procs.port_open(port):
        if not proc.running() or time.monotonic() > end:
            raise AssertionError("%s: port %d never opened" % (proc.name, port))


@pytest.mark.parametrize("mode", ["listen"])
def test_sigterm_at_start(lab, rig, mode):
    """SIGTERM the moment the port first accepts, STARTS times: each
    process ends at once with status 0 (the signal was neither lost in
    libfcgi's handler, a hang, nor the default action, -15)."""
    c = checks("SIGTERM at start")
    got = []
    for i in range(STARTS):
        port = procs.free_port()
        p = procs.Proc("adapter start %d" % i, [
            lab.binary, "--listen", "127.0.0.1:%d" % port, "--upstream", rig.up.url,
            "--web.route-prefix", "/thanos"], os.path.join(lab.dir, "threads_start.log"), env=lab.clean_env)
        try:
            first_accept(p, port)
            os.kill(p.pid, signal.SIGTERM)
            try:
                got.append(p.p.wait(AT_ONCE[1]))
            except subprocess.TimeoutExpired:
                got.append("still running")
        finally:
            p.stop()
    c.eq("SIGTERM as the port opens, %d starts: each exits 0 at once" % STARTS, [0] * STARTS, got)
    conftest.record(mode, c)


@pytest.mark.parametrize("mode", ["listen"])
def test_sigterm_idle(rig, mode):
    """SIGTERM, idle: the process ends at once, status 0."""
    c = checks("SIGTERM, idle")
    s, rc = ends(rig.adapter(mode, "IDLE"), guard=AT_ONCE[1])
    bounds.check(c, "SIGTERM, idle: process ends at once", 0, s)
    c.eq("SIGTERM, idle: exit status 0", 0, rc)
    conftest.record(mode, c)


@pytest.mark.parametrize("mode", ["listen"])
def test_sigterm_running(rig, mode):
    """SIGTERM with two 2 s requests running on --threads 4: both complete,
    whole, in their 2 s; then the process ends, status 0, having logged the
    signal and no failed request."""
    a = rig.adapter(mode, "TERM", "--threads", "4")
    c = checks("SIGTERM, running")
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        fs = [under_way(pool, a, rig.up, "/-/slow?ms=2000") for _ in range(2)]
        os.kill(a.proc.pid, signal.SIGTERM)
        r1, r2 = [f.result() for f in fs]
    s = time.monotonic() - t0
    c.eq("SIGTERM during a slow request: it completes with 200", 200, r1.status)
    c.eq("SIGTERM during a slow request: whole body", b"slow", r1.body.strip())
    c.eq("SIGTERM during a second slow request: 200", 200, r2.status)
    c.eq("SIGTERM during a second slow request: whole body", b"slow", r2.body.strip())
    bounds.check(c, "SIGTERM: requests took their 2 s", 2, s)
    rc = exit_status(a)
    c.true("SIGTERM: the process ends after them", rc is not None)
    c.eq("SIGTERM: exit status 0", 0, rc)
    c.true("SIGTERM: logged", logged(a, "stopping on signal"))
    c.eq("SIGTERM: no request failed", 0, a.proc.log_count('msg="request failed"'))
    conftest.record(mode, c)


@pytest.mark.parametrize("mode", ["listen"])
def test_sigterm_one_thread(rig, mode):
    """SIGTERM on --threads 1 with one running request: it completes, then
    the process ends, status 0."""
    a = rig.adapter(mode, "TERM1", "--threads", "1")
    c = checks("SIGTERM, --threads 1")
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        f = under_way(pool, a, rig.up, "/-/slow?ms=1500")
        os.kill(a.proc.pid, signal.SIGTERM)
        r = f.result()
    c.eq("SIGTERM, --threads 1: the running request completes with 200", 200, r.status)
    rc = exit_status(a)
    c.true("SIGTERM, --threads 1: exits", rc is not None)
    c.eq("SIGTERM, --threads 1: exit status 0", 0, rc)
    conftest.record(mode, c)


@pytest.mark.parametrize("mode", ["listen"])
def test_shutdown_grace(rig, mode):
    """--shutdown.grace 1s bounds the wait: with a 6 s request running, the
    process ends after the grace, status 0, logs it, and the cut request
    does not look complete."""
    a = rig.adapter(mode, "GRACE", "--shutdown.grace", "1s")
    c = checks("--shutdown.grace")
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        f = under_way(pool, a, rig.up, "/-/slow?ms=6000")
        s, rc = ends(a, guard=bounds.configured_bound(1)[1])
        r = f.result()
    c.true("--shutdown.grace 1s: the process ends before the 6 s request", rc is not None)
    bounds.check(c, "--shutdown.grace 1s: after the grace, not the request", 1, s, other=6)
    c.eq("--shutdown.grace 1s: exit status 0", 0, rc)
    c.true("--shutdown.grace 1s: the cut request did not look complete",
           b"slow" not in r.body.splitlines(), repr(r.body))
    c.true("--shutdown.grace 1s: logged", logged(a, "grace"))
    conftest.record(mode, c)


@pytest.mark.parametrize("mode", ["listen"])
def test_sighup(rig, mode):
    """SIGHUP (twice, during a request) changes nothing: the request
    completes, the process keeps serving on both threads in parallel, logs
    no shutdown, and SIGTERM after it exits 0."""
    a = rig.adapter(mode, "HUP", "--threads", "2")
    c = checks("SIGHUP")
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        f = under_way(pool, a, rig.up, "/-/slow?ms=1000")
        # two in a row: they may come as one; the check is that none stops it
        os.kill(a.proc.pid, signal.SIGHUP)
        os.kill(a.proc.pid, signal.SIGHUP)
        r = f.result()
    c.eq("SIGHUP during a request: it completes with 200", 200, r.status)
    r = a.request("GET", "/thanos", "/-/echo")
    c.true("SIGHUP: the process keeps running", a.proc.running())
    c.eq("SIGHUP: next request served", 200, r.status)
    s, ok = parallel(a, 2, 2000)
    c.eq("SIGHUP: both threads still serve", 2, ok)
    bounds.check(c, "SIGHUP: still in parallel", 2, s, other=4)
    c.eq("SIGHUP: not a shutdown", 0, a.proc.log_count("stopping"))
    c.eq("SIGTERM after SIGHUP: exits 0", 0, ends(a)[1])
    conftest.record(mode, c)
