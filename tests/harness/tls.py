"""tls.py: what test_tls.py starts for the https:// upstreams (issue 4).

  Pki       a CA, a wrong CA and their leaves, made with the openssl
            command: server (IP:127.0.0.1, DNS:localhost), lh (DNS:localhost
            only), client and rogue (a client cert from the wrong CA)
  TlsFront  nginx terminating TLS in front of the mock (proxy_pass), one
            port a replica: tls (the server cert), a and b (the same with
            ssl_verify_client on), lh (the localhost-only cert), tls12
            (ssl_protocols TLSv1.2); each adds X-Replica, X-TLS-Protocol
            and X-Client-DN request headers, which the mock's /-/echo shows
  TlsProxy  net_helpers.py tls-proxy --client-ca: the handshake itself
            fails without a client cert (nginx completes it and answers 400);
            client_ca=False: any client
  Deploy    thanos-fcgi --config deploy/two-replicas-mtls/thanos-fcgi.conf,
            only its names and paths replaced, on its own unix socket
  World     the module's certificates, mock and TlsFront; Mine a test's
            own adapters and servers; both stop what they hold whatever
            happens
"""

import difflib
import os
import re
import subprocess
import sys

import lab as labmod
import procs
from cases import Checks

NETH = labmod.NETH
TWO = os.path.join(labmod.TOP, "deploy", "two-replicas-mtls")
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
            if subprocess.run(["openssl"] + list(args), stdout=out, stderr=out, timeout=procs.GUARD).returncode:
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
        procs.stop_all(self.live)

    def running(self):
        """start(), then self until the caller is done, then stop()
        whatever happened (a fixture's body: yield from x.running())."""
        try:
            self.start()
            yield self
        finally:
            self.stop()


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


class TlsProxy:
    """net_helpers.py tls-proxy in front of world's mock, with world's
    server certificate: the handshake fails without a client certificate
    from the CA (client_ca=False: any client completes it)."""

    def __init__(self, world, name, *more, client_ca=True):
        self.port = procs.free_port()
        p = world.pki
        ca = ["--client-ca", p["ca.pem"]] if client_ca else []
        self.proc = procs.Proc("tls-proxy " + name, [
            sys.executable, NETH, "tls-proxy", "--listen", "127.0.0.1:%d" % self.port,
            "--cert", p["server.pem"], "--key", p["server.key"]] + ca + [
            "--to", "127.0.0.1:%d" % world.mock.port] + list(more),
            os.path.join(world.dir, "tlsproxy_%s.log" % name))
        procs.wait_for("tls-proxy %s port" % name, lambda: labmod.port_or_dead(self.proc, self.port))
        self.url = "https://127.0.0.1:%d" % self.port

    def stop(self):
        self.proc.stop()


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
