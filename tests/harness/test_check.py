"""test_check.py: `thanos-fcgi check` against the mock Thanos set up with
each mistake (route prefix elsewhere, root paths empty, its own external
prefix wrong or doubled, its prefix header served while the adapter sends
none), an upstream that refuses, a unix socket that is not there, one whose
TLS certificate is not trusted, the all-good case (exit 0), --format json,
bad settings (exit 2); and the same check at start-up of a FastCGI process:
its findings as warnings in the log, a first request answered while the
check still waits on a slow probe, SIGTERM during a probe, spawn-fcgi, and
no check in CGI mode or with --check.on-start=false.  Then in front of
Debian's real Prometheus started with each wrong flag, and with the
adapter's own mistakes in front of the right one."""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

import bounds
import cases as casemod
import conftest
import lab as labmod
import procs

HOLD = "hold: /metrics waits"


def checks(name):
    return casemod.Checks("check: " + name)


def record(c):
    conftest.record("check", c)


def waited(c, what, proc, pattern):
    """A check that proc logs a line matching pattern (an event, guarded)."""
    try:
        proc.wait_log(pattern)
        c.true(what, True)
    except procs.WaitTimeout as e:
        c.true(what, False, str(e))


class Check:
    """One run of `thanos-fcgi check ARGS`: rc, out, err."""

    def __init__(self, lab, *args):
        env = dict(lab.clean_env)
        env.pop("THANOS_FCGI_CHECK_ON_START", None)
        env.pop("THANOS_FCGI_BIN", None)
        p = subprocess.run([lab.binary, "check"] + list(args), env=env, capture_output=True,
                           timeout=procs.GUARD)
        self.rc = p.returncode
        self.out = p.stdout.decode("utf-8", "replace")
        self.err = p.stderr.decode("utf-8", "replace")


@pytest.fixture(scope="module")
def mocks(lab):
    """The mock Thanos in each shape: at /thanos, at /, with its external
    prefix elsewhere or doubled, serving the X-Forwarded-Prefix header."""
    shapes = {
        "thanos": ["--route-prefix", "/thanos"],
        "root": [],
        "ext": ["--route-prefix", "/thanos", "--external-prefix", "/other"],
        "dbl": ["--route-prefix", "/thanos", "--external-prefix", "/thanos/thanos"],
        "hdr": ["--prefix-header", "X-Forwarded-Prefix"],
    }
    m = {k: labmod.Mock(lab, "check_" + k, v) for k, v in shapes.items()}
    yield m
    for x in m.values():
        x.stop()


def test_good_and_route_prefix(lab, mocks):
    """All good is exit 0; the route prefix wrong either way names where the
    UI answers and the flag on the right side."""
    c = checks("route prefix")
    up = mocks["thanos"].url
    r = Check(lab, "--upstream", up, "--web.route-prefix", "/thanos")
    c.eq("all good: exit 0", 0, r.rc)
    c.match("all good: names Thanos and the route prefix", r"^ok: %s: Thanos, route prefix /thanos" % up, r.out)
    c.match("all good: says which public prefix it assumed", r"^note: public prefix assumed /thanos \(the route prefix",
            r.out)
    r = Check(lab, "--upstream", mocks["root"].url, "--web.route-prefix", "/thanos")
    c.eq("Thanos at /, adapter /thanos: exit 1", 1, r.rc)
    c.match("Thanos at /, adapter /thanos: says where it serves and the flag",
            r"serves under the route prefix / .*--web.route-prefix is /thanos \(GET /thanos/ answers 404\); "
            r"fix: set thanos-fcgi's --web.route-prefix=/", r.out)
    r = Check(lab, "--upstream", up, "--web.route-prefix", "/")
    c.eq("Thanos at /thanos, adapter /: exit 1", 1, r.rc)
    c.match("Thanos at /thanos, adapter /: its UI answers at /thanos/",
            r"Thanos serves under the route prefix /thanos \(its UI answers at /thanos/\).*fix: set thanos-fcgi's "
            r"--web.route-prefix=/thanos, or start Thanos with --web.route-prefix=/", r.out)
    r = Check(lab, "--upstream", up, "--web.route-prefix", "/thanos", "--upstream.root-path=")
    c.eq("root paths empty before a Thanos: exit 1", 1, r.rc)
    c.match("root paths empty before a Thanos: /-/ready and /metrics would 404, the default named",
            r"/-/ready and /metrics would 404: Thanos serves them at its root.*"
            r"--upstream.root-path=/metrics,/-/healthy,/-/ready", r.out)
    record(c)


def test_upstream_prefix(lab, mocks):
    """The upstream's own external prefix elsewhere or doubled, E given, and
    the prefix header it serves while the adapter sends none."""
    c = checks("the upstream's prefix")
    r = Check(lab, "--upstream", mocks["ext"].url, "--web.route-prefix", "/thanos")
    c.eq("Thanos --web.external-prefix=/other: exit 1", 1, r.rc)
    c.match("Thanos --web.external-prefix=/other: its GLOBAL_PATH_PREFIX and Thanos's flag",
            r"GLOBAL_PATH_PREFIX is '/other', not under the public prefix /thanos.*start Thanos with "
            r"--web.external-prefix=/thanos.*\[Thanos's own --web.external-prefix\]", r.out)
    r = Check(lab, "--format", "json", "--upstream", mocks["dbl"].url, "--web.route-prefix", "/thanos")
    c.match("Thanos --web.external-prefix=/thanos/thanos: reported as doubled", '"id":"page_prefix_doubled"', r.out)
    c.eq("doubled: exit 1", 1, r.rc)
    r = Check(lab, "--upstream", mocks["thanos"].url, "--web.route-prefix", "/thanos", "--web.external-prefix", "/pub")
    c.match("E given: the note says --web.external-prefix, not assumed",
            r"^note: public prefix /pub \(--web.external-prefix\)", r.out)
    c.match("E /pub before a Thanos serving /thanos (no prefix header): its page named",
            r"GLOBAL_PATH_PREFIX is '/thanos', not under the public prefix /pub", r.out)
    hdr = ["--upstream", mocks["hdr"].url, "--web.route-prefix", "/", "--web.external-prefix", "/thanos"]
    r = Check(lab, *(hdr + ["--web.prefix-header="]))
    c.eq("Thanos serves X-Forwarded-Prefix, adapter sends none: exit 1", 1, r.rc)
    c.match("Thanos serves X-Forwarded-Prefix, adapter sends none: the adapter's flag",
            r"takes its UI prefix from X-Forwarded-Prefix .*fix: set thanos-fcgi's "
            r"--web.prefix-header=X-Forwarded-Prefix", r.out)
    r = Check(lab, *hdr)
    c.eq("Thanos serves X-Forwarded-Prefix, adapter sends it: exit 0", 0, r.rc)
    r = Check(lab, "--upstream", mocks["thanos"].url, "--web.route-prefix", "/thanos", "--tenant.header",
              "THANOS-TENANT")
    c.eq("tenancy before a Thanos: exit 0 (nothing wrong seen)", 0, r.rc)
    c.match("tenancy before a Thanos: names --query.enforce-tenancy, claims no isolation",
            r"^note: .*isolates tenants only when run with --query.enforce-tenancy and "
            r"--query.tenant-header=THANOS-TENANT", r.out)
    record(c)


@pytest.fixture(scope="module")
def tls_server(lab):
    """openssl s_server with a self-signed certificate nobody trusts."""
    d = os.path.join(lab.dir, "check_tls")
    os.makedirs(d, exist_ok=True)
    key, cert = os.path.join(d, "k.pem"), os.path.join(d, "c.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
    port = procs.free_port()
    p = procs.Proc("s_server", ["openssl", "s_server", "-quiet", "-accept", "127.0.0.1:%d" % port,
                                "-cert", cert, "-key", key, "-www"], os.path.join(d, "s_server.log"))
    procs.wait_for("openssl s_server port", lambda: labmod.port_or_dead(p, port))
    yield port
    p.stop()


def test_unreachable_and_tls(lab, mocks, tls_server):
    """Refused, a missing unix socket, an untrusted certificate: the cause
    and the flag; JSON for two replicas; bad settings are exit 2."""
    c = checks("unreachable")
    dead = "http://127.0.0.1:%d" % lab.dead.port
    r = Check(lab, "--upstream", dead, "--web.route-prefix", "/thanos")
    c.eq("refused: exit 1", 1, r.rc)
    c.match("refused: the cause and --upstream",
            r"^fail: %s: unreachable: .*Couldn't connect.*\[thanos-fcgi --upstream\]" % dead, r.out)
    sock = os.path.join(lab.dir, "none.sock")
    r = Check(lab, "--upstream", "unix:" + sock, "--web.route-prefix", "/thanos")
    c.eq("unix socket missing: exit 1", 1, r.rc)
    c.match("unix socket missing: the socket named", r"^fail: unix:%s: unreachable: unix socket %s: " % (sock, sock),
            r.out)
    r = Check(lab, "--upstream", "https://127.0.0.1:%d" % tls_server, "--web.route-prefix", "/thanos")
    c.eq("untrusted certificate: exit 1", 1, r.rc)
    c.match("untrusted certificate: TLS failed, the cause, --upstream.tls.ca-file",
            r"TLS failed: .*certificate.*--upstream.tls.ca-file", r.out)
    r = Check(lab, "--format", "json", "--upstream", mocks["thanos"].url + "," + dead, "--web.route-prefix", "/thanos")
    d = json.loads(r.out)
    u = d["upstreams"]
    c.eq("json: ok false, one replica fine, the other unreachable", (False, "Thanos", "ok", "unreachable", "--upstream"),
         (d["ok"], u[0]["kind"], u[0]["findings"][0]["id"], u[1]["findings"][0]["id"], u[1]["findings"][0]["flag"]))
    r = Check(lab, "--upstream", mocks["thanos"].url, "--web.route-prefix", "/thanos", "--no-such-flag", "x")
    c.eq("unknown flag: exit 2", 2, r.rc)
    r = Check(lab, "--format", "yaml", "--upstream", mocks["thanos"].url)
    c.eq("bad --format: exit 2", 2, r.rc)
    c.match("bad --format: says so", r"--format: want text or json", r.err)
    record(c)


def on_start(lab, mode, name, flags, **env):
    """An adapter of mode with the start-up check on."""
    spec = {"flags": flags, "env": dict({"THANOS_FCGI_CHECK_ON_START": "true"}, **env), "settings": "flags"}
    return labmod.Adapter(lab, mode, "check_" + name, spec)


def test_start_up_slow_probe(lab, mocks):
    """FastCGI: the first request is answered while the check's probe is
    held; once released, the finding is logged at warn level."""
    c = checks("start-up")
    hold = os.path.join(lab.dir, "check_release")
    slow = labmod.Mock(lab, "check_slow", ["--route-prefix", "/thanos", "--hold-path", "/metrics",
                                           "--hold-file", hold])
    a = on_start(lab, "listen", "st", ["--upstream", slow.url, "--web.route-prefix", "/thanos",
                                       "--upstream.root-path=", "--log.level", "warn"])
    try:
        waited(c, "start-up: the check's first probe waits at the upstream", slow.proc, HOLD)
        r = a.request("GET", "/thanos", "/api/v1/query?query=up")
        c.eq("start-up: a first request is answered while the check waits", 200, r.status)
        c.eq("start-up: the check had not finished then", 0, a.proc.log_count("check: done"))
        open(hold, "w").close()
        waited(c, "start-up: the check ends once its probe is answered", a.proc, "check: done, 1 problem")
        log = a.proc.log_text()
        c.match("start-up: the finding is logged at warn level, naming the flag",
                r"check: .*/-/ready and /metrics would 404.*--upstream.root-path=/metrics", log)
        c.eq("start-up: at warn level the check's info lines are not there", 0, log.count("probing the upstream"))
    finally:
        a.stop()
        slow.stop()
    record(c)


def test_stop_during_probe(lab):
    """SIGTERM while the check's probe still waits: the process ends within
    its --shutdown.grace (the probe aborted), status 0, no findings."""
    c = checks("stop during the probe")
    held = labmod.Mock(lab, "check_held", ["--route-prefix", "/thanos", "--hold-path", "/metrics",
                                           "--hold-file", os.path.join(lab.dir, "check_never")])
    grace = 5.0
    a = on_start(lab, "listen", "hd", ["--upstream", held.url, "--web.route-prefix", "/thanos",
                                       "--shutdown.grace", "%ds" % grace])
    try:
        waited(c, "stop: the probe waits", held.proc, HOLD)
        t0 = time.monotonic()
        os.kill(a.proc.pid, signal.SIGTERM)
        rc = a.proc.wait_exit()
        took = time.monotonic() - t0
        b = (0.0, bounds.configured_bound(grace)[1])
        c.true("stop: ends within --shutdown.grace though the probe never got an answer", bounds.within(took, b),
               bounds.show(took, b))
        c.eq("stop: exit status 0, the check's findings not logged", (0, 0), (rc, a.proc.log_count("check: done")))
    finally:
        a.stop()
        held.stop()
    record(c)


def test_spawn_and_off(lab, mocks):
    """Under spawn-fcgi (no terminal) the same warning is logged;
    --check.on-start=false runs no check."""
    c = checks("spawn-fcgi and off")
    up = mocks["thanos"].url
    a = on_start(lab, "spawn", "sp", ["--upstream", up, "--web.route-prefix", "/thanos", "--upstream.root-path="])
    try:
        waited(c, "spawn-fcgi: the start-up check ends with one problem", a.proc, "check: done, 1 problem")
        c.match("spawn-fcgi: the warning names the flag",
                r"check: .*/-/ready and /metrics would 404.*--upstream.root-path=/metrics", a.proc.log_text())
    finally:
        a.stop()
    a = labmod.Adapter(lab, "listen", "check_quiet", {"flags": ["--upstream", up, "--web.route-prefix", "/thanos",
                                                                "--check.on-start=false"]})
    try:
        c.eq("check.on-start=false: answers", 200, a.request("GET", "/thanos", "/api/v1/query?query=up").status)
        c.eq("check.on-start=false: no start-up check", 0, a.proc.log_count("check:"))
    finally:
        a.stop()
    record(c)


def test_cgi_no_check(lab, mocks):
    """CGI: one request a process, so no start-up check: only the request
    reaches the upstream."""
    c = checks("CGI")
    root = mocks["root"]
    n0 = len(root.requests())
    a = labmod.Adapter(lab, "cgi", "check_cg", {"flags": ["--upstream", root.url, "--web.route-prefix", "/"],
                                                "env": {"THANOS_FCGI_CHECK_ON_START": "true"}})
    c.eq("CGI: answered", 200, a.request("GET", "/thanos", "/api/v1/query?query=up").status)
    c.eq("CGI: only the request reached the upstream (no probes)", n0 + 1, len(root.requests()))
    record(c)


@pytest.fixture(scope="module")
def proms(lab):
    """Debian's Prometheus started right (--web.route-prefix=/thanos and
    --web.external-url .../thanos), without --web.external-url, and with
    another route prefix (/prom, external .../prom)."""
    import e2e
    # not under lab.dir: the Apache fixtures make all of that readable,
    # while Prometheus creates and removes its files
    d = tempfile.mkdtemp(prefix="thanos-fcgi-prometheus.")
    p = {"good": e2e.Prometheus(d, "/thanos"), "noext": e2e.Prometheus(d, "/thanos", external=None),
         "other": e2e.Prometheus(d, "/prom", route="/prom")}
    try:
        for x in p.values():
            x.wait()
        yield {k: "http://127.0.0.1:%d" % x.port for k, x in p.items()}
    finally:
        for x in p.values():
            x.stop()
        shutil.rmtree(d, ignore_errors=True)


# In front of a real Prometheus: (upstream, flags, exit status, label,
# what the output must say).
E_PROM = ["--web.route-prefix", "/thanos", "--upstream.root-path="]
PROM_CASES = [
    ("good", E_PROM, 0, "right flags, root paths empty",
     [r"^ok: {good}: Prometheus, route prefix /thanos", r"^everything looks right$"]),
    ("good", ["--web.route-prefix", "/thanos"], 1, "root paths left at Thanos's default",
     [r"/-/ready and /metrics would 404: Prometheus serves them under its route prefix.*fix: set "
      r"--upstream.root-path= \(empty\) in front of a Prometheus \[thanos-fcgi --upstream.root-path\]"]),
    ("noext", E_PROM, 1, "Prometheus without --web.external-url",
     [r"its redirect to /classic/graph would send the browser to /classic/graph, outside the public prefix "
      r"/thanos; fix: start Prometheus with --web.external-url=https://HOST/thanos .*"
      r"\[Prometheus's own --web.external-url\]"]),
    ("other", E_PROM, 1, "Prometheus --web.route-prefix=/prom, adapter /thanos",
     [r"Prometheus serves under the route prefix /prom \(its UI answers at /prom/\), but thanos-fcgi's "
      r"--web.route-prefix is /thanos.*fix: set thanos-fcgi's --web.route-prefix=/prom, or start Prometheus "
      r"with --web.route-prefix=/thanos"]),
    ("good", ["--web.route-prefix", "/", "--upstream.root-path="], 1, "adapter route prefix / before /thanos",
     [r"serves under the route prefix /thanos .*--web.route-prefix=/thanos"]),
    ("good", ["--web.external-prefix", "/pub"] + E_PROM, 1, "public prefix /pub before a Prometheus built for /thanos",
     [r"PATH_PREFIX is '/thanos', not under the public prefix /pub.*--web.external-url=https://HOST/pub"]),
    ("good", ["--tenant.header", "X-Scope-OrgID"] + E_PROM, 1, "tenancy before a Prometheus: a warning, no isolation",
     [r"^warn: .*--tenant.header=X-Scope-OrgID is on, but Prometheus has no tenancy.*no isolation"]),
]


def test_prometheus(lab, proms):
    """In front of a real Prometheus: right (exit 0), root paths left at
    Thanos's default, Prometheus without --web.external-url or at another
    route prefix, the adapter's route prefix /, another public prefix,
    tenancy on; each the cause, the flag and whose it is."""
    c = checks("Prometheus")
    for up, flags, rc, label, says in PROM_CASES:
        r = Check(lab, "--upstream", proms[up], *flags)
        c.eq("%s: exit %d" % (label, rc), rc, r.rc)
        for pattern in says:
            c.match("%s: says /%s/" % (label, pattern[:40]), pattern.format(**proms), r.out)
    record(c)


def test_prometheus_start_up(lab, proms):
    """JSON, and the start-up check's warning in the log while a query is
    answered."""
    c = checks("Prometheus, the adapter's side")
    e = E_PROM
    r = Check(lab, "--format", "json", "--upstream", proms["noext"], *e)
    d = json.loads(r.out)
    u = d["upstreams"][0]
    f = u["findings"][0]
    c.eq("json: the finding's id, flag and side", (False, "Prometheus", "redirect_outside", "--web.external-url",
                                                   "Prometheus"), (d["ok"], u["kind"], f["id"], f["flag"], f["side"]))
    a = on_start(lab, "listen", "pst", ["--upstream", proms["noext"]] + e)
    try:
        c.eq("start-up: a query is answered", 200, a.request("GET", "/thanos", "/api/v1/query?query=1%2B1").status)
        waited(c, "start-up: the check ends with one problem", a.proc, "check: done, 1 problem")
        c.match("start-up: the warning names Prometheus's --web.external-url",
                r"check: .*outside the public prefix /thanos; fix: start Prometheus with "
                r"--web.external-url=https://HOST/thanos", a.proc.log_text())
    finally:
        a.stop()
    record(c)


# ---- check --url: through real web servers ----------------------------------

TOKEN = "t0k3n-" + os.urandom(6).hex()
PHP_FPM_WAY = "location /thanos/ {\n\tinclude /etc/nginx/fastcgi_params;\n\tfastcgi_pass thanos_fcgi;\n}\n"


def check_url(lab, up, url, *more):
    return Check(lab, "--upstream", up.url, "--web.route-prefix", "/thanos", "--web.check-token", TOKEN,
                 "--url", url, *more)


def check_paths(up):
    return sum("thanos-fcgi/check" in r["target"] for r in up.requests())


@pytest.fixture(scope="module")
def url_mock(lab):
    m = labmod.Mock(lab, "check_url", ["--route-prefix", "/thanos"])
    yield m
    m.stop()


def php_fpm_way(lab):
    """An nginx location written the PHP-FPM way (a file outside deploy/)."""
    php = os.path.join(lab.dir, "check_php_fpm_way.conf")
    with open(php, "w") as f:
        f.write(PHP_FPM_WAY)
    return php


def socket_adapter(lab, name, up, *more):
    return labmod.Adapter(lab, "unix", "check_" + name, {"flags": ["--upstream", up.url, "--web.route-prefix",
                                                                   "/thanos"] + list(more)})


def test_url_nginx(lab, url_mock):
    """nginx with deploy/nginx: all right, the check answer only with the
    token and never forwarded; the location written the PHP-FPM way: E is
    the whole path, `fastcgi_param SCRIPT_NAME` named."""
    import front
    c = checks("--url, nginx")
    a = socket_adapter(lab, "ngood", url_mock, "--web.check-token", TOKEN)
    ng = front.Nginx(lab, "check_good", "/thanos", a.addr)
    np = front.Nginx(lab, "check_php", "/thanos", a.addr, php_fpm_way(lab))
    try:
        url = "http://127.0.0.1:%d/thanos/" % ng.port
        r = check_url(lab, url_mock, url)
        c.eq("nginx, deploy/nginx: exit 0", 0, r.rc)
        c.match("nginx, deploy/nginx: the public prefix taken from --url",
                r"^note: public prefix /thanos \(the path of --url\), route prefix /thanos$", r.out)
        c.match("nginx, deploy/nginx: what the server passed",
                r"^note: %s: the web server passed SCRIPT_NAME='/thanos' .*REQUEST_URI='/thanos/-/thanos-fcgi/check', "
                r"Authorization arrives; the adapter derived E='/thanos' T='/-/thanos-fcgi/check'" % url, r.out)
        c.match("nginx, deploy/nginx: prefix, %2F and Authorization right",
                r"^ok: %s: the web server passes the prefix, %%2F and Authorization" % url, r.out)
        c.eq("nginx: the check requests never reached the upstream", 0, check_paths(url_mock))
        r = check_url(lab, url_mock, url, "--web.check-token", "wrong")
        c.eq("wrong token: exit 1", 1, r.rc)
        c.match("wrong token: answered 403, --web.check-token named",
                r"answers 403, not thanos-fcgi's check answer.*\[thanos-fcgi --web.check-token\]", r.out)
        import e2e
        got = e2e.fetch(url + "-/thanos-fcgi/check")
        c.eq("no token: 403 from the adapter", (403, "thanos-fcgi: check token missing or wrong (--web.check-token)"),
             (got.status, got.body.decode().split("\n")[0]))
        c.eq("no token, wrong token: nothing forwarded upstream", 0, check_paths(url_mock))
        c.match("no token: the adapter logs why", "check token missing or wrong", a.proc.log_text())
        r = check_url(lab, url_mock, "http://127.0.0.1:%d/thanos/" % np.port)
        c.eq("nginx the PHP-FPM way: exit 1", 1, r.rc)
        c.match("nginx the PHP-FPM way: E is the whole path",
                r"SCRIPT_NAME='/thanos/-/thanos-fcgi/check', PATH_INFO=\(unset\).*derives "
                r"E='/thanos/-/thanos-fcgi/check', T='', not E='/thanos'", r.out)
        c.match("nginx the PHP-FPM way: fastcgi_param SCRIPT_NAME named",
                r"whole path as SCRIPT_NAME .*add `fastcgi_param SCRIPT_NAME /thanos;` after it", r.out)
    finally:
        for x in (ng, np, a):
            x.stop()
    record(c)


def test_url_no_token(lab, url_mock):
    """The adapter without --web.check-token: the path is the upstream's,
    forwarded like any other."""
    import front
    c = checks("--url, no token")
    a = socket_adapter(lab, "noton", url_mock)
    ng = front.Nginx(lab, "check_noton", "/thanos", a.addr)
    np = front.Nginx(lab, "check_noton_php", "/thanos", a.addr, php_fpm_way(lab))
    try:
        n0 = check_paths(url_mock)
        url = "http://127.0.0.1:%d/thanos/" % ng.port
        r = check_url(lab, url_mock, url)
        c.eq("adapter without --web.check-token: exit 1", 1, r.rc)
        c.match("adapter without --web.check-token: the upstream's answer, the flag named",
                r"%s-/thanos-fcgi/check answers 404, not thanos-fcgi's check answer; fix: set the same "
                r"--web.check-token" % url, r.out)
        c.eq("adapter without --web.check-token: forwarded like any path", n0 + 2, check_paths(url_mock))
        r = Check(lab, "--format", "json", "--upstream", url_mock.url, "--web.route-prefix", "/thanos", "--url",
                  "http://127.0.0.1:%d/thanos/" % np.port, "--web.check-token", "x")
        d = json.loads(r.out)
        c.eq("json: the web part has its own findings", (False, "no_check_answer"),
             (d["ok"], d["web"]["findings"][0]["id"]))
    finally:
        for x in (ng, np, a):
            x.stop()
    record(c)


def apache_templates(lab):
    """deploy/apache-cgi with the token set, then without CGIPassAuth On,
    and its httpd.conf without AllowEncodedSlashes NoDecode."""
    import front
    src = os.path.join(front.DEPLOY, "apache-cgi")
    d = os.path.join(lab.dir, "check_apache_templates")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(src, "thanos-cgi.conf")) as f:
        mount = re.sub(r"^(\s*)SetEnv THANOS_FCGI_UPSTREAM .*$",
                       lambda m: m.group(0) + "\n" + m.group(1) + 'SetEnv THANOS_FCGI_WEB_CHECK_TOKEN "@TOKEN@"',
                       f.read(), flags=re.M)
    with open(os.path.join(src, "httpd.conf")) as f:
        httpd = f.read()
    files = {"good.conf": mount, "noauth.conf": drop_lines(mount, "CGIPassAuth On"),
             "httpd-noslash.conf": drop_lines(httpd, "AllowEncodedSlashes NoDecode")}
    for name, text in files.items():
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    return {k: os.path.join(d, k) for k in files}


def drop_lines(text, what):
    return "".join(ln for ln in text.splitlines(True) if what not in ln)


def apache_check(lab, up, name, snippet, httpd="httpd.conf", *more):
    """check --url through Apache mod_cgi with those files."""
    import front
    ap = front.Apache(lab, "apache_cgi", "check_" + name, ["--upstream", up.url, "--web.route-prefix", "/thanos"],
                      snippet=snippet, httpd=httpd, TOKEN=TOKEN)
    try:
        url = "http://127.0.0.1:%d/thanos/" % ap.port
        return url, check_url(lab, up, url, *more)
    finally:
        ap.stop()


def test_url_apache(lab, url_mock):
    """Apache mod_cgi: deploy/apache-cgi (right), without AllowEncodedSlashes
    NoDecode, without CGIPassAuth On; JSON of what the server passed."""
    c = checks("--url, Apache")
    t = apache_templates(lab)
    url, r = apache_check(lab, url_mock, "good", t["good.conf"])
    c.eq("Apache, deploy/apache-cgi: exit 0", 0, r.rc)
    c.match("Apache, deploy/apache-cgi: all right", r"^ok: %s: the web server passes the prefix" % url, r.out)
    _, r = apache_check(lab, url_mock, "goodjson", t["good.conf"], "httpd.conf", "--format", "json")
    p = json.loads(r.out)["web_passed"]
    c.eq("json, Apache: what the server passed, as fields",
         (True, "/thanos", "/-/thanos-fcgi/check", "/thanos", "present"),
         (json.loads(r.out)["ok"], p["e"], p["t"], p["script_name"], p["authorization"]))
    url, r = apache_check(lab, url_mock, "noslash", t["good.conf"], t["httpd-noslash.conf"])
    c.eq("Apache without AllowEncodedSlashes NoDecode: exit 1", 1, r.rc)
    c.match("Apache without AllowEncodedSlashes NoDecode: its own 404, the directive named",
            r"a path with %%2F gets the web server's own 404 \(%s-/thanos-fcgi/check/a%%2Fb\).*"
            r"AllowEncodedSlashes NoDecode" % url, r.out)
    url, r = apache_check(lab, url_mock, "noauth", t["noauth.conf"])
    c.eq("Apache without CGIPassAuth On: exit 1", 1, r.rc)
    c.match("Apache without CGIPassAuth On: Authorization missing, the directive named",
            r"^warn: .*Authorization header sent does not reach the adapter.*CGIPassAuth On", r.out)
    c.match("Apache without CGIPassAuth On: the rest is right",
            r"Authorization does not arrive; the adapter derived E='/thanos' T='/-/thanos-fcgi/check'", r.out)
    record(c)
