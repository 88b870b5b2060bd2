"""test_metrics.py: the adapter's own metrics at --web.metrics-path, as CGI
(each request a process: the counters live in --metrics.file) and on
--listen (three processes sharing one file, and one with the counters in
its own memory), against the mock: a known sequence of requests (200s, a
HEAD 405, 404s, a 400, a refused upstream, a first-byte timeout, an
unknown method), then exact values in the scrape; a file another version
made is refused."""

import math
import os
import re
import subprocess

import pytest

import bounds
import conftest
import logs
import procs
from cases import Checks

MODES = ("cgi", "listen")
MP = "/-/thanos-fcgi/metrics"
RP = ["--web.route-prefix", "/thanos"]
# the first-byte timeout of adapter A, and the mock's sleep that outlasts
# its bound
FIRST_BYTE = 1.0
SLOW_MS = math.ceil(bounds.configured_bound(FIRST_BYTE)[1]) * 1000


def urls(rig):
    return rig.mock("main").url, "http://127.0.0.1:%d" % rig.lab.dead.port


def specs(rig, mode):
    """A, D (the dead upstream), R (the dead replica first) sharing one
    --metrics.file; P (own memory) and OFF (no metrics path) on --listen;
    X, with a file another version made."""
    up, dead = urls(rig)
    # the dead replica's down mark outlasts the test, however slow the
    # machine: its "down" in the scrape is not a race with the 10 s default
    shared = ["--web.metrics-path", MP, "--metrics.file", os.path.join(rig.lab.dir, "metrics.%s" % mode),
              "--upstream.down-backoff", "1h"]
    return {
        "A": {"flags": ["--upstream", up] + RP + shared
              + ["--upstream.timeout.first-byte", "%gs" % FIRST_BYTE]},
        "D": {"flags": ["--upstream", dead] + RP + shared},
        "R": {"flags": ["--upstream", "%s,%s" % (dead, up)] + RP + shared},
        "P": {"flags": ["--upstream", up] + RP + ["--web.metrics-path", MP]},
        "OFF": {"flags": ["--upstream", up] + RP},
        "X": {"flags": ["--upstream", up, "--metrics.file", other_file(rig.lab)]},
    }


@pytest.fixture(scope="module")
def rig(lab):
    r = logs.Rig(lab, "metrics_", specs)
    yield r
    r.close()


def series(body, name):
    """The value of series name (NAME{LABELS}) in a scrape, "" if absent."""
    key = name + " "
    return "\n".join(ln[len(key):] for ln in body.decode().splitlines() if ln.startswith(key))


def total(body, name):
    """The sum over every series of name (labels or none)."""
    t = 0.0
    for ln in body.decode().splitlines():
        f = ln.split()
        if len(f) >= 2 and (f[0] == name or f[0].startswith(name + "{")):
            t += float(f[1])
    return t


def metrics_forwarded(rig):
    """How many requests for the metrics path (its query aside) the mock
    received."""
    pat = re.compile(r"^/thanos%s(\?.*)?$" % re.escape(MP))
    return sum(1 for q in rig.mock("main").requests() if pat.match(q["target"]))


class Sequence:
    """The requests the scrape counts, through A, D and R; out sums the
    body bytes the upstream's answers carried to the client (the adapter's
    own error pages are not counted)."""

    def __init__(self, rig, mode, c):
        self.rig, self.mode, self.c = rig, mode, c
        self.out = 0

    def req(self, name, method, sub, env=(), body=None, status=None, what=None, forwarded=False):
        r = self.rig.adapter(self.mode, name).request(method, "/thanos", sub, env, body=body)
        if status is not None:
            self.c.eq("%s: %s" % (self.mode, what), status, r.status)
        if forwarded:
            self.out += len(r.body)
        return r

    def upstream(self):
        """Answers of the upstream, of the adapter, of the refused one."""
        q = "/api/v1/query?query=up"
        self.req("A", "GET", q, status=200, what="200 query", forwarded=True)
        self.req("A", "GET", q, forwarded=True)
        self.req("A", "HEAD", "/graph", status=405, what="HEAD /graph: the mock's 405")
        self.req("A", "GET", "/nope", status=404, what="404 from the mock", forwarded=True)
        self.req("A", "GET", "/%2e%2e/etc/passwd", status=400, what="a dot segment: 400 from the adapter")
        self.req("A", "POST", "/api/v1/query", {"CONTENT_TYPE": "application/x-www-form-urlencoded"},
                 body=b"query=up", status=200, what="POST query", forwarded=True)
        self.req("D", "GET", q, status=502, what="refused upstream")
        # a fresh process tries its first replica first: the dead one, then the mock
        self.req("R", "GET", q, status=200, what="the dead replica first, then the mock", forwarded=True)

    def metrics_path(self):
        """The metrics path's own methods, never forwarded."""
        c, m = self.c, self.mode
        r = self.req("A", "POST", MP, {"CONTENT_LENGTH": "0"}, status=405, what="POST to the metrics path")
        c.eq("%s: POST to the metrics path: Allow" % m, "GET, HEAD", r.header("Allow"))
        r = self.req("A", "HEAD", MP, status=200, what="HEAD of the metrics path")
        c.eq("%s: HEAD of the metrics path: no body" % m, 0, len(r.body))
        c.match("%s: HEAD of the metrics path: a length" % m, r"^[0-9]{3,}$", r.header("Content-Length"))
        c.eq("%s: the metrics path never reached the upstream" % m, 0, metrics_forwarded(self.rig))

    def last(self):
        """A first-byte timeout (the mock's sleep outlasts its bound), an
        unknown method, a path under the metrics path."""
        self.req("A", "GET", "/-/slow?ms=%d" % SLOW_MS, status=504, what="first-byte timeout")
        self.req("A", "PROPFIND", "/nope", status=404, what="PROPFIND: the mock's 404", forwarded=True)
        self.req("A", "GET", MP + "/x", status=404, what="under the metrics path: forwarded (the mock's 404)",
                 forwarded=True)


# (what, series, value) of the scrape after the sequence
REQ = 'thanos_fcgi_requests_total{code="%s",method="%s"}'
SCRAPE = (
    ("GET 200", REQ % (200, "GET"), "3"),
    ("POST 200", REQ % (200, "POST"), "1"),
    ("HEAD 405", REQ % (405, "HEAD"), "1"),
    ("GET 404", REQ % (404, "GET"), "2"),
    ("GET 400", REQ % (400, "GET"), "1"),
    ("GET 502", REQ % (502, "GET"), "1"),
    ("GET 504", REQ % (504, "GET"), "1"),
    ("PROPFIND is other", REQ % (404, "other"), "1"),
    ("refused, the retried attempt too", 'thanos_fcgi_upstream_errors_total{cause="refused"}', "2"),
    ("timeout", 'thanos_fcgi_upstream_errors_total{cause="timeout"}', "1"),
    ("one retry", "thanos_fcgi_upstream_retries_total", "1"),
    ("request body bytes", "thanos_fcgi_request_bytes_total", "8"),
    ("10 requests' last attempts timed", "thanos_fcgi_upstream_duration_seconds_count", "10"),
    ("+Inf bucket = count", 'thanos_fcgi_upstream_duration_seconds_bucket{le="+Inf"}', "10"),
    ("8 first bytes (not the refused, not the timeout)",
     "thanos_fcgi_upstream_first_byte_seconds_count", "8"),
    ("nothing in flight", "thanos_fcgi_requests_in_flight", "0"),
)


def version(lab):
    out = subprocess.run([lab.binary, "--version"], env=lab.clean_env, capture_output=True, text=True,
                         timeout=procs.GUARD).stdout
    return out.splitlines()[0].split()[1]


def check_scrape(seq, processes):
    """The scrape through A (then D): the sequence's exact counts, the
    processes alive, the replicas' state; no scrape forwarded."""
    c, m, rig = seq.c, seq.mode, seq.rig
    up, dead = urls(rig)
    r = seq.req("A", "GET", MP + "?ignored=1", status=200, what="scrape")
    c.eq("%s: scrape: content type" % m, "text/plain; version=0.0.4; charset=utf-8", r.header("Content-Type"))
    for what, name, want in SCRAPE:
        c.eq("%s: scrape: %s" % (m, what), want, series(r.body, name))
    c.eq("%s: scrape: 11 requests, the metrics path's own not among them" % m, 11,
         total(r.body, "thanos_fcgi_requests_total"))
    c.eq("%s: scrape: no other cause" % m, 3, total(r.body, "thanos_fcgi_upstream_errors_total"))
    c.eq("%s: scrape: response body bytes" % m, str(seq.out),
         series(r.body, "thanos_fcgi_response_bytes_total"))
    c.match("%s: scrape: the timeout's second in the sum" % m, r"^([1-9][0-9]*)\.[0-9]{3}$",
            series(r.body, "thanos_fcgi_upstream_duration_seconds_sum"))
    c.eq("%s: scrape: live processes" % m, str(processes), series(r.body, "thanos_fcgi_processes"))
    c.eq("%s: scrape: the mock is up" % m, "1", series(r.body, 'thanos_fcgi_upstream_up{upstream="%s"}' % up))
    c.eq("%s: scrape: build info" % m, "1",
         series(r.body, 'thanos_fcgi_build_info{version="%s"}' % version(rig.lab)))
    r = seq.req("D", "GET", MP)
    c.eq("%s: scrape through the other process: the same count" % m, 11,
         total(r.body, "thanos_fcgi_requests_total"))
    c.eq("%s: scrape through the other: the dead replica is down" % m, "0",
         series(r.body, 'thanos_fcgi_upstream_up{upstream="%s"}' % dead))
    c.eq("%s: the scrapes never reached the upstream" % m, 0, metrics_forwarded(rig))


@pytest.mark.parametrize("mode", MODES)
def test_counts(rig, mode):
    """One --metrics.file shared by A, D and R (CGI: a process a request,
    one alive at the scrape; --listen: three processes)."""
    c = Checks("metrics [%s]" % mode)
    seq = Sequence(rig, mode, c)
    seq.upstream()
    seq.metrics_path()
    seq.last()
    check_scrape(seq, 1 if mode == "cgi" else 3)
    conftest.record(mode, c)


@pytest.mark.parametrize("mode", ["listen"])
def test_own_memory(rig, mode):
    """--listen without --metrics.file: the counters in the process's own
    memory, one process."""
    p = rig.adapter(mode, "P")
    p.request("GET", "/thanos", "/api/v1/labels")
    r = p.request("GET", "/thanos", MP)
    c = Checks("metrics own memory [listen]")
    c.eq("listen: own memory: one request", 1, total(r.body, "thanos_fcgi_requests_total"))
    c.eq("listen: own memory: GET 200", "1", series(r.body, REQ % (200, "GET")))
    c.eq("listen: own memory: one process", "1", series(r.body, "thanos_fcgi_processes"))
    conftest.record(mode, c)


@pytest.mark.parametrize("mode", ["listen"])
def test_no_metrics_path(rig, mode):
    """Without --web.metrics-path the path is forwarded: the mock's 404,
    and the first such request the mock ever saw (every scrape above was
    answered by the adapter)."""
    r = rig.adapter(mode, "OFF").request("GET", "/thanos", MP)
    c = Checks("no metrics path [listen]")
    c.eq("listen: no --web.metrics-path: the path is forwarded (the mock's 404)", 404, r.status)
    c.eq("listen: no --web.metrics-path: the mock saw it (the count above can see one)", 1,
         metrics_forwarded(rig))
    conftest.record(mode, c)


def other_file(lab):
    """A metrics file another version (or another program) made."""
    path = os.path.join(lab.dir, "other.metrics")
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(b"TFCGIMET\002\000\000\000" + b"\0" * 70000)
    return path


@pytest.mark.parametrize("mode", ["listen"])
def test_other_version_at_start(lab, mode):
    """A --listen process given another version's file refuses to start:
    exit status 2, the file named, and what to do."""
    path = other_file(lab)
    argv = [lab.binary, "--listen", "127.0.0.1:%d" % procs.free_port(), "--metrics.file", path]
    p = procs.Proc("adapter other", argv, os.path.join(lab.dir, "other.err"), env=lab.clean_env)
    try:
        rc = p.wait_exit()
    finally:
        p.stop()
    c = Checks("another version's file [listen]")
    c.eq("listen: another version's file: exit status 2", 2, rc)
    c.match("listen: another version's file: named, and what to do",
            "metrics.file %s: made by another thanos-fcgi version .*remove it" % re.escape(path),
            p.log_text())
    conftest.record(mode, c)


@pytest.mark.parametrize("mode", ["cgi"])
def test_other_version_cgi(rig, mode):
    """As CGI, another version's file: a 500 that names the cause."""
    r = rig.adapter(mode, "X").request("GET", "/thanos", "/graph")
    c = Checks("another version's file [cgi]")
    c.eq("cgi: another version's file: 500", 500, r.status)
    c.true("cgi: another version's file: the cause", b"another thanos-fcgi version" in r.body, repr(r.body))
    conftest.record(mode, c)
