"""test_tls.py: https:// and unix: upstreams (issue 4).

A CA, server and client certificates are made here with the openssl
command; nginx terminates TLS in front of the mock Thanos (proxy_pass), on
one port per kind of server (TlsFront):
  tls     server cert for IP:127.0.0.1 and DNS:localhost
  a       the same, ssl_verify_client on (a client cert from the CA)
  b       a second mTLS replica (for the deploy/two-replicas-mtls config)
  lh      server cert valid for DNS:localhost only
  tls12   ssl_protocols TLSv1.2 only
Each nginx server adds X-Replica, X-TLS-Protocol and X-Client-DN request
headers, which the mock's /-/echo shows.  nginx's ssl_verify_client
completes the handshake and answers 400 itself; net_helpers.py tls-proxy
with --client-ca makes the handshake fail instead, the other way a real
mTLS upstream refuses a client without a certificate.

deploy/two-replicas-mtls runs as it is shipped (only the host names, the
certificate directory and the socket replaced), alone and behind lighttpd
and nginx (front.py, from deploy/); then a unix: upstream.  Each test
records its checks in the mode it reached the adapter in.
"""

import difflib
import http.client
import json
import os
import re
import ssl
import subprocess
import sys
import urllib.parse

import pytest

import conftest
import e2e
import front
import lab as labmod
import procs
from cases import Checks

NETH = os.path.join(labmod.TOP, "tests", "integration", "net_helpers.py")
TWO = os.path.join(labmod.TOP, "deploy", "two-replicas-mtls")
RP = ["--web.route-prefix", "/thanos"]
# the clients stretch their own wait by SLOWDOWN: the guard, unstretched
CLIENT_WAIT = procs.GUARD / procs.SLOWDOWN
WARN = r"TLS verification.*off"
CERT_PROBLEM = r"[Cc]ertificate|issuer"
REPLICAS = ("tls", "a", "b", "lh", "tls12")


def start(cls, *args, **kw):
    """cls(*args, **kw), its process (.proc) stopped when its start-up
    fails (a wait that ran out leaves no process behind)."""
    obj = cls.__new__(cls)
    try:
        obj.__init__(*args, **kw)
    except BaseException:
        if getattr(obj, "proc", None) is not None:
            obj.proc.stop()
        raise
    return obj


class TlsChecks(Checks):
    def status(self, what, code, r):
        """The answer's first line is "Status: CODE ..."."""
        self.match("%s: Status: %d first" % (what, code), r"^Status: %d( |$)" % code, r.first_line)

    def logged(self, what, proc, pattern, count=1):
        """proc's log has at least count lines matching pattern (waited
        for: a process writes its log on its own time)."""
        try:
            n = proc.wait_log(pattern, count)
        except procs.WaitTimeout as e:
            n = str(e)
        self.true(what, isinstance(n, int) and n >= count, "%s lines" % n)


def echo(r):
    """The mock's /-/echo JSON in r ({} when the body is not JSON)."""
    try:
        d = r.json()
    except ValueError:
        return {}
    return d if isinstance(d, dict) else {}


def echo_h(r, name):
    """Request header name as the mock saw it, "<absent>" if it did not."""
    vals = [v for k, v in echo(r).get("header_list", []) if k.lower() == name.lower()]
    return ", ".join(vals) if vals else "<absent>"


def text(r):
    """The body as text, trailing newlines aside."""
    return r.body.decode("utf-8", "replace").rstrip("\n")


def count(pattern, log_text):
    """Lines of log_text matching pattern, case ignored (grep -ci)."""
    return len(re.findall(pattern, log_text, re.M | re.I))


class Pki:
    """A CA, a wrong CA and their leaves, made with the openssl command."""

    def __init__(self, d):
        self.dir = d
        os.makedirs(d)
        self.log = os.path.join(d, "openssl.log")
        self.ca("ca")
        self.ca("wrongca")
        server = "extendedKeyUsage=serverAuth"
        self.leaf("server", "ca", "127.0.0.1", "subjectAltName=IP:127.0.0.1,DNS:localhost", server)
        self.leaf("lh", "ca", "localhost", "subjectAltName=DNS:localhost", server)
        self.leaf("client", "ca", "thanos-fcgi-client", "extendedKeyUsage=clientAuth")
        self.leaf("rogue", "wrongca", "thanos-fcgi-client", "extendedKeyUsage=clientAuth")

    def __getitem__(self, name):
        """The path of a file: "ca.pem", "client.key"."""
        return os.path.join(self.dir, name)

    def ossl(self, *args):
        with open(self.log, "ab") as out:
            if subprocess.run(["openssl"] + list(args), stdout=out, stderr=out).returncode:
                raise AssertionError("openssl %s %s ... (see %s)" % (args[0], args[1], self.log))

    def ca(self, name):
        """A self-signed CA: NAME.pem, NAME.key."""
        self.ossl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                  "-keyout", self[name + ".key"], "-out", self[name + ".pem"], "-days", "2",
                  "-subj", "/CN=thanos-fcgi test " + name,
                  "-addext", "basicConstraints=critical,CA:TRUE",
                  "-addext", "keyUsage=critical,keyCertSign,cRLSign")

    def leaf(self, name, ca, cn, *extensions):
        """A certificate for CN signed by ca, with extensions."""
        self.ossl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                  "-keyout", self[name + ".key"], "-out", self[name + ".csr"], "-subj", "/CN=" + cn)
        with open(self[name + ".ext"], "w") as f:
            f.write("basicConstraints=CA:FALSE\n" + "".join(e + "\n" for e in extensions))
        self.ossl("x509", "-req", "-in", self[name + ".csr"], "-CA", self[ca + ".pem"],
                  "-CAkey", self[ca + ".key"], "-set_serial", "0x" + os.urandom(8).hex(), "-days", "2",
                  "-out", self[name + ".pem"], "-extfile", self[name + ".ext"])


SERVER_BLOCK = """
    server {
        listen 127.0.0.1:%(port)d ssl;
        ssl_certificate %(cert)s.pem;
        ssl_certificate_key %(cert)s.key;
        %(extra)s
        location / {
            proxy_pass http://mock;
            proxy_set_header X-Replica %(replica)s;
            proxy_set_header X-TLS-Protocol $ssl_protocol;
            proxy_set_header X-Client-DN $ssl_client_s_dn;
        }
    }
"""

HTTP_BLOCK = """%(user)s
worker_processes 1;
pid %(d)s/nginx.pid;
error_log %(d)s/error.log info;
events { worker_connections 256; }
http {
    access_log %(d)s/access.log;
    client_body_temp_path %(d)s/tmp/body;
    proxy_temp_path %(d)s/tmp/proxy;
    fastcgi_temp_path %(d)s/tmp/fastcgi;
    uwsgi_temp_path %(d)s/tmp/uwsgi;
    scgi_temp_path %(d)s/tmp/scgi;
    upstream mock { server 127.0.0.1:%(mock)d; keepalive 8; }
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_buffering off;
    ssl_protocols TLSv1.2 TLSv1.3;
%(servers)s
}
"""


class TlsFront:
    """nginx terminating TLS in front of the mock, one port a replica
    (REPLICAS); url(replica) is the upstream URL of one."""

    def __init__(self, d, pki, mock_port):
        os.makedirs(os.path.join(d, "tmp"))
        self.ports = {r: procs.free_port() for r in REPLICAS}
        mtls = "ssl_client_certificate %s; ssl_verify_client on;" % pki["ca.pem"]
        extra = {"a": mtls, "b": mtls, "tls12": "ssl_protocols TLSv1.2;"}
        servers = "".join(SERVER_BLOCK % {
            "port": self.ports[r], "replica": r, "extra": extra.get(r, ""),
            "cert": pki["lh" if r == "lh" else "server"]} for r in REPLICAS)
        conf = os.path.join(d, "nginx.conf")
        with open(conf, "w") as f:
            f.write(HTTP_BLOCK % {"user": "user root;" if os.getuid() == 0 else "", "d": d,
                                  "mock": mock_port, "servers": servers})
        self.proc = procs.Proc("nginx tls", ["nginx", "-p", d, "-e", os.path.join(d, "error.log"),
                                             "-c", conf, "-g", "daemon off;"], os.path.join(d, "nginx.log"))
        for r in REPLICAS:
            procs.wait_for("nginx %s port" % r, lambda: labmod.port_or_dead(self.proc, self.ports[r]))

    def url(self, replica):
        return "https://127.0.0.1:%d" % self.ports[replica]

    def stop(self):
        self.proc.stop()


class Attached(labmod.Adapter):
    """An adapter started by someone else (proc), reached on its unix
    socket sock."""

    def __init__(self, lab, name, sock, proc):
        self.lab, self.mode, self.name = lab, "unix", name
        self.params, self.argv, self.proc_env = {}, [], {}
        self.addr, self.proc, self.log = sock, proc, proc.log


class Live:
    """Processes (anything with stop()), stopped in reverse order whatever
    happens to each."""

    def __init__(self):
        self.live = []

    def keep(self, x):
        self.live.append(x)
        return x

    def stop(self):
        errors = []
        while self.live:
            x = self.live.pop()
            try:
                x.stop()
            except Exception as e:  # stop the rest, then report
                errors.append("%s: %s" % (type(x).__name__, e))
        if errors:
            raise AssertionError("stopping: " + "; ".join(errors))


class World(Live):
    """What the module starts: the certificates, the mock, the TLS nginx."""

    def __init__(self, lab):
        super().__init__()
        self.lab = lab
        self.dir = os.path.join(lab.dir, "tls")

    def start(self):
        os.makedirs(self.dir)
        self.pki = Pki(os.path.join(self.dir, "pki"))
        self.mock = self.keep(start(labmod.Mock, self.lab, "tls_main", ["--route-prefix", "/thanos"]))
        self.front = self.keep(start(TlsFront, os.path.join(self.dir, "nginx"), self.pki, self.mock.port))

    def reached(self):
        """Requests the mock has received so far."""
        return len(self.mock.requests())


class Mine(Live):
    """A test's own processes."""

    def __init__(self, lab):
        super().__init__()
        self.lab = lab

    def adapter(self, name, *flags, mode="listen"):
        """An adapter of lab.py in mode, its settings flags (as flags, or
        in CGI as THANOS_FCGI_* variables)."""
        return self.keep(start(labmod.Adapter, self.lab, mode, "tls_" + name, {"flags": list(flags)}))


@pytest.fixture(scope="module")
def world(lab):
    w = World(lab)
    try:
        w.start()
        yield w
    finally:
        w.stop()


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
                          p["client.pem"]], capture_output=True, text=True)
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


class TlsProxy:
    """net_helpers.py tls-proxy in front of the mock: the handshake fails
    without a client certificate from the CA."""

    def __init__(self, world, name, *more):
        self.port = procs.free_port()
        p = world.pki
        self.proc = procs.Proc("tls-proxy " + name, [
            sys.executable, NETH, "tls-proxy", "--listen", "127.0.0.1:%d" % self.port,
            "--cert", p["server.pem"], "--key", p["server.key"], "--client-ca", p["ca.pem"],
            "--to", "127.0.0.1:%d" % world.mock.port] + list(more),
            os.path.join(world.dir, "tlsproxy_%s.log" % name))
        procs.wait_for("tls-proxy %s port" % name, lambda: labmod.port_or_dead(self.proc, self.port))
        self.url = "https://127.0.0.1:%d" % self.port

    def stop(self):
        self.proc.stop()


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

def copy_replacing(src, dst, pairs):
    """src with each (old, new) of pairs replaced, written to dst; its
    lines and dst's."""
    with open(src) as f:
        orig = f.read()
    new = orig
    for old, repl in pairs:
        new = new.replace(old, repl)
    with open(dst, "w") as f:
        f.write(new)
    return orig.splitlines(), new.splitlines()


class Deploy:
    """thanos-fcgi --config deploy/two-replicas-mtls/thanos-fcgi.conf, its
    names and paths replaced by the test's; .changed: the lines that
    differ from the shipped file."""

    def __init__(self, world):
        d = world.dir
        self.sock = os.path.join(d, "deploy.sock")
        conf = os.path.join(d, "deploy.conf")
        orig, new = copy_replacing(os.path.join(TWO, "thanos-fcgi.conf"), conf, [
            ("https://thanos-query-0.thanos.internal:10902", world.front.url("a")),
            ("https://thanos-query-1.thanos.internal:10902", world.front.url("b")),
            ("/etc/thanos-fcgi/tls/", world.pki.dir + "/"),
            ("/run/thanos-fcgi/thanos-fcgi.sock", self.sock)])
        self.changed = sum(1 for ln in difflib.unified_diff(orig, new, lineterm="", n=0)
                           if ln.startswith("+") and not ln.startswith("+++"))
        self.proc = procs.Proc("deploy", [world.lab.binary, "--config", conf], os.path.join(d, "deploy.log"),
                               env=world.lab.clean_env)
        procs.wait_for("thanos-fcgi --config deploy.conf socket", lambda: labmod.unix_open(self.proc, self.sock))
        self.adapter = Attached(world.lab, "deploy", self.sock, self.proc)

    def stop(self):
        self.proc.stop()


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
