"""test_e2e.py: whole deployments behind each front server, started from the
exact files of deploy/ (front.py), against a real Prometheus and the mock
(e2e.py): the suite (redirect chains, the UI and its assets, the query API,
encodings, gzip, methods), forwarded headers, streaming, a dead upstream,
and each server's own set-ups (spawn-fcgi, settings per request, the root
mount, two-level mounts).  One test per set-up, `-k nginx` picks a server."""

import base64
import os
import re
import subprocess
import time

import pytest

import bounds
import conftest
import e2e
import front
import lab as labmod
import procs
from cases import Checks

T = e2e.ROUTE
ROOTS = e2e.THANOS_ROOTS


@pytest.fixture(scope="session")
def ups(lab):
    u = e2e.Upstreams(lab)
    u.start(e2e.Upstreams.PREFIXES)  # all at once: they get ready side by side
    yield u
    u.stop()


class Run:
    """What one set-up starts, stopped in reverse order whatever happens."""

    def __init__(self, lab, ups, mode):
        self.lab, self.ups, self.mode = lab, ups, mode
        self.live = []
        self.n = 0

    def name(self):
        self.n += 1
        return "e2e%d" % self.n

    def keep(self, x):
        self.live.append(x)
        return x

    def down(self, x):
        self.live.remove(x)
        x.stop()

    def stop(self):
        while self.live:
            self.live.pop().stop()

    def adapter(self, how, addr, *args):
        """thanos-fcgi --listen ADDR, or (how = "spawn") under spawn-fcgi on
        the unix socket ADDR, with --threads 8 and args."""
        b = self.lab.binary
        n = self.name()
        if how == "spawn":
            if os.path.exists(addr):
                os.unlink(addr)
            argv = ["spawn-fcgi", "-n", "-s", addr, "-M", "0660", "--", b, "--threads", "8"] + list(args)
        else:
            if addr.startswith("unix:") and os.path.exists(addr[5:]):
                os.unlink(addr[5:])
            argv = [b, "--listen", addr, "--threads", "8"] + list(args)
        p = procs.Proc("adapter " + n, argv, os.path.join(self.ups.dir, "adapter_%s.log" % n),
                       env=self.lab.clean_env)
        path = addr[5:] if addr.startswith("unix:") else addr if addr.startswith("/") else None
        if path:
            procs.wait_for("adapter %s socket" % n, lambda: labmod.unix_open(p, path))
        else:
            procs.wait_for("adapter %s port" % n, lambda: labmod.port_or_dead(p, int(addr.rsplit(":", 1)[1])))
        return self.keep(p)

    def sock(self, what):
        return os.path.join(self.ups.dir, "%s_%s.sock" % (what, self.name()))

    def nginx(self, addr, mount="/thanos", location="thanos-fcgi-location.conf", **values):
        f = front.Nginx(self.lab, self.name(), mount, addr, location, **values)
        f.url = "http://127.0.0.1:%d" % f.port
        return self.keep(f)

    def lighttpd(self, snippet, **values):
        f = front.Lighttpd(self.lab, self.name(), "/thanos", [], snippet, **values)
        f.url = "http://127.0.0.1:%d" % f.port
        return self.keep(f)


SETUPS = {}


def deployment(mode, name):
    def add(fn):
        SETUPS.setdefault(mode, []).append((name, fn))
        return fn
    return add


@pytest.fixture
def run(lab, ups, request):
    r = Run(lab, ups, request.node.callspec.params["mode"])
    yield r
    r.stop()


def params():
    return [pytest.param(mode, name, fn, id="%s-e2e-%s" % (mode, name))
            for mode in labmod.FRONT_MODES for name, fn in SETUPS.get(mode, [])]


def base(url):
    """The upstream's origin, from its URL with the route prefix."""
    return url[:-len(T)] if url.endswith(T) else url


def both(run, c, L, prefix, start, keepalive=False, suffix=("", "")):
    """The suite at prefix against the Prometheus of that prefix, then
    against the mock R = /thanos.  start(kind, upstream, root_paths) starts
    what serves it and returns the front; what it started for the
    Prometheus is stopped before the mock's.  suffix: the labels' ends
    (prometheus, mock).  Returns the mock's front."""
    ups = run.ups
    for kind, direct, roots, end in (("prometheus", ups.prometheus(prefix), "", suffix[0]),
                                     ("mock", ups.mock(False), ROOTS, suffix[1])):
        n = len(run.live)
        f = start(kind, base(direct), roots)
        if keepalive and kind == "prometheus":
            e2e.check_keepalive(c, L, f.url + prefix + "/api/v1/query?query=up")
        e2e.Suite(c, f.url, prefix, direct, kind, "%s, %s%s" % (L, kind, end)).run()
        if kind == "prometheus":
            while len(run.live) > n:
                run.live.pop().stop()
    return f


# the adapter's own flags for each kind: Prometheus has no Thanos root paths
ROOT_FLAGS = {"prometheus": ["--upstream.root-path="], "mock": []}


# --- nginx (deploy/nginx) -------------------------------------------------------

def nginx_own_adapter(run, how, s):
    """start() for both(): the adapter (how: listen, spawn) on s, nginx at
    /thanos in front of it."""
    def start(kind, up, roots):
        run.adapter(how, s, "--upstream", up, "--web.route-prefix", T, *ROOT_FLAGS[kind])
        return run.nginx(s)
    return start


@deployment("nginx", "listen unix /thanos")
def nginx_listen_unix(run, c, L):
    f = both(run, c, L, "/thanos", nginx_own_adapter(run, "listen", "unix:" + run.sock("listen")), keepalive=True)
    e2e.check_echo_headers(c, L + ", mock", f.url, "/thanos")
    e2e.check_streaming(c, L + ", mock", f.url, "/thanos")


@deployment("nginx", "listen tcp /thanos mock R=/")
def nginx_listen_tcp(run, c, L):
    addr = "127.0.0.1:%d" % procs.free_port()
    run.adapter("listen", addr, "--upstream", run.ups.mock(True), "--web.route-prefix", "/")
    f = run.nginx(addr)
    e2e.Suite(c, f.url, "/thanos", run.ups.mock(True), "mock", L).run()
    e2e.check_echo_headers(c, L, f.url, "/thanos")


@deployment("nginx", "dead upstream")
def nginx_dead(run, c, L):
    s = "unix:" + run.sock("dead")
    run.adapter("listen", s, "--upstream", "http://127.0.0.1:%d" % run.lab.dead.port, "--web.route-prefix", T)
    f = run.nginx(s)
    e2e.check_dead_upstream(c, L, f.url + "/thanos/api/v1/query?query=up")


@deployment("nginx", "spawn-fcgi /thanos")
def nginx_spawn(run, c, L):
    both(run, c, L, "/thanos", nginx_own_adapter(run, "spawn", run.sock("spawn")), keepalive=True)


@deployment("nginx", "spawn-fcgi /a/b params")
def nginx_params(run, c, L):
    s = run.sock("params")
    run.adapter("spawn", s)
    f = both(run, c, L, "/a/b", lambda kind, up, roots: run.nginx(
        s, "/a/b", "thanos-fcgi-location-params.conf", UPSTREAM=up, ROUTE_PREFIX=T, ROOT_PATHS=roots))
    e2e.check_echo_headers(c, L + ", mock", f.url, "/a/b")


# --- systemd (deploy/systemd), without a running systemd ---------------------------
# `systemd-analyze verify` on the rendered units, then each unit's ExecStart
# run by hand the way systemd would run it (the environment from
# thanos-fcgi.default only; for the socket-activated pair the .socket unit's
# listening socket on fd 0), behind nginx with deploy/nginx.

SYSTEMD = os.path.join(front.DEPLOY, "systemd")
# what systemd does for a .socket unit: bind ListenStream, put it on fd 0
ACTIVATE = """import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o660)
s.listen(128)
os.dup2(s.fileno(), 0)
os.execv(sys.argv[2], sys.argv[2:])
"""


def unit_lines(run, name, key, **values):
    """The values of `key=` lines in deploy/systemd/name, rendered."""
    dst = os.path.join(run.ups.dir, "%s.%s" % (name, run.name()))
    front.render(os.path.join(SYSTEMD, name), dst, **values)
    with open(dst) as f:
        return [ln.rstrip("\n")[len(key) + 1:] for ln in f if ln.startswith(key + "=")]


def systemd_verify(run, c, L):
    d = os.path.join(run.ups.dir, "units")
    os.makedirs(d, exist_ok=True)
    b = run.lab.binary
    for name, values in (("thanos-fcgi.service", {"BIN": b, "SOCKET": "/run/thanos-fcgi/thanos-fcgi.sock"}),
                         ("thanos-fcgi-activated.socket", {"SOCKET": "/run/thanos-fcgi.sock"}),
                         ("thanos-fcgi-activated.service", {"BIN": b})):
        front.render(os.path.join(SYSTEMD, name), os.path.join(d, name), **values)
    for units in (["thanos-fcgi.service"], ["thanos-fcgi-activated.socket", "thanos-fcgi-activated.service"]):
        p = subprocess.run(["systemd-analyze", "verify", "--man=no"] + units, cwd=d, capture_output=True, text=True)
        noise = [ln for ln in (p.stdout + p.stderr).splitlines() if ln and not re.search(r"Failed to .*(bus|journal)", ln)]
        c.eq("%s: systemd-analyze verify %s" % (L, " ".join(units)), (0, []), (p.returncode, noise))
    c.eq("%s: activated service reads fd 0 as the socket" % L, ["socket"],
         unit_lines(run, "thanos-fcgi-activated.service", "StandardInput", BIN=b))
    c.eq("%s: activated service logs to the journal, not the socket" % L, ["journal"],
         unit_lines(run, "thanos-fcgi-activated.service", "StandardOutput", BIN=b))
    c.eq("%s: listen service runs as nginx's user" % L, ["www-data"],
         unit_lines(run, "thanos-fcgi.service", "User", BIN=b, SOCKET="x"))


def as_service(run, c, L, kind, up, roots):
    """The unit's ExecStart, its environment the .default file alone; the
    adapter's socket path."""
    sock = run.sock(kind)
    default = os.path.join(run.ups.dir, "default.%s" % run.name())
    front.render(os.path.join(SYSTEMD, "thanos-fcgi.default"), default, UPSTREAM=up, ROUTE_PREFIX=T, ROOT_PATHS=roots)
    env = dict(PATH=os.environ["PATH"])
    with open(default) as f:
        env.update(ln.strip().split("=", 1) for ln in f if re.match(r"^[A-Z_]+=", ln))
    if kind == "listen":
        argv = unit_lines(run, "thanos-fcgi.service", "ExecStart", BIN=run.lab.binary, SOCKET=sock)[0].split()
    else:
        c.eq("%s: socket unit listens on the rendered path" % L, [sock],
             unit_lines(run, "thanos-fcgi-activated.socket", "ListenStream", SOCKET=sock))
        argv = ["python3", "-c", ACTIVATE, sock] + unit_lines(
            run, "thanos-fcgi-activated.service", "ExecStart", BIN=run.lab.binary)[0].split()
    p = run.keep(procs.Proc("%s service" % kind, argv, os.path.join(run.ups.dir, "%s.log" % run.name()), env=env))
    procs.wait_for("the %s service's socket" % kind, lambda: labmod.unix_open(p, sock))
    if kind == "listen":
        c.eq("%s: thanos-fcgi.service: the socket is srw-rw---- (--listen.mode 0660)" % L, "660",
             "%o" % (os.stat(sock).st_mode & 0o777))
    return p, sock


@deployment("nginx", "systemd units by hand")
def nginx_systemd(run, c, L):
    systemd_verify(run, c, L)
    for kind in ("listen", "activated"):
        started = []

        def start(k, up, roots, kind=kind):
            p, sock = as_service(run, c, "%s %s" % (L, kind), kind, up, roots)
            started.append(p)
            return run.nginx("unix:" + sock)
        f = both(run, c, "%s %s" % (L, kind), "/thanos", start)
        run.down(f)
        # SIGTERM as systemctl stop sends it: the process exits at once,
        # well within TimeoutStopSec
        t0 = time.monotonic()
        started[-1].p.terminate()
        rc = started[-1].wait_exit()
        took, bound = time.monotonic() - t0, bounds.configured_bound(0)
        c.eq("%s %s: stops on SIGTERM with exit status 0" % (L, kind), 0, rc)
        c.true("%s %s: stops on SIGTERM at once" % (L, kind), bounds.within(took, bound), bounds.show(took, bound))


# --- lighttpd (deploy/lighttpd) -------------------------------------------------

@deployment("lighttpd", "spawn-fcgi /thanos")
def lighttpd_spawn(run, c, L):
    s = run.sock("spawn")
    f = run.lighttpd("50-thanos-fcgi-spawn.conf", SOCKET=s)

    def start(kind, up, roots):
        run.adapter("spawn", s, "--upstream", up, "--web.route-prefix", T, *ROOT_FLAGS[kind])
        return f
    both(run, c, L, "/thanos", start)
    e2e.check_echo_headers(c, L + ", mock", f.url, "/thanos")
    e2e.check_streaming(c, L + ", mock", f.url, "/thanos")


def lighttpd_bin(run, snippet, **more):
    """start() for both(): lighttpd spawning the adapter itself."""
    return lambda kind, up, roots: run.lighttpd(snippet, UPSTREAM=up, ROUTE_PREFIX=T, ROOT_PATHS=roots, **more)


@deployment("lighttpd", "bin-path /thanos")
def lighttpd_bin_path(run, c, L):
    snip = "50-thanos-fcgi.conf"
    run.down(both(run, c, L, "/thanos", lighttpd_bin(run, snip)))
    f = run.lighttpd(snip, UPSTREAM=run.ups.mock(True), ROUTE_PREFIX="/", ROOT_PATHS=ROOTS)
    e2e.Suite(c, f.url, "/thanos", run.ups.mock(True), "mock", L + ", mock R=/ with prefix header").run()
    e2e.check_echo_headers(c, L + ", mock R=/", f.url, "/thanos")
    e2e.check_streaming(c, L + ", mock R=/", f.url, "/thanos")
    run.down(f)
    f = run.lighttpd(snip, UPSTREAM="http://127.0.0.1:%d" % run.lab.dead.port, ROUTE_PREFIX=T, ROOT_PATHS=ROOTS)
    e2e.check_dead_upstream(c, L, f.url + "/thanos/api/v1/query?query=up")


@deployment("lighttpd", "bin-path / fix-root-scriptname")
def lighttpd_root(run, c, L):
    f = both(run, c, L, "", lighttpd_bin(run, "50-thanos-fcgi-root.conf"), suffix=(" R=/thanos", " R=/thanos"))
    e2e.check_echo_headers(c, L + ", mock R=/thanos", f.url, "/")


@deployment("lighttpd", "spawn-fcgi /a/b per request")
def lighttpd_two_level(run, c, L):
    s = run.sock("two")
    run.adapter("spawn", s)
    f = both(run, c, L, "/a/b", lighttpd_bin(run, "50-thanos-fcgi-two-level.conf", SOCKET=s),
             suffix=(" R=/thanos", " R=/thanos"))
    e2e.check_echo_headers(c, L + ", mock", f.url, "/a/b")


# --- Apache: mod_fcgid (deploy/apache-fcgid), mod_cgid (deploy/apache-cgi) ----

DEPLOY_LIMIT = {"apache_fcgid": ("apache-fcgid/thanos-fcgi.conf", r"^FcgidMaxRequestLen +([0-9]+)", 1048576, 500),
                "apache_cgi": ("apache-cgi/thanos-cgi.conf", r"^ *LimitRequestBody +([0-9]+)", 16777216, 413)}


def deploy_limit(mode):
    """The body limit the mount file sets, read from it, the value the
    tests expect there, and the status over it."""
    path, pattern, want, over = DEPLOY_LIMIT[mode]
    with open(os.path.join(front.DEPLOY, path)) as f:
        m = re.search(pattern, f.read(), re.M)
    return int(m.group(1)) if m else None, want, over


def apache(run, snippet=None, env=None, **values):
    f = front.Apache(run.lab, run.mode, run.name(), [], snippet, env, **values)
    f.url = "http://127.0.0.1:%d" % f.port
    return run.keep(f)


def apache_cases(mode):
    @deployment(mode, "/thanos prometheus")
    def prometheus(run, c, L):
        f = apache(run, UPSTREAM=base(run.ups.prometheus("/thanos")), ROUTE_PREFIX=T, ROOT_PATHS="")
        e2e.Suite(c, f.url, "/thanos", run.ups.prometheus("/thanos"), "prometheus", L).run()
        e2e.check_apache_log(c, L, f)

    @deployment(mode, "/thanos mock")
    def mock(run, c, L):
        f = apache(run, UPSTREAM=base(run.ups.mock(False)), ROUTE_PREFIX=T, ROOT_PATHS=ROOTS)
        e2e.Suite(c, f.url, "/thanos", run.ups.mock(False), "mock", L).run()
        e2e.check_echo_headers(c, L, f.url, "/thanos")
        limit, want, over = deploy_limit(mode)
        c.eq("%s: the body limit is read from the deploy file" % L, want, limit)
        e2e.check_body_limit(c, L, f.url + "/thanos/-/echo", limit or want, over)
        e2e.check_streaming(c, L, f.url, "/thanos")
        e2e.check_chunked_post(c, L, f.url + "/thanos/-/echo")
        e2e.check_root_metrics(c, L, f.url, "/thanos")
        e2e.check_apache_log(c, L, f)

    @deployment(mode, "/thanos mock R=/ with prefix header")
    def mock_root(run, c, L):
        f = apache(run, UPSTREAM=run.ups.mock(True), ROUTE_PREFIX="/", ROOT_PATHS=ROOTS)
        root_checks(run, c, L, f)

    @deployment(mode, "/thanos dead upstream")
    def dead(run, c, L):
        port = run.lab.dead.port
        f = apache(run, UPSTREAM="http://127.0.0.1:%d" % port, ROUTE_PREFIX=T, ROOT_PATHS=ROOTS)
        e2e.check_dead_upstream(c, L, f.url + "/thanos/api/v1/query?query=up")
        tail = "\n".join(f.log_text().splitlines()[-5:])
        c.match("%s: the 502 is in Apache's error log" % L, r"127\.0\.0\.1:%d" % port, tail)


def root_checks(run, c, L, f):
    """The suite and the forwarded headers at /thanos against the mock R = /."""
    e2e.Suite(c, f.url, "/thanos", run.ups.mock(True), "mock", L).run()
    e2e.check_echo_headers(c, L, f.url, "/thanos")
    e2e.check_apache_log(c, L, f)


apache_cases("apache_fcgid")
apache_cases("apache_cgi")


@deployment("apache_fcgid", "one program at two mounts (SetEnv)")
def fcgid_mounts(run, c, L):
    ups = run.ups
    f = apache(run, "thanos-fcgi-mounts.conf", THANOS_UPSTREAM=base(ups.mock(False)),
               PROM_UPSTREAM=base(ups.prometheus("/monitoring/prometheus")))
    e2e.Suite(c, f.url, "/thanos", ups.mock(False), "mock", L + " /thanos, mock").run()
    e2e.Suite(c, f.url, "/monitoring/prometheus", ups.prometheus("/monitoring/prometheus"), "prometheus",
              L + " /monitoring/prometheus, prometheus").run()
    e2e.check_echo_headers(c, L + " /thanos, mock", f.url, "/thanos")
    e2e.check_apache_log(c, L, f)


@deployment("apache_cgi", "/thanos PassEnv mock R=/ with prefix header")
def cgi_passenv(run, c, L):
    f = apache(run, "thanos-cgi-passenv.conf",
               {"THANOS_FCGI_UPSTREAM": run.ups.mock(True), "THANOS_FCGI_ROUTE_PREFIX": "/",
                "THANOS_FCGI_ROOT_PATHS": ROOTS})
    root_checks(run, c, L, f)


# --- shared hosting (deploy/shared-hosting) ---------------------------------------
#
# An Apache (prefork + mod_cgi) that knows nothing of thanos-fcgi, and the
# customer's directories holding the program as thanos.cgi and htaccess as
# .htaccess: /thanos, the two-level /hosting/thanos and an account's
# /~alice/thanos (mod_userdir).  .htaccess files are read per request, so
# the upstreams change without a restart.  THANOS_FCGI_RELEASE=FILE (make
# check-static): the customer uploads exactly that release file, after
# checking it against its .sha256 as the README says.

def site(run, f, where, **values):
    """The customer's upload under f's state directory: thanos.cgi and
    .htaccess (rendered aside, then renamed: Apache reads it per request)."""
    d = os.path.join(f.dir, where)
    os.makedirs(d, exist_ok=True)
    for x in range(len(where.split("/")) + 1):
        os.chmod(os.path.join(f.dir, *where.split("/")[:x]), 0o755)
    upload = os.environ.get("THANOS_FCGI_RELEASE") or run.lab.binary
    e2e.copy_exec(upload, os.path.join(d, "thanos.cgi"))
    front.render(os.path.join(front.DEPLOY, "shared-hosting", "htaccess"), os.path.join(d, ".htaccess.new"),
                 **values)
    os.chmod(os.path.join(d, ".htaccess.new"), 0o644)
    os.replace(os.path.join(d, ".htaccess.new"), os.path.join(d, ".htaccess"))
    return d


def shared_encoding(s):
    """The suite's encoding part where %2F in a path cannot work: Apache
    answers it with its own 404 before any .htaccess is read, and
    AllowEncodedSlashes is server config only.  That documented limit is
    asserted instead; %23, %3F and %25 survive the rewrite ([B=?#%])."""
    a = e2e.fetch(s.url("/api/v1/label/a%2Fb/values"))
    s.c.match("%s: %%2F in a path gets Apache's own 404 (documented shared-hosting limit)" % s.L,
              "^404 .*<title>404 Not Found</title>", "%d %s" % (a.status, a.short()))
    if s.kind == "mock":
        for name in ("caf%C3%A9%20x%3Fy", "%25%2e%41", "a%23b%3Fc%25d"):
            s.label_raw(name, "?x=1")
        a = s.echo_query()
        s.c.match("%s: path reaches the upstream under R" % s.L, '"path":"%s/-/echo"' % s.r, a.short())
    else:
        s.names_listed()
        s.same("/api/v1/label/caf%C3%A9%20x%3Fy/values", "/api/v1/label/caf%C3%A9%20x%3Fy/values")
        s.series()


def shared_suite(c, f, prefix, direct, kind, label):
    e2e.Suite(c, f.url, prefix, direct, kind, label).run(shared_encoding)


@deployment("shared_hosting", "three customer directories")
def shared_hosting(run, c, L):
    ups = run.ups
    release = os.environ.get("THANOS_FCGI_RELEASE")
    if release:
        d, b = os.path.split(release)
        r = subprocess.run(["sha256sum", "-c", b + ".sha256"], cwd=d, capture_output=True, text=True)
        c.eq("release file: sha256sum -c of its .sha256", b + ": OK", (r.stdout + r.stderr).strip())
        r = subprocess.run(["readelf", "-l", release], capture_output=True, text=True)
        c.eq("release file: fully static (no interpreter, no dynamic section)", [],
             re.findall("INTERP|DYNAMIC", r.stdout))
    prom_t, prom_ht = ups.prometheus("/thanos"), ups.prometheus("/hosting/thanos")
    mock_t, mock_root = ups.mock(False), ups.mock(True)
    f = run.keep(front.SharedHosting(run.lab, "shared_hosting", run.name(), [], None, None,
                                     UPSTREAM=base(prom_t), ROUTE_PREFIX=T, ROOT_PATHS=""))
    f.url = "http://127.0.0.1:%d" % f.port
    t = site(run, f, "htdocs/thanos", UPSTREAM=base(prom_t), ROUTE_PREFIX=T, ROOT_PATHS="")
    site(run, f, "htdocs/hosting/thanos", UPSTREAM=base(prom_ht), ROUTE_PREFIX=T, ROOT_PATHS="")
    site(run, f, "home/alice/public_html/thanos", UPSTREAM=base(mock_t), ROUTE_PREFIX=T, ROOT_PATHS=ROOTS)
    upload = release or run.lab.binary
    with open(upload, "rb") as a, open(os.path.join(t, "thanos.cgi"), "rb") as b:
        c.true("the uploaded thanos.cgi is %s byte for byte" % os.path.basename(upload), a.read() == b.read())

    shared_suite(c, f, "/thanos", prom_t, "prometheus", L + " /thanos, prometheus")
    shared_suite(c, f, "/hosting/thanos", prom_ht, "prometheus", L + " /hosting/thanos, prometheus")
    e2e.check_apache_log(c, L + ", prometheus", f)

    site(run, f, "htdocs/thanos", UPSTREAM=base(mock_t), ROUTE_PREFIX=T, ROOT_PATHS=ROOTS)
    site(run, f, "htdocs/hosting/thanos", UPSTREAM=mock_root, ROUTE_PREFIX="/", ROOT_PATHS=ROOTS)
    M = L + " /thanos, mock"
    shared_suite(c, f, "/thanos", mock_t, "mock", M)
    e2e.check_echo_headers(c, M, f.url, "/thanos")
    e2e.check_streaming(c, M, f.url, "/thanos")
    e2e.check_chunked_post(c, M, f.url + "/thanos/-/echo")
    big = os.urandom(3000000)
    got = e2e.echo_body(e2e.fetch(f.url + "/thanos/-/echo", "POST", e2e.OCTETS, big, timeout=60))
    c.eq("%s: a 3 MB POST arrives whole" % M, (200, "POST", 3000000, e2e.sha(big)), got)
    e2e.check_root_metrics(c, M, f.url, "/thanos")
    c.eq("%s: the .htaccess itself is not served" % M, 403, e2e.fetch(f.url + "/thanos/.htaccess").status)
    M = L + " /hosting/thanos, mock R=/ with prefix header"
    shared_suite(c, f, "/hosting/thanos", mock_root, "mock", M)
    e2e.check_echo_headers(c, M, f.url, "/hosting/thanos")
    M = L + " /~alice/thanos (mod_userdir), mock"
    shared_suite(c, f, "/~alice/thanos", mock_t, "mock", M)
    e2e.check_echo_headers(c, M, f.url, "/~alice/thanos")
    e2e.check_apache_log(c, L + ", mock", f)

    site(run, f, "htdocs/thanos", UPSTREAM="http://127.0.0.1:%d" % run.lab.dead.port, ROUTE_PREFIX=T,
         ROOT_PATHS=ROOTS)
    e2e.check_dead_upstream(c, L + " /thanos", f.url + "/thanos/api/v1/query?query=up")

    # basic auth: htaccess-auth appended to the customer's .htaccess
    site(run, f, "htdocs/thanos", UPSTREAM=base(mock_t), ROUTE_PREFIX=T, ROOT_PATHS=ROOTS)
    pw = os.path.join(f.dir, "htpasswd")
    subprocess.run(["htpasswd", "-c", "-b", "-B", pw, "user", "pass"], check=True, capture_output=True)
    os.chmod(pw, 0o644)
    part = os.path.join(f.dir, "auth.part")
    front.render(os.path.join(front.DEPLOY, "shared-hosting", "htaccess-auth"), part, HTPASSWD=pw)
    with open(part) as src, open(os.path.join(t, ".htaccess"), "a") as dst:
        dst.write(src.read())
    A = L + " /thanos, basic auth"
    good = [("Authorization", "Basic " + base64.b64encode(b"user:pass").decode())]
    bad = [("Authorization", "Basic " + base64.b64encode(b"user:wrong").decode())]
    c.eq("%s: no password, 401" % A, 401, e2e.fetch(f.url + "/thanos/graph").status)
    c.eq("%s: wrong password, 401" % A, 401, e2e.fetch(f.url + "/thanos/graph", headers=bad).status)
    c.eq("%s: right password, UI page" % A, 200, e2e.fetch(f.url + "/thanos/graph", headers=good).status)
    a = e2e.fetch(f.url + "/thanos", headers=good)
    c.eq("%s: right password, redirect from the bare prefix stays under it" % A,
         (301, f.url + "/thanos/"), (a.status, a.header("Location")))
    a = e2e.fetch(f.url + "/thanos/-/echo", headers=good)
    c.match("%s: the Authorization header reaches the upstream" % A, '"Authorization":"Basic dXNlcjpwYXNz"',
            "%d %s" % (a.status, a.short()))
    e2e.check_apache_log(c, L + ", auth", f)


@pytest.mark.parametrize("mode,name,fn", params())
def test_e2e(run, mode, name, fn):
    c = Checks("%s e2e %s" % (mode, name))
    fn(run, c, "%s %s" % (mode, name))
    conftest.record(mode, c)
