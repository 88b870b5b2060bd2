"""test_no_check.py: ./configure without Check (the unit-test library,
needed by `make check` only) still builds the program and says that the
unit tests are off; --with-check then refuses.  Check is hidden from
pkg-config by a wrapper, so the machine keeps it."""

import os
import re
import subprocess

import conftest
import package
import procs
from cases import Checks

# pkg-config without Check: any question about "check" gets "not found".
WRAPPER = """#!/bin/sh
for a in "$@"; do case $a in check | check\\ *) exit 1 ;; esac; done
exec pkg-config "$@"
"""


def configure(tmp, name, *args, wrapper):
    """./configure of the source tree in tmp/name with the wrapper as
    PKG_CONFIG; returns (exit status, log path)."""
    build = os.path.join(tmp, name)
    os.makedirs(build)
    log = os.path.join(tmp, name + ".log")
    rc = package.run([os.path.join(package.TOP, "configure")] + list(args), log, cwd=build,
                     env=package.user_env(PKG_CONFIG=wrapper), guard=package.BUILD_GUARD)
    return rc, log


def test_configure_without_check(tmp_path):
    tmp = str(tmp_path)
    assert os.path.isfile(os.path.join(package.TOP, "configure")), \
        "no configure in %s (run autoreconf -fi)" % package.TOP
    wrapper = os.path.join(tmp, "pkg-config")
    with open(wrapper, "w") as f:
        f.write(WRAPPER)
    os.chmod(wrapper, 0o755)
    c = Checks("no_check")

    rc, log = configure(tmp, "build", wrapper=wrapper)
    c.true("configure without Check exits 0", rc == 0, "%s: %s" % (rc, package.tail(log)))
    c.true("configure says the unit tests are off", re.search(r"unit tests: off", package.text(log)),
           "not in its output, which ends: " + package.tail(log, 3))
    make_log = os.path.join(tmp, "make.log")
    rc = package.run([package.MAKE, "-s", "src/thanos-fcgi"], make_log, cwd=os.path.join(tmp, "build"),
                     guard=package.BUILD_GUARD)
    c.true("the program builds without Check", rc == 0, "%s: %s" % (rc, package.tail(make_log)))
    binary = os.path.join(tmp, "build", "src", "thanos-fcgi")
    version = ""
    if os.access(binary, os.X_OK):
        p = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=procs.GUARD)
        version = (p.stdout + p.stderr).split("\n")[0]
    c.match("and runs", r"\Athanos-fcgi ", version)

    rc, log = configure(tmp, "build2", "--with-check", wrapper=wrapper)
    c.eq("configure --with-check without Check fails (%s)" % package.tail(log, 2), 1, rc)
    c.match("naming what is missing", r"no Check", "\n".join(package.text(log).splitlines()[-3:]))
    conftest.record("no_check", c)
