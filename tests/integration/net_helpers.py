#!/usr/bin/env python3
"""net_helpers.py: odd network peers for the thanos-fcgi integration tests.

Python 3 stdlib only.  Each subcommand runs until SIGTERM and logs to stderr.

  net_helpers.py tls-proxy --listen 127.0.0.1:PORT --cert CERT --key KEY
                 --to 127.0.0.1:PORT [--client-ca CA] [--max-version 1.2]
      Terminates TLS and relays the bytes to --to (the mock Thanos).  With
      --client-ca the handshake itself fails when the client sends no
      certificate signed by CA (nginx's ssl_verify_client instead completes
      the handshake and answers 400).  Logs one line per handshake:
        tls-proxy: handshake ok (TLSv1.3, client cert: yes)
        tls-proxy: handshake failed: <why>

  net_helpers.py blackhole --listen 127.0.0.1:PORT
      Listens with a backlog of 0 and fills the accept queue with its own
      connections, never accepting: the kernel then drops further SYNs, so a
      client's connect() hangs until its own timeout.  This is a connect
      timeout on loopback without any non-local address.  Prints "ready".

  net_helpers.py fcgi-keep --connect 127.0.0.1:PORT --path /-/echo
                 [--requests N] [--hold SECONDS]
      A FastCGI client like nginx with fastcgi_keep_conn on: N GET requests
      (SCRIPT_NAME /thanos) one after the other on one connection with the
      FCGI_KEEP_CONN flag, printing "status CODE" for each, then keeps the
      idle connection open for --hold seconds, as nginx's keepalive pool does.
"""

import argparse
import os
import select
import signal
import socket
import ssl
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fcgi_client  # noqa: E402  (the tests' one FastCGI client)


def log(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def hostport(s):
    host, _, port = s.rpartition(":")
    return host or "127.0.0.1", int(port)


def pump(a, b):
    """Copies bytes both ways until one side closes."""
    socks = [a, b]
    try:
        while True:
            # An SSL socket may hold decrypted bytes select() cannot see.
            ready = [s for s in socks if isinstance(s, ssl.SSLSocket) and s.pending()]
            if not ready:
                ready, _, _ = select.select(socks, [], [], 60)
                if not ready:
                    return
            for s in ready:
                data = s.recv(65536)
                if not data:
                    return
                (b if s is a else a).sendall(data)
    except (OSError, ssl.SSLError):
        return
    finally:
        for s in socks:
            try:
                s.close()
            except OSError:
                pass


def tls_proxy(opts):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(opts.cert, opts.key)
    if opts.client_ca:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(opts.client_ca)
    if opts.max_version == "1.2":
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    to = hostport(opts.to)
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(hostport(opts.listen))
    srv.listen(64)
    log("tls-proxy: listening on %s, relaying to %s" % (opts.listen, opts.to))

    def serve(raw):
        try:
            raw.settimeout(10)
            conn = ctx.wrap_socket(raw, server_side=True)
            conn.settimeout(None)
        except (OSError, ssl.SSLError) as e:
            log("tls-proxy: handshake failed: %s" % e)
            raw.close()
            return
        log("tls-proxy: handshake ok (%s, client cert: %s)"
            % (conn.version(), "yes" if conn.getpeercert() else "no"))
        try:
            back = socket.create_connection(to, timeout=10)
            back.settimeout(None)
        except OSError as e:
            log("tls-proxy: cannot reach %s: %s" % (opts.to, e))
            conn.close()
            return
        pump(conn, back)

    while True:
        raw, _ = srv.accept()
        threading.Thread(target=serve, args=(raw,), daemon=True).start()


def accept_queue(port):
    """The accept queue length of the loopback LISTEN socket on port (its
    rx_queue in /proc/net/tcp), or -1 when there is none."""
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            x = line.split()
            if x[3] == "0A" and int(x[1].split(":")[1], 16) == port:
                return int(x[4].split(":")[1], 16)
    return -1


def wait_queue_full(port):
    """Until the kernel has queued the handshakes the backlog holds (listen(0)
    holds one): the event that the port now stalls every connect."""
    end = time.monotonic() + 30  # tests/harness/procs.py GUARD
    while accept_queue(port) < 1 and time.monotonic() < end:
        time.sleep(0.01)


def blackhole(opts):
    addr = hostport(opts.listen)
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(addr)
    srv.listen(0)
    fill = []
    for _ in range(8):
        c = socket.socket()
        c.setblocking(False)
        try:
            c.connect(addr)
        except BlockingIOError:
            pass
        fill.append(c)
    wait_queue_full(addr[1])
    log("blackhole: accept queue of %s full" % opts.listen)
    print("ready", flush=True)
    signal.pause()


def fcgi_keep(opts):
    sock = fcgi_client.connect(opts.connect, timeout=opts.timeout)
    for _ in range(opts.requests):
        params = {
            "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1",
            "REQUEST_METHOD": "GET", "SCRIPT_NAME": "/thanos",
            "REQUEST_URI": "/thanos" + opts.path, "QUERY_STRING": "",
            "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "www.example",
        }
        # as nginx: one request at a time, always id 1, FCGI_KEEP_CONN
        fcgi_client.send_request(sock, params, keep_conn=True)
        out = b"".join(c for t, c in fcgi_client.read_records(sock) if t == fcgi_client.STDOUT)
        first = out.split(b"\r\n", 1)[0].decode("latin-1")
        code = first.split()[1] if first.startswith("Status:") else "none"
        print("status %s" % code, flush=True)
    time.sleep(opts.hold)
    sock.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("tls-proxy")
    p.add_argument("--listen", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--to", required=True)
    p.add_argument("--client-ca")
    p.add_argument("--max-version", choices=("1.2", "1.3"))
    p = sub.add_parser("blackhole")
    p.add_argument("--listen", required=True)
    p = sub.add_parser("fcgi-keep")
    p.add_argument("--connect", required=True)
    p.add_argument("--path", default="/-/echo")
    p.add_argument("--requests", type=int, default=1)
    p.add_argument("--hold", type=float, default=5)
    p.add_argument("--timeout", type=float, default=10)
    opts = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if opts.cmd == "tls-proxy":
        tls_proxy(opts)
    elif opts.cmd == "fcgi-keep":
        fcgi_keep(opts)
    else:
        blackhole(opts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
