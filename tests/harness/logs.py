"""logs.py: what test_logs.py and test_metrics.py share: adapters set up
in Python (not tests/cases: each test file its own, its own mock), one mode
at a time, and the adapter's log read from a mark on, waiting for the
lines the adapter writes on its own time.

  Rig(lab, prefix, specs)
                    specs(rig, mode) -> {name: adapter spec} (lab.Adapter's
                    flags/env); rig.adapter(mode, name) starts it once (the
                    previous mode's are stopped first), named prefix+name;
                    rig.log(mode, name) its log file, rig.since(name) a
                    Mark of everything it logged; rig.close() stops them
                    all and the rig's mocks
  Mark(path)        the lines of a log written after it was made:
                    lines(), wait(pattern, count) -> the matching lines
  logfmt_head(level)  a regex for a logfmt line's start, up to "msg="
"""

import re

import lab as labmod
import procs

MOCK_ARGS = ["--route-prefix", "/thanos"]


def logfmt_head(level):
    """The start of the adapter's line at level, up to and with "msg=" (ts,
    level and caller as Thanos writes them)."""
    return (r"ts=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z "
            r"level=%s caller=[a-z_]+\.c:[0-9]+ msg=" % level)


def read_lines(path):
    """The complete lines of a file (one still being written left out),
    undecodable bytes kept as surrogates (raw_bytes gives them back)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    lines = data.decode("utf-8", "surrogateescape").split("\n")
    return lines[:-1]


def raw_bytes(lines):
    """The lines as the bytes the file holds, one a line, for logparse."""
    return [ln.encode("utf-8", "surrogateescape") + b"\n" for ln in lines]


class Mark:
    """A log from now on: what one request (or a few) wrote."""

    def __init__(self, path, start=None):
        self.path = path
        self.start = len(read_lines(path)) if start is None else start

    def lines(self):
        return read_lines(self.path)[self.start:]

    def matching(self, pattern):
        return [ln for ln in self.lines() if re.search(pattern, ln)]

    def wait(self, pattern, count=1):
        """The lines after the mark matching pattern, once count of them are
        there (a WaitTimeout after procs' guard: the event never came)."""
        procs.wait_for("%s: %d line(s) /%s/" % (self.path, count, pattern),
                       lambda: len(self.matching(pattern)) >= count)
        return self.matching(pattern)


class Adapter(labmod.Adapter):
    """lab.Adapter, stopped when its start fails (nothing left running)."""

    def start(self):
        try:
            super().start()
        except BaseException:
            self.stop()
            raise


class Rig:
    """The adapters and mocks of one test file."""

    def __init__(self, lab, prefix, specs):
        self.lab = lab
        self.prefix = prefix
        self.specs = specs
        self.mocks = {}
        self.mode = None
        self.live = {}
        self.begun = {}

    def mock(self, name, args=MOCK_ARGS):
        """A mock of the rig's own (its requests are the file's alone)."""
        if name not in self.mocks:
            self.mocks[name] = labmod.Mock(self.lab, self.prefix + name, args)
        return self.mocks[name]

    def adapter(self, mode, name):
        if mode != self.mode:
            self.stop_adapters()
            self.mode = mode
        if name not in self.live:
            spec = self.specs(self, mode)[name]
            before = Mark(self.lab.cgi_log)
            a = Adapter(self.lab, mode, self.prefix + name, spec)
            self.begun[name] = before if mode == "cgi" else Mark(a.log, 0)
            self.live[name] = a
        return self.live[name]

    def log(self, mode, name):
        """The file adapter name logs to (CGI: what every request wrote)."""
        return self.lab.cgi_log if mode == "cgi" else self.adapter(mode, name).log

    def since(self, mode, name):
        """A Mark of all that adapter name logged in this mode (CGI: what
        every request wrote since it was set up)."""
        self.adapter(mode, name)
        return self.begun[name]

    def stop_adapters(self):
        """Stops the adapters, each one whatever happened to the others."""
        live, self.live = list(self.live.values()), {}
        errors = []
        for a in live:
            try:
                a.stop()
            except Exception as e:  # stop the rest, then report
                errors.append("%s: %s" % (a.name, e))
        if errors:
            raise AssertionError("stopping: " + "; ".join(errors))

    def close(self):
        """Stops everything, each one whatever happened to the others."""
        errors = []
        for x in [self.stop_adapters] + [m.stop for m in self.mocks.values()]:
            try:
                x()
            except Exception as e:  # stop the rest, then report
                errors.append(str(e))
        if errors:
            raise AssertionError("stopping: " + "; ".join(errors))
