"""test_replicas.py: several --upstream replicas (issue 4), with the
adapter's settings as flags (listen) and as request parameters (params: one
cached route per mount), the same assertions in both.

Round robin over the replicas; one that refuses (a closed port) or does not
connect in time (net_helpers.py blackhole: a full accept queue) is marked
down for --upstream.down-backoff and skipped; a request is retried on the
next replica only while nothing went to the client, and once the request
may have reached a replica only for idempotent methods without a body
(nginx's proxy_next_upstream); every replica failing gives a 502 naming
each.  The mocks are tests/mock/thanos_mock.py (normal, and --mode reset:
it reads the whole request, then resets the connection); which replica a
request reached is what their --record files say.
"""

import os
import time

import pytest

import bounds
import cases as casemod
import conftest
import lab as labmod
import procs

MODES = ("listen", "params")
RP = ["--web.route-prefix", "/thanos"]
POST_BODY = os.urandom(3000)
OCTETS = {"CONTENT_TYPE": "application/octet-stream"}


class Replicas:
    """The replicas every test shares: two live mocks, two resetting ones,
    two ports that refuse."""

    def __init__(self, lab):
        self.lab = lab
        self.mocks = {}
        for name, extra in (("good", []), ("good2", []), ("reset", ["--mode", "reset"]),
                            ("reset2", ["--mode", "reset"])):
            self.mocks[name] = labmod.Mock(lab, "replicas_" + name, ["--route-prefix", "/thanos"] + extra)
        self.dead = procs.DeadPort()
        self.dead2 = procs.DeadPort()

    def url(self, name):
        """A mock's URL, or (dead, dead2) a refusing port's."""
        if name.startswith("dead"):
            return "http://127.0.0.1:%d" % getattr(self, name).port
        return self.mocks[name].url

    def seen(self, name, method=None):
        """How many requests (of method) mock name has received."""
        return sum(1 for r in self.mocks[name].requests() if method in (None, r["method"]))

    def close(self):
        for m in self.mocks.values():
            m.stop()
        self.dead.close()
        self.dead2.close()


@pytest.fixture(scope="module")
def reps(lab):
    r = Replicas(lab)
    yield r
    r.close()


@pytest.fixture
def start(adapters):
    """start(mode, name, FLAG, VALUE...): an adapter over RP and the flags,
    stopped at the end of the test whatever happened."""
    return lambda mode, name, *flags: adapters(mode, "replicas_" + name, *flags, *RP)


def checks(name, mode):
    return casemod.Checks("replicas: %s [%s]" % (name, mode))


def upstreams(reps, *names):
    """--upstream URL for each replica named."""
    return [x for n in names for x in ("--upstream", reps.url(n))]


def marked_down(a):
    """How many "marked down" lines adapter a has logged."""
    return a.proc.log_count("marked down")


def get(a, sub="/-/echo", env=()):
    return a.request("GET", "/thanos", sub, env)


def post(a, method="POST"):
    """A request with POST_BODY as its body."""
    return a.request(method, "/thanos", "/-/echo", OCTETS, body=POST_BODY)


def some_of_8(c, what, n):
    c.true("%s: served some of 8" % what, 2 <= n <= 6, "%d" % n)


@pytest.mark.parametrize("mode", MODES)
def test_spread(lab, reps, start, mode):
    """Requests are spread over two live replicas; none is marked down."""
    a = start(mode, "SPREAD", *upstreams(reps, "good", "good2"))
    g1, g2 = reps.seen("good"), reps.seen("good2")
    for _ in range(8):
        get(a)
    c = checks("spread", mode)
    some_of_8(c, "spread: replica 1", reps.seen("good") - g1)
    some_of_8(c, "spread: replica 2", reps.seen("good2") - g2)
    c.eq("spread: none marked down", 0, marked_down(a))
    conftest.record(mode, c)


@pytest.mark.parametrize("mode", MODES)
def test_params_route(lab, reps, start, mode):
    """The replicas as a request parameter (nginx fastcgi_param): one route
    per mount, kept across requests, so round robin and down marks work as
    with the process's own settings (before, each request built its
    replicas anew: always replica 1 first, a dead one marked down each
    time)."""
    a = start(mode, "PARAMS", *upstreams(reps, "dead2"), "--upstream.down-backoff", "60s")
    both = {"THANOS_FCGI_UPSTREAM": reps.url("good") + "," + reps.url("good2")}
    g1, g2 = reps.seen("good"), reps.seen("good2")
    for _ in range(8):
        get(a, env=both)
    c = checks("params", mode)
    some_of_8(c, "params: replica 1", reps.seen("good") - g1)
    some_of_8(c, "params: replica 2", reps.seen("good2") - g2)
    one_dead = {"THANOS_FCGI_UPSTREAM": reps.url("dead") + "," + reps.url("good")}
    ok = sum(get(a, env=one_dead).status == 200 for _ in range(6))
    c.eq("params, one replica refuses: GETs that succeed of 6", 6, ok)
    c.eq("params, one replica refuses: marked down once, not once a request", 1, marked_down(a))
    conftest.record(mode, c)


@pytest.mark.parametrize("mode", MODES)
def test_one_refuses(lab, reps, start, mode):
    """A replica that refuses is skipped after its first failure: every
    request succeeds at once, on the live one, with no error logged."""
    a = start(mode, "ONEDEAD", *upstreams(reps, "dead", "good"), "--upstream.down-backoff", "60s")
    g = reps.seen("good")
    ok, slowest = 0, 0.0
    for i in range(1, 11):
        r = get(a, "/-/echo?i=%d" % i)
        slowest = max(slowest, r.end)
        ok += r.status == 200 and r.json()["query"] == "i=%d" % i
    c = checks("one replica refuses", mode)
    c.eq("one replica refuses: GETs that succeed of 10", 10, ok)
    c.eq("one replica refuses: the live one served all 10", 10, reps.seen("good") - g)
    c.eq("one replica refuses: marked down once", 1, marked_down(a))
    c.match("one replica refuses: the log names it", "upstream %s marked down" % reps.url("dead"),
            a.proc.log_text())
    bounds.check(c, "one replica refuses: the slowest request still answered at once", 0, slowest)
    c.eq("one replica refuses: no error answered", 0, a.proc.log_count('msg="request failed"'))
    conftest.record(mode, c)


@pytest.mark.parametrize("mode", MODES)
def test_post_refused(lab, reps, start, mode):
    """A POST to a refusing replica is retried: nothing was sent."""
    a = start(mode, "POSTDEAD", *upstreams(reps, "dead", "good"), "--upstream.down-backoff", "60s")
    want = labmod.sha256(POST_BODY)
    ok = 0
    for _ in range(3):
        r = post(a)
        ok += r.status == 200 and r.json()["body_sha256"] == want
    c = checks("POST, refusing replica", mode)
    c.eq("POST, refusing replica: POSTs of 3 that arrive whole on the live one", 3, ok)
    c.eq("POST, refusing replica: marked down once", 1, marked_down(a))
    conftest.record(mode, c)


def answered(a, n):
    """How many of n GETs to a answer 200."""
    return sum(get(a).status == 200 for _ in range(n))


def until_second_mark(a, guard):
    """GETs to a, one a poll, until a has logged its second down mark (the
    event: a replica is only retried by a request); (GETs sent, answered
    200, whether the mark came within guard seconds)."""
    sent = [0, 0]

    def one():
        sent[0] += 1
        sent[1] += get(a).status == 200
        return marked_down(a) >= 2
    try:
        procs.wait_for("second down mark", one, guard)
    except procs.WaitTimeout:
        return sent[0], sent[1], False
    return sent[0], sent[1], True


@pytest.mark.parametrize("mode", MODES)
def test_backoff(lab, reps, start, mode):
    """After the back-off the refusing replica is tried again (and marked
    down again): no earlier than the configured back-off after the request
    that marked it first, and every request meanwhile is answered."""
    backoff = 1.5
    a = start(mode, "BACKOFF", *upstreams(reps, "dead", "good"), "--upstream.down-backoff", "1500ms")
    ok = answered(a, 1)
    t0 = time.monotonic()
    ok += answered(a, 3)
    lasted = time.monotonic() - t0
    c = checks("back-off", mode)
    c.eq("back-off 1500ms: GETs answered of 4", 4, ok)
    c.true("back-off 1500ms: marked down once while the back-off lasts",
           marked_down(a) == 1 or lasted >= bounds.configured_bound(backoff)[0],
           "%d marks after %.3f s" % (marked_down(a), lasted))
    n, ok, came = until_second_mark(a, bounds.configured_bound(backoff)[1])
    bounds.check(c, "back-off 1500ms: tried again once it ran out", backoff,
             time.monotonic() - t0 if came else float("inf"))
    c.eq("back-off 1500ms: every request while it ran out answered (%d)" % n, n, ok)
    c.eq("back-off 1500ms: GETs answered of 4 after the back-off", 4, answered(a, 4))
    c.eq("back-off 1500ms: tried again after the back-off, marked down again", 2, marked_down(a))
    conftest.record(mode, c)


@pytest.mark.parametrize("mode", MODES)
def test_connect_timeout(lab, reps, start, blackhole, mode):
    """A replica that does not connect in time: the first request waits for
    --upstream.timeout.connect, then goes to the live one; the next ones
    skip it at once (not one timeout each)."""
    a = start(mode, "SLOWCONN", "--upstream", blackhole.url, *upstreams(reps, "good"),
              "--upstream.timeout.connect", "1s", "--upstream.down-backoff", "60s")
    r = get(a)
    first, ok = r.end, int(r.status == 200)
    t0 = time.monotonic()
    ok += answered(a, 5)
    rest = time.monotonic() - t0
    c = checks("connect timeout", mode)
    c.eq("connect timeout on one replica: GETs that succeed of 6", 6, ok)
    c.eq("connect timeout: marked down once", 1, marked_down(a))
    bounds.check(c, "connect timeout: the first request waited for the timeout", 1.0, first)
    bounds.check(c, "connect timeout: the next 5 skip it, at once (not 5 timeouts)", 0, rest, other=5.0)
    conftest.record(mode, c)


def rst_try(reps, a, method, sub="/-/echo", body=False):
    """One request to a (with POST_BODY when body): (its response, whether
    the resetting replica got it, how many times the live one did).  Which
    replica comes first is the round robin's choice: the mocks' records
    tell."""
    r0, g0 = reps.seen("reset", method), reps.seen("good", method)
    if body:
        r = post(a, method)
    else:
        r = a.request(method, "/thanos", sub)
    return r, reps.seen("reset", method) > r0, reps.seen("good", method) - g0


@pytest.mark.parametrize("mode", MODES)
def test_reset_post(lab, reps, start, mode):
    """A POST the resetting replica got (it may have acted on it) is not
    retried: 502; one that went to the live one first is answered; a reset
    is not a down mark."""
    a = start(mode, "RSTPOST", *upstreams(reps, "reset", "good"))
    c = checks("POST reset", mode)
    hits = 0
    for i in range(1, 5):
        r, saw, got = rst_try(reps, a, "POST", body=True)
        hits += saw
        if saw:
            c.eq("POST %d reached the resetting replica: 502" % i, 502, r.status)
            c.eq("POST %d reached the resetting replica: not retried on the next" % i, 0, got)
        else:
            c.eq("POST %d to the live replica first: 200" % i, 200, r.status)
            c.eq("POST %d to the live replica first: it got it once" % i, 1, got)
    c.true("POSTs reached the resetting replica (%d of 4)" % hits, 1 <= hits <= 4)
    c.eq("a POST reset is not a down mark", 0, marked_down(a))
    conftest.record(mode, c)


@pytest.mark.parametrize("mode", MODES)
def test_reset_get(lab, reps, start, mode):
    """A GET reset by the first replica is retried on the live one, whose
    answer the client gets; one that went to the live one first likewise."""
    a = start(mode, "RSTGET", *upstreams(reps, "reset", "good"))
    c = checks("GET reset", mode)
    hits = 0
    for i in range(1, 5):
        r, saw, got = rst_try(reps, a, "GET", "/-/echo?get=%d" % i)
        hits += saw
        how = "reset by the first replica" if saw else "to the live replica first"
        c.eq("GET %d %s: retried, 200" % (i, how), 200, r.status)
        c.eq("GET %d %s: the live one saw it once" % (i, how), 1, got)
        c.eq("GET %d: the answer is the live replica's" % i, "get=%d" % i,
             r.json().get("query") if r.status == 200 else r.first_line)
    c.true("GETs reached the resetting replica (%d of 4)" % hits, 1 <= hits <= 4)
    conftest.record(mode, c)


def until_reset(reps, a, method, body):
    """Sends method to a until one reaches the resetting replica (at most 4
    tries): (whether one did, its response, whether the live one got it
    too)."""
    for _ in range(4):
        r, saw, got = rst_try(reps, a, method, body=body)
        if saw:
            return True, r, got > 0
    return False, r, False


@pytest.mark.parametrize("mode", MODES)
def test_reset_methods(lab, reps, start, mode):
    """DELETE is idempotent: retried like GET.  PATCH is not.  A PUT is
    idempotent, but its body was read from the web server and cannot be
    sent again (README: retried only while no body byte has been read)."""
    a = start(mode, "RSTMETHODS", *upstreams(reps, "reset", "good"))
    c = checks("methods reset", mode)
    for method, body, want, retried, what in (
            ("DELETE", False, 200, True, "DELETE reset by the first replica"),
            ("PATCH", True, 502, False, "PATCH reset by the first replica"),
            ("PUT", True, 502, False, "PUT with a body, reset")):
        hit, r, good_saw = until_reset(reps, a, method, body)
        c.true("%s reached the resetting replica" % method, hit)
        c.eq("%s: %s" % (what, "retried, 200" if retried else "502"), want, r.status)
        c.eq("%s: %s" % (what, "the live one got it" if retried else "not sent to the next"),
             retried, good_saw)
    conftest.record(mode, c)


def fail_names_both(c, what, a, port1, port2, prefix=""):
    """The adapter's last failure line names both ports (either order)."""
    c.match(what, r"%s:(%d\b.*:%d|%d\b.*:%d)\b" % (prefix, port1, port2, port2, port1), a.last_fail())


@pytest.mark.parametrize("mode", MODES)
def test_all_down(lab, reps, start, mode):
    """Every replica refusing: a generic one-line text/plain 502, twice;
    one log line naming both; each marked down once."""
    a = start(mode, "ALLDEAD", *upstreams(reps, "dead", "dead2"))
    c = checks("all down", mode)
    for rnd in (1, 2):
        r = get(a, "/graph")
        c.match("all down (round %d): Status: 502 first" % rnd, r"^Status: 502( |$)", r.first_line)
        c.match("all down (round %d): text/plain" % rnd, r"^text/plain", r.header("Content-Type"))
        c.eq("all down (round %d): the body is generic" % rnd, "thanos-fcgi: upstream failed",
             r.body.decode("latin-1").rstrip("\n"))
        c.eq("all down (round %d): body is one line" % rnd, 1, r.body.count(b"\n"))
    fail_names_both(c, "all down: one log line naming both", a, reps.dead.port, reps.dead2.port,
                    'method=GET path=/thanos/graph err=".*')
    c.eq("all down: each marked down once", 2, marked_down(a))
    conftest.record(mode, c)


@pytest.mark.parametrize("mode", MODES)
def test_all_reset(lab, reps, start, mode):
    """A reset on every replica: a GET tries both, the 502's log line names
    both."""
    a = start(mode, "ALLRST", *upstreams(reps, "reset", "reset2"))
    c = checks("every replica resets", mode)
    r = get(a, "/graph")
    c.match("every replica resets: Status: 502 first", r"^Status: 502( |$)", r.first_line)
    fail_names_both(c, "every replica resets: the log line names both", a,
                    reps.mocks["reset"].port, reps.mocks["reset2"].port)
    conftest.record(mode, c)


@pytest.mark.parametrize("mode", ["cgi"])
def test_cgi_list(lab, reps, start, mode):
    """The same over the environment and CGI: THANOS_FCGI_UPSTREAM is a
    list (a refusing replica, then a live one)."""
    a = start("cgi", "CGI", "--upstream", reps.url("dead") + "," + reps.url("good"))
    c = checks("CGI list", "cgi")
    c.eq("CGI, THANOS_FCGI_UPSTREAM=dead,live: GETs answered of 3", 3, answered(a, 3))
    conftest.record("cgi", c)
