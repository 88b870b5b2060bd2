"""test_tenant.py: who may see what, as CGI and on --listen, against the
mock Thanos (its /-/echo shows the headers that arrived): the tenant from
REMOTE_USER (and --tenant.map, re-read when it changes), a client's forged
tenant header never passed, no login refused (403); the read-only gate and
--web.deny-path; the same per mount as request parameters; a bad map line
stops the start."""

import os

import pytest

import bounds
import conftest
import frontend
import procs
from frontend import RP, adapter, checks, echo_h, start_fails, status_is, text

started = frontend.started  # the fixture: what a test starts is stopped

MODES = ["cgi", "listen"]
TENANT = ["--tenant.header", "THANOS-TENANT"]


def write_map(path, content):
    """The map file replaced at once (written aside, renamed)."""
    with open(path + ".new", "w") as f:
        f.write(content)
    os.replace(path + ".new", path)


def a_map(lab, name, content="# logins\nalice team-a\nbob team-b\n"):
    path = os.path.join(lab.dir, name)
    write_map(path, content)
    return path


def refused(c, lab, desc, a, method, sub, env=(), body=None):
    """A 403, and the mock's request count does not move: nothing went
    upstream."""
    mock = lab.mock("main")
    before = len(mock.requests())
    r = a.request(method, "/thanos", sub, dict(env), body=body)
    status_is(c, desc, r, 403)
    c.eq("%s: nothing reached the upstream" % desc, before, len(mock.requests()))
    return r


@pytest.mark.parametrize("mode", MODES)
def test_tenant(lab, started, mode):
    """The tenant is the login (or its --tenant.map entry); a forged header
    is dropped; no login, or a user the map does not name, is refused;
    without --tenant.header the client's header is only a header."""
    t = adapter(lab, started, mode, "TN_T", RP + TENANT)
    m = adapter(lab, started, mode, "TN_M", RP + TENANT + ["--tenant.map", a_map(lab, "tenants_" + mode)])
    off = adapter(lab, started, mode, "TN_OFF", RP)
    c = checks("tenant", mode)
    echo = "/-/echo"
    c.eq("alice: her own tenant", "alice",
         echo_h(t.request("GET", "/thanos", echo, {"REMOTE_USER": "alice"}), "Thanos-Tenant"))
    c.eq("bob: his own tenant, the forged one dropped", "bob",
         echo_h(t.request("GET", "/thanos", echo, {"REMOTE_USER": "bob", "HTTP_THANOS_TENANT": "evil"}),
                "Thanos-Tenant"))
    r = refused(c, lab, "no login", t, "GET", echo, {"HTTP_THANOS_TENANT": "evil"})
    c.match("no login: the cause", "no login: tenant header required", text(r))
    c.eq("map: alice's tenant", "team-a",
         echo_h(m.request("GET", "/thanos", echo, {"REMOTE_USER": "alice"}), "Thanos-Tenant"))
    refused(c, lab, "map: a user it does not name, no default", m, "GET", echo, {"REMOTE_USER": "mallory"})
    c.eq("off: the client's header is only a header", "evil",
         echo_h(off.request("GET", "/thanos", echo, {"REMOTE_USER": "alice", "HTTP_THANOS_TENANT": "evil"}),
                "Thanos-Tenant"))
    conftest.record(mode, c)


@pytest.mark.parametrize("mode", MODES)
def test_map_reread(lab, started, mode):
    """The map changes under a running adapter: the answer follows, within
    the file's once-a-second look (bounds.py's rule on 1 s)."""
    path = a_map(lab, "reread_" + mode)
    m = adapter(lab, started, mode, "TN_MR", RP + TENANT + ["--tenant.map", path])
    c = checks("map re-read", mode)
    refused(c, lab, "map re-read: before the change, no default", m, "GET", "/-/echo", {"REMOTE_USER": "mallory"})
    write_map(path, "alice team-a\nbob team-b\n* guests\n")
    got = []

    def tenant():
        got.append(echo_h(m.request("GET", "/thanos", "/-/echo", {"REMOTE_USER": "mallory"}), "Thanos-Tenant"))
        return got[-1] == "guests"
    try:
        procs.wait_for("the new default", tenant, bounds.configured_bound(1.0)[1])
    except procs.WaitTimeout:
        pass  # the check says what came instead
    c.eq("map re-read: the new default", "guests", got[-1])
    conftest.record(mode, c)


READ_ONLY = [
    ("read-only: PUT /-/quit", "PUT", "/-/quit", {}),
    ("read-only: POST /-/reload", "POST", "/-/reload", {"CONTENT_LENGTH": "0"}),
    ("read-only: POST admin snapshot", "POST", "/api/v1/admin/tsdb/snapshot", {"CONTENT_LENGTH": "0"}),
    ("read-only: DELETE delete_series", "DELETE", "/api/v1/admin/tsdb/delete_series?match[]=up", {}),
    ("read-only: POST remote write", "POST", "/api/v1/write", {"CONTENT_LENGTH": "0"}),
    ("read-only: an escaped admin path", "POST", "/api/v1/%61dmin/tsdb/snapshot", {"CONTENT_LENGTH": "0"}),
    ("deny-path: /api/v1/status/*", "GET", "/api/v1/status/flags", {}),
]


@pytest.mark.parametrize("mode", MODES)
def test_read_only(lab, started, mode):
    """THANOS_FCGI_READ_ONLY: what changes the upstream is refused before it
    goes out (escaped paths too), queries pass (a POSTed form too);
    --web.deny-path refuses its pattern and nothing beside it."""
    ro = adapter(lab, started, mode, "TN_RO", RP + ["--web.deny-path", "/api/v1/status/*"],
                 env={"THANOS_FCGI_READ_ONLY": "true"})
    c = checks("read-only", mode)
    for desc, method, sub, env in READ_ONLY:
        refused(c, lab, desc, ro, method, sub, env)
    r = ro.request("POST", "/thanos", "/api/v1/query",
                   {"CONTENT_TYPE": "application/x-www-form-urlencoded"}, body=b"query=up")
    status_is(c, "read-only: POST /api/v1/query with a form", r, 200)
    r = ro.request("GET", "/thanos", "/api/v1/query?query=up")
    c.eq("read-only: GET query", "up", query_of(r))
    c.eq("deny-path: /api/v1/status not matched, the mock's 404", 404,
         ro.request("GET", "/thanos", "/api/v1/status").status)
    conftest.record(mode, c)


def query_of(r):
    try:
        return r.json().get("query")
    except ValueError:
        return "<not JSON>"


@pytest.mark.parametrize("mode", ["listen"])
def test_per_mount(lab, started, mode):
    """One process, two mounts: the tenant settings, the read-only gate and
    the deny paths as request parameters; the full mount beside them."""
    path = a_map(lab, "per_mount", "alice team-a\n")
    off = adapter(lab, started, mode, "TN_PM", RP)
    per = {"THANOS_FCGI_TENANT_HEADER": "X-Scope-OrgID", "THANOS_FCGI_TENANT_MAP": path,
           "HTTP_X_SCOPE_ORGID": "evil"}
    c = checks("per mount", mode)
    refused(c, lab, "per mount: bob not in the map, no default", off, "GET", "/-/echo",
            dict(per, REMOTE_USER="bob"))
    c.eq("per mount: alice's tenant, the forged one dropped", "team-a",
         echo_h(off.request("GET", "/thanos", "/-/echo", dict(per, REMOTE_USER="alice")), "X-Scope-OrgID"))
    refused(c, lab, "per mount: read-only", off, "PUT", "/-/quit", {"THANOS_FCGI_READ_ONLY": "true"})
    refused(c, lab, "per mount: deny-path", off, "GET", "/graph", {"THANOS_FCGI_DENY_PATHS": "/graph"})
    c.eq("the full mount beside it lets PUT /-/quit through (the mock's 404)", 404,
         off.request("PUT", "/thanos", "/-/quit").status)
    conftest.record(mode, c)


@pytest.mark.parametrize("mode", ["listen"])
def test_bad_map(lab, mode):
    """A bad map line stops the start with FILE:LINE."""
    path = a_map(lab, "bad.map", "alice team-a\nbob\n")
    c = checks("bad map", mode)
    start_fails(c, lab, "bad map", "bad.map:2: a user without a tenant",
                ["--tenant.header", "X", "--tenant.map", path, "--listen", "127.0.0.1:1"])
    conftest.record(mode, c)
