"""test_install.py: `make install DESTDIR=...` ships the whole product: the
program, thanos-fcgi(8) (rendering cleanly with man, naming every flag the
installed program's --help names), the README and deploy/ under $(docdir)
as they are in the tree, and the systemd units with the installed program's
path filled in; `make uninstall` takes it all away.  The build tree is
$top_builddir (make check's), else build/ of the source tree."""

import filecmp
import os
import re
import subprocess

import conftest
import package
import procs
from cases import Checks

UNITS = ("thanos-fcgi.service", "thanos-fcgi-activated.service", "thanos-fcgi-activated.socket")


def submake(*args, log, stdin=None):
    return package.run([package.MAKE, "-s", "--no-print-directory", "-C", package.BUILD] + list(args),
                       log, stdin=stdin)


def make_var(tmp, name):
    """The value of a make variable of the build tree."""
    log = os.path.join(tmp, "var_%s.out" % name)
    rule = b"print-var-%:\n\t@echo $($*)\n"
    rc = submake("-f", "Makefile", "-f", "-", "print-var-" + name, log=log, stdin=rule)
    assert rc == 0, "make print-var-%s: %s (%s)" % (name, rc, package.tail(log))
    return package.text(log).strip()


def out(argv, env=None):
    """stdout and stderr of argv (text), each whole."""
    p = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=procs.GUARD)
    return p.stdout, p.stderr


def line_of(path, prefix):
    """The first line of the file path that starts with prefix, or None."""
    for ln in package.text(path).splitlines():
        if ln.startswith(prefix):
            return ln
    return None


def deploy_files():
    """deploy/ but its Debian packaging: the paths, from the source tree."""
    top = package.TOP
    found = []
    for d, subdirs, files in os.walk(os.path.join(top, "deploy")):
        rel = os.path.relpath(d, top)
        if rel == os.path.join("deploy", "debian"):
            subdirs[:] = []
            continue
        found += [os.path.join(rel, f) for f in files]
    return sorted(found)


def test_make_install_and_uninstall(tmp_path):
    tmp = str(tmp_path)
    assert os.path.isfile(os.path.join(package.BUILD, "Makefile")), \
        "no configured build tree in %s (set top_builddir)" % package.BUILD
    c = Checks("install")
    root = os.path.join(tmp, "root")
    log = os.path.join(tmp, "install.log")
    rc = submake("install", "DESTDIR=" + root, log=log)
    c.true("make install DESTDIR exits 0", rc == 0, "%s: %s" % (rc, package.tail(log)))
    bindir, man8dir, docdir, unitdir = (make_var(tmp, v) for v in
                                        ("bindir", "man8dir", "docdir", "systemdsystemunitdir"))

    binary = root + bindir + "/thanos-fcgi"
    c.true("program in $(bindir)", os.path.isfile(binary) and os.access(binary, os.X_OK), "no executable " + binary)
    version = "".join(out([binary, "--version"])) if os.access(binary, os.X_OK) else ""
    c.match("installed program runs (--version)", r"\Athanos-fcgi ", version.split("\n")[0])

    page = root + man8dir + "/thanos-fcgi.8"
    c.true("man page in $(man8dir)", os.path.isfile(page), "no " + page)
    warn = out(["man", "--warnings", "-l", page], env=dict(os.environ, MANWIDTH="80"))[1]
    c.eq("man --warnings renders thanos-fcgi(8) without a warning", "", warn.strip())
    text = out(["man", "-l", page], env=dict(os.environ, MANWIDTH="200"))[0]
    c.match("the page has NAME, SYNOPSIS and OPTIONS", "NAME.*SYNOPSIS.*OPTIONS", text.replace("\n", " "))
    # the installed program and the installed page name the same flags
    helptext = out([binary, "--help"])[0] if os.access(binary, os.X_OK) else ""
    flags = sorted(set(re.findall(r"^  (--[a-z.-]+)", helptext, re.M)))
    missing = [f for f in flags if not re.search(r"^ +%s(=|\[|,| |$)" % re.escape(f), text, re.M)]
    c.true("every flag of --help (%d) has its entry in the page" % len(flags), flags and not missing,
           "missing: %s" % (" ".join(missing) or "no flag in --help"))

    readme = root + docdir + "/README"
    c.true("README in $(docdir)", os.path.isfile(readme) and
           filecmp.cmp(os.path.join(package.TOP, "README"), readme, shallow=False), "differs or missing: " + readme)
    files = deploy_files()
    bad = [f for f in files if not (os.path.isfile(root + docdir + "/" + f) and
                                    filecmp.cmp(os.path.join(package.TOP, f), root + docdir + "/" + f, shallow=False))]
    c.eq("every file of deploy/ (%d) in $(docdir)/deploy, unchanged" % len(files), [], bad)
    c.true("deploy/debian not installed", not os.path.lexists(root + docdir + "/deploy/debian"),
           "deploy/debian (packaging) installed as documentation")

    units = root + unitdir
    for u in UNITS:
        c.true("%s in %s" % (u, unitdir), os.path.isfile(os.path.join(units, u)), "no %s/%s" % (units, u))
    placeholders = sorted(set(re.findall(r"@[A-Z_]*@", "".join(package.text(os.path.join(units, u))
                                                                for u in UNITS))))
    c.eq("units hold no @PLACEHOLDER@", [], placeholders)
    c.match("thanos-fcgi.service runs the installed program on its socket",
            r"\AExecStart=%s/thanos-fcgi --listen unix:/run/thanos-fcgi/thanos-fcgi\.sock " % re.escape(bindir),
            line_of(os.path.join(units, UNITS[0]), "ExecStart="))
    c.eq("thanos-fcgi-activated.service runs the installed program", "ExecStart=%s/thanos-fcgi --threads 16" % bindir,
         line_of(os.path.join(units, UNITS[1]), "ExecStart="))
    c.eq("the socket unit listens where the README says", "ListenStream=/run/thanos-fcgi.sock",
         line_of(os.path.join(units, UNITS[2]), "ListenStream="))

    log = os.path.join(tmp, "uninstall.log")
    rc = submake("uninstall", "DESTDIR=" + root, log=log)
    c.true("make uninstall exits 0", rc == 0, "%s: %s" % (rc, package.tail(log)))
    left = [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs]
    c.eq("make uninstall leaves no file", [], left[:5])
    conftest.record("install", c)
