"""procs.py: processes, ports and waits for the harness: everything waits
on an event (a port that opens, a path that appears, a log line, a process
that exits), each wait bounded by a guard that only a broken or hung program
reaches (GUARD seconds, times SLOWDOWN under valgrind)."""

import os
import re
import signal
import socket
import subprocess
import time

SLOWDOWN = 5 if os.environ.get("UNDER_VALGRIND") else 1
GUARD = 30 * SLOWDOWN
POLL = 0.02


class WaitTimeout(AssertionError):
    """A guard ran out: the event never came."""


def wait_for(what, cond, guard=GUARD):
    """Polls cond() until it returns a true value, which is returned; raises
    WaitTimeout naming what after guard seconds."""
    end = time.monotonic() + guard
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > end:
            raise WaitTimeout("%s: not within %s s" % (what, guard))
        time.sleep(POLL)


def free_port():
    """A TCP port of 127.0.0.1 free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class DeadPort:
    """A port of 127.0.0.1 that refuses every connection while this lives:
    bound, never listening, so nothing started later can take it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]

    def close(self):
        self.sock.close()


class Proc:
    """A process started by the harness, its output in log (a file).  It
    runs in a session of its own unless session=False (then in its own
    process group of the caller's session): a terminal's ^C reaches neither.
    A measurement passes session=False: with the kernel's autogroup
    scheduling (sched_autogroup_enabled) each session is one group that the
    CPU is shared between, so servers each in their own session get a share
    each, not one per thread (bench/run measured 82k requests through the
    adapter in 5 s that way, 134k with its servers in its own session)."""

    def __init__(self, name, argv, log, env=None, stdin=subprocess.DEVNULL, session=True):
        self.name = name
        self.log = log
        with open(log, "ab") as out:
            self.p = subprocess.Popen(argv, stdin=stdin, stdout=out, stderr=out, env=env,
                                      start_new_session=session, process_group=None if session else 0)
        self.pid = self.p.pid

    def running(self):
        return self.p.poll() is None

    def log_text(self):
        try:
            with open(self.log, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def log_count(self, pattern):
        return len(re.findall(pattern, self.log_text(), re.M))

    def wait_log(self, pattern, count=1, guard=GUARD):
        """Waits until pattern (a regex, per line) has matched count lines."""
        wait_for("%s log /%s/ x%d" % (self.name, pattern, count),
                 lambda: self.log_count(pattern) >= count, guard)
        return self.log_count(pattern)

    def wait_exit(self, guard=GUARD):
        """The exit status, once the process has ended by itself."""
        try:
            return self.p.wait(guard)
        except subprocess.TimeoutExpired:
            raise WaitTimeout("%s did not exit within %s s" % (self.name, guard))

    def stop(self):
        """SIGTERM, then (after the guard) SIGKILL; reaps it."""
        if self.p.poll() is None:
            try:
                os.kill(self.pid, signal.SIGTERM)
                self.p.wait(GUARD)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                if self.p.poll() is None:
                    self.p.kill()
                    self.p.wait()


def stop_all(live):
    """Stops every thing of the list live, last first, each one whatever
    happened to the others (the list is emptied); then raises naming the
    ones that failed."""
    errors = []
    while live:
        x = live.pop()
        try:
            x.stop()
        except Exception as e:  # stop the rest, then report
            errors.append("%s: %s" % (getattr(x, "name", type(x).__name__), e))
    if errors:
        raise AssertionError("stopping: " + "; ".join(errors))
