"""test_flows.py: behaviour over several requests, or with an event in the
middle of one, in every mode where it applies (the adapters and mocks of
tests/cases/flows.toml)."""

import os
import signal
import time

import pytest

import bounds
import cases as casemod
import conftest
import lab as labmod
import procs

# /-/bytes answer of 300 chunks of 1000 bytes, 100 ms apart: 30 s in all
SLOW = "/-/bytes?n=300000&chunk=1000&delay_ms=100"
SLOW_TOTAL = 300 * 0.1


def checks(name, mode):
    return casemod.Checks("%s [%s]" % (name, mode))


@pytest.mark.parametrize("mode", labmod.ADAPTER_MODES)
def test_short_body(lab, mode):
    """A body shorter than CONTENT_LENGTH (the client stopped sending): the
    adapter does not sit waiting for the upstream, which waits for the rest,
    and the next request is answered."""
    a = lab.adapter(mode, "SHORT")
    c = checks("short body", mode)
    r = a.request("POST", "/thanos", "/-/echo", {"CONTENT_LENGTH": "10", "CONTENT_TYPE": "text/plain"},
                  body=b"abc", timeout=10)
    c.true("short body: given up before the client's 10 s", not r.timed_out, "%.3f s" % r.end)
    c.match("short body: no answer, or neither success nor 504", r"^(|Status: (4[0-9][0-9]|50[0-3]).*)$",
            r.first_line)
    r = a.request("GET", "/thanos", "/-/healthy", timeout=10)
    c.eq("next request after a short body", 200, r.status)
    c.true("next request after a short body ends by itself", not r.timed_out)
    conftest.record(mode, c)


@pytest.mark.parametrize("mode", labmod.FASTCGI_MODES)
def test_keepalive(lab, mode):
    """One worker reuses its upstream connection."""
    a = lab.adapter(mode, "KA")
    mock = lab.mock("ka")
    seen = len(mock.requests())
    conns = {a.request("GET", "/thanos", "/-/echo").json()["connection"] for _ in range(6)}
    got = mock.requests()[seen:]
    c = checks("keep-alive", mode)
    c.eq("keep-alive: requests that reached the mock", 6, len(got))
    n = len({g["conn"] for g in got})
    c.true("keep-alive: fewer connections than requests", 1 <= n < 6, "%d connections" % n)
    c.eq("keep-alive: connections the answers name", 1, len(conns))
    conftest.record(mode, c)


@pytest.mark.parametrize("mode", labmod.ADAPTER_MODES)
def test_client_gone(lab, mode):
    """A client that goes away once it has 3000 bytes of a slow answer (an
    event, not a kill after a fixed time) aborts the upstream transfer, and
    the only worker goes on to the next request."""
    a = lab.adapter(mode, "GONE")
    mock = lab.mock("gone")
    gone0 = mock.proc.log_count("client went away")
    c = checks("client gone", mode)
    r = a.request("GET", "/thanos", SLOW, cut=3000, timeout=40)
    c.eq("client gone: it had 3000 bytes of the answer", 3000, len(r.raw))
    b = bounds.well_before(SLOW_TOTAL)
    c.true("client gone: the request ended long before the answer's %g s" % SLOW_TOTAL,
           bounds.within(r.end, b), bounds.show(r.end, b))
    r = a.request("GET", "/thanos", "/-/healthy", timeout=10)
    c.eq("client gone: next request", 200, r.status)
    c.true("client gone: next request ends by itself", not r.timed_out)
    n = mock.proc.wait_log("client went away", gone0 + 1)
    c.eq("client gone: the upstream transfer was aborted", gone0 + 1, n)
    conftest.record(mode, c)


@pytest.mark.parametrize("mode", ["cgi"])
def test_cgi_sigterm(lab, mode):
    """SIGTERM from the web server (its timeout, or lighttpd on a client that
    went away) ends a CGI request at once, and the upstream transfer with
    it: sent once the answer's first bytes have arrived."""
    a = lab.adapter("cgi", "GONE")
    mock = lab.mock("gone")
    gone0 = mock.proc.log_count("client went away")
    sent = []

    def term(p):
        sent.append(time.monotonic())
        p.send_signal(signal.SIGTERM)
    r = a.request("GET", "/thanos", SLOW, timeout=40, on_first=term)
    c = checks("CGI SIGTERM", "cgi")
    b = bounds.well_before(SLOW_TOTAL)
    c.true("SIGTERM ends the CGI process long before the answer's end", bool(sent) and
           bounds.within(r.end, b), bounds.show(r.end, b))
    n = mock.proc.wait_log("client went away", gone0 + 1)
    c.eq("SIGTERM: the upstream transfer was aborted", gone0 + 1, n)
    conftest.record("cgi", c)


@pytest.mark.parametrize("mode", ["listen"])
def test_listen_sigterm(lab, mode):
    """SIGTERM: a --listen process ends by itself."""
    a = lab.adapter("listen", "TERM")
    c = checks("--listen SIGTERM", "listen")
    assert a.request("GET", "/thanos", "/-/healthy").status == 200  # set-up, not a check
    os.kill(a.proc.pid, signal.SIGTERM)
    try:
        rc = a.proc.wait_exit()
    except procs.WaitTimeout as e:
        rc = str(e)
    c.true("SIGTERM ends the --listen process", isinstance(rc, int), str(rc))
    conftest.record("listen", c)
