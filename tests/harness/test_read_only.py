"""test_read_only.py: the read-only gate against a real Prometheus (Debian's,
--web.enable-lifecycle --web.enable-admin-api
--web.enable-remote-write-receiver), through nginx and one thanos-fcgi
--listen with deploy/nginx/thanos-fcgi-location-read-only.conf: the public
mount /thanos is read-only (THANOS_FCGI_READ_ONLY), the full one
/thanos-admin is not.
  - /thanos: every state-changing endpoint (lifecycle, admin API, remote
    write, and remote read, refused by choice), by PUT, POST or DELETE and
    spelled otherwise, is 403; none reached Prometheus (its own request
    counters), it still runs and made no snapshot; the reads (GET and
    form-POST queries, series, labels, ...) work.
  - /thanos-admin: the same requests reach Prometheus (the snapshot is
    made, /-/reload is 200, ...), and PUT /-/quit stops it: proof that the
    checks above could fail."""

import os
import re
import time
import urllib.parse

import pytest

import cases as casemod
import conftest
import e2e
import front
import lab as labmod
import procs

# The state-changing requests, as Prometheus 2.42 routes them (web/web.go,
# web/api/v1/api.go), then other spellings of them.
CHANGES = """PUT /-/quit
POST /-/quit
PUT /-/reload
POST /-/reload
POST /api/v1/admin/tsdb/snapshot
PUT /api/v1/admin/tsdb/snapshot
POST /api/v1/admin/tsdb/delete_series?match[]=up
PUT /api/v1/admin/tsdb/delete_series?match[]=up
DELETE /api/v1/admin/tsdb/delete_series?match[]=up
POST /api/v1/admin/tsdb/clean_tombstones
PUT /api/v1/admin/tsdb/clean_tombstones
POST /api/v1/write
POST /api/v1/read"""
SPELLED = """POST /api/v1/%61dmin/tsdb/snapshot
POST /api/v1/admin/tsdb/snapshot/
POST /api/v1/ADMIN/tsdb/snapshot
POST /-/QUIT
POST /-/%71uit
PATCH /-/reload"""
CHANGED = re.compile(r'^prometheus_http_requests_total\{.*handler="[^"]*(/-/quit|/-/reload|/api/v1/admin/|'
                     r'/api/v1/write|/api/v1/read)[^"]*".*\s(\S+)$', re.M)
NOW = int(time.time())
READS = [
    ("GET query", "GET", "/api/v1/query?query=up", None),
    ("form-POST query", "POST", "/api/v1/query", {"query": "up"}),
    ("form-POST query_range", "POST", "/api/v1/query_range",
     {"query": "up", "start": str(NOW - 60), "end": str(NOW), "step": "15"}),
    ("GET series", "GET", "/api/v1/series?match%5B%5D=up", None),
    ("form-POST series", "POST", "/api/v1/series", {"match[]": "up"}),
    ("GET labels", "GET", "/api/v1/labels", None),
    ("form-POST labels", "POST", "/api/v1/labels", {"match[]": "up"}),
    ("GET label values", "GET", "/api/v1/label/job/values", None),
    ("form-POST query_exemplars", "POST", "/api/v1/query_exemplars", {"query": "up"}),
    ("form-POST format_query", "POST", "/api/v1/format_query", {"query": "sum(up)by(job)"}),
    ("GET metadata", "GET", "/api/v1/metadata", None),
    ("GET targets", "GET", "/api/v1/targets", None),
    ("GET rules", "GET", "/api/v1/rules", None),
    ("GET status/buildinfo", "GET", "/api/v1/status/buildinfo", None),
]


def requests_of(text):
    return [ln.split(" ", 1) for ln in text.splitlines()]


@pytest.fixture(scope="module")
def site(lab):
    """Prometheus with its lifecycle and admin API on, one adapter, nginx
    with the read-only mount and the full one."""
    d = os.path.join(lab.dir, "read_only")
    os.makedirs(d, exist_ok=True)
    prom = e2e.Prometheus(d, "/thanos", args=["--web.enable-lifecycle", "--web.enable-admin-api",
                                              "--web.enable-remote-write-receiver"])
    a = ng = None
    try:
        prom.wait()
        a = labmod.Adapter(lab, "unix", "read_only", {"flags": [
            "--upstream", "http://127.0.0.1:%d" % prom.port, "--web.route-prefix", "/thanos",
            "--upstream.root-path="]})
        ng = front.Nginx(lab, "read_only", "/thanos", a.addr, "thanos-fcgi-location-read-only.conf",
                         FULL_MOUNT="/thanos-admin", ALLOW="127.0.0.1")
        base = "http://127.0.0.1:%d" % ng.port
        yield {"prom": prom, "ro": base + "/thanos", "full": base + "/thanos-admin",
               "snaps": os.path.join(prom.dir, "data", "snapshots")}
    finally:
        for x in (ng, a, prom):
            if x:
                x.stop()


def send(base, method, sub):
    """A state-changing request with a small body, as a client would."""
    return e2e.fetch(base + sub, method, [("Content-Type", "application/x-protobuf")], b"x")


def changed_handlers(prom):
    """Requests Prometheus counted at the lifecycle, admin, write and read
    handlers (prometheus_http_requests_total, asked directly)."""
    text = e2e.fetch(prom.url + "/metrics").body.decode()
    return int(sum(float(m.group(2)) for m in CHANGED.finditer(text)))


def snapshots(path):
    return len(os.listdir(path)) if os.path.isdir(path) else 0


def follow(url, guard=10):
    """GET url, redirects followed; the last answer."""
    for _ in range(guard):
        a = e2e.fetch(url)
        if a.status not in (301, 302, 303, 307, 308):
            return a
        url = urllib.parse.urljoin(url, a.header("Location"))
    return a


def test_read_only_refuses(lab, site):
    """Every change through /thanos is the adapter's 403; none arrived."""
    c = casemod.Checks("read-only: refuses")
    prom = site["prom"]
    for m, p in requests_of(CHANGES + "\n" + SPELLED):
        c.eq("read-only: %s %s is 403" % (m, p), 403, send(site["ro"], m, p).status)
    a = send(site["ro"], "POST", "/api/v1/admin/tsdb/snapshot")
    c.match("read-only: the 403 says why", r"^thanos-fcgi: read-only: POST refused here", a.short())
    c.eq("read-only: none of them reached Prometheus (its request counters)", 0, changed_handlers(prom))
    c.true("read-only: Prometheus still runs", prom.proc.running())
    c.eq("read-only: Prometheus still answers /-/healthy", 200, e2e.fetch(prom.url + "/-/healthy").status)
    c.eq("read-only: no snapshot was made", 0, snapshots(site["snaps"]))
    conftest.record("read-only", c)


def test_read_only_reads(lab, site):
    """The reads work through /thanos: 200 and a JSON success each."""
    c = casemod.Checks("read-only: reads")
    for what, method, sub, fields in READS:
        body = None if fields is None else urllib.parse.urlencode(fields).encode()
        a = e2e.fetch(site["ro"] + sub, method, e2e.FORM if body else (), body)
        c.match("read-only: %s works" % what, r'^200 \{"status":"success"', "%d %s" % (a.status, a.short()))
    c.eq("read-only: the UI page loads (redirects followed)", 200, follow(site["ro"] + "/graph").status)
    c.eq("read-only: HEAD on /-/ready", 200, e2e.fetch(site["ro"] + "/-/ready", "HEAD").status)
    conftest.record("read-only", c)


def test_full_mount(lab, site):
    """The same requests through /thanos-admin reach Prometheus, and PUT
    /-/quit stops it (runs last: it ends the module's Prometheus)."""
    c = casemod.Checks("read-only: the full mount")
    prom, full = site["prom"], site["full"]
    c.eq("full: POST snapshot is Prometheus's 200", 200, send(full, "POST", "/api/v1/admin/tsdb/snapshot").status)
    c.eq("full: the snapshot directory appeared", 1, snapshots(site["snaps"]))
    c.eq("full: POST /-/reload is Prometheus's 200", 200, send(full, "POST", "/-/reload").status)
    c.eq("full: POST delete_series is Prometheus's 204", 204,
         send(full, "POST", "/api/v1/admin/tsdb/delete_series?match[]=no_such_metric").status)
    c.eq("full: PUT clean_tombstones is Prometheus's 204", 204,
         send(full, "PUT", "/api/v1/admin/tsdb/clean_tombstones").status)
    a = send(full, "POST", "/api/v1/write")
    c.match("full: POST /api/v1/write reaches the receiver (its 400 on a bad body)", r"^400 .*snappy",
            "%d %s" % (a.status, a.short()))
    n = changed_handlers(prom)
    c.true("full: Prometheus counted those requests", n >= 5, "%d" % n)
    # Prometheus answers 200 as it quits, or closes first (the adapter's
    # 502 on a reset): either way the request reached it, which the stop
    # proves.
    st = send(full, "PUT", "/-/quit").status
    c.true("full: PUT /-/quit reaches Prometheus (its 200, or its reset as it quits)", st in (200, 502), str(st))
    try:
        prom.proc.wait_exit()
        c.true("full: then Prometheus has stopped", True)
    except procs.WaitTimeout as e:
        c.true("full: then Prometheus has stopped", False, str(e))
    conftest.record("read-only", c)
