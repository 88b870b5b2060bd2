"""package.py: the source and build trees as a user sees them, for the
package tests (test_install.py, test_no_check.py, test_debian_package.py): make and ./configure run
as a user would run them, not as a part of the `make check` that may be
running the test (its MAKEFLAGS would print directories and ask for a
jobserver the test does not hold)."""

import os
import subprocess

import lab as labmod
import procs

TOP = labmod.TOP
BUILD = os.environ.get("top_builddir") or os.path.join(TOP, "build")
MAKE = os.environ.get("MAKE") or "make"
# configure, or a build of the program: ten guards, a bound only a hung
# one reaches
BUILD_GUARD = 10 * procs.GUARD


def user_env(**extra):
    """The environment without make's variables for its children."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    env.update(extra)
    return env


def run(argv, log, cwd=None, env=None, stdin=None, guard=procs.GUARD):
    """Runs argv (stdin: bytes it reads, else nothing), its output (both
    streams) into the file log; returns the exit status, or a sentence
    when the guard (None: none) ran out."""
    feed = {"input": stdin} if stdin is not None else {"stdin": subprocess.DEVNULL}
    with open(log, "wb") as out:
        try:
            return subprocess.run(argv, cwd=cwd, env=env or user_env(), stdout=out,
                                  stderr=subprocess.STDOUT, timeout=guard, **feed).returncode
        except subprocess.TimeoutExpired:
            return "still running after %s s" % guard


def text(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def tail(path, n=5):
    """The last n lines of the file path, for a failure's message."""
    return " | ".join(text(path).splitlines()[-n:])
