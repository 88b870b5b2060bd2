"""test_tls.py: https:// and unix: upstreams (issue 4), the set-ups of
tls.py: the real binary against nginx terminating TLS in front of the mock
(a CA, server and client certificates made by the openssl command), a TLS
server whose handshake needs a client cert, deploy/two-replicas-mtls as
shipped (only names and paths replaced) alone and behind lighttpd and
nginx (front.py, from deploy/), and a unix: upstream.  Checked: CA file,
wrong or no CA, the settings as CGI variables, the server name, the
minimum TLS version, mutual TLS, insecure-skip-verify and its warning.
Each test records its checks in the mode it reached the adapter in."""

import http.client
import json
import os
import re
import ssl
import subprocess
import urllib.parse

import pytest

import conftest
import e2e
import front
import lab as labmod
import procs
from tls import TWO, Deploy, Mine, TlsChecks, TlsProxy, World, copy_replacing, count, echo, echo_h, start, text

RP = ["--web.route-prefix", "/thanos"]
# the clients stretch their own wait by SLOWDOWN: the guard, unstretched
CLIENT_WAIT = procs.GUARD / procs.SLOWDOWN
WARN = r"TLS verification.*off"
CERT_PROBLEM = r"[Cc]ertificate|issuer"


@pytest.fixture(scope="module")
def world(lab):
    yield from World(lab).running()


@pytest.fixture
def mine(lab):
    m = Mine(lab)
    try:
        yield m
    finally:
        m.stop()


def checks(name):
    return TlsChecks("tls: " + name)


def get(a, script, sub, **kw):
    return a.request("GET", script, sub, timeout=CLIENT_WAIT, **kw)


# ---- the certificates and the TLS front ----------------------------------------

def test_certificates_and_front(world):
    """The test certificates verify against the test CA, and nginx's TLS
    front answers a client that trusts that CA."""
    c = checks("certificates")
    p = world.pki
    out = subprocess.run(["openssl", "verify", "-CAfile", p["ca.pem"], p["server.pem"], p["lh.pem"],
                          p["client.pem"]], capture_output=True, text=True, timeout=procs.GUARD)
    c.eq("test certificates verify against the test CA", 3,
         len(re.findall(r": OK$", out.stdout + out.stderr, re.M)))
    ctx = ssl.create_default_context(cafile=p["ca.pem"])
    conn = http.client.HTTPSConnection("127.0.0.1", world.front.ports["tls"], context=ctx,
                                       timeout=procs.GUARD)
    try:
        conn.request("GET", "/thanos/-/echo")
        code = conn.getresponse().status
    except (OSError, http.client.HTTPException) as e:
        code = str(e)
    finally:
        conn.close()
    c.eq("nginx TLS front answers a client with the CA directly", 200, code)
    conftest.record("listen", c)


# ---- verification ------------------------------------------------------------

def test_ca_file(world, mine):
    """--upstream.tls.ca-file: verified, through nginx to the mock under the
    route prefix, TLS 1.2 or 1.3, no client certificate; redirects and a
    form POST pass; no insecure warning."""
    c = checks("CA file")
    a = mine.adapter("CA", "--upstream", world.front.url("tls"), *RP,
                     "--upstream.tls.ca-file", world.pki["ca.pem"])
    r = get(a, "/thanos", "/-/echo")
    c.status("CA file: verified", 200, r)
    c.eq("CA file: reached the mock through nginx", "tls", echo_h(r, "X-Replica"))
    c.eq("CA file: under the route prefix", "/thanos/-/echo", echo(r).get("path"))
    c.match("CA file: TLS 1.2 or 1.3", r"^TLSv1\.[23]$", echo_h(r, "X-TLS-Protocol"))
    c.eq("CA file: no client certificate sent", "<absent>", echo_h(r, "X-Client-DN"))
    r = get(a, "/pub", "/graph/")
    c.eq("CA file: redirect rewritten", "/pub/graph", r.header("Location"))
    r = a.request("POST", "/thanos", "/api/v1/query", {"CONTENT_TYPE": "application/x-www-form-urlencoded"},
                  body=b"query=up&time=1700000000", timeout=CLIENT_WAIT)
    c.status("CA file: POST form over TLS", 200, r)
    c.eq("CA file: POST form arrived", "up", echo(r).get("query"))
    a.proc.wait_log("listening on")  # set-up: its start-up lines are all out
    c.eq("no insecure warning without the option", 0, count(r"verification.*off", a.proc.log_text()))
    conftest.record("listen", c)


def refused(c, what, world, a, before, why=CERT_PROBLEM):
    """GET /thanos/-/echo through a is a 502 whose log line says why, and
    nothing reached the mock."""
    r = get(a, "/thanos", "/-/echo")
    c.status(what + ": refused", 502, r)
    c.match(what + ": the log names a certificate problem", why, a.last_fail())
    c.eq(what + ": nothing reached the mock", before, world.reached())
    return r


def test_wrong_or_no_ca(world, mine):
    """A CA that did not sign the server's certificate, or none (the system
    store does not know the test CA): a generic text/plain 502, the log
    names the upstream and the certificate problem, the mock never sees
    the request."""
    c = checks("wrong CA")
    up = world.front.url("tls")
    a = mine.adapter("WRONG", "--upstream", up, *RP, "--upstream.tls.ca-file", world.pki["wrongca.pem"])
    before = world.reached()
    r = refused(c, "wrong CA", world, a, before, r'method=GET path=/thanos/-/echo err=".*([Cc]ertificate|issuer)')
    c.match("wrong CA: text/plain", r"^text/plain", r.header("Content-Type"))
    c.eq("wrong CA: the body is generic", "thanos-fcgi: upstream failed", text(r))
    c.match("wrong CA: the log names the upstream", re.escape(up[len("https://"):]), a.last_fail())
    a = mine.adapter("SYS", "--upstream", up, *RP)
    refused(c, "no CA option (the system store does not know the test CA)", world, a, before)
    conftest.record("listen", c)


def test_cgi_environment(world, mine):
    """CGI, the settings as THANOS_FCGI_* variables: with
    THANOS_FCGI_UPSTREAM_TLS_CA_FILE verified, without it a 502."""
    c = checks("CGI environment")
    up = world.front.url("tls")
    a = mine.adapter("CGICA", "--upstream", up, *RP, "--upstream.tls.ca-file", world.pki["ca.pem"], mode="cgi")
    c.status("CGI, THANOS_FCGI_UPSTREAM_TLS_CA_FILE: verified", 200, get(a, "/thanos", "/-/echo"))
    a = mine.adapter("CGISYS", "--upstream", up, *RP, mode="cgi")
    c.status("CGI without a CA file: 502", 502, get(a, "/thanos", "/-/echo"))
    conftest.record("cgi", c)


# ---- the server name -----------------------------------------------------------

def test_server_name(world, mine):
    """A certificate for localhost only, reached at 127.0.0.1: a name
    mismatch, unless --upstream.tls.server-name localhost (then verified,
    and an absolute Location on the upstream becomes a path); a name not
    in the certificate: 502."""
    c = checks("server name")
    up, ca = world.front.url("lh"), world.pki["ca.pem"]
    a = mine.adapter("LHNO", "--upstream", up, *RP, "--upstream.tls.ca-file", ca)
    c.status("localhost-only cert at 127.0.0.1: name mismatch", 502, get(a, "/thanos", "/-/echo"))
    c.match("name mismatch: the log says so", r"127\.0\.0\.1.*([Cc]ertificate|name)", a.last_fail())
    a = mine.adapter("LH", "--upstream", up, *RP, "--upstream.tls.ca-file", ca,
                     "--upstream.tls.server-name", "localhost")
    r = get(a, "/thanos", "/-/echo")
    c.status("--upstream.tls.server-name localhost: verified", 200, r)
    c.eq("server name: reached the localhost-only nginx server", "lh", echo_h(r, "X-Replica"))
    c.eq("server name: still under the route prefix", "/thanos/-/echo", echo(r).get("path"))
    q = "status=302&h=" + urllib.parse.quote("Location: %s/thanos/abs?q=1" % up, safe="")
    r = get(a, "/pub", "/-/respond?" + q)
    c.eq("server name: absolute Location on the configured upstream becomes a path",
         "/pub/abs?q=1", r.header("Location"))
    a = mine.adapter("LHWRONG", "--upstream", world.front.url("tls"), *RP, "--upstream.tls.ca-file", ca,
                     "--upstream.tls.server-name", "thanos.example")
    c.status("server name not in the certificate: 502", 502, get(a, "/thanos", "/-/echo"))
    conftest.record("listen", c)


# ---- minimum TLS version ---------------------------------------------------------

def test_min_version(world, mine):
    """A TLS 1.2 server: 200 with the default minimum, 502 with
    --upstream.tls.min-version 1.3, which a TLS 1.3 server passes."""
    c = checks("min version")
    ca = world.pki["ca.pem"]
    a = mine.adapter("V12", "--upstream", world.front.url("tls12"), *RP, "--upstream.tls.ca-file", ca)
    r = get(a, "/thanos", "/-/echo")
    c.status("TLS 1.2 server, default minimum: 200", 200, r)
    c.eq("TLS 1.2 server: protocol", "TLSv1.2", echo_h(r, "X-TLS-Protocol"))
    a = mine.adapter("V13", "--upstream", world.front.url("tls12"), *RP, "--upstream.tls.ca-file", ca,
                     "--upstream.tls.min-version", "1.3")
    c.status("TLS 1.2 server, --upstream.tls.min-version 1.3: 502", 502, get(a, "/thanos", "/-/echo"))
    a = mine.adapter("V13OK", "--upstream", world.front.url("tls"), *RP, "--upstream.tls.ca-file", ca,
                     "--upstream.tls.min-version", "1.3")
    c.eq("--upstream.tls.min-version 1.3 to a TLS 1.3 server", "TLSv1.3",
         echo_h(get(a, "/thanos", "/-/echo"), "X-TLS-Protocol"))
    conftest.record("listen", c)


# ---- mutual TLS --------------------------------------------------------------------

def client_cert(pki, name="client"):
    return ["--upstream.tls.cert-file", pki[name + ".pem"], "--upstream.tls.key-file", pki[name + ".key"]]


def test_nginx_mtls(world, mine):
    """nginx's ssl_verify_client: without a client certificate, or with one
    from another CA, nginx's own 400 passes; with ours, 200 and nginx saw
    it; a key that does not match the certificate: 502."""
    c = checks("nginx mTLS")
    up, ca = world.front.url("a"), ["--upstream.tls.ca-file", world.pki["ca.pem"]]
    r = get(mine.adapter("MNO", "--upstream", up, *RP, *ca), "/thanos", "/-/echo")
    c.status("nginx mTLS, no client cert: nginx's own 400 passes", 400, r)
    c.match("nginx mTLS, no client cert: nginx says why", "No required SSL certificate", text(r))
    r = get(mine.adapter("MYES", "--upstream", up, *RP, *ca, *client_cert(world.pki)), "/thanos", "/-/echo")
    c.status("nginx mTLS with --upstream.tls.cert-file/key-file", 200, r)
    c.match("nginx mTLS: nginx saw our client certificate", "CN=thanos-fcgi-client", echo_h(r, "X-Client-DN"))
    c.eq("nginx mTLS: replica a", "a", echo_h(r, "X-Replica"))
    r = get(mine.adapter("MROGUE", "--upstream", up, *RP, *ca, *client_cert(world.pki, "rogue")),
            "/thanos", "/-/echo")
    c.status("nginx mTLS, client cert from another CA: nginx's 400", 400, r)
    bad_key = ["--upstream.tls.cert-file", world.pki["client.pem"], "--upstream.tls.key-file",
               world.pki["server.key"]]
    r = get(mine.adapter("MBADKEY", "--upstream", up, *RP, *ca, *bad_key), "/thanos", "/-/echo")
    c.status("client cert with a key that does not match: 502", 502, r)
    conftest.record("listen", c)


def test_handshake_mtls(world, mine):
    """A TLS server (TLS 1.3, and one at most 1.2) whose handshake needs a
    client certificate: none given, a 502 naming the upstream, the mock
    never reached; ours given, the request arrives."""
    c = checks("handshake mTLS")
    ca = ["--upstream.tls.ca-file", world.pki["ca.pem"]]
    proxies = {"HS": mine.keep(start(TlsProxy, world, "HS")),
               "HS12": mine.keep(start(TlsProxy, world, "HS12", "--max-version", "1.2"))}
    for v, proxy in proxies.items():
        a = mine.adapter(v + "NO", "--upstream", proxy.url, *RP, *ca)
        before = world.reached()
        r = get(a, "/thanos", "/-/echo")
        c.status("%s: handshake needs a client cert, none given: 502" % v, 502, r)
        c.match("%s: the log names the upstream" % v, r"127\.0\.0\.1:", a.last_fail())
        c.eq("%s: nothing reached the mock" % v, before, world.reached())
        a = mine.adapter(v + "YES", "--upstream", proxy.url, *RP, *ca, *client_cert(world.pki))
        r = get(a, "/thanos", "/-/echo")
        c.status("%s: client cert given: 200" % v, 200, r)
        c.eq("%s: request arrived" % v, "/thanos/-/echo", echo(r).get("path"))
    c.logged("tls-proxy saw a handshake with our client cert", proxies["HS"].proc, r"client cert: yes")
    conftest.record("listen", c)


# ---- insecure-skip-verify ------------------------------------------------------------

def test_insecure_skip_verify(world, mine):
    """--upstream.tls.insecure-skip-verify: 200 without a CA, and with a
    wrong CA and a wrong name; one warning line naming the option, written
    before the adapter serves."""
    c = checks("insecure-skip-verify")
    a = mine.adapter("INS", "--upstream", world.front.url("tls"), *RP, "--upstream.tls.insecure-skip-verify")
    c.status("insecure-skip-verify without a CA: 200", 200, get(a, "/thanos", "/-/echo"))
    get(a, "/thanos", "/-/healthy")
    w = mine.adapter("INSW", "--upstream", world.front.url("lh"), *RP, "--upstream.tls.ca-file",
                     world.pki["wrongca.pem"], "--upstream.tls.insecure-skip-verify=true")
    c.status("insecure-skip-verify, wrong CA and wrong name: 200", 200, get(w, "/thanos", "/-/echo"))
    a.proc.wait_log("listening on")  # set-up: its start-up lines are all out
    lines = a.proc.log_text().splitlines()
    warn = [i for i, ln in enumerate(lines) if re.search(WARN, ln, re.I)]
    listen = [i for i, ln in enumerate(lines) if "listening on" in ln]
    c.eq("insecure-skip-verify: one warning line at start", 1, len(warn))
    c.match("insecure-skip-verify: the warning names the option", "insecure-skip-verify",
            "\n".join(lines[i] for i in warn))
    c.true("insecure-skip-verify: warned before serving", warn and listen and warn[0] < listen[0],
           "warning at line %s, listening at %s" % (warn, listen))
    conftest.record("listen", c)


# ---- deploy/two-replicas-mtls: two mTLS replicas, behind lighttpd and nginx ------------
#
# thanos-fcgi runs the example thanos-fcgi.conf (host names, certificate
# directory and socket replaced); lighttpd (deploy/lighttpd/lighttpd.conf
# with lighttpd.conf) and nginx (deploy/nginx/nginx.conf with
# nginx-location.conf) serve /thanos from its socket.  lighttpd first:
# nginx (2 workers, fastcgi_keep_conn on) leaves kept-alive FastCGI
# connections open to the same thanos-fcgi.

@pytest.fixture(scope="module")
def deploy(world):
    return world.keep(start(Deploy, world))


def test_deploy_config(world, deploy):
    """The shipped config with only names and paths replaced: 32 threads,
    both replicas, each request answered, both replicas serve, with our
    client certificate."""
    c = checks("deploy config")
    c.eq("deploy config: only names and paths replaced", 6, deploy.changed)
    c.logged("deploy config: 32 threads, both replicas", deploy.proc, re.escape(
        "32 thread(s), upstream %s,%s" % (world.front.url("a"), world.front.url("b"))))
    seen = set()
    for i in range(1, 5):
        r = get(deploy.adapter, "/thanos", "/-/echo")
        c.status("deploy config: request %d" % i, 200, r)
        seen.add(echo_h(r, "X-Replica"))
    c.eq("deploy config: both replicas served", ["a", "b"], sorted(seen))
    c.match("deploy config: client certificate presented", "CN=thanos-fcgi-client", echo_h(r, "X-Client-DN"))
    conftest.record("unix", c)


def web_round(url):
    """8 GETs of url: how many were 200, and the replicas that answered."""
    ok, seen = 0, set()
    for _ in range(8):
        r = e2e.fetch(url, timeout=CLIENT_WAIT)
        ok += r.status == 200
        try:
            seen.add(json.loads(r.body)["headers"]["X-Replica"])
        except (ValueError, KeyError, TypeError):
            pass
    return ok, sorted(seen)


def test_deploy_lighttpd(world, deploy, mine):
    """deploy/two-replicas-mtls/lighttpd.conf (its socket replaced) in
    deploy/lighttpd/lighttpd.conf: 8 of 8 answered, both replicas."""
    c = checks("deploy lighttpd")
    src = os.path.join(world.dir, "two-replicas-lighttpd.conf")
    copy_replacing(os.path.join(TWO, "lighttpd.conf"), src, [("/run/thanos-fcgi/thanos-fcgi.sock", deploy.sock)])
    f = mine.keep(start(front.Lighttpd, world.lab, "tls_deploy", "/thanos", [], src))
    ok, seen = web_round("http://127.0.0.1:%d/thanos/-/echo" % f.port)
    c.eq("lighttpd -> thanos-fcgi -> two mTLS replicas: 8 of 8 answered", 8, ok)
    c.eq("lighttpd -> thanos-fcgi -> two mTLS replicas: both served", ["a", "b"], seen)
    conftest.record("lighttpd", c)


def test_deploy_nginx(world, deploy, mine):
    """deploy/two-replicas-mtls/nginx-location.conf (its snippets directory
    where the test keeps deploy/nginx/thanos-fcgi.conf) in
    deploy/nginx/nginx.conf: 8 of 8 answered, both replicas, the bare
    prefix redirected."""
    c = checks("deploy nginx")
    src = os.path.join(world.dir, "two-replicas-nginx-location.conf")
    copy_replacing(os.path.join(TWO, "nginx-location.conf"), src, [("include snippets/", "include @CONFDIR@/")])
    f = mine.keep(start(front.Nginx, world.lab, "tls_deploy", "/thanos", deploy.sock, src))
    base = "http://127.0.0.1:%d" % f.port
    ok, seen = web_round(base + "/thanos/-/echo")
    c.eq("nginx -> thanos-fcgi (32 threads) -> two mTLS replicas: 8 of 8 answered", 8, ok)
    c.eq("nginx -> thanos-fcgi -> two mTLS replicas: both served", ["a", "b"], seen)
    r = e2e.fetch(base + "/thanos", timeout=CLIENT_WAIT)
    loc = re.sub(r"^http://127\.0\.0\.1:[0-9]+", "", urllib.parse.urljoin(base + "/thanos", r.header("Location")))
    c.eq("nginx -> thanos-fcgi: bare prefix redirect", "302 /thanos/graph", "%d %s" % (r.status, loc))
    conftest.record("nginx", c)


# ---- unix socket upstream ----------------------------------------------------------------

def test_unix_upstream(world, mine):
    """--upstream unix:PATH: requests under the route prefix with the
    prefix header, redirects rewritten, root paths; a socket that is not
    there: a 502 whose log names it."""
    c = checks("unix upstream")
    m = mine.keep(start(labmod.Mock, world.lab, "tls_sock", ["--route-prefix", "/thanos"], unix=True))
    a = mine.adapter("U", "--upstream", m.url, *RP)
    r = get(a, "/pub", "/-/echo")
    c.status("unix upstream: echo", 200, r)
    c.eq("unix upstream: under the route prefix", "/thanos/-/echo", echo(r).get("path"))
    c.eq("unix upstream: prefix header is E", "/pub", echo_h(r, "X-Forwarded-Prefix"))
    c.logged("unix upstream: the mock logged it", m.proc, re.escape('"GET /thanos/-/echo HTTP/1.1" 200'))
    c.eq("unix upstream: redirect rewritten", "/pub/graph", get(a, "/pub", "/graph/").header("Location"))
    c.match("unix upstream: root path", r"^mock_up 1$", text(get(a, "/thanos", "/metrics")))
    a = mine.adapter("UDEAD", "--upstream", "unix:" + os.path.join(world.dir, "nothing.sock"), *RP)
    c.status("unix upstream, no socket: 502", 502, get(a, "/thanos", "/-/echo"))
    c.match("unix upstream, no socket: the log names it", r"nothing\.sock", a.last_fail())
    conftest.record("unix", c)
