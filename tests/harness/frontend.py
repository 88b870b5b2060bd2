"""frontend.py: what test_frontend.py and test_tenant.py share (the web
server's side of the adapter: its sockets, its start-up, who may see what;
front.py is the other thing, the real front servers).

  started        fixture: a list; every adapter, process or socket put in
                 it is stopped (or closed) at the end, pass or fail
  adapter()      one labmod.Adapter of settings given here (no case file)
  start_fails()  the binary must refuse to start: exit 2, one line
  status_is()    the check that an answer starts with "Status: N"
  echo_h()       a request header as the mock's /-/echo saw it
  settle()       polls a count until it reaches a number, or the guard
"""

import re
import subprocess

import pytest

import cases as casemod
import lab as labmod
import procs

UP = "${up:main}"
RP = ["--upstream", UP, "--web.route-prefix", "/thanos"]


def logfmt_head(level):
    """A regex for the start of the adapter's log line at level, up to and
    with "msg=" (ts, level and caller as Thanos writes them)."""
    return (r"ts=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z "
            r"level=%s caller=[a-z_]+\.c:[0-9]+ msg=" % level)


@pytest.fixture
def started():
    """Things to stop at the end of the test, whatever happened."""
    things = []
    yield things
    errors = []
    for x in reversed(things):
        try:
            (getattr(x, "stop", None) or x.close)()
        except Exception as e:  # stop the rest, then report
            errors.append("%r: %s" % (x, e))
    if errors:
        raise AssertionError("stopping: " + "; ".join(errors))


def checks(name, mode):
    return casemod.Checks("%s [%s]" % (name, mode))


def adapter(lab, started, mode, name, flags=(), env=None):
    """An adapter of these flags (and process environment) in mode, started
    now in a FastCGI mode, stopped with the test."""
    a = labmod.Adapter(lab, mode, name, {"flags": list(flags), "env": dict(env or {})})
    started.append(a)
    return a


def start_fails(c, lab, label, want, args):
    """thanos-fcgi ARGS must exit 2 with one line on stderr matching want."""
    try:
        p = subprocess.run([lab.binary] + list(args), env=lab.clean_env, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=procs.GUARD)
        rc, err = p.returncode, p.stderr
    except subprocess.TimeoutExpired:
        rc, err = "still running after %s s" % procs.GUARD, ""
    c.eq("%s: exit status 2" % label, 2, rc)
    c.eq("%s: one line on stderr" % label, 1, len(err.splitlines()))
    c.match("%s: it says what failed" % label, want, err.rstrip("\n"))


def status_is(c, desc, r, code):
    """The answer's first line is "Status: code ..."."""
    c.match("%s: Status: %d first" % (desc, code), r"\AStatus: %d( |\Z)" % code, r.first_line)


def text(r):
    """The body as text, trailing newlines aside (as $(cat) gives it)."""
    return r.body.decode("utf-8", "replace").rstrip("\n")


def echo_h(r, name):
    """Request header name as the mock's /-/echo saw it (every value, joined
    with ", "), "<absent>" when it did not arrive."""
    try:
        hl = r.json().get("header_list", [])
    except ValueError:
        return "<not JSON>"
    vals = [v for k, v in hl if k.lower() == name.lower()]
    return ", ".join(vals) if vals else "<absent>"


def settle(count, want, guard=procs.GUARD):
    """count() once it is at least want, or its value when the guard ran
    out: the check that follows says which."""
    seen = [None]

    def reached():
        seen[0] = count()
        return seen[0] >= want
    try:
        procs.wait_for("a count of %d" % want, reached, guard)
    except procs.WaitTimeout:
        pass
    return seen[0]


def first_line(text_, pattern):
    """The first line of text_ that matches pattern, or None."""
    for ln in text_.splitlines():
        if re.search(pattern, ln):
            return ln
    return None
