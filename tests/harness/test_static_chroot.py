"""test_static_chroot.py: the static binary (make static) on a RHEL-shaped
host it was not built on (issue 13).  A chroot holds only the binary,
/etc/hosts and a CA bundle at RHEL's path (/etc/pki/tls/certs/ca-bundle.crt):
no libraries, no /etc/ssl.  The binary runs there as a CGI program
(env -i ... chroot DIR /thanos-fcgi) against an https upstream (the mock
behind net_helpers.py tls-proxy, with a certificate from tls.py's test CA)
and must find the bundle by itself, say which it used, and verify with it.
Other chroots: Alpine's path, a bundle of another CA, no bundle at all.

  make check-static      (THANOS_FCGI_BIN is the release file)

Needs root for chroot(2), or unprivileged user namespaces (unshare -r)."""

import os
import re
import shutil
import subprocess

import pytest

import conftest
import lab as labmod
import procs
from tls import Live, Pki, TlsChecks, TlsProxy, start

RHEL_CA = "/etc/pki/tls/certs/ca-bundle.crt"
AREA = "static chroot"


class Rig(Live):
    """The certificates, the mock, the tls-proxy in front of it, and one
    chroot per layout: root(name) is its directory."""

    def __init__(self, lab):
        super().__init__()
        self.lab = lab
        self.dir = os.path.join(lab.dir, "static_chroot")

    def start(self):
        os.makedirs(self.dir)
        self.pki = Pki(os.path.join(self.dir, "pki"))
        self.mock = self.keep(start(labmod.Mock, self.lab, "chroot_main", ["--route-prefix", "/thanos"]))
        self.proxy = self.keep(start(TlsProxy, self, "chroot", client_ca=False))
        self.make("rhel", (self.pki["ca.pem"], RHEL_CA))
        self.make("alpine", (self.pki["ca.pem"], "/etc/ssl/cert.pem"))
        self.make("wrong", (self.pki["wrongca.pem"], RHEL_CA))
        self.make("none")

    def root(self, name):
        return os.path.join(self.dir, "root-" + name)

    def make(self, name, *bundles):
        """The binary as /thanos-fcgi, an /etc/hosts naming localhost, and
        each (bundle, path) copied to path."""
        r = self.root(name)
        os.makedirs(os.path.join(r, "etc"))
        shutil.copy(self.lab.binary, os.path.join(r, "thanos-fcgi"))
        with open(os.path.join(r, "etc", "hosts"), "w") as f:
            f.write("127.0.0.1 localhost\n")
        for src, path in bundles:
            os.makedirs(os.path.dirname(r + path), exist_ok=True)
            shutil.copy(src, r + path)


def chroot_argv():
    """chroot as root, else unshare -r chroot; absolute (env -i leaves no
    PATH)."""
    argv = [shutil.which("chroot")]
    if os.getuid() != 0:
        argv = [shutil.which("unshare"), "-r"] + argv
    return argv


@pytest.fixture(scope="module")
def rig(lab):
    yield from Rig(lab).running()


def creq(rig, name, **env):
    """GET /thanos/-/echo as CGI in chroot name, upstream
    https://localhost:PORT (env replaces or adds variables); (Response,
    its stderr)."""
    v = dict(labmod.BASE_CGI, REQUEST_METHOD="GET", SCRIPT_NAME="/thanos", PATH_INFO="/-/echo",
             REQUEST_URI="/thanos/-/echo", QUERY_STRING="",
             THANOS_FCGI_UPSTREAM="https://localhost:%d" % rig.proxy.port,
             THANOS_FCGI_ROUTE_PREFIX="/thanos")
    v.update(env)
    p = subprocess.run(["env", "-i"] + ["%s=%s" % kv for kv in v.items()] + chroot_argv() +
                       [rig.root(name), "/thanos-fcgi"], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=procs.GUARD)
    return labmod.Response(p.stdout, p.returncode, None, None, False), p.stderr.decode("utf-8", "replace")


def grep_c(pattern, text):
    return len(re.findall(pattern, text, re.M))


def test_the_binary_and_its_chroot(rig):
    c = TlsChecks("static chroot: the binary")
    elf = subprocess.run(["readelf", "-l", rig.lab.binary], capture_output=True, text=True,
                         timeout=procs.GUARD).stdout
    c.eq("the binary has no interpreter and no dynamic section", 0, grep_c("INTERP|DYNAMIC", elf))
    r = rig.root("rhel")
    files = sorted("./" + os.path.relpath(os.path.join(d, f), r) for d, _, fs in os.walk(r) for f in fs)
    c.eq("the RHEL chroot holds only the binary, /etc/hosts and the bundle",
         ["./etc/hosts", "./etc/pki/tls/certs/ca-bundle.crt", "./thanos-fcgi"], files)
    conftest.record(AREA, c)


def test_rhel_bundle_found_said_verified(rig):
    c = TlsChecks("static chroot: RHEL")
    r, err = creq(rig, "rhel")
    c.eq("RHEL chroot: the CGI request ends well", 0, r.rc)
    c.status("RHEL chroot: https upstream verified with the bundle found", 200, r)
    c.eq("RHEL chroot: reached the mock under the route prefix", "/thanos/-/echo",
         r.json().get("path") if r.status == 200 else None)
    c.eq("RHEL chroot: the bundle used is logged once", 1, grep_c("CA bundle: " + re.escape(RHEL_CA), err))
    c.eq("RHEL chroot: nothing logged as failed", 0, grep_c("failed", err))
    c.match("tls-proxy: the handshake completed", "handshake ok", rig.proxy.proc.log_text())
    conftest.record(AREA, c)


def test_ca_file_wins_over_discovery(rig):
    c = TlsChecks("static chroot: --upstream.tls.ca-file")
    wrong = os.path.join(rig.root("rhel"), "wrong.pem")
    shutil.copy(rig.pki["wrongca.pem"], wrong)
    try:
        r, err = creq(rig, "rhel", THANOS_FCGI_UPSTREAM_TLS_CA_FILE="/wrong.pem")
    finally:
        os.unlink(wrong)
    c.status("RHEL chroot, --upstream.tls.ca-file of another CA: it is used (502)", 502, r)
    c.eq("RHEL chroot, a CA file set: no discovery logged", 0, grep_c("CA bundle", err))
    conftest.record(AREA, c)


def test_other_layouts(rig):
    c = TlsChecks("static chroot: other layouts")
    r, err = creq(rig, "alpine")
    c.status("Alpine chroot (/etc/ssl/cert.pem): verified", 200, r)
    c.match("Alpine chroot: its path logged", r"CA bundle: /etc/ssl/cert\.pem", err)

    before = len(rig.mock.requests())
    r, err = creq(rig, "wrong")
    c.status("bundle of another CA at the RHEL path: refused", 502, r)
    c.eq("bundle of another CA: the body is generic", "thanos-fcgi: upstream failed",
         r.body.decode("utf-8", "replace").rstrip("\n"))
    c.match("bundle of another CA: the log names a certificate problem", "[Cc]ertificate|issuer", err)
    c.eq("bundle of another CA: nothing reached the mock", before, len(rig.mock.requests()))

    r, err = creq(rig, "none")
    c.status("no bundle anywhere: 502", 502, r)
    c.match("no bundle anywhere: a warning naming the paths looked at",
            r"CA bundle not found \(looked at /etc/ssl/certs/ca-certificates\.crt, .*"
            r"/etc/pki/tls/certs/ca-bundle\.crt", err)
    c.match("no bundle anywhere: the warning says what to set", r"upstream\.tls\.ca-file", err)

    r, err = creq(rig, "none", THANOS_FCGI_UPSTREAM="http://localhost:%d" % rig.mock.port)
    c.status("no bundle, http upstream: 200", 200, r)
    c.eq("http upstream: no CA bundle line", 0, grep_c("CA bundle", err))
    conftest.record(AREA, c)
