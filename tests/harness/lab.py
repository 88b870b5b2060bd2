"""lab.py: the mock upstreams and the adapter in each way it runs, and one
request through it.

Modes (how the adapter runs and how a request reaches it):
  cgi     the binary once per request, the CGI variables its environment,
          the body on stdin; settings as THANOS_FCGI_* variables (or, for an
          adapter with settings = "flags", on its command line)
  listen  thanos-fcgi --listen 127.0.0.1:PORT FLAGS
  unix    thanos-fcgi --listen unix:PATH FLAGS
  spawn   spawn-fcgi -n -a 127.0.0.1 -p PORT -- thanos-fcgi FLAGS
  params  thanos-fcgi --listen 127.0.0.1:PORT with its process-only flags;
          every other setting goes with each request as its THANOS_FCGI_*
          parameter (nginx fastcgi_param)
  nginx, lighttpd, apache_fcgid, apache_cgi, shared_hosting
          behind that server, started from deploy/ (front.py), over HTTP
The FastCGI modes are driven by tests/integration/fcgi_client.py, the
tests' one FastCGI client.
"""

import hashlib
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse

import flags as flagmod
import procs

TOP = os.environ.get("top_srcdir") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
import fcgi_client  # noqa: E402

MOCK_PY = os.path.join(TOP, "tests", "mock", "thanos_mock.py")
NETH = os.path.join(TOP, "tests", "integration", "net_helpers.py")
ADAPTER_MODES = ("cgi", "listen", "unix", "spawn", "params")
FASTCGI_MODES = ("listen", "unix", "spawn", "params")
# front.py: behind a real server, over HTTP
FRONT_MODES = ("nginx", "lighttpd", "apache_fcgid", "apache_cgi", "shared_hosting")
MODES = ADAPTER_MODES + FRONT_MODES
REQUESTS = [0]  # requests made, for the summary

BASE_CGI = {
    "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1",
    "SERVER_SOFTWARE": "thanos-fcgi-tests", "SERVER_NAME": "www.example",
    "SERVER_PORT": "80", "SERVER_ADDR": "127.0.0.1", "REMOTE_ADDR": "192.0.2.7",
    "REMOTE_PORT": "40000", "REQUEST_SCHEME": "http", "DOCUMENT_ROOT": "/var/www",
    "SCRIPT_FILENAME": "/usr/lib/cgi-bin/thanos-fcgi", "HTTP_HOST": "www.example",
    "HTTP_USER_AGENT": "thanos-fcgi-tests",
}

VAR = re.compile(r"\$\{(\w+)(?::([\w.-]+))?\}")



def last_fail_line(text):
    """The last logfmt line of a failed request (msg="request failed") in
    text, or ""."""
    lines = [ln for ln in text.splitlines() if 'msg="request failed"' in ln]
    return lines[-1] if lines else ""

class Response:
    """What the client got: the raw bytes split at the end of the header
    block, the exit (CGI) or application status, and when the end of the
    header block (head), the first body byte and the end arrived (seconds
    from the start)."""

    def __init__(self, raw, rc, first, end, timed_out, head=None):
        self.raw = raw
        self.rc = rc
        self.head = head
        self.first = first
        self.end = end
        self.timed_out = timed_out
        cut = [(raw.find(sep), len(sep)) for sep in (b"\r\n\r\n", b"\n\n") if raw.find(sep) >= 0]
        if cut:
            i, n = min(cut)
            head, self.body = raw[:i], raw[i + n:]
        else:
            head, self.body = raw, b""
        self.lines = head.decode("latin-1").replace("\r\n", "\n").split("\n") if head else []
        self.first_line = self.lines[0] if self.lines else ""
        m = re.match(r"Status: *([0-9]{3})", self.first_line)
        self.status = int(m.group(1)) if m else None
        self.headers = []
        for ln in self.lines:
            k, sep, v = ln.partition(":")
            if sep:
                self.headers.append((k.strip(), v.strip()))

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def header(self, name):
        vals = self.header_all(name)
        return vals[0] if vals else None

    def json(self):
        return json.loads(self.body)


def body_of(spec):
    """The request body a case gives: a string, or {random|zeros = N}, or
    {form = {k = v}} (url-encoded, values percent-encoded)."""
    if spec is None:
        return None
    if isinstance(spec, str):
        return spec.encode()
    if "random" in spec:
        return os.urandom(spec["random"])
    if "zeros" in spec:
        return b"\0" * spec["zeros"]
    if "form" in spec:
        return urllib.parse.urlencode(spec["form"], quote_via=urllib.parse.quote).encode()
    raise ValueError("unknown body %r" % spec)


class Mock:
    """tests/mock/thanos_mock.py, recording every request it gets."""

    def __init__(self, lab, name, args, unix=False):
        self.name = name
        self.record = os.path.join(lab.dir, "mock_%s.requests" % name)
        open(self.record, "w").close()
        if unix:
            self.sock = os.path.join(lab.dir, "mock_%s.sock" % name)
            listen = "unix:" + self.sock
            self.url = "unix:" + self.sock
        else:
            self.port = procs.free_port()
            listen = "127.0.0.1:%d" % self.port
            self.url = "http://127.0.0.1:%d" % self.port
        self.proc = procs.Proc("mock_" + name, [sys.executable, MOCK_PY, "--listen", listen,
                                                "--record", self.record] + list(args),
                               os.path.join(lab.dir, "mock_%s.log" % name))
        if unix:
            procs.wait_for("mock %s socket" % name, lambda: os.path.exists(self.sock))
        else:
            procs.wait_for("mock %s port" % name, lambda: port_or_dead(self.proc, self.port))

    def requests(self):
        """Every request the mock has received so far (dicts, in order)."""
        with open(self.record) as f:
            return [json.loads(ln) for ln in f if ln.strip()]

    def stop(self):
        self.proc.stop()


def port_or_dead(proc, port):
    if not proc.running():
        raise AssertionError("%s exited: %s" % (proc.name, proc.log_text()[-500:]))
    return procs.port_open(port)


def unix_open(proc, path):
    if not proc.running():
        raise AssertionError("%s exited: %s" % (proc.name, proc.log_text()[-500:]))
    try:
        fcgi_client.connect(path, timeout=1).close()
        return True
    except OSError:
        return False


class Adapter:
    """One configuration of thanos-fcgi, reached the way its mode says."""

    def __init__(self, lab, mode, name, spec):
        self.lab = lab
        self.mode = mode
        self.name = name
        flags = [lab.expand(f) for f in spec.get("flags", [])]
        self.proc_env = {k: lab.expand(v) for k, v in spec.get("env", {}).items()}
        settings = spec.get("settings") or ("env" if mode == "cgi" else "params" if mode == "params" else "flags")
        self.params = {}
        self.argv = []
        if settings == "flags":
            self.argv = flags
        elif settings == "env":
            self.proc_env.update(flagmod.as_env(lab.flags, flags))
        else:
            self.argv, self.params = flagmod.split_params(lab.flags, flags)
        self.log = os.path.join(lab.dir, "adapter_%s_%s.log" % (mode, name))
        self.proc = None
        if mode != "cgi":
            self.start()

    def start(self):
        env = dict(self.lab.clean_env, **self.proc_env)
        b = self.lab.binary
        if self.mode in ("listen", "params"):
            port = procs.free_port()
            self.addr = "127.0.0.1:%d" % port
            argv = [b, "--listen", self.addr] + self.argv
        elif self.mode == "unix":
            self.addr = os.path.join(self.lab.dir, "adapter_%s.sock" % self.name)
            if os.path.exists(self.addr):
                os.unlink(self.addr)
            argv = [b, "--listen", "unix:" + self.addr] + self.argv
        else:
            port = procs.free_port()
            self.addr = "127.0.0.1:%d" % port
            argv = ["spawn-fcgi", "-n", "-a", "127.0.0.1", "-p", str(port), "--", b] + self.argv
        self.proc = procs.Proc("adapter " + self.name, argv, self.log, env=env)
        if self.mode == "unix":
            procs.wait_for("adapter %s socket" % self.name, lambda: unix_open(self.proc, self.addr))
        else:
            procs.wait_for("adapter %s port" % self.name, lambda: port_or_dead(self.proc, port))

    def stop(self):
        if self.proc:
            self.proc.stop()

    def last_fail(self):
        """The last failed request's line the adapter logged."""
        log = self.lab.cgi_log if self.mode == "cgi" else self.log
        with open(log, "rb") as f:
            return last_fail_line(f.read().decode("utf-8", "replace"))

    def cgi_vars(self, method, script, sub, env=(), unset=(), body=None):
        """The CGI variables of one request, as a web server sets them:
        REQUEST_URI is SCRIPT_NAME + sub (raw, query included), PATH_INFO
        the decoded path part of sub, QUERY_STRING its query."""
        path, _, query = sub.partition("?")
        v = dict(BASE_CGI, REQUEST_METHOD=method, SCRIPT_NAME=script,
                 REQUEST_URI=script + sub, QUERY_STRING=query)
        if path:
            v["PATH_INFO"] = urllib.parse.unquote_to_bytes(path).replace(b"\0", b"").decode("latin-1")
        if body is not None:
            v["CONTENT_LENGTH"] = str(len(body))
        v.update(env)
        for k in unset:
            v.pop(k, None)
        return v

    def request(self, method, script, sub, env=(), unset=(), body=None, timeout=30, cut=None,
                on_first=None):
        """One request; returns a Response.  cut=N: the client reads N bytes
        of the answer and goes away.  on_first(response-so-far) is called
        once the first body byte has arrived."""
        v = self.cgi_vars(method, script, sub, dict(env), unset, body)
        REQUESTS[0] += 1
        timeout *= procs.SLOWDOWN
        if self.mode == "cgi":
            return self._cgi(v, body, timeout, cut, on_first)
        v = dict(self.params, **v)
        return self._fcgi(v, body, timeout, cut)

    def _cgi(self, v, body, timeout, cut, on_first):
        env = dict(v, PATH=os.environ.get("PATH", "/usr/bin:/bin"), **self.params)
        env.update(self.proc_env)
        with open(self.lab.cgi_log, "ab") as err:
            p = subprocess.Popen([self.lab.binary] + self.argv, env=env, stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=err)
        self.cgi_proc = p
        t0 = time.monotonic()

        def feed():
            try:
                if body:
                    p.stdin.write(body)
                p.stdin.close()
            except OSError:
                pass
        threading.Thread(target=feed, daemon=True).start()
        timer = threading.Timer(timeout, p.kill)
        timer.start()
        reader = Reader(t0, cut)
        fd = p.stdout.fileno()
        while True:
            data = os.read(fd, 65536)
            if not data or not reader.take(data):
                break
            if on_first and reader.first is not None:
                on_first(p)
                on_first = None
        p.stdout.close()
        rc = p.wait()
        timer.cancel()
        return reader.response(rc, rc == -9)

    def _fcgi(self, v, body, timeout, cut):
        t0 = time.monotonic()
        s = fcgi_client.connect(self.addr, timeout=timeout)
        chunks = [body] if body else []
        threading.Thread(target=fcgi_client.send_request, args=(s, v, chunks), daemon=True).start()
        reader = Reader(t0, cut)
        rc, timed_out = None, False
        try:
            for rtype, content in fcgi_client.read_records(s):
                if rtype == fcgi_client.END:
                    rc = content
                elif rtype == fcgi_client.STDOUT and not reader.take(content):
                    break
        except fcgi_client.ProtocolError as e:
            timed_out = "timed out" in str(e)
        s.close()
        return reader.response(rc, timed_out)


class Reader:
    """Collects an answer; notes when the end of its header block and its
    first body byte came; stops after cut bytes."""

    def __init__(self, t0, cut):
        self.t0 = t0
        self.cut = cut
        self.raw = b""
        self.head = None
        self.first = None

    def take(self, data):
        if self.cut is not None:
            data = data[:self.cut - len(self.raw)]
        self.raw += data
        if self.first is None:
            for sep in (b"\r\n\r\n", b"\n\n"):
                i = self.raw.find(sep)
                if i >= 0 and self.head is None:
                    self.head = time.monotonic() - self.t0
                if i >= 0 and len(self.raw) > i + len(sep):
                    self.first = time.monotonic() - self.t0
                    break
        return self.cut is None or len(self.raw) < self.cut

    def response(self, rc, timed_out):
        return Response(self.raw, rc, self.first, time.monotonic() - self.t0, timed_out, self.head)


class Kept(Adapter):
    """An adapter on the list made (which its test stops), from before its
    process starts: a start that fails is stopped too."""

    def __init__(self, made, *args):
        self.made = made
        super().__init__(*args)

    def start(self):
        self.made.append(self)
        super().start()


class Blackhole:
    """net_helpers.py blackhole: a port of 127.0.0.1 whose full accept
    queue leaves connect() hanging (a connect timeout on loopback)."""

    def __init__(self, lab, name):
        self.name = name
        self.port = procs.free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.proc = procs.Proc(name, [sys.executable, NETH, "blackhole", "--listen", "127.0.0.1:%d" % self.port],
                               os.path.join(lab.dir, "%s_%d.log" % (name, self.port)))
        try:
            self.proc.wait_log("full")
        except BaseException:
            self.proc.stop()
            raise

    def stop(self):
        self.proc.stop()


class Lab:
    """The mocks (shared by every mode) and the adapters of the mode under
    test (stopped when the next mode starts), all in one directory."""

    def __init__(self, directory, binary, specs):
        self.dir = directory
        self.binary = binary
        self.mock_specs = specs.get("mocks", {})
        self.adapter_specs = specs.get("adapters", {})
        self.clean_env = {k: v for k, v in os.environ.items() if not k.startswith("THANOS_FCGI_")}
        # No start-up check (its probes would reach the mocks beside the
        # cases' requests); tests/harness/test_check.py covers it.
        self.clean_env["THANOS_FCGI_CHECK_ON_START"] = "false"
        self.flags = flagmod.read_table(binary)
        self.cgi_log = os.path.join(directory, "cgi.log")
        open(self.cgi_log, "a").close()
        self.dead = procs.DeadPort()
        self.mocks = {}
        self.adapters = {}
        self.mode = None

    def mock(self, name):
        if name not in self.mocks:
            spec = self.mock_specs[name]
            self.mocks[name] = Mock(self, name, spec.get("args", []), spec.get("unix", False))
        return self.mocks[name]

    def adapter(self, mode, name):
        if mode != self.mode:
            for a in self.adapters.values():
                a.stop()
            self.adapters = {}
            self.mode = mode
        if name not in self.adapters:
            if mode in FRONT_MODES:
                import front
                self.adapters[name] = front.FrontAdapter(self, mode, name, self.adapter_specs[name])
            else:
                self.adapters[name] = Adapter(self, mode, name, self.adapter_specs[name])
        return self.adapters[name]

    def expand(self, text):
        """${up:NAME} (a mock's URL), ${port:NAME}, ${dead} (a port that
        refuses) in a setting or an expected value."""
        def one(m):
            kind, arg = m.group(1), m.group(2)
            if kind == "up":
                return self.mock(arg).url
            if kind == "port":
                return str(self.mock(arg).port)
            if kind == "dead":
                return str(self.dead.port)
            raise KeyError("unknown ${%s}" % kind)
        return VAR.sub(one, text) if isinstance(text, str) else text

    def close(self):
        """Stops everything, each one whatever happened to the others."""
        errors = []
        for x in list(self.adapters.values()) + list(self.mocks.values()):
            try:
                x.stop()
            except Exception as e:  # stop the rest, then report
                errors.append("%s: %s" % (x.name, e))
        self.dead.close()
        if errors:
            raise AssertionError("stopping: " + "; ".join(errors))


def sha256(data):
    return hashlib.sha256(data).hexdigest()
