"""test_soak.py: load and soak through nginx + thanos-fcgi (issue 5), for
SOAK_SECONDS (tests/soak [SECONDS] sets it: 600 unless given; tests/run: 60).
Not a make check test (it is long): tests/run runs it last.  Without
SOAK_SECONDS it is skipped.

200 concurrent connections (wrk) for SOAK_SECONDS through nginx with the
files of deploy/nginx/ (only the @PLACEHOLDERS@ filled in, and no access
log), mount /thanos, to thanos-fcgi --listen unix:SOCKET --threads 32,
upstream tests/mock/thanos_mock.py --mode fault --quiet (route prefix
/thanos): fault_front.FaultFront.  nginx keeps its FastCGI connections
(fastcgi_keep_conn on); idle ones hold no thread.

The requests cycle over four fixed bodies (17 bytes to 64 KiB).  wrk's Lua
(soak.lua) compares every body it gets, byte for byte, with the upstream's
own copy (fetched directly, its sha256 checked against the upstream's
X-Body-Sha256).  Asserted:
  zero 5xx, zero other non-200s, zero socket errors or timeouts;
  zero bodies different from the upstream's;
  adapter RSS (VmRSS) grows less than 1 MiB from minute 1 (from 10 s when
  SOAK_SECONDS < 120) to the end of the load;
  no file descriptor growth: the adapter's own fds (all but its FastCGI
  connections) never pass what it had at its start + 3 per thread, at any
  sample under load nor after it; after the load, once its in-flight
  gauge is 0, its FastCGI connections come down to nginx's kept ones.
Figures printed: requests served, RSS and fds at the start and the end.

The fd bounds are structural, from the configuration, never from a
figure of the same run: the count under load follows how many FastCGI
connections nginx has open at that instant, and the ones nginx drops
stay open in the adapter until a thread reads their end, after its
gauge is already 0 (a CI run found 43 of them).
"""

import os
import re
import shutil
import threading
import time

import pytest

import bounds
import conftest
import e2e
import fault_front as ff
import lab as labmod
import procs
from cases import Checks

CONNS = 200
THREADS = 32
MP = "/-/thanos-fcgi/metrics"
# the load's shape, as before: a warm-up of 3 s, wrk's own timeout of an
# answer (past it a request counts as a timeout), a sample a second
WARMUP = 3
WRK_TIMEOUT = "10s"
SAMPLE_EVERY = 1.0
# Once it has served, each thread holds 3 fds of its own: libcurl's
# wakeup socketpair (2) and its kept upstream connection.  Idle, nginx
# keeps 2 workers x "keepalive 8" FastCGI connections at most.
PER_THREAD = 3
NGINX_KEPT = 16
RSS_GROWTH_KB = 1024  # what RSS may grow by, from base_at to the end
LUA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "soak.lua")


def seconds():
    """SOAK_SECONDS, at least 20 (None: not set)."""
    s = os.environ.get("SOAK_SECONDS")
    if s is None:
        return None
    if not s.isdigit():
        pytest.exit("usage: tests/soak [SECONDS]", 2)
    if int(s) < 20:
        pytest.exit("tests/soak: SECONDS must be at least 20", 2)
    return int(s)


def rss_of(pid):
    """VmRSS of pid in kB; 0 once it is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            m = re.search(r"^VmRSS:\s*([0-9]+)", f.read(), re.M)
        return int(m.group(1)) if m else 0
    except OSError:
        return 0


def unix_sockets():
    """inode -> (path, listening) of every unix socket, /proc/net/unix.  An
    accepted connection carries its listening socket's path."""
    out = {}
    with open("/proc/net/unix") as f:
        for line in f.readlines()[1:]:
            w = line.split()
            out[w[6]] = (w[7] if len(w) > 7 else "", w[5] == "01")
    return out


def fds_of(pid, sock):
    """(its own fds, its FastCGI connections) of pid, whose listening socket
    is sock; (0, 0) once it is gone.  Sockets are told apart by inode, read
    after the fd list: one closed in between counts as neither."""
    own, socks = 0, []
    try:
        fds = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return 0, 0
    for fd in fds:
        try:
            m = re.match(r"socket:\[([0-9]+)\]$", os.readlink("/proc/%d/fd/%s" % (pid, fd)))
        except OSError:
            continue  # closed since the list
        socks += [m.group(1)] if m else []
        own += 0 if m else 1
    unix = unix_sockets()
    tcp = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(name) as f:
            tcp |= set(line.split()[9] for line in f.readlines()[1:])
    conns = sum(1 for i in socks if unix.get(i) == (sock, False))
    own += sum(1 for i in socks if i in tcp or (i in unix and unix[i] != (sock, False)))
    return own, conns


class Sampler(threading.Thread):
    """(seconds since the start, VmRSS kB, own fds, FastCGI connections) of
    the adapter every SAMPLE_EVERY, until stop() (the load's end) or the
    adapter's exit."""

    def __init__(self, adapter):
        super().__init__(daemon=True)
        self.adapter = adapter
        self.samples = []
        self.done = threading.Event()

    def run(self):
        t0, pid = time.monotonic(), self.adapter.proc.pid
        while self.adapter.proc.running():
            self.samples.append((time.monotonic() - t0, rss_of(pid)) + fds_of(pid, self.adapter.addr))
            if self.done.wait(SAMPLE_EVERY):
                break

    def stop(self):
        self.done.set()
        self.join()


def in_flight_zero(f):
    """Whether the adapter's own gauge (its metrics page through nginx: an
    answer of its own, never counted) says no request is in flight."""
    a = e2e.fetch(f.url + ff.MOUNT + MP)
    return a.status == 200 and "thanos_fcgi_requests_in_flight 0" in a.body.decode("utf-8", "replace").splitlines()


def idle_fds(f):
    """(own fds, FastCGI connections) of the adapter once no request is in
    flight and it has closed the connections nginx dropped (down to
    NGINX_KEPT): the events a load's end is.  None when that does not come
    within the guard, or the adapter is gone."""
    def settled():
        if not f.alive():
            return "gone"
        got = fds_of(f.adapter.proc.pid, f.adapter.addr)
        return got if got[1] <= NGINX_KEPT and in_flight_zero(f) else None
    try:
        got = procs.wait_for("no request in flight, at most %d FastCGI connections" % NGINX_KEPT, settled)
    except procs.WaitTimeout:
        return None
    return None if got == "gone" else got


def wrk(f, name, duration, *args):
    """wrk -t2 -cCONNS for duration seconds on f; (exit status, None when
    it did not end in time; output).  Its end is an event configured to
    come after duration (bounds.py)."""
    p = procs.Proc(name, ["wrk", "-t2", "-c%d" % CONNS, "-d%ds" % duration, "--timeout", WRK_TIMEOUT]
                   + list(args), os.path.join(f.lab.dir, "%s.out" % name))
    try:
        rc = p.wait_exit(bounds.configured_bound(duration)[1])
    except procs.WaitTimeout:
        rc = None
    finally:
        p.stop()
    return rc, p.log_text()


def soak_line(out):
    """The key=value pairs of soak.lua's SOAK requests= line."""
    m = re.search(r"^SOAK requests=.*$", out, re.M)
    return dict(kv.split("=", 1) for kv in m.group(0).split()[1:]) if m else {}


def check_bodies(c, f, refs):
    """The upstream's four bodies, straight from it, into refs (wrk's
    reference copies), and each one through nginx + thanos-fcgi."""
    for k in range(4):
        a = e2e.fetch(f.up.url + ff.MOUNT + "/fixed?v=%d" % k)
        with open(os.path.join(refs, "v%d.bin" % k), "wb") as out:
            out.write(a.body)
        c.eq("body %d from the upstream: 200, sha256 as it announces (%d bytes)" % (k, len(a.body)),
             "200 " + a.header("X-Body-Sha256"), "%d %s" % (a.status, e2e.sha(a.body)))
        b = e2e.fetch(f.url + ff.MOUNT + "/fixed?v=%d" % k)
        c.eq("body %d through nginx + thanos-fcgi: the same bytes" % k, "200 " + e2e.sha(a.body),
             "%d %s" % (b.status, e2e.sha(b.body)))


def check_answers(c, got):
    """wrk's figures: every answer a 200 with the upstream's bytes."""
    reqs = got.get("requests")
    c.match("requests served (%s)" % (reqs or "none"), r"^[1-9][0-9]*$", reqs)
    c.eq("every answer a 200 with the upstream's bytes (ok = requests)", reqs or "x", got.get("ok"))
    c.eq("no 5xx", "0", got.get("s5xx"))
    c.eq("no other non-200", "0", got.get("other"))
    c.eq("no body different from the upstream's", "0", got.get("mismatch"))
    c.eq("no socket errors (connect read write) nor timeouts", "0 0 0 0",
         " ".join(str(got.get(k)) for k in ("connect", "read", "write", "timeout")))


def check_growth(c, samples, base_at, duration, own_max, before, after):
    """RSS from base_at to the last sample under load (before duration s);
    the own fds at every sample and after, against own_max; the FastCGI
    connections after.  before and after: idle_fds().  Returns the
    figures' lines."""
    base = next((s for s in samples if s[0] >= base_at), None)
    last = ([s for s in samples if s[0] < duration] or [None])[-1]
    c.true("samples taken at %ds and near the end" % base_at, base is not None and last is not None
           and base[1] > 0 and last[1] > 0, "base %s, last %s of %d" % (base, last, len(samples)))
    bt, rss0 = (base or (base_at, 0))[:2]
    lt, rss1, own1, conns1 = last or (duration, 0, 0, 0)
    rss_max = max([s[1] for s in samples if base_at <= s[0] < duration] or [0])
    own_top = max([s[2] for s in samples if s[0] < duration] or [0])
    c.true("RSS growth from %ds to the end under %d kB (%d -> %d kB)" % (base_at, RSS_GROWTH_KB, rss0, rss1),
           base is not None and last is not None and rss1 - rss0 < RSS_GROWTH_KB, "+%d kB" % (rss1 - rss0))
    c.true("highest RSS after %ds within %d kB of the %ds figure (%d kB)"
           % (base_at, RSS_GROWTH_KB, base_at, rss_max),
           base is not None and rss_max - rss0 < RSS_GROWTH_KB, "+%d kB" % (rss_max - rss0))
    c.true("no fd growth: the adapter's own fds at every sample under load, at most its start + %d per "
           "thread (%d in [1, %d])" % (PER_THREAD, own_top, own_max), 0 < own_top <= own_max)
    c.true("requests in flight back to 0 after the load, and the FastCGI connections nginx dropped closed, "
           "down to its %d kept ones" % NGINX_KEPT, after is not None,
           "not within %d s, or the adapter is gone" % procs.GUARD)
    own_after, conns_after = after or (0, 0)
    c.true("no fd growth: the adapter's own fds idle after the load, at most its start + %d per thread "
           "(%d in [1, %d])" % (PER_THREAD, own_after, own_max), 0 < own_after <= own_max)
    return ("# adapter RSS: %d kB at %.0fs, %d kB at %.0fs (growth %d kB, highest %d kB)\n"
            "# adapter fds, own + FastCGI connections: %d + %d idle after a warm-up, %d + %d at %.0fs, "
            "%d + %d idle after (own at most %d, highest %d; samples: %d)"
            % (rss0, bt, rss1, lt, rss1 - rss0, rss_max, before[0], before[1], own1, conns1, lt,
               own_after, conns_after, own_max, own_top, len(samples)))


def test_soak(lab, capsys):
    duration = seconds()
    if duration is None:
        pytest.skip("the soak runs from tests/soak or tests/run (SOAK_SECONDS)")
    if not shutil.which("wrk"):
        pytest.fail("required command 'wrk' is missing (tests/install-deps installs it)", pytrace=False)
    base_at = 10 if duration < 120 else 60
    c = Checks("soak")
    f = ff.FaultFront(lab, "soak", ff.MOUNT, ["--threads", str(THREADS), "--web.route-prefix", ff.MOUNT,
                                              "--log.level", "warn", "--web.metrics-path", MP],
                      up_args=["--quiet"], access_log=False)
    try:
        # before any request: no thread has made its libcurl fds yet
        own_max = fds_of(f.adapter.proc.pid, f.adapter.addr)[0] + PER_THREAD * THREADS
        refs = os.path.join(lab.dir, "soak_bodies")
        os.makedirs(refs, exist_ok=True)
        check_bodies(c, f, refs)
        # Warm-up (not counted): every thread makes its libcurl handle (2
        # fds of its own) and its connections; then the idle figure is the
        # steady one.
        rc, out = wrk(f, "wrk_warmup", WARMUP, f.url + ff.MOUNT + "/fixed?v=1")
        assert rc == 0, "set-up: the warm-up's wrk (exit %s): %s" % (rc, out[-300:])
        before = idle_fds(f)
        assert before is not None, ("set-up: requests in flight or more than %d FastCGI connections %d s after "
                                    "the warm-up, or the adapter gone" % (NGINX_KEPT, procs.GUARD))
        pid = f.adapter.proc.pid
        with capsys.disabled():
            print("\n# %d connections for %ds through nginx :%d -> thanos-fcgi (pid %d, %d threads) -> upstream %s"
                  % (CONNS, duration, f.nginx.port, pid, THREADS, f.up.url))
        sampler = Sampler(f.adapter)
        sampler.start()
        try:
            rc, out = wrk(f, "wrk", duration, "-s", LUA, f.url + ff.MOUNT + "/fixed", "--", refs)
        finally:
            sampler.stop()
        c.eq("wrk ran to the end", 0, rc)
        got = soak_line(out)
        labmod.REQUESTS[0] += int(got.get("requests") or 0)
        check_answers(c, got)
        after = idle_fds(f)
        figures = check_growth(c, sampler.samples, base_at, duration, own_max, before, after)
        c.eq("the adapter: the same process all along", "alive", "alive" if f.alive() else "dead")
        with capsys.disabled():
            print(out.rstrip())
            print("# requests served: %s in %ds (%s body bytes; latency p50 %s ms, p99 %s ms, max %s ms)"
                  % (got.get("requests", "?"), duration, got.get("bytes", "?"), got.get("p50_ms", "?"),
                     got.get("p99_ms", "?"), got.get("max_ms", "?")))
            print(figures)
    finally:
        f.stop()
    conftest.record("soak", c)
