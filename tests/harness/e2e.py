"""e2e.py: what only a whole deployment shows, through a front server
started from deploy/ (test_e2e.py): the Suite against a real
Prometheus (Debian's, one per public prefix, started once a session) or the
mock Thanos, and the checks that stand beside it (forwarded headers, an
event stream, a dead upstream, kept connections, body limits).

  Prometheus    Debian's prometheus, scraping itself every second, route
                prefix /thanos, external URL at the public prefix
  Http          one request, no redirect followed: status, headers, body
  Suite         the redirect chain from the bare prefix, the UI page and
                its assets, the query API (GET, form POST, %2F in a regex),
                encodings, gzip, HEAD, OPTIONS, 404, 405, a root path; each
                answer compared with the upstream's own
"""

import gzip
import hashlib
import html.parser
import http.client
import json
import os
import re
import shutil
import tempfile
import time
import urllib.parse

import bounds
import procs

ROUTE = "/thanos"
THANOS_ROOTS = "/metrics,/-/healthy,/-/ready"


def sha(data):
    return hashlib.sha256(data).hexdigest()


class Answer:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        """The last `name` header ("" when there is none)."""
        vals = [v for k, v in self.headers if k.lower() == name.lower()]
        return vals[-1] if vals else ""

    def short(self):
        return self.body[:300].decode("utf-8", "replace").replace("\n", " ").replace("\r", " ")


def fetch(url, method="GET", headers=(), body=None, timeout=10):
    """One request to url, no redirect followed; an Answer (status 0 when
    nothing answered)."""
    u = urllib.parse.urlsplit(url)
    target = (u.path or "/") + ("?" + u.query if u.query else "")
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout * procs.SLOWDOWN)
    try:
        c.putrequest(method, target, skip_accept_encoding=True)
        c.putheader("User-Agent", "thanos-fcgi-e2e")
        for k, v in headers:
            c.putheader(k, v)
        if body is not None:
            c.putheader("Content-Length", str(len(body)))
        c.endheaders(body)
        r = c.getresponse()
        data = b"" if method == "HEAD" else r.read()
        return Answer(r.status, r.getheaders(), data)
    except (OSError, http.client.HTTPException):
        return Answer(0, [], b"")
    finally:
        c.close()


FORM = [("Content-Type", "application/x-www-form-urlencoded")]


def form(**kv):
    return urllib.parse.urlencode(kv, quote_via=urllib.parse.quote).encode()


def qs(**kv):
    return "?" + urllib.parse.urlencode(kv, quote_via=urllib.parse.quote)


class Prometheus:
    """Debian's prometheus on a free port, scraping itself every second;
    ready once its first scrape is in (`up` has a result)."""

    def __init__(self, directory, prefix, route=ROUTE, external="http://127.0.0.1", args=()):
        """prefix: the path of its --web.external-url (the origin external,
        or no --web.external-url when external is None); route: its
        --web.route-prefix; args: more of its flags."""
        self.port = procs.free_port()
        d = os.path.join(directory, "prometheus_%d" % self.port)
        os.makedirs(d)
        self.dir = d
        conf = os.path.join(d, "prometheus.yml")
        with open(conf, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: prometheus\n    metrics_path: %s/metrics\n"
                    "    static_configs:\n      - targets: ['127.0.0.1:%d']\n" % (route.rstrip("/"), self.port))
        self.url = "http://127.0.0.1:%d%s" % (self.port, route.rstrip("/"))
        # the external URL's path is what counts (redirects and the UI's
        # prefix are built from it), not its origin
        self.proc = procs.Proc("prometheus " + prefix, [
            "prometheus", "--config.file=" + conf, "--storage.tsdb.path=" + os.path.join(d, "data"),
            "--web.listen-address=127.0.0.1:%d" % self.port, "--web.route-prefix=" + route]
            + ([] if external is None else ["--web.external-url=" + external + prefix]) + list(args),
            os.path.join(d, "prometheus.log"))

    def wait(self):
        def ready():
            if not self.proc.running():
                raise AssertionError("prometheus exited: %s" % self.proc.log_text()[-500:])
            return b'"job":"prometheus"' in fetch(self.url + "/api/v1/query?query=up", timeout=2).body
        procs.wait_for("prometheus %d ready" % self.port, ready, guard=procs.GUARD * 2)

    def stop(self):
        self.proc.stop()


class Upstreams:
    """The session's upstreams: one Prometheus per public prefix (all
    started at once, waited for when first used), the mocks."""

    PREFIXES = ("/thanos", "", "/a/b", "/monitoring/prometheus", "/hosting/thanos")

    def __init__(self, lab):
        self.lab = lab
        self.dir = os.path.join(lab.dir, "e2e")
        os.makedirs(self.dir, exist_ok=True)
        # not under lab.dir: the Apache fixtures make all of that readable,
        # while Prometheus creates and removes its files
        self.prom_dir = tempfile.mkdtemp(prefix="thanos-fcgi-prometheus.")
        self.proms = {}
        self.ready = set()

    def start(self, prefixes):
        for p in prefixes:
            if p not in self.proms:
                self.proms[p] = Prometheus(self.prom_dir, p)

    def prometheus(self, prefix):
        self.start([prefix])
        if prefix not in self.ready:
            self.proms[prefix].wait()
            self.ready.add(prefix)
        return self.proms[prefix].url

    def mock(self, root):
        """The mock in prefix-header mode, at R = /thanos or (root) R = /."""
        import lab as labmod
        name = "e2e_root" if root else "e2e_t"
        if name not in self.lab.mocks:
            args = ["--prefix-header", "X-Forwarded-Prefix"] + ([] if root else ["--route-prefix", ROUTE])
            self.lab.mocks[name] = labmod.Mock(self.lab, name, args)
        return self.lab.mocks[name].url + ("" if root else ROUTE)

    def stop(self):
        for p in self.proms.values():
            p.stop()
        if not os.environ.get("KEEP_TMP"):
            shutil.rmtree(self.prom_dir, ignore_errors=True)


# --- Suite -------------------------------------------------------------------


class Assets(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.refs.append(a["src"])
        elif tag == "link" and a.get("href"):
            self.refs.append(a["href"])


def page_assets(page, base):
    p = Assets()
    p.feed(page.decode("utf-8", "replace"))
    out = []
    for r in p.refs:
        u = urllib.parse.urljoin(base, r)
        if u not in out:
            out.append(u)
    return out


def ui_prefix(page):
    """The JS prefix the UI page was rendered with (Thanos's
    GLOBAL_PATH_PREFIX, Prometheus classic's PATH_PREFIX), unescaped."""
    m = re.search(rb'(GLOBAL_PATH_PREFIX|PATH_PREFIX) *= *"([^"]*)"', page)
    return m.group(2).decode().replace("\\/", "/") if m else None


def json_summary(body, kind):
    """What must be equal between the front's and the upstream's answer of
    the query API.  mock: the bytes.  prometheus: status, resultType and the
    label sets of the result (the sample values carry timestamps)."""
    if kind == "mock":
        return sha(body)
    try:
        d = json.loads(body)
    except ValueError as e:
        return "not JSON: %s" % e
    data = d.get("data")
    out = {"status": d.get("status"), "errorType": d.get("errorType")}
    if isinstance(data, dict):
        out["resultType"] = data.get("resultType")
        if isinstance(data.get("result"), list):
            out["metrics"] = sorted(json.dumps(r.get("metric"), sort_keys=True) for r in data["result"])
    elif isinstance(data, list):
        out["data_is_list"] = True
    return out


class Suite:
    """The assertions of one deployment: FRONT the front server's origin, P
    the public prefix ("" for the root), DIRECT the upstream with its route
    prefix, KIND prometheus or mock; c a cases.Checks, L starts every
    check's name."""

    def __init__(self, c, front, prefix, direct, kind, label):
        self.c = c
        self.front = front.rstrip("/")
        self.p = prefix.rstrip("/")
        self.direct = direct.rstrip("/")
        self.kind = kind
        self.r = urllib.parse.urlsplit(self.direct).path
        self.L = label
        self.first_asset = None
        self.final = None
        self.page = b""

    def url(self, sub):
        return self.front + self.p + sub

    def to_direct(self, public):
        rest = public[len(self.front):]
        return self.direct + rest[len(self.p):]

    def both(self, sub, **kw):
        return fetch(self.url(sub), **kw), fetch(self.direct + sub, **kw)

    def run(self, encoding=None):
        """Every part, in order; `encoding` replaces the encoding part (a
        function of the suite)."""
        c, L = self.c, self.L
        if fetch(self.url("/api/v1/query?query=up")).status == 0:
            c.true("%s: an answer from %s" % (L, self.url("/api/v1/query?query=up")), False,
                   "none within 10 s (rest of this suite not run)")
            return
        self.redirects()
        self.assets()
        self.queries()
        (encoding or Suite.encoding)(self)
        self.gzip()
        self.methods()
        # a root path (Thanos: sent to the upstream's root; Prometheus: under R)
        c.eq("%s: %s/-/ready answers" % (L, self.p), 200, fetch(self.url("/-/ready")).status)

    def redirects(self):
        c, L, P = self.c, self.L, self.p
        url = self.url("") if P else self.front + "/"
        why, chain, n = [], "", 0
        while True:
            a = fetch(url)
            chain += " %d" % a.status
            if a.status not in (301, 302, 303, 307, 308):
                break
            loc = a.header("Location")
            chain += ":" + loc
            url = urllib.parse.urljoin(url, loc)
            path = urllib.parse.urlsplit(url).path
            if not url.startswith(self.front + "/"):
                why.append("Location %r leaves the front origin %s" % (loc, self.front))
            if not (path == P or path.startswith(P + "/")):
                why.append("Location %r is outside the public prefix %r" % (loc, P))
            if P and (path == P + P or path.startswith(P + P + "/")):
                why.append("Location %r doubles the prefix" % loc)
            if self.r and self.r != P and (path == P + self.r or path.startswith(P + self.r + "/")):
                why.append("Location %r keeps the route prefix %s" % (loc, self.r))
            if "//" in path:
                why.append("Location %r has //" % loc)
            n += 1
            if n > 10:
                why.append("more than 10 redirects")
                break
        c.true("%s: every Location from the bare prefix stays under %r (chain:%s)" % (L, P, chain),
               not why, "; ".join(why))
        c.eq("%s: redirect chain from the bare prefix ends on 200" % L, 200, a.status)
        c.match("%s: final page is HTML" % L, "^text/html", a.header("Content-Type"))
        c.eq("%s: UI page is rendered for the public prefix" % L, P, ui_prefix(a.body))
        self.final, self.page = url, a.body

    def assets(self):
        c, L = self.c, self.L
        if not self.final:
            c.true("%s: a UI page to take assets from" % L, False)
            return
        refs = page_assets(self.page, self.final)
        for u in refs:
            if not u.startswith(self.url("/")):
                c.true("%s: asset %s is under the public prefix" % (L, u), False)
                continue
            a, d = fetch(u), fetch(self.to_direct(u))
            name = u[len(self.front):]
            c.eq("%s: asset %s loads" % (L, name), 200, a.status)
            if a.status == 200 and d.status == 200:
                c.eq("%s: asset %s has the upstream's bytes" % (L, name), sha(d.body), sha(a.body))
        c.true("%s: UI page references assets" % L, bool(refs), "none")
        self.first_asset = next((u for u in refs if re.search(r"\.js(\?|$)", u)), None)

    def queries(self):
        c, L, K = self.c, self.L, self.kind
        a, d = self.both("/api/v1/query?query=up")
        c.eq("%s: GET query=up status" % L, d.status, a.status)
        c.eq("%s: GET query=up answers like the upstream" % L, json_summary(d.body, K), json_summary(a.body, K))
        a, d = self.both("/api/v1/query", method="POST", headers=FORM, body=form(query="up"))
        c.eq("%s: form-POST query=up status" % L, d.status, a.status)
        c.eq("%s: form-POST query=up answers like the upstream" % L, json_summary(d.body, K),
             json_summary(a.body, K))
        c.match("%s: form-POST query=up succeeded" % L, '"status":"success"', a.short())
        # a %2F, a | and quotes in the query string, GET and POST
        q = 'up{job=~"a/b|prometheus|mock"}'
        a, d = self.both("/api/v1/query" + qs(query=q))
        c.eq("%s: GET query with %%2F in a regex status" % L, d.status, a.status)
        c.eq("%s: GET query with %%2F in a regex answers like the upstream" % L, json_summary(d.body, K),
             json_summary(a.body, K))
        c.match("%s: GET query with %%2F in a regex finds the series" % L, '"job":"(prometheus|mock)"', a.short())
        a, d = self.both("/api/v1/query", method="POST", headers=FORM, body=form(query=q))
        c.eq("%s: form-POST query with %%2F in a regex answers like the upstream" % L,
             (d.status, json_summary(d.body, K)), (a.status, json_summary(a.body, K)))

    def same(self, what, sub):
        a, d = self.both(sub)
        self.c.eq("%s: %s answers like the upstream" % (self.L, what), (d.status, sha(d.body)),
                  (a.status, sha(a.body)))
        return a

    def label_raw(self, name, query=""):
        a = fetch(self.url("/api/v1/label/%s/values%s" % (name, query)))
        self.c.match("%s: label name %s reaches the upstream as sent" % (self.L, name),
                     '"name_raw":"%s"' % re.escape(name), "%d %s" % (a.status, a.short()))
        self.same("label %s values" % name, "/api/v1/label/%s/values%s" % (name, query))

    def echo_query(self):
        a = fetch(self.url("/-/echo?x=a%2Fb%20c%26d&y=%C3%A9+z"))
        self.c.match("%s: query string reaches the upstream as sent" % self.L,
                     r'"query":"x=a%2Fb%20c%26d&y=%C3%A9\+z"', "%d %s" % (a.status, a.short()))
        return a

    def names_listed(self):
        a, d = self.both("/api/v1/label/__name__/values")
        self.c.eq("%s: /api/v1/label/__name__/values status" % self.L, d.status, a.status)
        self.c.true("%s: /api/v1/label/__name__/values lists up" % self.L, b'"up"' in a.body, a.short())

    def series(self):
        self.same("series with an encoded matcher", "/api/v1/series" + qs(**{"match[]": 'up{job="café x/y"}'}))

    def encoding(self):
        if self.kind == "mock":
            for name in ("a%2Fb", "caf%C3%A9%20x%3Fy", "%25%2e%41"):
                self.label_raw(name)
            self.echo_query()
        else:
            self.names_listed()
            self.same("/api/v1/label/a%2Fb/values", "/api/v1/label/a%2Fb/values")
            self.series()

    def gzip_one(self, what, sub):
        c, L = self.c, self.L
        a = fetch(self.url(sub), headers=[("Accept-Encoding", "gzip")])
        d = fetch(self.direct + sub)
        c.eq("%s: %s status with gzip" % (L, what), 200, a.status)
        c.eq("%s: %s arrives gzip-encoded" % (L, what), "gzip", a.header("Content-Encoding"))
        try:
            got = sha(gzip.decompress(a.body))
        except (OSError, EOFError) as e:
            got = "not gzip: %s" % e
        c.eq("%s: %s gunzips to the upstream's bytes" % (L, what), sha(d.body), got)

    def gzip(self):
        if self.kind == "mock":
            self.gzip_one("/api/v1/labels", "/api/v1/labels")
            if self.first_asset:
                self.gzip_one("asset", self.first_asset[len(self.url("")):])
        else:
            self.gzip_one("/api/v1/status/buildinfo", "/api/v1/status/buildinfo")

    def methods(self):
        c, L = self.c, self.L
        a, d = self.both("/api/v1/query?query=up", method="HEAD")
        c.eq("%s: HEAD on the query API passes through" % L, d.status, a.status)
        if self.first_asset:
            a, d = fetch(self.first_asset, method="HEAD"), fetch(self.to_direct(self.first_asset), method="HEAD")
            c.eq("%s: HEAD on an asset passes through" % L, (d.status, d.header("Content-Length")),
                 (a.status, a.header("Content-Length")))
        cors = [("Origin", "http://example.com"), ("Access-Control-Request-Method", "POST")]
        a, d = self.both("/api/v1/query", method="OPTIONS", headers=cors)
        c.eq("%s: OPTIONS on the API passes through" % L, d.status, a.status)
        c.eq("%s: OPTIONS keeps the CORS headers" % L, d.header("Access-Control-Allow-Methods"),
             a.header("Access-Control-Allow-Methods"))
        a, d = self.both("/no/such/page")
        c.eq("%s: upstream 404 is asked for" % L, 404, d.status)
        c.eq("%s: 404 passes through" % L, (d.status, sha(d.body)), (a.status, sha(a.body)))
        a, d = self.both("/api/v1/query?query=up", method="DELETE")
        c.eq("%s: upstream 405 is asked for" % L, 405, d.status)
        c.eq("%s: 405 passes through with Allow" % L, (d.status, d.header("Allow")), (a.status, a.header("Allow")))


# --- beside the suite ----------------------------------------------------------


def check_echo_headers(c, label, front, prefix):
    """Against the mock: Authorization reaches the upstream, a client's
    X-Forwarded-Prefix does not (the adapter's own carries the prefix),
    X-Forwarded-For is the client's list plus the client."""
    p = prefix.rstrip("/")
    a = fetch(front + p + "/-/echo", headers=[("Authorization", "Basic dXNlcjpwYXNz"),
                                             ("X-Forwarded-Prefix", "/evil"),
                                             ("X-Forwarded-For", "192.0.2.7")])
    c.eq("%s: echo status" % label, 200, a.status)
    try:
        h = {k.lower(): v for k, v in json.loads(a.body)["headers"].items()}
    except (ValueError, KeyError):
        h = {}
    c.eq("%s: Authorization reaches the upstream" % label, "Basic dXNlcjpwYXNz", h.get("authorization"))
    c.eq("%s: X-Forwarded-Prefix upstream is the public prefix, not the client's" % label,
         p or None, h.get("x-forwarded-prefix") or None)
    c.match("%s: X-Forwarded-For keeps the client's list and adds the client" % label,
            r"^192\.0\.2\.7, *127\.0\.0\.1$", h.get("x-forwarded-for"))


def check_streaming(c, label, front, prefix):
    """Against the mock: a slow text/event-stream answer (3 pieces of 100
    bytes, gap apart) reaches the client piece by piece: the end within
    the bound of the mock's waits, the first byte at least one wait before
    it (held back, it would come with the end)."""
    gap = 0.7
    u = urllib.parse.urlsplit(front)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=20 * procs.SLOWDOWN)
    t0 = time.monotonic()
    got = "no answer"
    try:
        conn.request("GET", prefix.rstrip("/") + "/-/bytes?n=300&chunk=100&delay_ms=%d&sse=1" % (gap * 1000))
        r = conn.getresponse()
        first = r.read(1)
        t1 = time.monotonic() - t0
        rest = r.read()
        t2 = time.monotonic() - t0
        total = 2 * gap
        end_b = bounds.configured_bound(total)
        ok = (r.status == 200 and len(first) + len(rest) == 300 and bounds.within(t2, end_b)
              and t1 <= t2 - gap * 0.95)
        got = "status %d, %d bytes, first byte %.3f s, end %s" % (r.status, len(first) + len(rest), t1,
                                                                  bounds.show(t2, end_b))
    except (OSError, http.client.HTTPException) as e:
        ok, got = False, str(e)
    finally:
        conn.close()
    c.true("%s: an event stream is passed on as it comes" % label, ok, got)


def check_dead_upstream(c, label, url):
    """A front/adapter pair whose upstream refuses: a 502 text/plain
    one-liner that does not name the upstream (the log does)."""
    a = fetch(url)
    c.eq("%s: dead upstream gives 502" % label, 502, a.status)
    c.match("%s: dead upstream answer is text/plain" % label, "^text/plain", a.header("Content-Type"))
    c.eq("%s: dead upstream answer is one line" % label, 1, a.body.count(b"\n"))
    c.eq("%s: dead upstream answer is generic, without the upstream's address" % label,
         "thanos-fcgi: upstream failed ", a.short())


def check_keepalive(c, label, url):
    """20 requests in a row over the front's kept FastCGI connections."""
    codes = [fetch(url, timeout=3).status for _ in range(20)]
    c.eq("%s: 20 requests over kept-alive FastCGI connections all answered (statuses: %s)"
         % (label, " ".join(map(str, codes))), 20, codes.count(200))


def copy_exec(src, dst):
    """src as the executable dst, written aside and renamed over it: the
    old dst may still be running (a CGI process finishing), and a running
    file cannot be opened for writing (ETXTBSY)."""
    new = dst + ".new"
    shutil.copy(src, new)
    os.chmod(new, 0o755)
    os.replace(new, dst)


def echo_body(a):
    """(status, method, body_len, body_sha256) of a mock /-/echo answer."""
    try:
        d = json.loads(a.body)
        return (a.status, d.get("method"), d.get("body_len"), d.get("body_sha256"))
    except ValueError as e:
        return (a.status, "not JSON: %s" % e)


OCTETS = [("Content-Type", "application/octet-stream")]


def check_body_limit(c, label, url, limit, over):
    """Against the mock's /-/echo: a POST of limit bytes arrives whole; one
    of limit + 1 bytes gets the server's own `over` page."""
    body = os.urandom(limit)
    c.eq("%s: POST of %d bytes (the limit) arrives whole" % (label, limit),
         (200, "POST", limit, sha(body)), echo_body(fetch(url, "POST", OCTETS, body, timeout=60)))
    a = fetch(url, "POST", OCTETS, os.urandom(limit + 1), timeout=60)
    c.eq("%s: POST of %d bytes gets the server's %d" % (label, limit + 1, over), over, a.status)
    c.match("%s: the %d is the server's own page, not the upstream's" % (label, over), "<title>", a.short())


def check_chunked_post(c, label, url):
    """Against the mock's /-/echo: a POST sent chunked (no Content-Length)
    reaches the upstream whole."""
    body = os.urandom(100000)
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30 * procs.SLOWDOWN)
    try:
        conn.request("POST", u.path, body=iter([body[:40000], body[40000:]]), headers=dict(OCTETS),
                     encode_chunked=True)
        r = conn.getresponse()
        got = echo_body(Answer(r.status, r.getheaders(), r.read()))
    except (OSError, http.client.HTTPException) as e:
        got = str(e)
    finally:
        conn.close()
    c.eq("%s: a chunked POST (no Content-Length) reaches the upstream whole" % label,
         (200, "POST", 100000, sha(body)), got)


BAD_LOG = re.compile(r"segfault|exit signal|Premature end of script|end of script output before headers|"
                     r"mod_fcgid: error reading|mod_fcgid: read data timeout|unexpected signal|"
                     r"AddressSanitizer|LeakSanitizer", re.I)


def check_apache_log(c, label, apache):
    """No crash or broken answer in Apache's error log."""
    bad = [ln for ln in apache.log_text().splitlines() if BAD_LOG.search(ln)][:3]
    c.eq("%s: no crash or broken answer in Apache's error log" % label, [], bad)


def check_root_metrics(c, label, front, prefix):
    """/metrics goes to the upstream's root (a Thanos root path)."""
    a = fetch(front + prefix + "/metrics")
    c.eq("%s: /metrics goes to the upstream's root" % label, 200, a.status)
    c.match("%s: /metrics is the upstream's" % label, "^# HELP mock_up", a.short())
