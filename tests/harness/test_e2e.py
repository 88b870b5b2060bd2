"""test_e2e.py: whole deployments behind each front server, started from the
exact files of deploy/ (front.py), against a real Prometheus and the mock
(e2e.py): the suite (redirect chains, the UI and its assets, the query API,
encodings, gzip, methods), forwarded headers, streaming, a dead upstream,
and each server's own set-ups (spawn-fcgi, settings per request, the root
mount, two-level mounts).  One test per set-up, `-k nginx` picks a server."""

import os
import re

import pytest

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


# --- nginx (deploy/nginx) -------------------------------------------------------

@deployment("nginx", "listen unix /thanos")
def nginx_listen_unix(run, c, L):
    ups = run.ups
    s = "unix:" + run.sock("listen")
    a = run.adapter("listen", s, "--upstream", base(ups.prometheus("/thanos")), "--web.route-prefix", T,
                    "--upstream.root-path=")
    f = run.nginx(s)
    e2e.check_keepalive(c, L, f.url + "/thanos/api/v1/query?query=up")
    e2e.Suite(c, f.url, "/thanos", ups.prometheus("/thanos"), "prometheus", L + ", prometheus").run()
    run.down(f)
    run.down(a)
    run.adapter("listen", s, "--upstream", base(ups.mock(False)), "--web.route-prefix", T)
    f = run.nginx(s)
    e2e.Suite(c, f.url, "/thanos", ups.mock(False), "mock", L + ", mock").run()
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
    ups = run.ups
    s = run.sock("spawn")
    a = run.adapter("spawn", s, "--upstream", base(ups.prometheus("/thanos")), "--web.route-prefix", T,
                    "--upstream.root-path=")
    f = run.nginx(s)
    e2e.check_keepalive(c, L, f.url + "/thanos/api/v1/query?query=up")
    e2e.Suite(c, f.url, "/thanos", ups.prometheus("/thanos"), "prometheus", L + ", prometheus").run()
    run.down(f)
    run.down(a)
    run.adapter("spawn", s, "--upstream", base(ups.mock(False)), "--web.route-prefix", T)
    f = run.nginx(s)
    e2e.Suite(c, f.url, "/thanos", ups.mock(False), "mock", L + ", mock").run()


@deployment("nginx", "spawn-fcgi /a/b params")
def nginx_params(run, c, L):
    ups = run.ups
    s = run.sock("params")
    run.adapter("spawn", s)
    loc = "thanos-fcgi-location-params.conf"
    f = run.nginx(s, "/a/b", loc, UPSTREAM=base(ups.prometheus("/a/b")), ROUTE_PREFIX=T, ROOT_PATHS="")
    e2e.Suite(c, f.url, "/a/b", ups.prometheus("/a/b"), "prometheus", L + ", prometheus").run()
    run.down(f)
    f = run.nginx(s, "/a/b", loc, UPSTREAM=base(ups.mock(False)), ROUTE_PREFIX=T, ROOT_PATHS=ROOTS)
    e2e.Suite(c, f.url, "/a/b", ups.mock(False), "mock", L + ", mock").run()
    e2e.check_echo_headers(c, L + ", mock", f.url, "/a/b")


# --- lighttpd (deploy/lighttpd) -------------------------------------------------

@deployment("lighttpd", "spawn-fcgi /thanos")
def lighttpd_spawn(run, c, L):
    ups = run.ups
    s = run.sock("spawn")
    f = run.lighttpd("50-thanos-fcgi-spawn.conf", SOCKET=s)
    a = run.adapter("spawn", s, "--upstream", base(ups.prometheus("/thanos")), "--web.route-prefix", T,
                    "--upstream.root-path=")
    e2e.Suite(c, f.url, "/thanos", ups.prometheus("/thanos"), "prometheus", L + ", prometheus").run()
    run.down(a)
    run.adapter("spawn", s, "--upstream", base(ups.mock(False)), "--web.route-prefix", T)
    e2e.Suite(c, f.url, "/thanos", ups.mock(False), "mock", L + ", mock").run()
    e2e.check_echo_headers(c, L + ", mock", f.url, "/thanos")
    e2e.check_streaming(c, L + ", mock", f.url, "/thanos")


@deployment("lighttpd", "bin-path /thanos")
def lighttpd_bin_path(run, c, L):
    ups = run.ups
    snip = "50-thanos-fcgi.conf"
    f = run.lighttpd(snip, UPSTREAM=base(ups.prometheus("/thanos")), ROUTE_PREFIX=T, ROOT_PATHS="")
    e2e.Suite(c, f.url, "/thanos", ups.prometheus("/thanos"), "prometheus", L + ", prometheus").run()
    run.down(f)
    f = run.lighttpd(snip, UPSTREAM=base(ups.mock(False)), ROUTE_PREFIX=T, ROOT_PATHS=ROOTS)
    e2e.Suite(c, f.url, "/thanos", ups.mock(False), "mock", L + ", mock").run()
    run.down(f)
    f = run.lighttpd(snip, UPSTREAM=ups.mock(True), ROUTE_PREFIX="/", ROOT_PATHS=ROOTS)
    e2e.Suite(c, f.url, "/thanos", ups.mock(True), "mock", L + ", mock R=/ with prefix header").run()
    e2e.check_echo_headers(c, L + ", mock R=/", f.url, "/thanos")
    e2e.check_streaming(c, L + ", mock R=/", f.url, "/thanos")
    run.down(f)
    f = run.lighttpd(snip, UPSTREAM="http://127.0.0.1:%d" % run.lab.dead.port, ROUTE_PREFIX=T, ROOT_PATHS=ROOTS)
    e2e.check_dead_upstream(c, L, f.url + "/thanos/api/v1/query?query=up")


@deployment("lighttpd", "bin-path / fix-root-scriptname")
def lighttpd_root(run, c, L):
    ups = run.ups
    snip = "50-thanos-fcgi-root.conf"
    f = run.lighttpd(snip, UPSTREAM=base(ups.prometheus("")), ROUTE_PREFIX=T, ROOT_PATHS="")
    e2e.Suite(c, f.url, "", ups.prometheus(""), "prometheus", L + ", prometheus R=/thanos").run()
    run.down(f)
    f = run.lighttpd(snip, UPSTREAM=base(ups.mock(False)), ROUTE_PREFIX=T, ROOT_PATHS=ROOTS)
    e2e.Suite(c, f.url, "", ups.mock(False), "mock", L + ", mock R=/thanos").run()
    e2e.check_echo_headers(c, L + ", mock R=/thanos", f.url, "/")


@deployment("lighttpd", "spawn-fcgi /a/b per request")
def lighttpd_two_level(run, c, L):
    ups = run.ups
    s = run.sock("two")
    run.adapter("spawn", s)
    snip = "50-thanos-fcgi-two-level.conf"
    f = run.lighttpd(snip, SOCKET=s, UPSTREAM=base(ups.prometheus("/a/b")), ROUTE_PREFIX=T, ROOT_PATHS="")
    e2e.Suite(c, f.url, "/a/b", ups.prometheus("/a/b"), "prometheus", L + ", prometheus R=/thanos").run()
    run.down(f)
    f = run.lighttpd(snip, SOCKET=s, UPSTREAM=base(ups.mock(False)), ROUTE_PREFIX=T, ROOT_PATHS=ROOTS)
    e2e.Suite(c, f.url, "/a/b", ups.mock(False), "mock", L + ", mock R=/thanos").run()
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


@pytest.mark.parametrize("mode,name,fn", params())
def test_e2e(run, mode, name, fn):
    c = Checks("%s e2e %s" % (mode, name))
    fn(run, c, "%s %s" % (mode, name))
    conftest.record(mode, c)
