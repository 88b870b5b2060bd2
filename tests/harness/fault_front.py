"""fault_front.py: the set-up of the fault tests behind nginx
(test_upstream_faults.py, test_client_faults.py) and the checks that follow
each fault.

  FaultFront  tests/mock/thanos_mock.py --mode fault (the raw-socket engine
              of tests/mock/faults.py, its "fault: TS ..." log) under a
              route prefix, thanos-fcgi --listen unix:PATH whose upstream it
              is, and nginx from the exact files of deploy/nginx (front.Nginx,
              mount /thanos) in front; more fronts on the same adapter with
              front(); everything stopped by stop(), whatever happened
  get         one request as a client sees it: complete, aborted (reset,
              closed early, no reply) or timed out, and what arrived
  recorded    a Checks counted (conftest.record) at the end of a block, also
              when the adapter stopped serving (Stop) cut the block short

Every wait is on an event (a port, a socket, a log line, the upstream's
/stats), bounded by bounds.py: AT_ONCE is its bound of "at once".
"""

import contextlib
import http.client
import json
import os
import re
import urllib.parse

import bounds
import conftest
import e2e
import front
import lab as labmod
import procs
from cases import Checks

MOUNT = "/thanos"
AT_ONCE = bounds.configured_bound(0)[1]


class Stop(Exception):
    """The adapter stopped serving: the rest of the test is not run."""


class Got(e2e.Answer):
    """One answer as the client saw it.  outcome: "complete" (the whole
    announced body), "aborted" (no reply, a reset, or less than announced:
    curl's exits 52, 56, 18), "timeout" (the client gave up: curl's 28) or
    "connect" (nothing accepted the connection)."""

    def __init__(self):
        super().__init__(0, [], b"")
        self.outcome = "connect"

    def names(self, pattern):
        """The header names matching pattern (a regex, case-insensitive)."""
        return [k for k, _ in self.headers if re.match(pattern, k, re.I)]


def get(url, timeout):
    """GET url, no redirect followed, each read given up after timeout
    seconds; a Got."""
    labmod.REQUESTS[0] += 1
    u = urllib.parse.urlsplit(url)
    g = Got()
    parts = []
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        c.connect()
        g.outcome = "aborted"
        c.request("GET", u.path + ("?" + u.query if u.query else ""), headers={"User-Agent": "thanos-fcgi-faults"})
        r = c.getresponse()
        g.status, g.headers = r.status, r.getheaders()
        while True:
            d = r.read1(65536)
            if not d:
                break
            parts.append(d)
        g.outcome = "aborted" if r.length else "complete"
    except TimeoutError:
        g.outcome = "timeout"
    except (OSError, http.client.HTTPException):
        pass
    finally:
        c.close()
        g.body = b"".join(parts)
    return g


@contextlib.contextmanager
def recorded(label, mode="nginx"):
    """A Checks for the block, counted at its end (Stop ends it early)."""
    c = Checks(label)
    try:
        yield c
    except Stop:
        pass
    conftest.record(mode, c)


class FaultFront:
    """The fault upstream at `route`, the adapter (--listen unix:PATH,
    --upstream the fault upstream, then flags), nginx at /thanos in front
    (nginx, its origin url); name tells their files apart in the lab's directory.
    up_args: more of the upstream's flags (--quiet); access_log=False: the
    fronts log no requests (front.Nginx)."""

    def __init__(self, lab, name, route, flags, up_args=(), access_log=True):
        self.lab, self.name, self.route = lab, name, route
        self.access_log = access_log
        self.live = []
        self.streak = self.misses = 0
        try:
            self.up = self.keep(labmod.Mock(lab, name + "_up", ["--mode", "fault", "--route-prefix", route]
                                                + list(up_args)))
            spec = {"flags": ["--upstream", self.up.url] + list(flags), "settings": "flags"}
            self.adapter = self.keep(labmod.Adapter(lab, "unix", name, spec))
            self.nginx = self.front(name)
            self.url = self.nginx.url
        except BaseException:
            self.stop()
            raise

    def keep(self, x):
        """x, to be stopped by stop()."""
        self.live.append(x)
        return x

    def front(self, name, location="thanos-fcgi-location.conf", **values):
        """Another nginx from deploy/nginx on the same adapter (the location
        file and its placeholders' values); its origin in .url."""
        f = self.keep(front.Nginx(self.lab, name, MOUNT, self.adapter.addr, location, self.access_log,
                                   **values))
        f.url = "http://127.0.0.1:%d" % f.port
        return f

    def stop(self):
        """Stops everything started, in reverse order, each one whatever
        happened to the others."""
        procs.stop_all(self.live)

    # ---- what follows each fault ------------------------------------------

    def alive(self):
        """Whether the adapter process started first still runs."""
        return self.adapter.proc.running()

    def still_serving(self, c, label):
        """The same adapter process runs, and /thanos/ok answers 200 "ok" at
        once.  Three misses in a row, or six in all, end the test (Stop):
        one failure instead of a timeout per request."""
        g = get(self.url + MOUNT + "/ok", AT_ONCE)
        ok = self.alive() and (g.status, g.body) == (200, b"ok\n")
        c.true("%s: then the adapter (pid %d) still runs and serves the next request" % (label, self.adapter.proc.pid),
               ok, "running %s, %d %r (%s)" % (self.alive(), g.status, g.short(), g.outcome))
        self.streak = 0 if ok else self.streak + 1
        self.misses += 0 if ok else 1
        if self.streak >= 3 or self.misses >= 6:
            c.true("adapter stopped serving (%d next requests unanswered, %d in a row): rest of the test not run"
                   % (self.misses, self.streak), False)
            raise Stop()

    def busy(self):
        """The answers still in progress at the fault upstream ("" for none),
        once they are over or after the bound of "at once"."""
        seen = ["no answer from the upstream's /stats"]

        def over():
            g = get(self.up.url + self.route + "/stats", AT_ONCE)
            try:
                seen[0] = " ".join(json.loads(g.body)["busy"])
            except (ValueError, KeyError, TypeError):
                seen[0] = "no stats: %d %r" % (g.status, g.short())
            return not seen[0]
        try:
            procs.wait_for("no answer in progress at the upstream", over, AT_ONCE)
        except procs.WaitTimeout:
            pass
        return seen[0]

    def after(self, c, label, busy=True):
        """still_serving, and (busy) the fault left no transfer open at the
        upstream: the adapter let go of it."""
        self.still_serving(c, label)
        if busy:
            c.eq("%s: then no answer is left in progress at the upstream" % label, "", self.busy())

    # ---- the upstream's log -------------------------------------------------

    def up_lines(self):
        """The fault upstream's whole log lines so far."""
        text = self.up.proc.log_text()
        return text[:text.rfind("\n") + 1].splitlines()

    def up_line(self, mark, pattern, guard=procs.GUARD):
        """The last line after the first `mark` lines of the upstream's log
        that matches pattern, once there is one ("" after guard seconds)."""
        def found():
            hits = [ln for ln in self.up_lines()[mark:] if re.search(pattern, ln)]
            return hits[-1] if hits else None
        try:
            return procs.wait_for("upstream log /%s/" % pattern, found, guard)
        except procs.WaitTimeout:
            return ""

    def check_peak_rss(self, c, label, mib):
        """The adapter's peak RSS (VmHWM) stays under mib MiB."""
        try:
            with open("/proc/%d/status" % self.adapter.proc.pid) as f:
                hwm = int(re.search(r"^VmHWM:\s*([0-9]+)", f.read(), re.M).group(1))
        except (OSError, AttributeError):
            hwm = None
        c.true("%s: the adapter's peak RSS stays under %d MiB (VmHWM %s kB)" % (label, mib, hwm),
               hwm is not None and hwm < mib * 1024)


def canary(f, text):
    """text as html/etc/passwd under nginx f's prefix: what nginx would
    serve for X-Accel-Redirect: /etc/passwd."""
    d = os.path.join(f.dir, "html", "etc")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "passwd"), "w") as out:
        out.write(text + "\n")
