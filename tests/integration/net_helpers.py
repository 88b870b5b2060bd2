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
"""

import argparse
import select
import signal
import socket
import ssl
import sys
import threading
import time


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
    time.sleep(0.3)
    log("blackhole: accept queue of %s full" % opts.listen)
    print("ready", flush=True)
    signal.pause()


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
    opts = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if opts.cmd == "tls-proxy":
        tls_proxy(opts)
    else:
        blackhole(opts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
