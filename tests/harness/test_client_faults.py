"""test_client_faults.py: clients that go away or read slowly, through a real
front server (issue 5).

nginx with the files of deploy/nginx/ (only the @PLACEHOLDERS@ filled in),
mount /thanos, passes requests to thanos-fcgi --listen unix:SOCKET, whose
upstream is tests/mock/thanos_mock.py --mode fault (route prefix /thanos).
The upstream logs, with a time stamp, when a write to the adapter fails:
that is when the adapter let go of the transfer.

--threads 18: deploy/nginx keeps up to 2 x 8 idle FastCGI connections and
each holds a thread (deploy/two-replicas-mtls/thanos-fcgi.conf), plus two
for the slow clients' neighbours.

  A client that disconnects in the middle of a large answer (one that reads
  4 MiB of a streamed 500 MiB and closes, curl --max-time 1 at 1 MiB/s on
  it, curl --max-time 1 on a slow drip): the upstream's write fails at once
  after the client's close, and the adapter serves the next request.  The
  500 MiB go chunked: with a Content-Length nginx would spool them to its
  temp file at full speed, and whether it has read them all before the
  client leaves would be a race.
  Slow clients (10 KiB/s on 64 MiB answers) do not hold up the others, and
  hold no thread: the answers have a Content-Length, so the adapter leaves
  nginx's buffering on and the upstream has sent them whole while the
  clients still read.
"""

import os
import re
import socket
import subprocess
import threading
import time

import pytest

import bounds
import fault_front as ff
import procs
from fault_front import AT_ONCE, MOUNT, get, recorded

pytestmark = pytest.mark.parametrize("mode", ["nginx"])

BIG = MOUNT + "/big?mb=500&chunked=1"
BIG_STOP = r"big: (write-failed|sent all)"
SENT_ALL = r"big: sent all"


@pytest.fixture(scope="module")
def cf(lab):
    """The fault upstream at /thanos, the adapter, nginx in front."""
    f = ff.FaultFront(lab, "cf", MOUNT, ["--threads", "18", "--web.route-prefix", MOUNT])
    try:
        g = get(f.url + MOUNT + "/ok", AT_ONCE)
        assert (g.status, g.body) == (200, b"ok\n"), "set-up: a normal request through nginx"
        yield f
    finally:
        f.stop()


def stopped_within(c, f, label, mark, tclose):
    """The upstream logged the failed write of a "big" answer after line
    mark of its log, at once after tclose (the client's close, time.time()),
    and has no answer left in progress."""
    line = f.up_line(mark, BIG_STOP, AT_ONCE)
    m = re.match(r"fault: ([0-9.]+) conn \d+ big: write-failed after (\d+) body bytes", line)
    b = bounds.configured_bound(0)
    if m:
        # < 0: the write failed before the close was stamped (the stamp is
        # taken once the client has ended): at once too
        dt = max(0.0, float(m.group(1)) - tclose)
        ok, got = bounds.within(dt, b), "%s, %s bytes sent" % (bounds.show(dt, b), m.group(2))
    else:
        ok, got = False, "no failed write logged: %r" % line
    c.true("%s: the upstream's write fails at once after the client's close" % label, ok, got)
    c.eq("%s: no answer left in progress at the upstream" % label, "", f.busy())


def curl(args, url):
    """curl itself (no proxy from the environment) with args; its exit
    status and the time (time.time()) it ended."""
    p = subprocess.run(["curl", "-s", "--noproxy", "*"] + args + [url], stdout=subprocess.DEVNULL,
                       timeout=procs.GUARD)
    return p.returncode, time.time()


def read_and_close(port, target, n):
    """A client that reads n bytes of target as fast as it can, then closes:
    (when it closed, bytes read, the status code)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=procs.GUARD)
    s.sendall(b"GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n" % target.encode())
    got, head = 0, b""
    while got < n:
        d = s.recv(65536)
        if not d:
            break
        got += len(d)
        head = head or d[:12]
    s.close()
    return time.time(), got, head[9:12].decode("latin-1")


def test_reads_and_closes(cf, mode):
    """Reads 4 MiB of a streamed 500 MiB answer, then closes."""
    label = "reads 4 MiB of 500 MiB, closes"
    with recorded(label) as c:
        mark = len(cf.up_lines())
        t, got, status = read_and_close(cf.nginx.port, BIG, 4 * 1024 * 1024)
        c.eq("%s: got a 200 and 4 MiB (%d bytes)" % (label, got), ("200", True), (status, got >= 4 * 1024 * 1024))
        stopped_within(c, cf, label, mark, t)
        cf.after(c, label, busy=False)


def test_curl_gives_up(cf, mode):
    """curl --max-time 1 --limit-rate 1M on 500 MiB: it gives up."""
    label = "curl --max-time 1 --limit-rate 1M on 500 MiB"
    with recorded(label) as c:
        mark = len(cf.up_lines())
        rc, t = curl(["-o", "/dev/null", "--limit-rate", "1M", "--max-time", "1"], cf.url + BIG)
        c.eq("%s: gave up (exit 28)" % label, 28, rc)
        stopped_within(c, cf, label, mark, t)
        cf.after(c, label, busy=False)


def test_slow_drip(cf, mode, lab):
    """curl --max-time 1 on a slow drip (1000 bytes every 50 ms): it gives
    up with part of the answer."""
    label = "curl --max-time 1 on a slow drip"
    with recorded(label) as c:
        mark = len(cf.up_lines())
        out = os.path.join(lab.dir, "cf_drip.b")
        rc, t = curl(["-o", out, "--max-time", "1"], cf.url + MOUNT + "/big?mb=1&chunk=1000&delay_ms=50")
        size = os.path.getsize(out) if os.path.exists(out) else 0
        c.eq("%s: gave up (exit 28) with part of it (%d bytes)" % (label, size), (28, True), (rc, size > 0))
        stopped_within(c, cf, label, mark, t)
        cf.after(c, label, busy=False)


def apart(configured, other):
    """bounds.configured_bound(configured), its high kept below the low of
    other, the configured time of what the check rules out: the check tells
    the two apart whatever the machine's load."""
    low, high = bounds.configured_bound(configured)
    return low, min(high, bounds.configured_bound(other)[0] - 0.001)


def slow_clients(lab, f, n):
    """n curls reading /thanos/big?mb=64 at 10 KiB/s (until stopped:
    --max-time is only the guard); returns [(Proc, output file)] once each
    has its first bytes."""
    slow = []
    try:
        for i in range(1, n + 1):
            out = os.path.join(lab.dir, "cf_slow%d.b" % i)
            argv = ["curl", "-s", "--noproxy", "*", "-o", out, "--limit-rate", "10k", "--max-time", str(procs.GUARD),
                    f.url + MOUNT + "/big?mb=64"]
            slow.append((procs.Proc("slow client %d" % i, argv, os.path.join(lab.dir, "cf_slow%d.log" % i)), out))
        for p, out in slow:
            procs.wait_for("%s's first bytes" % p.name, lambda: os.path.exists(out) and os.path.getsize(out) > 0)
    except BaseException:
        for p, _ in slow:
            p.stop()
        raise
    return slow


def check_answered_at_once(c, f, n):
    """n requests in a row while the slow clients read: all answered, each
    at once."""
    ok, worst = 0, 0.0
    for i in range(n):
        t0 = time.monotonic()
        g = get(f.url + MOUNT + "/echo?i=%d" % i, AT_ONCE)
        worst = max(worst, time.monotonic() - t0)
        ok += g.status == 200
    c.eq("%d requests while 2 clients read 64 MiB at 10 KiB/s: all answered" % n, n, ok)
    b = bounds.configured_bound(0)
    c.true("%d requests while 2 clients read slowly: each at once (the slowest)" % n, bounds.within(worst, b),
           bounds.show(worst, b))


def check_in_parallel(c, f, n, each):
    """n requests of `each` seconds at once while the slow clients read: all
    answered, side by side (not one after the other: n x each)."""
    b = apart(each, n * each)
    got = []

    def one(i):
        got.append(get(f.url + MOUNT + "/slow?ms=%d&i=%d" % (each * 1000, i), b[1]).status)
    ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    t0 = time.monotonic()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    took = time.monotonic() - t0
    c.eq("%d requests of %g s at once while 2 clients read slowly: all answered" % (n, each), n, got.count(200))
    c.true("%d requests of %g s at once while 2 clients read slowly: in parallel (configured %g s, not %g s)"
           % (n, each, each, n * each), bounds.within(took, b), bounds.show(took, b))


def sent_all(f, want):
    """How many answers of /big the upstream logged as sent whole, once
    that is want (or after the guard)."""
    try:
        f.up.proc.wait_log(SENT_ALL, want)
    except procs.WaitTimeout:
        pass
    return f.up.proc.log_count(SENT_ALL)


def test_slow_clients(cf, mode, lab):
    """Two clients reading 64 MiB at 10 KiB/s hold up no other request and
    hold no thread: nginx has their answers whole from the upstream while
    they still read; once they are killed nothing is left at the upstream."""
    with recorded("slow clients") as c:
        sent0 = cf.up.proc.log_count(SENT_ALL)
        slow = slow_clients(lab, cf, 2)
        try:
            check_answered_at_once(c, cf, 20)
            check_in_parallel(c, cf, 8, 0.5)
            c.eq("the 2 slow clients' 64 MiB answers left the upstream whole while they still read (nginx buffers "
                 "them)", sent0 + 2, sent_all(cf, sent0 + 2))
            c.eq("the 2 slow clients were still reading all along", 2, sum(p.running() for p, _ in slow))
        finally:
            for p, _ in slow:
                p.stop()
        c.eq("slow clients killed: no answer left in progress at the upstream", "", cf.busy())
        cf.after(c, "slow clients", busy=False)


def test_same_process(cf, mode):
    """One adapter process served every client."""
    with recorded("the adapter") as c:
        c.true("the adapter: the same process all along (pid %d)" % cf.adapter.proc.pid, cf.alive())
