"""test_logs.py: the adapter's log lines, as CGI and on --listen, against
the mock: the logfmt shape Thanos writes (ts, level, caller, msg,
key=value fields) of an error line; --log.format json; the debug line of a
known request (E, T, the upstream URL, the status, the bytes the mock
sent); the access line (--log.access) and none without it; a request path
full of quotes, control characters and a forged "level=" that stays one
escaped field of one line; every line well-formed (logparse.py); on
--listen, the start line, the debug lines of a mount's route and a
replica's down mark running out."""

import json

import pytest

import conftest
import logparse
import logs
from cases import Checks
from logs import logfmt_head

MODES = ("cgi", "listen")
RP = ["--web.route-prefix", "/thanos"]


def specs(rig, mode):
    """The adapters (OFF, DEADUP, JSON, DEBUG, ACCESS; REPL on --listen)."""
    up = rig.mock("main").url
    dead = "http://127.0.0.1:%d" % rig.lab.dead.port
    return {
        "OFF": {"flags": ["--upstream", up] + RP},
        "DEADUP": {"flags": ["--upstream", dead] + RP},
        "JSON": {"flags": ["--upstream", dead] + RP + ["--log.format", "json"]},
        "DEBUG": {"flags": ["--upstream", up] + RP + ["--log.level", "debug"]},
        "ACCESS": {"env": {"THANOS_FCGI_LOG_ACCESS": "true"},
                   "flags": ["--upstream", up] + RP + ["--log.level", "error"]},
        "REPL": {"flags": ["--upstream", dead, "--upstream", up] + RP
                 + ["--upstream.down-backoff", "1ms", "--log.level", "debug"]},
    }


@pytest.fixture(scope="module")
def rig(lab):
    r = logs.Rig(lab, "logs_", specs)
    yield r
    r.close()


class Run:
    """One test's adapters in one mode, its checks, and the mark of its
    adapter's log."""

    def __init__(self, rig, mode, name, what):
        self.rig, self.mode, self.name = rig, mode, name
        self.a = rig.adapter(mode, name)
        self.c = Checks("%s [%s]" % (what, mode))
        self.mark = logs.Mark(rig.log(mode, name))

    def req(self, sub, env=(), script="/thanos"):
        return self.a.request("GET", script, sub, env)

    def last(self, pattern, count=1):
        """The last line after the mark matching pattern, once count are."""
        return self.mark.wait(pattern, count)[-1]

    def field(self, line, key):
        return logparse.pairs(line).get(key)

    def done(self):
        conftest.record(self.mode, self.c)


def dead_url(rig):
    return r"http://127\.0\.0\.1:%d" % rig.lab.dead.port


@pytest.mark.parametrize("mode", MODES)
def test_error_line(rig, mode):
    """A dead upstream's 502: its error line in logfmt (msg, method, path,
    err with the cause), caller relay.c; the answer keeps its own body."""
    t = Run(rig, mode, "DEADUP", "error line")
    r = t.req("/graph")
    t.c.eq("%s: dead upstream: 502" % mode, 502, r.status)
    line = t.last('msg="request failed"')
    t.c.match("%s: the error line in logfmt, msg and fields" % mode,
              r'^%s"request failed" method=GET path=/thanos/graph err="upstream %s failed: [^"]+"$'
              % (logfmt_head("error"), dead_url(rig)), line)
    t.c.match("%s: its caller is relay.c" % mode, r" caller=relay\.c:[0-9]+ ", line)
    t.c.true("%s: the answer's body keeps its own shape" % mode,
             b"thanos-fcgi: upstream failed" in r.body, repr(r.body))
    t.done()


@pytest.mark.parametrize("mode", MODES)
def test_json(rig, mode):
    """--log.format json: the error line's keys in order, its level and
    cause, and every line the adapter wrote one JSON object."""
    t = Run(rig, mode, "JSON", "json")
    r = t.req("/graph")
    t.c.eq("%s: json: dead upstream: 502" % mode, 502, r.status)
    d = json.loads(t.last('"msg":"request failed"'))
    t.c.eq("%s: json: the error line's keys in order" % mode,
           ["ts", "level", "caller", "msg", "method", "path", "err"], list(d))
    t.c.eq("%s: json: level" % mode, "error", d.get("level"))
    t.c.match("%s: json: err keeps the cause" % mode, r"^upstream %s failed: " % dead_url(rig),
              str(d.get("err")))
    # CGI: the lines of this request; --listen: the process's every line
    lines = t.mark.lines() if mode == "cgi" else rig.since(mode, "JSON").lines()
    t.c.eq("%s: json: every line it wrote is a JSON object (of %d)" % (mode, len(lines)), 0,
           logparse.bad_json(logs.raw_bytes(lines)))
    t.done()


@pytest.mark.parametrize("mode", MODES)
def test_debug_line(rig, mode):
    """--log.level debug: one line of a known request (GET /-/bytes?n=1234,
    the mock's answer 1234 bytes): path, E, T, upstream URL, code, bytes,
    attempts, duration; and no access line without --log.access."""
    t = Run(rig, mode, "DEBUG", "debug line")
    r = t.req("/-/bytes?n=1234")
    t.c.eq("%s: debug: 200" % mode, 200, r.status)
    line = t.last(" msg=request ")
    f = logparse.pairs(line)
    up = rig.mock("main").url
    t.c.match("%s: debug: one line at level debug" % mode, "^%srequest method=GET " % logfmt_head("debug"),
              line)
    t.c.eq("%s: debug: path" % mode, "/thanos/-/bytes?n=1234", f.get("path"))
    t.c.eq("%s: debug: e" % mode, "/thanos", f.get("e"))
    t.c.eq("%s: debug: t" % mode, "/-/bytes", f.get("t"))
    t.c.eq("%s: debug: upstream URL" % mode, up + "/thanos/-/bytes?n=1234", f.get("upstream"))
    t.c.eq("%s: debug: code" % mode, "200", f.get("code"))
    t.c.eq("%s: debug: bytes, the mock's answer size" % mode, ("1234", 1234), (f.get("bytes"), len(r.body)))
    t.c.eq("%s: debug: attempts" % mode, "1", f.get("attempts"))
    t.c.match("%s: debug: duration in ms" % mode, r"^[0-9]+ms$", f.get("duration"))
    # the access line would come before the debug line waited for above
    t.c.eq("%s: debug: no access line without --log.access" % mode, [], t.mark.matching(" msg=access "))
    t.done()


@pytest.mark.parametrize("mode", MODES)
def test_rewrite_line(rig, mode):
    """A redirect from the upstream under R served under E = /pub: the
    Location rewritten, and its debug line (header, from, to)."""
    t = Run(rig, mode, "DEBUG", "rewrite line")
    r = t.req("/-/respond?status=302&h=Location:/thanos/graph", script="/pub")
    t.c.eq("%s: debug: Location rewritten" % mode, "/pub/graph", r.header("Location"))
    line = t.last('msg="header rewritten"')
    t.c.eq("%s: debug: the rewrite logged" % mode, ["Location", "/thanos/graph", "/pub/graph"],
           [t.field(line, k) for k in ("header", "from", "to")])
    t.done()


@pytest.mark.parametrize("mode", MODES)
def test_access_line(rig, mode):
    """--log.access at --log.level error: the access line at level info
    (remote address and user, method, path, code, bytes, upstream,
    duration)."""
    t = Run(rig, mode, "ACCESS", "access line")
    r = t.req("/-/bytes?n=300", {"REMOTE_USER": "alice"})
    t.c.eq("%s: access: 200" % mode, 200, r.status)
    line = t.last(" msg=access ")
    t.c.match("%s: access: at level info, whatever --log.level" % mode,
              r"^%saccess remote_addr=192\.0\.2\.7 remote_user=alice method=GET " % logfmt_head("info"), line)
    up = rig.mock("main").url + "/thanos/-/bytes?n=300"
    t.c.eq("%s: access: path code bytes upstream" % mode, ["/thanos/-/bytes?n=300", "200", "300", up],
           [t.field(line, k) for k in ("path", "code", "bytes", "upstream")])
    t.c.match("%s: access: duration" % mode, r"^[0-9]+ms$", t.field(line, "duration"))
    t.done()


@pytest.mark.parametrize("mode", MODES)
def test_access_off(rig, mode):
    """Off by default: an answered request, then a failed one whose error
    line (written after the access line would be) says the request is
    over: no access line and no debug line."""
    t = Run(rig, mode, "OFF", "access off")
    t.c.eq("%s: off: 200" % mode, 200, t.req("/graph").status)
    t.c.eq("%s: off: a dot segment: 400" % mode, 400, t.req("/%2e%2e/x").status)
    t.mark.wait('msg="request failed"')
    t.c.eq("%s: off: no access and no debug line" % mode, [], t.mark.matching(" msg=(access|request) "))
    t.done()


HOSTILE = '/x"y\n ts=2000-01-01T00:00:00.000Z level=error msg=forged\r\x1b[2J\x7f\\'
HOSTILE_LOGGED = (r'path="/thanos/x\\"y\\n ts=2000-01-01T00:00:00\.000Z level=error '
                  r'msg=forged\\r\\u001b\[2J\\u007f\\\\"')


@pytest.mark.parametrize("mode", MODES)
def test_hostile_path(rig, mode):
    """Quotes, a newline, a carriage return, ESC, DEL and a forged second
    line in the request path: one line each, the path field unescaping to
    the bytes sent.  The error line is the request's last: the access line
    came before it, and no debug line at --log.level error."""
    t = Run(rig, mode, "ACCESS", "hostile path")
    r = t.req(HOSTILE)
    t.c.eq("%s: hostile path: 400" % mode, 400, r.status)
    failed = t.mark.wait('msg="request failed"')
    lines = t.mark.lines()
    t.c.eq("%s: hostile path: two lines (access, error), no more" % mode, 2, len(lines))
    t.c.true("%s: hostile path: the first is the access line" % mode,
             bool(lines) and " msg=access " in lines[0], repr(lines[:1]))
    t.c.eq("%s: hostile path: no line starts with the forged ts" % mode, [],
           [ln for ln in lines if ln.startswith(("ts=2000", " ts=2000"))])
    t.c.eq("%s: hostile path: the path field is the bytes sent" % mode, ("/thanos" + HOSTILE).encode(),
           (t.field(failed[0], "path") or "").encode())
    t.c.match("%s: hostile path: escaped, not raw" % mode, HOSTILE_LOGGED, "\n".join(failed))
    t.done()


@pytest.mark.parametrize("mode", MODES)
def test_well_formed(rig, mode):
    """Every line but the JSON adapter's (checked above) is well-formed
    logfmt: ts, level, caller, msg first, then key=value pairs."""
    lines = set()
    for name in ("OFF", "DEADUP", "DEBUG", "ACCESS"):
        lines.update(rig.since(mode, name).lines())
    lines = sorted(ln for ln in lines if not ln.startswith('{"ts":'))
    c = Checks("well-formed [%s]" % mode)
    c.eq("%s: every logfmt line well-formed (of %d)" % (mode, len(lines)), 0,
         logparse.bad_logfmt(logs.raw_bytes(lines)))
    conftest.record(mode, c)


@pytest.mark.parametrize("mode", ["listen"])
def test_start_line_json(rig, mode):
    """--listen --log.format json: the start line is JSON too."""
    c = Checks("json start line [listen]")
    first = rig.since(mode, "JSON").wait(".")[0]
    c.match("listen: json: the start line is JSON too",
            r'^\{"ts":"[^"]+","level":"info","caller":"main\.c:[0-9]+","msg":"listening on ', first)
    conftest.record(mode, c)


@pytest.mark.parametrize("mode", ["listen"])
def test_route_built_once(rig, mode):
    """A mount's route, built once for a set of THANOS_FCGI_* parameters:
    one debug line for two requests, naming the parameters."""
    t = Run(rig, mode, "DEBUG", "route built")
    p = {"THANOS_FCGI_UPSTREAM_TIMEOUT_CONNECT": "3s"}
    t.req("/graph", p)
    t.req("/graph", p)
    t.mark.wait(" msg=request ", 2)
    built = t.mark.wait('msg="route built for a mount"')
    t.c.eq("listen: debug: the route built once for two requests", 1, len(built))
    t.c.eq("listen: debug: the route's parameters", "THANOS_FCGI_UPSTREAM_TIMEOUT_CONNECT=3s",
           t.field(built[0], "params"))
    t.done()


@pytest.mark.parametrize("mode", ["listen"])
def test_replica_down_mark(rig, mode):
    """Two replicas, one dead, a 1 ms down mark: marked down (warn), then
    tried again once the mark has run out (debug)."""
    t = Run(rig, mode, "REPL", "replicas")
    for i in range(1, 5):
        t.req("/graph?i=%d" % i)
    dead = dead_url(rig)
    down = t.mark.wait(r'%s"upstream %s marked down for 1 ms"' % (logfmt_head("warn"), dead))
    t.c.true("listen: replicas: the dead one marked down (warn)", bool(down))
    over = t.mark.wait(r'%s"upstream %s: down mark over, back in rotation"' % (logfmt_head("debug"), dead))
    t.c.true("listen: replicas: its down mark over (debug)", bool(over))
    conftest.record(mode, t.c)
