"""test_debian_package.py: the .deb of deploy/debian, as an administrator
meets it (tests/run, after distcheck; not make check: it installs a package
on the machine, and needs root).  In order, on one module fixture:

  test_build_and_lint  deploy/debian/build (or THANOS_FCGI_DEB, a package
                       built elsewhere), lintian --fail-on error,warning,
                       the files the package holds
  test_install         apt-get install ./thanos-fcgi_*.deb: the program,
                       the man page, nothing started or enabled, no socket,
                       the conffiles, no @PLACEHOLDER@ left
  test_serves          the packaged lighttpd snippet edited as its README
                       says, enabled with lighty-enable-mod, Debian's own
                       lighttpd.conf spawning the packaged program as
                       www-data in front of a real Prometheus (e2e.Suite)
  test_purge           apt-get purge: no process, file, conffile or unit
                       of the package is left

Whatever happens, the machine is left without the package (the fixture's
finaliser purges it, also on SIGTERM).

Machine-friendly: lighttpd runs in a mount namespace of its own, where a
copy of /etc/lighttpd (taken after the install) and an empty /run/lighttpd
are mounted over the real ones, on a free loopback port; the copy differs
from Debian's only in the port, the address, the log and pid paths, and
the snippet's upstream values.

  sh tests/harness/run.sh tests/harness/test_debian_package.py
"""

import glob
import os
import re
import shutil
import signal
import subprocess
import tempfile

import pytest

import cases as casemod
import conftest
import e2e
import lab as labmod
import package
import procs

AREA = "debian package"
BIN = "/usr/bin/thanos-fcgi"
# apt-get waits this long for another apt's lock (a guard, like every wait)
APT = ["apt-get", "-y", "-q", "-o", "DPkg::Lock::Timeout=%d" % (procs.GUARD * 20)]
NEEDS = ("dpkg-deb", "apt-get", "lintian", "lighttpd", "lighty-enable-mod", "prometheus", "unshare",
         "mount", "man", "systemctl")
LIGHTTPD_SNIPPET = "/etc/lighttpd/conf-available/50-thanos-fcgi.conf"
CONFFILES = (LIGHTTPD_SNIPPET, "/etc/apache2/conf-available/thanos-fcgi.conf",
             "/etc/nginx/snippets/thanos-fcgi.conf", "/etc/nginx/snippets/thanos-fcgi-location.conf",
             "/etc/nginx/snippets/thanos-fcgi-upstream.conf", "/etc/default/thanos-fcgi")
HOLDS = (BIN, "/usr/share/man/man8/thanos-fcgi.8.gz", "/lib/systemd/system/thanos-fcgi.service",
         "/lib/systemd/system/thanos-fcgi-activated.service",
         "/lib/systemd/system/thanos-fcgi-activated.socket") + CONFFILES + (
         "/usr/share/doc/thanos-fcgi/copyright",
         "/usr/share/doc/thanos-fcgi/deploy/lighttpd/50-thanos-fcgi.conf")
UNITS = ("thanos-fcgi.service", "thanos-fcgi-activated.socket")
SOCKETS = ("/run/thanos-fcgi.sock", "/run/thanos-fcgi/thanos-fcgi.sock")
# in_ns: CMD where /etc/lighttpd is the copy and /run/lighttpd the test's
# own (a private mount namespace; sh execs CMD, so the pid is CMD's)
NS = 'mount --bind "$1" /etc/lighttpd && mount --bind "$2" /run/lighttpd && shift 2 && exec "$@"'


def run(argv, **kw):
    """(exit status, stdout and stderr as text) of argv; 127 when it is
    not there."""
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           **kw)
    except OSError as e:
        return 127, str(e)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def tail(text, n=3):
    return " ".join(text.splitlines()[-n:])


def pkg_procs():
    """Pids of the processes running the packaged program (also once its
    file is deleted)."""
    pids = []
    for p in glob.glob("/proc/[0-9]*"):
        try:
            exe = os.readlink(p + "/exe")
        except OSError:
            continue
        if exe in (BIN, BIN + " (deleted)"):
            pids.append(int(p[6:]))
    return pids


def soon(what, cond):
    """cond()'s value once it is true, None when the guard runs out (the
    check that follows then fails)."""
    try:
        return procs.wait_for(what, cond)
    except procs.WaitTimeout:
        return None


class Package:
    """The .deb, built once, and whether it is installed; purge() leaves
    the machine without it."""

    def __init__(self, d):
        self.dir = d
        self.env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        self.deb = os.environ.get("THANOS_FCGI_DEB")
        self.build_rc = None
        self.installed = False
        self.attempted = False  # an install begun: purged at the end
        self.files = []

    def build(self):
        if not self.deb:
            out = os.path.join(self.dir, "out")
            self.build_rc = package.run([os.path.join(labmod.TOP, "deploy", "debian", "build"), out],
                                        os.path.join(self.dir, "build.log"), guard=None)
            self.deb = (sorted(glob.glob(os.path.join(out, "thanos-fcgi_*.deb"))) or [None])[0]

    def has_deb(self):
        return bool(self.deb) and os.path.isfile(self.deb)

    def need(self, installed=False):
        if not self.has_deb():
            pytest.fail("no .deb (see %s)" % os.path.join(self.dir, "build.log"), pytrace=False)
        if installed and not self.installed:
            pytest.fail("thanos-fcgi is not installed (test_install failed)", pytrace=False)

    def apt(self, *args, log=os.devnull, cwd=None):
        return package.run(APT + list(args), log, cwd=cwd, env=self.env, guard=None)

    def purge(self, log=os.devnull):
        rc = self.apt("purge", "thanos-fcgi", log=log)
        self.installed = self.attempted = False
        return rc


@pytest.fixture(scope="module")
def pkg(lab):
    if os.getuid() != 0:
        pytest.fail("installs a package: run as root", pytrace=False)
    missing = [n for n in NEEDS if not shutil.which(n)]
    if missing:
        pytest.fail("not on the machine: %s" % " ".join(missing), pytrace=False)
    d = os.path.join(lab.dir, "debian_package")
    os.makedirs(d)
    p = Package(d)

    def term(signum, frame):
        raise KeyboardInterrupt("SIGTERM")
    old = signal.signal(signal.SIGTERM, term)
    try:
        p.build()
        yield p
    finally:
        if p.attempted:
            p.purge()
        signal.signal(signal.SIGTERM, old)


def test_build_and_lint(pkg):
    c = casemod.Checks("debian package: build and lint")
    if pkg.build_rc is not None:
        c.eq("deploy/debian/build exits 0", 0, pkg.build_rc)
    if not pkg.has_deb():
        conftest.record(AREA, c)
        pkg.need()
    log = os.path.join(pkg.dir, "lintian.log")
    rc = package.run(["lintian", "--fail-on", "error,warning", pkg.deb], log, guard=None)
    with open(log) as f:
        bad = [ln for ln in f.read().splitlines() if re.match(r"[EW]: ", ln)]
    c.eq("lintian: no error and no warning (overrides explained in deploy/debian/README)", (0, []), (rc, bad))

    rc, listing = run(["dpkg-deb", "-c", pkg.deb])
    contents = set()
    for ln in listing.splitlines():
        f = ln.split(None, 5)[-1].split(" -> ")[0]
        contents.add("/" + f[2:] if f.startswith("./") else f)
    for f in HOLDS:
        if f not in contents and f.lstrip("/") not in contents and "/usr" + f in contents:
            f = "/usr" + f
        c.true("the package holds %s" % f, f in contents or f.lstrip("/") in contents)
    c.match("README under the docs", r"^/usr/share/doc/thanos-fcgi/README(\.gz)?$", "\n".join(sorted(contents)))
    conftest.record(AREA, c)


def test_install(pkg):
    c = casemod.Checks("debian package: install")
    pkg.need()
    c.eq("no packaged thanos-fcgi runs before the install", [], pkg_procs())
    name = os.path.basename(pkg.deb)
    pkg.attempted = True
    rc = pkg.apt("install", "./" + name, log=os.path.join(pkg.dir, "install.log"), cwd=os.path.dirname(pkg.deb))
    c.eq("apt-get install ./%s exits 0" % name, 0, rc)
    if rc:
        conftest.record(AREA, c)
    pkg.installed = True
    _, listed = run(["dpkg", "-L", "thanos-fcgi"])
    pkg.files = [f for f in listed.splitlines() if f.startswith("/") and not os.path.isdir(f)]

    c.match("installed program runs", "^thanos-fcgi ", (run([BIN, "--version"])[1].splitlines() or [""])[0])
    c.eq("man thanos-fcgi finds the page", "/usr/share/man/man8/thanos-fcgi.8.gz",
         run(["man", "-w", "thanos-fcgi"])[1].strip())
    warn = subprocess.run(["man", "--warnings", "thanos-fcgi"], stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=dict(os.environ, MANWIDTH="80"))
    c.eq("man renders it without a warning", "", warn.stderr.decode("utf-8", "replace"))
    c.eq("the install starts no thanos-fcgi", [], pkg_procs())
    for u in UNITS:
        c.eq("%s is installed, not enabled" % u, "disabled", run(["systemctl", "is-enabled", u])[1].strip())
    c.eq("the install made no FastCGI socket", [], [s for s in SOCKETS if os.path.lexists(s)])
    _, conf = run(["dpkg-query", "-W", "-f=${Conffiles}\n", "thanos-fcgi"])
    c.eq("conffiles: the snippets and /etc/default", 6, len(re.findall(r"^ /etc/", conf, re.M)))
    left = set()
    for f in CONFFILES:
        try:
            with open(f, errors="replace") as fh:
                left.update(re.findall(r"@[A-Z_]+@", fh.read()))
        except FileNotFoundError:
            left.add("no " + f)
    c.eq("the packaged snippets hold no @PLACEHOLDER@", [], sorted(left))
    conftest.record(AREA, c)


def edit(path, pattern, repl):
    """Replaces pattern in the file path; how many times it did."""
    with open(path) as f:
        text, n = re.subn(pattern, repl, f.read(), flags=re.M)
    with open(path, "w") as f:
        f.write(text)
    return n


def lighttpd_etc(etc, port, run_dir):
    """The copy of /etc/lighttpd in etc: Debian's lighttpd.conf on our own
    port, loopback only, errors to stderr (the log of the Proc,
    thanos-fcgi's too), no IPv6 wildcard socket (use-ipv6.pl).  The path of
    the copy's thanos-fcgi snippet."""
    shutil.copytree("/etc/lighttpd", etc, symlinks=True)
    conf = os.path.join(etc, "lighttpd.conf")
    for pattern, repl in ((r"^server\.port .*$", 'server.port = %d\nserver.bind = "127.0.0.1"' % port),
                          (r"^server\.errorlog .*\n", ""),
                          (r"^server\.pid-file .*$", 'server.pid-file = "%s/lighttpd.pid"' % run_dir),
                          (r"^.*use-ipv6\.pl.*\n", "")):
        if edit(conf, pattern, repl) != 1:
            raise AssertionError("Debian's lighttpd.conf has no one line /%s/" % pattern)
    return etc + LIGHTTPD_SNIPPET[len("/etc/lighttpd"):]


def point_at(snippet, prom):
    """The administrator's edit of the snippet, as its README says: this
    Prometheus (route prefix /thanos, and no root paths: Prometheus serves
    /metrics under its route prefix).  The lines edited (upstream, root
    paths)."""
    return (edit(snippet, r'"THANOS_FCGI_UPSTREAM" *=> "[^"]*"',
                 '"THANOS_FCGI_UPSTREAM" => "http://127.0.0.1:%d"' % prom.port),
            edit(snippet, r'"THANOS_FCGI_ROOT_PATHS" *=> "[^"]*"', '"THANOS_FCGI_ROOT_PATHS" => ""'))


def test_serves(pkg, lab):
    c = casemod.Checks("debian package: lighttpd")
    pkg.need(installed=True)
    port = procs.free_port()
    front = "http://127.0.0.1:%d" % port
    prom = e2e.Prometheus(pkg.dir, e2e.ROUTE, external=front)
    # www-data (lighttpd's user, and so thanos-fcgi's) must reach the sockets
    run_dir = tempfile.mkdtemp(prefix="thanos-fcgi-deb-run.")
    shutil.chown(run_dir, "www-data", "www-data")
    os.chmod(run_dir, 0o750)
    etc = os.path.join(pkg.dir, "etc-lighttpd")
    light = None
    try:
        prom.wait()
        snippet = lighttpd_etc(etc, port, run_dir)
        edited = point_at(snippet, prom)
        with open(snippet) as f:
            up = [ln for ln in f.read().splitlines() if "THANOS_FCGI_UPSTREAM" in ln]
        c.true("the snippet now points at the test's Prometheus", edited == (1, 1) and
               "127.0.0.1:%d\"" % prom.port in "".join(up), "edited %s lines: %s" % (edited, up))
        in_ns = ["unshare", "-m", "sh", "-c", NS, "sh", etc, run_dir]
        rc = package.run(in_ns + ["lighty-enable-mod", "thanos-fcgi"], os.path.join(pkg.dir, "enable.log"))
        c.eq("lighty-enable-mod thanos-fcgi exits 0", 0, rc)
        for what, f in (("it enabled the snippet", "50-thanos-fcgi.conf"),
                        ("and mod_fastcgi, which the snippet depends on", "10-fastcgi.conf")):
            link = os.path.join(etc, "conf-enabled", f)
            c.eq(what, "../conf-available/" + f, os.readlink(link) if os.path.islink(link) else None)
        rc, out = run(in_ns + ["lighttpd", "-tt", "-f", "/etc/lighttpd/lighttpd.conf"])
        c.eq("lighttpd -tt accepts Debian's lighttpd.conf with the snippet", (0, ""), (rc, tail(out) if rc else ""))

        light = procs.Proc("lighttpd", in_ns + ["lighttpd", "-D", "-f", "/etc/lighttpd/lighttpd.conf"],
                           os.path.join(pkg.dir, "lighttpd.log"), env=lab.clean_env)
        procs.wait_for("lighttpd port", lambda: labmod.port_or_dead(light, port))
        pids = soon("the packaged thanos-fcgi started by lighttpd", pkg_procs) or []
        users = [run(["ps", "-o", "user=", "-p", str(p)])[1].strip() for p in pids]
        c.eq("thanos-fcgi runs, started by lighttpd as www-data", "www-data", (users or [None])[0])
        e2e.Suite(c, front, e2e.ROUTE, prom.url, "prometheus", "debian package, lighttpd conf-available").run()
        with open("/proc/%d/comm" % light.pid) as f:
            c.eq("the test's pid is lighttpd's", "lighttpd", f.read().strip())
        light.stop()
        soon("no packaged thanos-fcgi runs", lambda: not pkg_procs())
        c.eq("lighttpd stopped: no packaged thanos-fcgi runs", [], pkg_procs())
    finally:
        procs.stop_all([x for x in (prom, light) if x])
        shutil.rmtree(run_dir, ignore_errors=True)
    conftest.record(AREA, c)


def test_purge(pkg):
    c = casemod.Checks("debian package: purge")
    pkg.need(installed=True)
    c.eq("apt-get purge thanos-fcgi exits 0", 0, pkg.purge(os.path.join(pkg.dir, "purge.log")))
    st = subprocess.run(["dpkg-query", "-W", "-f=${Status}", "thanos-fcgi"], capture_output=True, text=True)
    c.eq("dpkg knows the package no more", [],
         [ln for ln in st.stdout.splitlines() if not re.search(r"^unknown|not-installed", ln)])
    c.eq("none of the package's %d files is left" % len(pkg.files), [],
         [f for f in pkg.files if os.path.lexists(f)])
    c.eq("no conffile is left", [], [f for f in CONFFILES if os.path.lexists(f)])
    c.eq("nothing of it runs", [], pkg_procs())
    c.eq("systemd knows its units no more", "",
         run(["systemctl", "list-unit-files", "thanos-fcgi*", "--no-legend"])[1].strip())
    conftest.record(AREA, c)
