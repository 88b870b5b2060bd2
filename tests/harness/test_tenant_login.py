"""test_tenant_login.py: each login its own tenant, through each real web
server with its own login and the deploy/ file for it:
  nginx auth_basic, thanos-fcgi --listen  (nginx/thanos-fcgi-location-tenant.conf)
  Apache AuthType Basic + mod_fcgid        (apache-fcgid/thanos-fcgi-tenant.conf)
  lighttpd mod_auth + spawn-fcgi           (lighttpd/50-thanos-fcgi-tenant.conf)
  shared hosting: .htaccess AuthUserFile, mod_cgi (shared-hosting/htaccess-tenant)
Users from htpasswd: alice and bob, whom the tenant map names, and carol,
whom it does not.  Against the mock Thanos, whose /-/echo shows the
THANOS-TENANT headers that arrived: alice and bob each see their own tenant,
a client's forged tenant header never arrives (any spelling); no login, a
wrong password: the server's own 401; carol: the adapter's 403; none of
these reached the upstream; and the paths beside the mount (/thanosX,
/thanos-x) serve nobody without a tenant."""

import base64
import json
import os
import subprocess

import pytest

import cases as casemod
import conftest
import e2e
import front
import lab as labmod
import procs

USERS = {"alice": "apass", "bob": "bpass", "carol": "cpass"}
ROOTS = "/metrics,/-/healthy,/-/ready"


def login(user, password=None):
    token = base64.b64encode(("%s:%s" % (user, password or USERS[user])).encode()).decode()
    return [("Authorization", "Basic " + token)]


def tenants_seen(a):
    """The THANOS-TENANT values a /-/echo answer shows, comma-joined
    ("<none>": none arrived)."""
    try:
        d = json.loads(a.body)
    except ValueError:
        return "<not JSON>"
    v = [y for x, y in d["header_list"] if x.lower() == "thanos-tenant"]
    return ",".join(v) if v else "<none>"


@pytest.fixture(scope="module")
def logins(lab):
    """The password file and the tenant map, readable by Apache's www-data,
    and the mock Thanos."""
    d = os.path.join(lab.dir, "tenant_login")
    os.makedirs(d, exist_ok=True)
    pw, tmap = os.path.join(d, "htpasswd"), os.path.join(d, "tenants")
    open(pw, "w").close()
    for u, p in USERS.items():
        subprocess.run(["htpasswd", "-b", "-B", pw, u, p], check=True, capture_output=True)
    with open(tmap, "w") as f:
        f.write("# logins and their tenants\nalice team-a\nbob team-b\n")
    for x in (d, pw, tmap):
        os.chmod(x, 0o755 if x == d else 0o644)
    mock = labmod.Mock(lab, "tenant_login", ["--route-prefix", "/thanos"])
    yield {"HTPASSWD": pw, "TENANT_MAP": tmap, "mock": mock, "dir": d}
    mock.stop()


class Logins:
    """The cases through one server at base; probes are numbered so the
    mock's record shows whether any arrived."""

    def __init__(self, c, label, base, mock):
        self.c, self.L, self.base, self.mock = c, label, base, mock
        self.probes = []

    def sees(self, what, want, headers):
        a = e2e.fetch(self.base + "/-/echo", headers=headers)
        self.c.eq("%s: %s" % (self.L, what), want, "%d %s" % (a.status, tenants_seen(a)))

    def refused(self, what, want, headers):
        n = len(self.probes) + 1
        a = e2e.fetch(self.base + "/-/echo?probe=%d" % n, headers=headers)
        self.c.eq("%s: %s: %d" % (self.L, what, want), want, a.status)
        self.probes.append(what)
        return a

    def nothing_upstream(self):
        """Once a later request has reached the mock, no probe did."""
        marker = "marker=%d" % (len(self.probes) + 1)
        e2e.fetch(self.base + "/-/echo?" + marker, headers=login("alice"))
        seen = procs.wait_for("the marker request at the mock",
                              lambda: [r["target"] for r in self.mock.requests() if marker in r["target"]] and
                              [r["target"] for r in self.mock.requests()])
        for n, what in enumerate(self.probes, 1):
            self.c.eq("%s: %s: nothing reached the upstream" % (self.L, what), 0,
                      sum(t.endswith("probe=%d" % n) for t in seen))
        self.probes = []

    def neighbours(self):
        """/thanosX, /thanos-x: carol is never served, alice only with her
        tenant."""
        for nb in ("X", "-x"):
            a = e2e.fetch(self.base + nb + "/-/echo", headers=login("alice"))
            self.c.match("%s: alice at %s%s: her tenant or not served" % (self.L, self.base.rsplit("/", 1)[1], nb),
                         r"^(200 team-a|[345][0-9][0-9] .*)$", "%d %s" % (a.status, tenants_seen(a)))
            a = e2e.fetch(self.base + nb + "/-/echo", headers=login("carol"))
            self.c.match("%s: carol at %s%s: not served" % (self.L, self.base.rsplit("/", 1)[1], nb),
                         r"^[345][0-9][0-9]$", str(a.status))

    def run(self):
        self.sees("alice sees her tenant", "200 team-a", login("alice"))
        self.sees("bob sees his tenant", "200 team-b", login("bob"))
        self.sees("bob's forged THANOS-TENANT never arrives", "200 team-b",
                  login("bob") + [("THANOS-TENANT", "team-a")])
        self.sees("alice's forged thanos-tenant and Thanos_Tenant never arrive", "200 team-a",
                  login("alice") + [("thanos-tenant", "team-b"), ("Thanos_Tenant", "team-b")])
        a = self.refused("no login, a forged tenant header", 401, [("THANOS-TENANT", "team-a")])
        self.c.match("%s: the 401 is the server's login prompt" % self.L, r'^Basic realm="Thanos"',
                     a.header("WWW-Authenticate"))
        self.refused("a wrong password", 401, login("alice", "bpass"))
        a = self.refused("carol, a login the map does not name", 403, login("carol"))
        self.c.match("%s: carol's 403 is the adapter's" % self.L, "no tenant for this login", a.short())
        self.neighbours()
        self.nothing_upstream()


def checks(name):
    return casemod.Checks("tenant login: " + name)


def nginx(lab, logins, live):
    """nginx auth_basic in front of thanos-fcgi --listen."""
    a = labmod.Adapter(lab, "unix", "tl_nginx", {"flags": ["--upstream", logins["mock"].url, "--web.route-prefix",
                                                          "/thanos"]})
    live.append(a)
    ng = front.Nginx(lab, "tenant_login", "/thanos", a.addr, "thanos-fcgi-location-tenant.conf",
                     HTPASSWD=logins["HTPASSWD"], TENANT_MAP=logins["TENANT_MAP"])
    live.append(ng)
    return "nginx auth_basic", ng.port, None


def apache_fcgid(lab, logins, live):
    """Apache AuthType Basic with mod_fcgid spawning the adapter."""
    ap = front.Apache(lab, "apache_fcgid", "tenant_login", ["--upstream", logins["mock"].url, "--web.route-prefix",
                                                            "/thanos"],
                      snippet="thanos-fcgi-tenant.conf", ROOT_PATHS=ROOTS, HTPASSWD=logins["HTPASSWD"],
                      TENANT_MAP=logins["TENANT_MAP"])
    live.append(ap)
    return "apache mod_fcgid", ap.port, ap


def lighttpd(lab, logins, live):
    """lighttpd mod_auth in front of spawn-fcgi, the tenant flags on the
    spawn-fcgi line (the example fails closed)."""
    sock = os.path.join(logins["dir"], "lighttpd-spawn.sock")
    sp = procs.Proc("spawn-fcgi", ["spawn-fcgi", "-n", "-s", sock, "-M", "0660", "--", lab.binary, "--upstream",
                                   logins["mock"].url, "--web.route-prefix", "/thanos", "--tenant.header",
                                   "THANOS-TENANT", "--tenant.map", logins["TENANT_MAP"]],
                    os.path.join(logins["dir"], "spawn-fcgi.log"), env=lab.clean_env)
    live.append(sp)
    procs.wait_for("spawn-fcgi socket", lambda: labmod.unix_open(sp, sock))
    lt = front.Lighttpd(lab, "tenant_login", "/thanos", [], snippet="50-thanos-fcgi-tenant.conf", SOCKET=sock,
                        HTPASSWD=logins["HTPASSWD"])
    live.append(lt)
    return "lighttpd mod_auth", lt.port, None


def shared_hosting(lab, logins, live):
    """Shared hosting: the customer's .htaccess with AuthUserFile, mod_cgi
    (the tenant part appended: Apache reads it per request)."""
    sh = front.SharedHosting(lab, "shared_hosting", "tenant_login", ["--upstream", logins["mock"].url,
                                                                     "--web.route-prefix", "/thanos"],
                             ROOT_PATHS=ROOTS)
    live.append(sh)
    part = os.path.join(logins["dir"], "htaccess-tenant")
    front.render(os.path.join(front.DEPLOY, "shared-hosting", "htaccess-tenant"), part,
                 HTPASSWD=logins["HTPASSWD"], TENANT_MAP=logins["TENANT_MAP"])
    with open(part) as src, open(os.path.join(sh.dir, "htdocs", "thanos", ".htaccess"), "a") as dst:
        dst.write(src.read())
    return "shared hosting", sh.port, sh


@pytest.mark.parametrize("start", [nginx, apache_fcgid, lighttpd, shared_hosting], ids=lambda f: f.__name__)
def test_logins(lab, logins, start):
    """The logins through one server; an Apache's error log shows no crash."""
    c = checks(start.__name__)
    live = []
    try:
        label, port, apache = start(lab, logins, live)
        Logins(c, label, "http://127.0.0.1:%d/thanos" % port, logins["mock"]).run()
        if apache:
            e2e.check_apache_log(c, label, apache)
    finally:
        for x in reversed(live):
            x.stop()
    conftest.record("tenant login", c)
