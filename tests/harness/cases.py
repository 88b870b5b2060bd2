"""cases.py: the declarative behaviour cases of tests/cases/*.toml, and the
one runner that checks them.

A file holds [mocks.NAME] and [adapters.NAME] tables (shared by every file)
and [[case]] entries, run in file order.  A case is the request in, what the
upstream must receive, what the client must get back:

  name      what it checks (unique across the files: --case finds it)
  modes     the modes it runs in (default: every adapter mode, see
            lab.MODES, and behind every front server where it applies,
            see front.py)
  adapter   the adapter it goes to (default "A")
  method, script, path     REQUEST_METHOD, SCRIPT_NAME (default "/thanos")
            and the raw sub-path after it, query included
  qs        {name = value}: a query appended to path, values %-encoded
  reply     {status = N, headers = ["Name: value", ...]}: the upstream
            answers exactly that (the mock's R/-/respond)
  env       {VAR = value}: CGI variables added or replaced; unset = [VAR];
            a value of env or qs may be {repeat = "b", times = N}
  body      "text", {random = N}, {zeros = N} or {form = {k = v}}
  timeout   seconds the client waits before it gives up (default 30)

  [case.upstream]  the one request the upstream received for it:
    requests (how many: 0 = never reached it), method, path, query,
    body_len, body_sha256 ("sent": the body's own), headers {Name = "v" or
    false for absent}, headers_match {Name = regex, "<absent>" if absent}
  [case.want]  what the client got:
    status (N or [N, M]: the first line is "Status: N ..."), first_line,
    first_line_match, headers {Name = "first value", false (absent) or
    [every value]}, headers_match, header_count, body (text, trailing
    newlines aside), body_match, body_size, body_size_below, body_lines,
    body_sha256_header (the body's sha256 is that header's value),
    body_from_upstream / gunzip_from_upstream ({path or same = true (the
    target the upstream got), headers, body = true}: the body, gunzipped,
    is what the mock sends when asked directly), json {key = value}, log_match (the adapter's last
    "failed:" line), exit_status, stderr_match, ended_by_itself (the client
    did not have to give up), streamed_gap ("700ms": the first body byte
    came at least that long before the end), took_at_least ("1s"),
    duration ("1s": the answer came after that configured time, bounds.py)

${up:NAME}, ${port:NAME} and ${dead} are replaced in settings, env values
and expected values.
"""

import glob
import gzip
import os
import re
import tomllib
import urllib.parse
import urllib.request

import bounds
import lab as labmod

# HARNESS_CASES: another directory of case files (test_harness.py;
# run.sh makes it absolute)
CASES_DIR = os.environ.get("HARNESS_CASES") or os.path.join(labmod.TOP, "tests", "cases")
# a case's own keys, as above: any other is a mistake, never ignored
CASE_KEYS = {"name", "modes", "adapter", "method", "script", "path", "qs", "reply", "env", "unset", "body",
             "timeout", "upstream", "want"}


def load(directory=CASES_DIR):
    """(specs {"mocks": {}, "adapters": {}}, [(file stem, case)])."""
    specs = {"mocks": {}, "adapters": {}}
    cases = []
    files = sorted(glob.glob(os.path.join(directory, "*.toml")))
    if not files:
        raise ValueError("%s: no case files (*.toml)" % directory)
    names = set()
    for path in files:
        with open(path, "rb") as f:
            data = tomllib.load(f)
        stem = os.path.splitext(os.path.basename(path))[0]
        for kind in specs:
            for name, spec in data.get(kind, {}).items():
                if name in specs[kind] and specs[kind][name] != spec:
                    raise ValueError("%s: %s.%s differs from another file's" % (path, kind, name))
                specs[kind][name] = spec
        for c in data.get("case", []):
            unknown = sorted(set(c) - CASE_KEYS)
            if unknown or "name" not in c:
                raise ValueError("%s: case %r: unknown keys %s, or no name" % (path, c.get("name"), unknown))
            if c["name"] in names:
                raise ValueError("%s: a second case named %r (names are unique across the files)"
                                 % (path, c["name"]))
            names.add(c["name"])
            cases.append((stem, c))
    return specs, cases


def modes_of(case, adapters):
    """The case's modes, or every adapter mode and every front server
    where the case can be said in HTTP (front.applies)."""
    if "modes" in case:
        return case["modes"]
    import front
    return list(labmod.ADAPTER_MODES) + [m for m in labmod.FRONT_MODES if front.applies_to(m, case, adapters)]


class Checks:
    """The checks of one case in one mode: each one named, all run, the
    failures reported together."""

    def __init__(self, label):
        self.label = label
        self.count = 0
        self.failed = []

    def eq(self, what, want, got):
        self.count += 1
        if want != got:
            self.failed.append("%s: want %r, got %r" % (what, want, got))

    def match(self, what, pattern, got):
        self.count += 1
        if got is None or not re.search(pattern, got, re.M):
            self.failed.append("%s: %r does not match /%s/" % (what, got, pattern))

    def true(self, what, ok, detail=""):
        self.count += 1
        if not ok:
            self.failed.append("%s%s" % (what, ": " + detail if detail else ""))


def value_of(v):
    """A value of env or qs: text, or {repeat = "b", times = N}."""
    return v["repeat"] * v["times"] if isinstance(v, dict) else v


def target_of(case, expand=str):
    sub = case.get("path", "")
    if "reply" in case:
        r = case["reply"]
        q = [("status", str(r.get("status", 200)))] + [("h", expand(h)) for h in r.get("headers", [])]
        sub = (sub or "/-/respond") + "?" + urllib.parse.urlencode(q, quote_via=urllib.parse.quote)
    if "qs" in case:
        q = urllib.parse.urlencode({k: value_of(v) for k, v in case["qs"].items()}, quote_via=urllib.parse.quote, safe="")
        sub += ("&" if "?" in sub else "?") + q
    return sub


def direct(lab, mock, spec, body, rec):
    """The mock's own answer to spec, asked without the adapter: spec's
    path, or (same = true) the target the upstream received for the case."""
    data = body if spec.get("body") else None
    path = rec.get("target", "") if spec.get("same") else lab.expand(spec["path"])
    req = urllib.request.Request(mock.url + path, data=data,
                                 method=spec.get("method", "POST" if data else "GET"),
                                 headers=spec.get("headers", {}))
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=30) as r:
            return r.read()
    except urllib.error.HTTPError as e:
        return e.read()


def run(lab, mode, case):
    """Runs one case in one mode; returns its Checks."""
    a = lab.adapter(mode, case.get("adapter", "A"))
    mock = lab.mock(lab.adapter_specs[a.name]["mock"]) if "mock" in lab.adapter_specs[a.name] else None
    body = labmod.body_of(case.get("body"))
    env = {k: lab.expand(value_of(v)) for k, v in case.get("env", {}).items()}
    seen = len(mock.requests()) if mock else 0
    err0 = os.path.getsize(lab.cgi_log)
    r = a.request(case.get("method", "GET"), case.get("script", "/thanos"), target_of(case, lab.expand),
                  env, case.get("unset", []), body, timeout=case.get("timeout", 30))
    c = Checks("%s [%s]" % (case["name"], mode))
    got = mock.requests()[seen:] if mock else []
    want, upstream = case.get("want", {}), case.get("upstream")
    if mode in labmod.FRONT_MODES:
        import front
        q = dict(front.quirks(mode, case))
        upstream = q.pop("upstream", upstream)
        want = merged(want, q)
    check_answer(c, lab, a, mock, want, r, body, err0, got[-1] if got else {})
    if upstream:
        check_upstream(c, lab, upstream, got, body)
    return c


def merged(want, over):
    """want with the keys of over replaced (tables merged one level down;
    None drops a key)."""
    out = dict(want)
    for k, v in over.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = dict(out.get(k, {}), **v) if isinstance(v, dict) else v
    return out


def check_answer(c, lab, a, mock, want, r, body, err0, rec):
    x = lab.expand
    text = r.body.decode("utf-8", "replace")
    for k, v in want.items():
        if k == "status":
            codes = v if isinstance(v, list) else [v]
            c.match("status", r"^Status: (%s)( |$)" % "|".join(map(str, codes)), r.first_line)
        elif k == "first_line":
            c.eq("first line", x(v), r.first_line)
        elif k == "first_line_match":
            c.match("first line", x(v), r.first_line)
        elif k == "headers":
            for name, hv in v.items():
                if hv is False:
                    c.eq("%s absent" % name, None, r.header(name))
                elif isinstance(hv, list):
                    c.eq("every %s" % name, [x(i) for i in hv], r.header_all(name))
                else:
                    c.eq(name, x(hv), r.header(name))
        elif k == "headers_match":
            for name, pat in v.items():
                c.match(name, x(pat), r.header(name) or "")
        elif k == "header_count":
            for name, n in v.items():
                c.eq("how many %s" % name, n, len(r.header_all(name)))
        elif k == "body":
            c.eq("body", x(v).rstrip("\n"), text.rstrip("\n"))
        elif k == "body_match":
            c.match("body", x(v), text)
        elif k == "body_size":
            c.eq("body size", v, len(r.body))
        elif k == "body_size_below":
            c.true("body size under %d" % v, len(r.body) < v, str(len(r.body)))
        elif k == "body_lines":
            c.eq("body lines", v, r.body.count(b"\n"))
        elif k == "body_sha256_header":
            c.eq("body sha256 = %s" % v, r.header(v), labmod.sha256(r.body))
        elif k == "body_from_upstream":
            c.true("body as from the mock", r.body == direct(lab, mock, v, body, rec),
                   "%d bytes differ" % len(r.body))
        elif k == "gunzip_from_upstream":
            try:
                plain = gzip.decompress(r.body)
            except (OSError, EOFError):
                plain = None
            c.true("body gunzips to the mock's", plain == direct(lab, mock, v, body, rec))
        elif k == "json":
            try:
                d = r.json()
            except ValueError:
                d = {}
            for key, jv in v.items():
                c.eq("JSON %s" % key, x(jv), d.get(key, "<missing>"))
        elif k == "log_match":
            c.match("the log's failed: line", x(v), a.last_fail())
        elif k == "exit_status":
            c.eq("exit status", v, r.rc)
        elif k == "stderr_match":
            with open(lab.cgi_log, "rb") as f:
                f.seek(err0)
                c.match("stderr", x(v), f.read().decode("utf-8", "replace"))
        elif k == "ended_by_itself":
            c.true("ended before the client gave up", not r.timed_out)
        elif k == "streamed_gap":
            gap = None if r.first is None else r.end - r.first
            c.true("first body byte %s before the end" % v,
                   gap is not None and gap >= bounds.seconds(v), "gap %r s" % gap)
        elif k == "took_at_least":
            c.true("took at least %s" % v, r.end >= bounds.seconds(v), "%.3f s" % r.end)
        elif k == "duration":
            b = bounds.configured_bound(bounds.seconds(v))
            c.true("answer after the configured %s" % v, bounds.within(r.end, b), bounds.show(r.end, b))
        else:
            raise KeyError("unknown want key %r" % k)


def check_upstream(c, lab, up, got, body):
    x = lab.expand
    if "requests" in up:
        c.eq("requests the upstream received", up["requests"], len(got))
        if up["requests"] == 0:
            return
    rec = got[-1] if got else {}
    path, _, query = rec.get("target", "").partition("?")
    hdrs = rec.get("headers", [])

    def h(name):
        vals = [v for k, v in hdrs if k.lower() == name.lower()]
        return ", ".join(vals) if vals else None
    for k, v in up.items():
        if k == "method":
            c.eq("upstream method", v, rec.get("method"))
        elif k == "path":
            c.eq("upstream path", x(v), path)
        elif k == "query":
            c.eq("upstream query", x(v), query)
        elif k == "body_len":
            c.eq("upstream body length", v, rec.get("body_len"))
        elif k == "body_sha256":
            c.eq("upstream body sha256", labmod.sha256(body or b"") if v == "sent" else v,
                 rec.get("body_sha256"))
        elif k == "headers":
            for name, hv in v.items():
                c.eq("upstream %s" % name, None if hv is False else x(hv), h(name))
        elif k == "headers_match":
            for name, pat in v.items():
                c.match("upstream %s" % name, x(pat), h(name) or "<absent>")
        elif k != "requests":
            raise KeyError("unknown upstream key %r" % k)
